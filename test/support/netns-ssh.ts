/**
 * A real SSH host for script tests: two network namespaces the test creates (a "client" and a "host" joined by a
 * veth pair with private addresses), Debian's sshd in the host namespace on a test-generated host key and a
 * test-generated authorized key, and OpenSSH's client in the client namespace. No traffic leaves those
 * namespaces: neither has a route anywhere else, so even a command missing from the stub PATH cannot reach out.
 *
 * Commands run the way @pulumi/command's remote.Command runs them (pulumi-command
 * provider/pkg/provider/remote/commandOutputs.go): one SSH "exec" request carrying the script text verbatim,
 * no PTY, the Command's `stdin` streamed and then closed (or no stdin at all); sshd runs the text with the
 * user's login shell as `<shell> -c <text>`, so a login shell's ~/.bashrc may print around the output.
 *
 * The host's environment (PATH with the stubs, the sandbox root, short time limits) comes from sshd's own
 * `SetEnv`, i.e. it is how the host is configured, not something the client sends: K3sHost sets no
 * `environment` (sshd drops it unless AcceptEnv allows the names).
 */
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onAbort } from "./abort-cleanup";

const SSHD_CANDIDATES = ["/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd"];
/**
 * sshd refuses to start without its privilege separation directory (Debian's is /run/sshd, created by systemd).
 * Each run's sshd gets its own: a tmpfs on /run inside a private mount namespace, so no run ever creates or
 * removes the machine's /run/sshd (two runs at once used to remove each other's).
 */
const PRIVSEP_DIR = "/run/sshd";
/** Prefix of the namespaces this module creates: `kl<pid>-<3 hex>h` / `…c` (≤ 15 characters with the veth's `v`). */
const NAMESPACE_PATTERN = /^kl(\d+)-[0-9a-f]{3}[hc]$/;

/** The client and host addresses, private and only ever configured inside the test's namespaces. */
const CLIENT_ADDRESS = "10.254.13.1";
const HOST_ADDRESS = "10.254.13.2";
const SSH_PORT = 2222;

/** What this machine lacks for a real SSH test, as one sentence; undefined when nothing is missing. */
export function realSshUnavailable(): string | undefined {
    const missing: string[] = [];
    if (process.platform !== "linux") return `real-SSH test skipped: needs Linux network namespaces, this is ${process.platform}`;
    if (process.getuid?.() !== 0) missing.push("root (ip netns needs it)");
    if (!onPath("ip")) missing.push("ip (iproute2)");
    if (!sshdPath()) missing.push("sshd (openssh-server)");
    if (!onPath("ssh")) missing.push("ssh (openssh-client)");
    if (!onPath("ssh-keygen")) missing.push("ssh-keygen (openssh-client)");
    if (missing.length === 0) {
        // Root in a container may still lack CAP_SYS_ADMIN: try the one thing the test needs.
        const probe = `klprobe${process.pid}`;
        const added = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
        if (added.status !== 0) missing.push(`a working "ip netns add" (${(added.stderr || "").trim() || `exit ${added.status}`})`);
        else spawnSync("ip", ["netns", "del", probe]);
    }
    return missing.length === 0 ? undefined : `real-SSH test skipped: missing ${missing.join(", ")}`;
}

/** What one SSH command produced. */
export interface SshRun {
    /** The remote exit status as ssh reports it (255: ssh itself failed). */
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** Lines on stderr starting with "kubeloom: ". */
    readonly kubeloomLines: string[];
}

/** Two namespaces, a veth pair, one sshd; `stop()` removes all of it (also on process exit). */
export class NetnsSshHost {
    /** Temp dir with keys, sshd config and log. */
    public readonly dir: string;
    /** The namespaces' names (per run and per host). */
    public readonly hostNs: string;
    public readonly clientNs: string;
    private sshd?: ChildProcess;
    private stopped = false;
    private readonly unregister: () => void;

