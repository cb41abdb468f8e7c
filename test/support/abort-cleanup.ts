/**
 * Cleanup that also runs when a test run is stopped midway: a timeout's SIGTERM, Ctrl-C (SIGINT) or a closed
 * terminal (SIGHUP), not only on a normal exit. Sandboxes register what they must undo (an sshd, network
 * namespaces, temp folders); on a signal every registered cleanup runs once, synchronously, and the signal is
 * then re-raised with the default action, so the run still ends as the signal asked.
 */

const cleanups = new Set<() => void>();
const SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
let installed = false;

function runAll(): void {
    for (const cleanup of [...cleanups].reverse()) {
        cleanups.delete(cleanup);
        try {
            cleanup();
        } catch {
            // One failed cleanup must not keep the others from running.
        }
    }
}

function onSignal(signal: NodeJS.Signals): void {
    runAll();
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, signal);
}

/** Registers `cleanup` for exit and the stop signals; returns the function that unregisters it. */
export function onAbort(cleanup: () => void): () => void {
    if (!installed) {
        installed = true;
        for (const signal of SIGNALS) process.on(signal, onSignal);
        process.on("exit", runAll);
    }
    cleanups.add(cleanup);
    return () => cleanups.delete(cleanup);
}
