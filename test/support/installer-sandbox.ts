/**
 * A sandbox that runs the real K3s installer (install.sh at the commit artifacts.lock.json pins) under Kubeloom's
 * generated host scripts, with nothing real starting and nothing on the machine changing:
 *
 * - private mount, network and pid namespaces (`unshare --mount --net --pid --fork --mount-proc`, plus
 *   `--user --map-root-user` when not root); /etc, /usr, /var, /run and /opt are overlays whose writes land in a
 *   tmpfs of the sandbox, so the installer writes its unit, env file, binary and uninstall scripts where it always
 *   does and all of it vanishes with the namespace;
 * - a fake K3s release (a shell-script "binary" and its sha256sum file) served over HTTP on the namespace's own
 *   loopback, reached through install.sh's GITHUB_URL; the namespace has no other network;
 * - a stub `systemctl` that only logs, and a `curl` wrapper that hands Kubeloom's script the locked install.sh for
 *   https://get.k3s.io (every other URL goes to the real curl, i.e. to the loopback server).
 *
 * Each step runs one generated script (token on stdin, like remote.Command) and snapshots what the host then holds
 * (files and modes, the systemctl calls, every file that contains the token) into the test's folder.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onAbort } from "./abort-cleanup";

/** Files whose presence, mode and content a snapshot records. */
export const SNAPSHOT_FILES = [
    "/usr/local/bin/k3s",
    "/usr/local/bin/k3s-killall.sh",
    "/usr/local/bin/k3s-uninstall.sh",
    "/usr/local/bin/k3s-agent-uninstall.sh",
    "/etc/systemd/system/k3s.service",
    "/etc/systemd/system/k3s.service.env",
    "/etc/systemd/system/k3s-agent.service",
    "/etc/systemd/system/k3s-agent.service.env",
    "/etc/rancher/k3s/kubeloom-token",
    "/etc/rancher/k3s/registries.yaml",
    "/etc/rancher/k3s/config.yaml.d/50-kubeloom-etcd-snapshots.yaml",
] as const;

/** One step: a generated script run as root in the sandbox with `stdin`. */
export interface SandboxStep {
    readonly name: string;
    readonly script: string;
    readonly stdin: string;
}

/** What a step left. */
export interface StepResult {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
    /** Lines on stderr starting with "kubeloom: ". */
    readonly kubeloomLines: string[];
    /** `systemctl <args>` calls, in order. */
    readonly systemctl: string[];
    /** Present files: path → { mode (octal string), content }. */
    readonly files: ReadonlyMap<string, { readonly mode: string; readonly content: string }>;
    /** Host paths of every file in the sandbox that contains the token (install.sh's temp files included). */
    readonly tokenFiles: string[];
    /** Per secret the sandbox was given (name → host paths of every file in the sandbox that contains it). */
    readonly secretFiles: ReadonlyMap<string, string[]>;
    /** Every `k3s` invocation's arguments (the fake binary logs its argv), accumulated over the run. */
    readonly k3sCalls: string[];
}

/** The K3s release names install.sh downloads for this machine (its setup_verify_arch), or undefined. */
function archSuffix(): { arch: string; suffix: string } | undefined {
    switch (os.arch()) {
        case "x64":
            return { arch: "amd64", suffix: "" };
        case "arm64":
            return { arch: "arm64", suffix: "-arm64" };
        default:
            return undefined;
    }
}

/** The namespace flags that work here (root: none extra; else a user namespace), or why none do. */
export function installerSandboxUnavailable(): { readonly reason: string } | { readonly unshare: string[] } {
    if (process.platform !== "linux") return { reason: `real-installer test skipped: needs Linux namespaces, this is ${process.platform}` };
    if (!archSuffix()) return { reason: `real-installer test skipped: no K3s release name for ${os.arch()}` };
    for (const tool of ["unshare", "curl", "sha256sum", "ip"]) {
        if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return { reason: `real-installer test skipped: ${tool} is not installed` };
    }
    const base = ["--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"];
    const flags = process.getuid?.() === 0 ? base : ["--user", "--map-root-user", ...base];
    const probe = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-unshare-probe-"));
    try {
        const script = 'set -e; mount --make-rprivate /; mount -t tmpfs p "$1"; mkdir "$1/u" "$1/w"; mount -t overlay o -o "lowerdir=/etc,upperdir=$1/u,workdir=$1/w" /etc; ip link set lo up';
        const result = spawnSync("unshare", [...flags, "sh", "-c", script, "sh", probe], { encoding: "utf8", timeout: 20_000 });
        if (result.status !== 0) return { reason: `real-installer test skipped: private mount/net/pid namespaces with overlays are not available (${(result.stderr || result.error?.message || `exit ${result.status}`).trim().split("\n")[0]})` };
    } finally {
        fs.rmSync(probe, { recursive: true, force: true });
    }
    return { unshare: flags };
}

