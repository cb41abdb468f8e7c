/**
 * The K3s host scripts over a real SSH connection (issue #13): Debian's sshd in a network namespace the test
 * creates, a stub installer / systemctl / k3s on the host's PATH, and the scripts sent the way @pulumi/command's
 * remote.Command sends them (test/support/netns-ssh.ts). Where the machine cannot (not root, no `ip netns`, no
 * sshd), the suite skips with one line naming what is missing; .ci/run installs the packages when it is root.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    buildK3sAgentInstallScript,
    buildK3sServerInstallScript,
    buildK3sUninstallScript,
    buildReadKubeconfigScript,
    extractMarkedKubeconfig,
    K3S_KUBECONFIG_PATH,
    K3S_TOKEN_FILE,
} from "../../components/k3s-install-script";
import { rewriteK3sKubeconfig } from "../../components/k3s-kubeconfig";
import { fakeK3sKubeconfig } from "../support/fixtures";
import { NetnsSshHost, realSshUnavailable } from "../support/netns-ssh";
import { quote, ScriptSandbox } from "../support/script-sandbox";
import { TS_REGISTER } from "../../lib/project";

const server = buildK3sServerInstallScript({
    version: "v1.28.13+k3s1",
    podCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    disable: ["traefik", "servicelb"],
    disableKubeProxy: true,
    tlsSans: ["192.0.2.10"],
    apiPort: 6443,
});

const TOKEN = "K10-ssh-test-token-d41d8cd98f00b204e9800998ecf8427e";

/** Stand-in for get.k3s.io's install.sh: records its environment (the real one writes the service unit). */
const FAKE_INSTALLER = [
    "#!/bin/sh",
    "# stands in for install.sh; mentions INSTALL_K3S_ so the script's sanity check accepts it",
    'echo "installer version=$INSTALL_K3S_VERSION skip_start=$INSTALL_K3S_SKIP_START exec=$INSTALL_K3S_EXEC url=${K3S_URL:-} token_file=${K3S_TOKEN_FILE:-} token=${K3S_TOKEN:-}" >> "$STUB_LOG"',
    "",
].join("\n");