    /** `environment`: what sshd puts into every session (SetEnv), e.g. PATH with the stubs. */
    constructor(private readonly environment: Readonly<Record<string, string>>) {
        removeStaleNamespaces();
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-ssh-"));
        // Per run (pid) and per host (random): two runs, or two hosts in one run, never share a name.
        const id = `kl${process.pid}-${crypto.randomBytes(2).toString("hex").slice(0, 3)}`;
        this.hostNs = `${id}h`;
        this.clientNs = `${id}c`;
        this.unregister = onAbort(() => this.stop());
    }

    /** Creates the namespaces and keys, starts sshd and waits until it listens. Throws with sshd's log on failure. */
    async start(): Promise<void> {
        for (const [key, value] of Object.entries(this.environment)) {
            if (/[\s"']/.test(key + value)) throw new Error(`SetEnv ${key}: no whitespace or quotes, got ${JSON.stringify(value)}`);
        }
        const hostVeth = `${this.hostNs}v`;
        const clientVeth = `${this.clientNs}v`;
        run("ip", ["netns", "add", this.hostNs]);
        run("ip", ["netns", "add", this.clientNs]);
        // Created in the host namespace and both ends moved at once: the root namespace never holds an address.
        run("ip", ["-n", this.hostNs, "link", "add", hostVeth, "type", "veth", "peer", "name", clientVeth, "netns", this.clientNs]);
        run("ip", ["-n", this.hostNs, "addr", "add", `${HOST_ADDRESS}/30`, "dev", hostVeth]);
        run("ip", ["-n", this.clientNs, "addr", "add", `${CLIENT_ADDRESS}/30`, "dev", clientVeth]);
        for (const [ns, dev] of [[this.hostNs, hostVeth], [this.clientNs, clientVeth], [this.hostNs, "lo"], [this.clientNs, "lo"]]) {
            run("ip", ["-n", ns, "link", "set", dev, "up"]);
        }

        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kubeloom-test-host", "-f", this.file("host_key")]);
        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kubeloom-test-client", "-f", this.file("client_key")]);
        fs.copyFileSync(this.file("client_key.pub"), this.file("authorized_keys"));
        const hostPub = fs.readFileSync(this.file("host_key.pub"), "utf8").trim().split(/\s+/);
        fs.writeFileSync(this.file("known_hosts"), `[${HOST_ADDRESS}]:${SSH_PORT} ${hostPub[0]} ${hostPub[1]}\n`);
        fs.writeFileSync(
            this.file("sshd_config"),
            [
                `ListenAddress ${HOST_ADDRESS}`,
                `Port ${SSH_PORT}`,
                `HostKey ${this.file("host_key")}`,
                `AuthorizedKeysFile ${this.file("authorized_keys")}`,
                `PidFile ${this.file("sshd.pid")}`,
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                // The key files live under /tmp (world-writable), which StrictModes would refuse.
                "StrictModes no",
                "LogLevel VERBOSE",
                `SetEnv ${Object.entries(this.environment).map(([k, v]) => `${k}=${v}`).join(" ")}`,
                "",
            ].join("\n"),
        );

        const log = fs.openSync(this.file("sshd.log"), "a");
        // ip netns exec, unshare and sh all exec, so this child ends as sshd itself (-D: no fork, -e: log to stderr),
        // in the host namespace, in a mount namespace of its own whose /run is a fresh tmpfs holding the privsep dir.
        // The shell runs only fixed text; the paths come in as arguments.
        // setpriv --pdeathsig: sshd is killed even when this process dies by SIGKILL, which no cleanup handler sees.
        const pdeath = onPath("setpriv") ? "setpriv --pdeathsig KILL " : "";
        const startSshd = `mount -t tmpfs -o mode=0755,size=1m kubeloom-privsep /run && mkdir -m 0755 ${PRIVSEP_DIR} && exec ${pdeath}"$0" -D -e -f "$1"`;
        this.sshd = spawn("ip", ["netns", "exec", this.hostNs, "unshare", "--mount", "--propagation", "private", "sh", "-c", startSshd, sshdPath()!, this.file("sshd_config")], {
            stdio: ["ignore", log, log],
            detached: true,
        });
        fs.closeSync(log);
        const deadline = Date.now() + 10_000;
        while (!this.sshdLog().includes("Server listening on")) {
            if (this.sshd.exitCode !== null || Date.now() > deadline) {
                throw new Error(`sshd did not start in namespace ${this.hostNs}:\n${this.sshdLog()}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
    }

    /** Runs `script` over SSH as root, like remote.Command: `stdin` streamed then closed; none when undefined. */
    ssh(script: string, stdin?: string, guardMs = 30_000): SshRun {
        const args = [
            "netns", "exec", this.clientNs,
            "ssh", "-F", "/dev/null", "-T",
            "-i", this.file("client_key"),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${this.file("known_hosts")}`,
            "-o", "ConnectTimeout=5",
            "-p", String(SSH_PORT),
            ...(stdin === undefined ? ["-n"] : []),
            `root@${HOST_ADDRESS}`,
            // One argument: ssh sends it verbatim as the exec request, as the Go SSH client does with session.Run.
            script,
        ];
        const result = spawnSync("ip", args, { encoding: "utf8", input: stdin ?? "", timeout: guardMs, killSignal: "SIGKILL" });
        return {
            status: result.status,
            stdout: result.stdout ?? "",
            stderr: result.stderr ?? "",
            kubeloomLines: (result.stderr ?? "").split("\n").filter((l) => l.startsWith("kubeloom: ")),
        };
    }

    /** sshd's process id while it runs. */
    sshdPid(): number | undefined {
        return this.sshd?.exitCode === null ? this.sshd.pid : undefined;
    }

    /** sshd's log so far (for failure messages). */
    sshdLog(): string {
        try {
            return fs.readFileSync(this.file("sshd.log"), "utf8");
        } catch {
            return "";
        }
    }

    /** Stops sshd, deletes both namespaces (and with them the veth pair) and the temp dir. Idempotent. */
    stop(): void {
        if (this.stopped) return;
        this.stopped = true;
        this.unregister();
        if (this.sshd?.pid !== undefined && this.sshd.exitCode === null) {
            try {
                // sshd leads its own process group (detached): its session children go with it.
                process.kill(-this.sshd.pid, "SIGKILL");
            } catch {
                /* already gone */
            }
        }
        // Synchronous on purpose (this also runs from process "exit"): wait until no process is left in the namespace.
        for (let i = 0; i < 50 && (spawnSync("ip", ["netns", "pids", this.hostNs], { encoding: "utf8" }).stdout ?? "").trim() !== ""; i++) {
            spawnSync("sleep", ["0.1"]);
        }
        spawnSync("ip", ["netns", "del", this.hostNs]);
        spawnSync("ip", ["netns", "del", this.clientNs]);
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    /** Names of network namespaces this host still has (empty after stop). */
    leftovers(): string[] {
        const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
        return list.split("\n").map((l) => l.split(" ")[0]).filter((n) => n === this.hostNs || n === this.clientNs);
    }

    private file(name: string): string {
        return path.join(this.dir, name);
    }
}

/**
 * Deletes namespaces a killed run (SIGKILL, which no handler sees) left behind: ours by name, whose pid is gone.
 * A live run's namespaces are never touched.
 */
function removeStaleNamespaces(): void {
    const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
    for (const name of list.split("\n").map((l) => l.split(" ")[0])) {
        const pid = NAMESPACE_PATTERN.exec(name)?.[1];
        if (pid === undefined || pid === String(process.pid) || processAlive(Number(pid))) continue;
        if ((spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" }).stdout ?? "").trim() !== "") continue;
        spawnSync("ip", ["netns", "del", name]);
    }
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

function run(cmd: string, args: string[]): void {
    const result = spawnSync(cmd, args, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${result.stderr || result.error?.message}`);
}

function onPath(name: string): boolean {
    return spawnSync("sh", ["-c", `command -v '${name}'`]).status === 0;
}

function sshdPath(): string | undefined {
    return SSHD_CANDIDATES.find((p) => fs.existsSync(p));
}