/** Serves files of argv[1] on 127.0.0.1 (a free port, written to argv[2]); 404 for anything else. */
const RELEASE_SERVER = `
const http = require("http"), fs = require("fs"), path = require("path");
const [root, portFile] = process.argv.slice(1);
http.createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(req.url.split("?")[0]));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return res.writeHead(404).end();
    res.writeHead(200);
    fs.createReadStream(file).pipe(res);
}).listen(0, "127.0.0.1", function () { fs.writeFileSync(portFile, String(this.address().port)); });
`;

/** A sandbox folder with the installer, a fake release and the driver; `run` executes steps in one namespace. */
export class InstallerSandbox {
    readonly dir: string;
    readonly token: string;
    private readonly unregister: () => void;

    /**
     * `installer`: the locked install.sh; `releases`: version → whether its sha256sum file tells the truth;
     * `secrets`: name → a value (besides the token) whose every copy in the sandbox each snapshot records.
     */
    constructor(
        private readonly unshareFlags: readonly string[],
        installer: string,
        releases: Readonly<Record<string, { readonly honestChecksum: boolean }>>,
        private readonly secrets: Readonly<Record<string, string>> = {},
    ) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-installer-"));
        this.unregister = onAbort(() => fs.rmSync(this.dir, { recursive: true, force: true }));
        this.token = `K10-installer-sandbox-${crypto.randomBytes(12).toString("hex")}`;
        for (const sub of ["fs", "out", "stubs", "scripts", "release", "secrets"]) fs.mkdirSync(path.join(this.dir, sub), { mode: 0o755 });
        fs.chmodSync(this.dir, 0o755);
        fs.copyFileSync(installer, path.join(this.dir, "install.sh"));
        const { arch, suffix } = archSuffix()!;
        for (const [version, { honestChecksum }] of Object.entries(releases)) {
            const release = path.join(this.dir, "release", "releases", "download", version);
            fs.mkdirSync(release, { recursive: true });
            const binary = `#!/bin/sh\n# fake k3s ${version}: logs its arguments, starts nothing\necho "k3s $*" >> "$KUBELOOM_SANDBOX/out/k3s.log"\nexit 0\n`;
            fs.writeFileSync(path.join(release, `k3s${suffix}`), binary, { mode: 0o755 });
            const digest = crypto.createHash("sha256").update(honestChecksum ? binary : `${binary}tampered`).digest("hex");
            fs.writeFileSync(path.join(release, `sha256sum-${arch}.txt`), `${digest}  k3s${suffix}\n`);
        }
        for (const [name, value] of Object.entries(secrets)) {
            if (!/^[a-z0-9-]+$/.test(name) || value.length === 0 || value.includes("\n")) throw new Error(`sandbox secret ${JSON.stringify(name)}: a lower-case name and a one-line value`);
            // Outside the sandbox's fs folder, so the search for copies never finds this one.
            fs.writeFileSync(path.join(this.dir, "secrets", name), value, { mode: 0o600 });
        }
        // Logs every call; `is-active` answers "active" once the unit exists (nothing runs here: the installed
        // unit stands for a running service), so scripts that restart only a running K3s see one after its install.
        fs.writeFileSync(
            path.join(this.dir, "stubs", "systemctl"),
            [
                "#!/bin/sh",
                'echo "systemctl $*" >> "$KUBELOOM_SANDBOX/fs/systemctl.log"',
                'if [ "$1" = is-active ]; then for a in "$@"; do unit=$a; done; [ -f "/etc/systemd/system/$unit.service" ]; exit; fi',
                "exit 0",
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        const realCurl = spawnSync("sh", ["-c", "command -v curl"], { encoding: "utf8" }).stdout.trim();
        fs.writeFileSync(
            path.join(this.dir, "stubs", "curl"),
            [
                "#!/bin/sh",
                "# The K3s installer URL Kubeloom's scripts download gets the locked install.sh; every other URL the real curl.",
                'out=""; installer=""',
                'for a in "$@"; do [ "$prev" = -o ] && out=$a; [ "$a" = https://get.k3s.io ] && installer=1; prev=$a; done',
                'if [ -n "$installer" ]; then cp "$KUBELOOM_SANDBOX/install.sh" "$out"; exit 0; fi',
                `exec ${realCurl} "$@"`,
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
    }

    /** Runs the steps, in order, in one fresh namespace; returns each step's result. */
    run(steps: readonly SandboxStep[]): StepResult[] {
        const driver = [
            "set -u",
            "W=$KUBELOOM_SANDBOX",
            "mount --make-rprivate /",
            'mount -t tmpfs -o mode=0755 kubeloom-installer-sandbox "$W/fs"',
            "for d in etc usr var run opt; do",
            '    [ -d "/$d" ] || continue',
            '    mkdir -p "$W/fs/$d.up" "$W/fs/$d.work"',
            '    mount -t overlay "kubeloom-$d" -o "lowerdir=/$d,upperdir=$W/fs/$d.up,workdir=$W/fs/$d.work" "/$d" || exit 90',
            "done",
            'mkdir -p "$W/fs/tmp" && chmod 1777 "$W/fs/tmp"',
            'export TMPDIR="$W/fs/tmp"',
            "ip link set lo up || exit 91",
            `"$NODE" -e ${shellQuote(RELEASE_SERVER)} "$W/release" "$W/fs/port" &`,
            'i=0; while [ ! -s "$W/fs/port" ]; do i=$((i + 1)); [ "$i" -lt 100 ] || exit 92; sleep 0.1; done',
            'export GITHUB_URL="http://127.0.0.1:$(cat "$W/fs/port")/releases"',
            'export PATH="$W/stubs:$PATH"',
            // A host setting, not Kubeloom's: where /usr/share/selinux exists, install.sh would try the network for an RPM.
            "export INSTALL_K3S_SKIP_SELINUX_RPM=true",
            "snapshot() {",
            '    d="$W/out/$1"; mkdir -p "$d"',
            `    for f in ${SNAPSHOT_FILES.join(" ")}; do`,
            '        [ -e "$f" ] || continue',
            '        echo "$(stat -c %a "$f") $f" >> "$d/modes"',
            '        cp "$f" "$d/$(echo "$f" | tr / _)"',
            "    done",
            '    grep -rlF "$KUBELOOM_TOKEN" "$W/fs" > "$d/token-files" 2>/dev/null || true',
            '    for s in "$W"/secrets/*; do [ -f "$s" ] || continue; grep -rlF -f "$s" "$W/fs" > "$d/secret-files.${s##*/}" 2>/dev/null || true; done',
            '    mv "$W/fs/systemctl.log" "$d/systemctl" 2>/dev/null || : > "$d/systemctl"',
            "}",
            ...steps.flatMap((step, i) => [
                `printf '%s' ${shellQuote(step.stdin)} | sh "$W/scripts/${i}.sh" > "$W/out/${step.name}.out" 2> "$W/out/${step.name}.err"`,
                `echo $? > "$W/out/${step.name}.rc"`,
                `snapshot ${shellQuote(step.name)}`,
            ]),
            "",
        ].join("\n");
        steps.forEach((step, i) => {
            if (!/^[a-z0-9-]+$/.test(step.name)) throw new Error(`step name ${JSON.stringify(step.name)}: lower-case letters, digits and dashes`);
            fs.writeFileSync(path.join(this.dir, "scripts", `${i}.sh`), step.script, { mode: 0o755 });
        });
        fs.writeFileSync(path.join(this.dir, "driver.sh"), driver, { mode: 0o755 });
        const result = spawnSync("unshare", [...this.unshareFlags, "sh", path.join(this.dir, "driver.sh")], {
            encoding: "utf8",
            timeout: 120_000,
            killSignal: "SIGKILL",
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", KUBELOOM_SANDBOX: this.dir, KUBELOOM_TOKEN: this.token, NODE: process.execPath, LANG: "C" },
        });
        if (result.status !== 0) throw new Error(`installer sandbox driver failed (exit ${result.status}, ${result.signal ?? "no signal"}): ${result.stderr || result.error?.message}`);
        return steps.map((step) => this.result(step.name));
    }

    private result(name: string): StepResult {
        const out = path.join(this.dir, "out");
        const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
        const files = new Map<string, { mode: string; content: string }>();
        for (const line of read(path.join(out, name, "modes")).split("\n").filter(Boolean)) {
            const [mode, file] = line.split(" ");
            files.set(file, { mode, content: read(path.join(out, name, file.replace(/\//g, "_"))) });
        }
        const stderr = read(path.join(out, `${name}.err`));
        return {
            status: Number(read(path.join(out, `${name}.rc`)).trim()),
            stdout: read(path.join(out, `${name}.out`)),
            stderr,
            kubeloomLines: stderr.split("\n").filter((l) => l.startsWith("kubeloom: ")),
            systemctl: read(path.join(out, name, "systemctl")).split("\n").filter(Boolean),
            files,
            tokenFiles: this.sandboxPaths(read(path.join(out, name, "token-files"))),
            secretFiles: new Map(Object.keys(this.secrets).map((secret) => [secret, this.sandboxPaths(read(path.join(out, name, `secret-files.${secret}`)))])),
            k3sCalls: read(path.join(out, "k3s.log")).split("\n").filter(Boolean),
        };
    }

    /** grep's host paths → paths inside the sandbox's fs folder (an overlay's upper dir keeps its name: /etc.up/…). */
    private sandboxPaths(list: string): string[] {
        return list.split("\n").filter(Boolean).map((f) => f.slice(path.join(this.dir, "fs").length));
    }

    /** Removes the sandbox folder. */
    remove(): void {
        this.unregister();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

function shellQuote(text: string): string {
    return `'${text.replace(/'/g, `'"'"'`)}'`;
}