describe("K3s host scripts over real SSH (network namespace)", function () {
    this.timeout(60_000);
    let box: ScriptSandbox;
    let host: NetnsSshHost;
    const home = () => path.join(box.dir, "home");
    const token = () => path.join(box.dir, K3S_TOKEN_FILE);

    before(async function () {
        const missing = realSshUnavailable();
        if (missing) {
            console.log(`      ${missing}`);
            this.skip();
        }
        box = new ScriptSandbox();
        fs.mkdirSync(home(), { mode: 0o700 });
        host = new NetnsSshHost({
            // Only the sandbox's bin/ (stubs + a few real utilities): no real curl, systemctl or k3s can run.
            PATH: box.bin,
            HOME: home(),
            TMPDIR: box.tmp,
            KUBELOOM_K3S_ROOT: box.dir,
            STUB_LOG: box.logFile,
            KUBELOOM_READYZ_TIMEOUT: "1",
            KUBELOOM_READYZ_ATTEMPTS: "2",
            KUBELOOM_READYZ_INTERVAL: "1",
            KUBELOOM_DOWNLOAD_TIMEOUT: "3",
            KUBELOOM_INSTALL_TIMEOUT: "3",
            KUBELOOM_SYSTEMCTL_TIMEOUT: "3",
            KUBELOOM_UNINSTALL_TIMEOUT: "3",
        });
        await host.start();
    });

    after(function () {
        if (!host) return;
        host.stop();
        box.remove();
        assert.deepEqual(host.leftovers(), [], "network namespaces left behind");
        assert.equal(fs.existsSync(host.dir), false, "ssh temp dir left behind");
    });

    beforeEach(() => {
        fs.writeFileSync(box.logFile, "");
        fs.rmSync(path.join(home(), ".bashrc"), { force: true });
        // curl: writes the fake installer to its -o file.
        box.stub("curl", { body: `out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done\nprintf '%s' ${quote(FAKE_INSTALLER)} > "$out"` });
        // systemctl restart k3s: K3s writes its admin kubeconfig when the service starts.
        box.stub("systemctl", {
            body: `mkdir -p "$KUBELOOM_K3S_ROOT/etc/rancher/k3s"\nprintf '%s' ${quote(fakeK3sKubeconfig("SSH-CLIENT-KEY"))} > "$KUBELOOM_K3S_ROOT${K3S_KUBECONFIG_PATH}"`,
        });
        box.stub("k3s", { stdout: "ok" }, path.join(box.dir, "usr/local/bin/k3s"));
    });

    it("installs a server: the token from stdin lands only in its 0600 file, then installer, bounded restart, /readyz", () => {
        const run = host.ssh(server, TOKEN);
        assert.equal(run.status, 0, `ssh exit ${run.status}\n${run.stderr}\n${host.sshdLog()}`);
        assert.match(run.stdout, /kubeloom: K3s API server is ready/);
        assert.equal(fs.readFileSync(token(), "utf8"), TOKEN);
        assert.equal(fs.statSync(token()).mode & 0o777, 0o600);
        const log = box.log();
        assert.match(log, /^installer version=v1\.28\.13\+k3s1 skip_start=true exec=server --flannel-backend=none .*--disable-kube-proxy .*--token-file=\/etc\/rancher\/k3s\/kubeloom-token/m);
        assert.match(log, /^systemctl restart k3s$/m);
        assert.match(log, /^k3s kubectl --request-timeout=1s get --raw=\/readyz$/m);
        for (const [what, text] of [["stub log", log], ["stdout", run.stdout], ["stderr", run.stderr], ["sshd log", host.sshdLog()]]) {
            assert.ok(!text.includes(TOKEN), `the token leaked into the ${what}`);
        }
        assert.deepEqual(box.tempFiles(), [], "the installer temp file is removed");
    });

    it("reads the kubeconfig back through a login shell whose ~/.bashrc prints to stdout and stderr", function () {
        const shell = os.userInfo().shell ?? "";
        if (path.basename(shell) !== "bash") {
            console.log(`      chatty ~/.bashrc case skipped: root's login shell is ${shell || "unknown"}, which does not read ~/.bashrc`);
            this.skip();
        }
        assert.equal(host.ssh(server, TOKEN).status, 0);
        fs.writeFileSync(path.join(home(), ".bashrc"), 'echo "Welcome to the chatty host"\necho "motd: apt updates pending" >&2\nprintf "no newline at the end"\n');
        const run = host.ssh(buildReadKubeconfigScript());
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /^Welcome to the chatty host$/m, "bash over sshd did not read ~/.bashrc: the case is not exercised");
        const kubeconfig = extractMarkedKubeconfig(run.stdout);
        assert.equal(kubeconfig, fakeK3sKubeconfig("SSH-CLIENT-KEY"));
        assert.match(rewriteK3sKubeconfig(kubeconfig, { server: "https://192.0.2.10:6443", name: "dev" }), /server: https:\/\/192\.0\.2\.10:6443/);
    });

    it("installs an agent joining the server: K3S_URL and the token file's path for the installer, never the token", () => {
        fs.rmSync(token(), { force: true });
        const agent = buildK3sAgentInstallScript({ version: "v1.28.13+k3s1", serverUrl: "https://192.0.2.10:6443" });
        const run = host.ssh(agent, TOKEN);
        assert.equal(run.status, 0, run.stderr);
        assert.equal(fs.readFileSync(token(), "utf8"), TOKEN);
        assert.equal(fs.statSync(token()).mode & 0o777, 0o600);
        const log = box.log();
        assert.match(log, /^installer version=v1\.28\.13\+k3s1 skip_start=true exec=agent url=https:\/\/192\.0\.2\.10:6443 token_file=\/etc\/rancher\/k3s\/kubeloom-token token=$/m);
        assert.match(log, /^systemctl restart k3s-agent$/m);
        assert.ok(!log.includes(TOKEN) && !host.sshdLog().includes(TOKEN), "the token leaked");
    });

    it("a chatty ~/.bashrc does not disturb the install either", () => {
        fs.writeFileSync(path.join(home(), ".bashrc"), 'echo "Welcome to the chatty host"\nprintf "no newline" >&2\n');
        const run = host.ssh(server, TOKEN);
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /kubeloom: K3s API server is ready/);
        assert.equal(fs.readFileSync(token(), "utf8"), TOKEN, "the login shell's start-up files did not consume the token on stdin");
    });

    it("a failing download fails the SSH command with one kubeloom line naming it, and runs no installer", () => {
        box.stub("curl", { stderr: "curl: (6) Could not resolve host: get.k3s.io\n", exit: 6 });
        const run = host.ssh(server, TOKEN);
        assert.equal(run.status, 1, run.stderr);
        assert.equal(run.kubeloomLines.length, 1, run.stderr);
        assert.match(run.kubeloomLines[0], /^kubeloom: K3s server install: could not download the K3s installer from https:\/\/get\.k3s\.io within 3s$/);
        assert.match(run.stderr, /Could not resolve host/, "curl's own error is shown");
        assert.doesNotMatch(box.log(), /^installer /m);
    });

    it("fails with one kubeloom line when the Command sends no token on stdin", () => {
        fs.rmSync(token(), { force: true });
        const run = host.ssh(server);
        assert.equal(run.status, 1, run.stderr);
        assert.equal(run.kubeloomLines.length, 1, run.stderr);
        assert.match(run.kubeloomLines[0], /cannot write the cluster token/);
        assert.equal(fs.existsSync(token()), false);
    });

    it("uninstalls over SSH: the uninstall script runs and the token file is gone", () => {
        assert.equal(host.ssh(server, TOKEN).status, 0);
        assert.ok(fs.existsSync(token()));
        box.stub("k3s-uninstall.sh", {}, path.join(box.dir, "usr/local/bin/k3s-uninstall.sh"));
        const run = host.ssh(buildK3sUninstallScript("server"));
        assert.equal(run.status, 0, run.stderr);
        assert.match(box.log(), /^k3s-uninstall\.sh $/m);
        assert.equal(fs.existsSync(token()), false);
    });
});

