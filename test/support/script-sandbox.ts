/**
 * A sandbox for running generated shell scripts: a temp dir whose bin/ holds stub commands (each scriptable per
 * test) plus links to the few real utilities the scripts need, and nothing else on PATH — so a missing command
 * is really missing, and no real kubectl, kind, docker, curl or systemctl is ever run.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onAbort } from "./abort-cleanup";

/** The shells a POSIX sh script is run with: every one present here. */
export const SHELLS = ["/bin/bash", "/bin/dash"].filter((s) => fs.existsSync(s));

/** Real utilities linked into the sandbox's bin/ (what the scripts use besides the stubbed commands). */
const UTILITIES = ["sh", "cat", "chmod", "cksum", "date", "grep", "head", "id", "mkdir", "mktemp", "mv", "rm", "sed", "sleep", "stat", "timeout", "printf", "test", "tr"];

/** How a stub behaves: its output and exit code, or hanging (`sleep 1000`), or a shell body of its own. */
export interface StubBehaviour {
    readonly exit?: number;
    readonly stdout?: string;
    readonly stderr?: string;
    readonly hang?: boolean;
    /** POSIX sh body run after logging; overrides the fields above. "$@" are the stub's arguments. */
    readonly body?: string;
}

/** What a run produced. */
export interface ScriptRun {
    readonly status: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
    /** Lines on stderr starting with "kubeloom: ". */
    readonly kubeloomLines: string[];
    /** Wall-clock milliseconds. */
    readonly ms: number;
}

/** One sandbox; call `remove()` in afterEach. */
export class ScriptSandbox {
    /** The temp dir (also TMPDIR of every run). */
    public readonly dir: string;
    public readonly bin: string;
    /** Every stub call is appended here as `<name> <args>`. */
    public readonly logFile: string;
    public readonly tmp: string;
    private readonly unregister: () => void;

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-sandbox-"));
        // Removed on SIGTERM/SIGINT too, not only by remove() (test/support/abort-cleanup.ts).
        this.unregister = onAbort(() => fs.rmSync(this.dir, { recursive: true, force: true }));
        fs.chmodSync(this.dir, 0o755);
        this.bin = path.join(this.dir, "bin");
        this.tmp = path.join(this.dir, "tmp");
        fs.mkdirSync(this.bin, { mode: 0o755 });
        fs.mkdirSync(this.tmp, { mode: 0o1777 });
        fs.chmodSync(this.tmp, 0o1777);
        this.logFile = path.join(this.dir, "log");
        fs.writeFileSync(this.logFile, "", { mode: 0o666 });
        fs.chmodSync(this.logFile, 0o666);
        for (const utility of UTILITIES) {
            const real = ["/usr/bin", "/bin"].map((d) => path.join(d, utility)).find((p) => fs.existsSync(p));
            if (real) fs.symlinkSync(real, path.join(this.bin, utility));
        }
    }

    /** Installs (or replaces) the stub `name` in bin/ (or at `at`, an absolute path inside the sandbox). */
    stub(name: string, behaviour: StubBehaviour = {}, at?: string): void {
        const body =
            behaviour.body ??
            [
                behaviour.stdout === undefined ? "" : `printf '%s' ${quote(behaviour.stdout)}`,
                behaviour.stderr === undefined ? "" : `printf '%s' ${quote(behaviour.stderr)} >&2`,
                behaviour.hang ? "sleep 1000" : "",
                `exit ${behaviour.exit ?? 0}`,
            ].join("\n");
        const file = at ?? path.join(this.bin, name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> ${quote(this.logFile)}\n${body}\n`, { mode: 0o755 });
        fs.chmodSync(file, 0o755);
    }

    /** Removes the stub (the command is then missing). */
    unstub(name: string): void {
        fs.rmSync(path.join(this.bin, name), { force: true });
    }

    /** The stub calls so far. */
    log(): string {
        return fs.readFileSync(this.logFile, "utf8");
    }

    /** Environment of a run: only the sandbox's bin/ on PATH, TMPDIR inside the sandbox. */
    env(extra: Record<string, string> = {}): Record<string, string> {
        return { PATH: this.bin, TMPDIR: this.tmp, HOME: this.dir, ...extra };
    }

    /** Runs `script` with `shell` to completion (killed after `guardMs`, a test guard far above the script's limits). */
    run(shell: string, script: string, options: { env?: Record<string, string>; stdin?: string; guardMs?: number; argv0?: string[] } = {}): ScriptRun {
        const started = Date.now();
        const result = spawnSync(...command(shell, script, options.argv0), {
            encoding: "utf8",
            input: options.stdin ?? "",
            env: this.env(options.env),
            timeout: options.guardMs ?? 20_000,
            killSignal: "SIGKILL",
        });
        if (result.error && result.status === null && result.signal === null) throw result.error;
        return finish(result.status, result.signal, result.stdout, result.stderr, started);
    }

    /**
     * Starts `script` in its own process group, waits until `ready()` holds, sends `signal` to the whole group
     * (as a terminal's Ctrl-C or a cancelled Pulumi does) and resolves with the run.
     */
    async runAndSignal(shell: string, script: string, signal: NodeJS.Signals, ready: () => boolean, env: Record<string, string> = {}): Promise<ScriptRun> {
        const started = Date.now();
        const child = spawn(shell, ["-c", script], { env: this.env(env), detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (code, sig) => resolve([code, sig])));
        const deadline = Date.now() + 10_000;
        while (!ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        process.kill(-child.pid!, signal);
        const guard = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 10_000);
        const [code, sig] = await exited;
        clearTimeout(guard);
        return finish(code, sig, stdout, stderr, started);
    }

    /** Files left in the sandbox's TMPDIR. */
    tempFiles(): string[] {
        return fs.readdirSync(this.tmp);
    }

    remove(): void {
        this.unregister();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

function command(shell: string, script: string, prefix: string[] = []): [string, string[]] {
    const argv = [...prefix, shell, "-c", script];
    return [argv[0], argv.slice(1)];
}

function finish(status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, started: number): ScriptRun {
    return {
        status,
        signal,
        stdout,
        stderr,
        kubeloomLines: stderr.split("\n").filter((l) => l.startsWith("kubeloom: ")),
        ms: Date.now() - started,
    };
}

/** Single-quotes for sh (the test layer's own copy: support code does not reach into lib/ for what it tests). */
export function quote(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** True when `command -v name` finds it on this machine. */
export function hasCommand(name: string): boolean {
    return spawnSync("sh", ["-c", `command -v ${quote(name)}`]).status === 0;
}