describe("real-SSH sandbox: a run stopped midway leaves nothing behind", function () {
    this.timeout(60_000);
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
        it(`${signal} while sshd runs: no sshd, network namespace or temp folder is left`, async function () {
            const missing = realSshUnavailable();
            if (missing) {
                console.log(`      ${missing}`);
                this.skip();
            }
            // A separate process stands for a test run: it starts a host, reports it, then waits to be stopped.
            const program = [
                `const { NetnsSshHost } = require(${JSON.stringify(path.join(__dirname, "../support/netns-ssh"))});`,
                "const host = new NetnsSshHost({ PATH: '/usr/bin:/bin' });",
                "host.start().then(() => { console.log(JSON.stringify({ dir: host.dir, ns: [host.hostNs, host.clientNs], sshd: host.sshdPid() })); setInterval(() => {}, 1000); });",
            ].join("\n");
            const child = spawn(process.execPath, ["-r", TS_REGISTER, "-e", program], { stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stderr.on("data", (chunk) => (stderr += chunk));
            const started = await new Promise<{ dir: string; ns: string[]; sshd: number }>((resolve, reject) => {
                child.stdout.on("data", (chunk) => {
                    stdout += chunk;
                    if (stdout.includes("\n")) resolve(JSON.parse(stdout.split("\n")[0]));
                });
                child.once("exit", (code) => reject(new Error(`the host process exited (${code}) before starting: ${stderr}`)));
            });
            assert.ok(fs.existsSync(started.dir) && started.sshd > 0, "the host started");
            const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, sig) => resolve(sig)));
            child.kill(signal);
            assert.equal(await exited, signal, "the run still ends by the signal");
            assert.equal(fs.existsSync(started.dir), false, "temp folder left");
            assert.ok(!running(started.sshd), `sshd (pid ${started.sshd}) still running`);
            const namespaces = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
            for (const ns of started.ns) assert.ok(!namespaces.split("\n").some((line) => line.split(" ")[0] === ns), `namespace ${ns} left`);
        });
    }
});

/** Whether `pid` is a live process (a zombie waiting for a reaper that is not ours counts as gone). */
function running(pid: number): boolean {
    try {
        return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
}
