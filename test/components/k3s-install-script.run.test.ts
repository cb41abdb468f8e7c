import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    buildK3sAgentInstallScript,
    buildK3sServerInstallScript,
    buildK3sUninstallScript,
    buildReadKubeconfigScript,
    extractMarkedKubeconfig,
    K3S_TOKEN_FILE,
} from "../../components/k3s-install-script";
import { SHELLS, ScriptSandbox } from "../support/script-sandbox";

const server = buildK3sServerInstallScript({
    version: "v1.28.13+k3s1",
    podCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    disable: ["traefik"],
    disableKubeProxy: true,
    tlsSans: ["192.0.2.10"],
    apiPort: 6443,
});

/** A stand-in for get.k3s.io's install.sh: records that it ran and with which INSTALL_K3S_SKIP_START. */
const FAKE_INSTALLER = '#!/bin/sh\n# INSTALL_K3S_EXEC handling\necho "installer ran skip_start=$INSTALL_K3S_SKIP_START" >> "$STUB_LOG"\n';

/**
 * curl stub: writes `page` to the -o file; honours --max-time like curl (exit 28 after that many seconds) when
 * `hang`, and hangs forever when no --max-time was given.
 */
function curlBody(page: string, hang = false): string {
    return `out=""; max=""
while [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift ;; --max-time) max=$2; shift ;; esac; shift; done
${hang ? 'if [ -n "$max" ]; then sleep "$max"; echo "curl: (28) Operation timed out" >&2; exit 28; fi; sleep 1000' : ""}
printf '%s' '${page.replace(/'/g, `'"'"'`)}' > "$out"`;
}

/** Fast limits so every failure path ends within a few seconds. */
const FAST = {
    KUBELOOM_READYZ_TIMEOUT: "1",
    KUBELOOM_READYZ_ATTEMPTS: "2",
    KUBELOOM_READYZ_INTERVAL: "1",
    KUBELOOM_DOWNLOAD_TIMEOUT: "2",
    KUBELOOM_SYSTEMCTL_TIMEOUT: "2",
    KUBELOOM_INSTALL_TIMEOUT: "2",
};

for (const shell of SHELLS) {
    describe(`K3s host scripts, run in ${shell}`, () => {
        let box: ScriptSandbox;
        let env: Record<string, string>;
        beforeEach(() => {
            box = new ScriptSandbox();
            env = { ...FAST, KUBELOOM_K3S_ROOT: box.dir, STUB_LOG: box.logFile };
            box.stub("curl", { body: curlBody(FAKE_INSTALLER) });
            box.stub("systemctl");
            box.stub("sudo", { body: 'exec "$@"' });
            box.stub("k3s", { stdout: "ok" }, path.join(box.dir, "usr/local/bin/k3s"));
        });
        afterEach(() => box.remove());

        it("installs: token from stdin, installer with INSTALL_K3S_SKIP_START, bounded restart, /readyz", () => {
            const run = box.run(shell, server, { env, stdin: "sekret-token" });
            assert.equal(run.status, 0, run.stderr);
            assert.equal(fs.readFileSync(path.join(box.dir, K3S_TOKEN_FILE), "utf8"), "sekret-token");
            assert.match(box.log(), /installer ran skip_start=true/);
            assert.match(box.log(), /^systemctl restart k3s$/m);
            assert.match(box.log(), /k3s kubectl --request-timeout=1s get --raw=\/readyz/);
            assert.match(box.log(), /^curl -fsSL /m, "-S: curl's own error is shown");
            assert.deepEqual(box.tempFiles(), []);
        });

        it("restarts K3s only when the binary, unit, env file or token changed; otherwise starts it (a no-op when running)", () => {
            // An installer that writes the unit only when told to, as install.sh rewrites it with new flags.
            box.stub("curl", { body: curlBody('#!/bin/sh\n# INSTALL_K3S_EXEC\nmkdir -p "$KUBELOOM_K3S_ROOT/etc/systemd/system"\nprintf "%s\\n" "$UNIT" > "$KUBELOOM_K3S_ROOT/etc/systemd/system/k3s.service"\n[ -z "$BINARY" ] || printf "#!/bin/sh\\n# %s\\necho ok\\n" "$BINARY" > "$KUBELOOM_K3S_ROOT/usr/local/bin/k3s"\n') });
            const runWith = (unit: string, token: string, binary = "") => {
                fs.writeFileSync(box.logFile, "");
                const run = box.run(shell, server, { env: { ...env, UNIT: unit, BINARY: binary }, stdin: token });
                assert.equal(run.status, 0, run.stderr);
                return box.log().split("\n").filter((line) => line.startsWith("systemctl "));
            };
            assert.deepEqual(runWith("flags-a", "tok-1"), ["systemctl restart k3s"], "first install");
            assert.deepEqual(runWith("flags-a", "tok-1"), ["systemctl start k3s"], "same inputs: no restart");
            assert.deepEqual(runWith("flags-b", "tok-1"), ["systemctl restart k3s"], "changed unit");
            assert.deepEqual(runWith("flags-b", "tok-2"), ["systemctl restart k3s"], "changed token");
            assert.deepEqual(runWith("flags-b", "tok-2", "v2"), ["systemctl restart k3s"], "changed binary (an upgrade)");
            assert.deepEqual(runWith("flags-b", "tok-2", "v2"), ["systemctl start k3s"], "the same binary again");
        });

        it("joins a second server: the installer gets --server=<registration URL>, the token is read from stdin", () => {
            // An installer that records what install.sh reads: the command line for the service and K3S_URL.
            box.stub("curl", { body: curlBody('#!/bin/sh\n# INSTALL_K3S_EXEC\necho "exec=$INSTALL_K3S_EXEC url=${K3S_URL:-none}" >> "$STUB_LOG"\n') });
            const joining = buildK3sServerInstallScript({
                version: "v1.28.13+k3s1",
                podCidr: "10.42.0.0/16",
                serviceCidr: "10.43.0.0/16",
                disable: [],
                disableKubeProxy: true,
                tlsSans: ["k3s.example.com", "192.0.2.11"],
                apiPort: 6443,
                role: { type: "join", serverUrl: "https://k3s.example.com:6443" },
            });
            const run = box.run(shell, joining, { env, stdin: "same-cluster-token" });
            assert.equal(run.status, 0, run.stderr);
            assert.equal(fs.readFileSync(path.join(box.dir, K3S_TOKEN_FILE), "utf8"), "same-cluster-token");
            assert.match(box.log(), /^exec=server .*--tls-san=k3s\.example\.com --tls-san=192\.0\.2\.11 .*--token-file=\/etc\/rancher\/k3s\/kubeloom-token --server=https:\/\/k3s\.example\.com:6443 url=none$/m);
            assert.match(box.log(), /^systemctl restart k3s$/m);
        });

        it("joins an agent through the registration address with the token file, never the token", () => {
            box.stub("curl", { body: curlBody('#!/bin/sh\n# INSTALL_K3S_EXEC\necho "exec=$INSTALL_K3S_EXEC url=$K3S_URL tokenfile=$K3S_TOKEN_FILE token=${K3S_TOKEN:-none}" >> "$STUB_LOG"\n') });
            const run = box.run(shell, buildK3sAgentInstallScript({ version: "v1.28.13+k3s1", serverUrl: "https://k3s.example.com:6443" }), { env, stdin: "same-cluster-token" });
            assert.equal(run.status, 0, run.stderr);
            assert.match(box.log(), /^exec=agent url=https:\/\/k3s\.example\.com:6443 tokenfile=\/etc\/rancher\/k3s\/kubeloom-token token=none$/m);
            assert.match(box.log(), /^systemctl restart k3s-agent$/m);
            assert.ok(!box.log().includes("same-cluster-token"), "the token reached a command line");
        });

        it("fails with one kubeloom line when no token is on stdin", () => {
            const run = box.run(shell, server, { env, stdin: "" });
            assert.notEqual(run.status, 0);
            assert.equal(run.kubeloomLines.length, 1, run.stderr);
            assert.match(run.kubeloomLines[0], /cannot write the cluster token/);
        });

        // Defect 8: an HTML page (captive portal) was piped into sh.
        it("refuses to run a download that is not the K3s installer", () => {
            box.stub("curl", { body: curlBody("<html><body>Please log in</body></html>\n") });
            const run = box.run(shell, server, { env, stdin: "t" });
            assert.notEqual(run.status, 0);
            assert.deepEqual(run.kubeloomLines, ["kubeloom: K3s server install: https://get.k3s.io did not return the K3s installer (a captive portal or proxy page?); nothing was run"]);
            assert.ok(!box.log().includes("installer ran"));
            assert.deepEqual(box.tempFiles(), [], "the downloaded page is removed");
        });

        // Defect 2: no download time limit.
        it("ends within its download limit when the download hangs", () => {
            box.stub("curl", { body: curlBody(FAKE_INSTALLER, true) });
            const run = box.run(shell, server, { env, stdin: "t" });
            assert.notEqual(run.status, 0);
            assert.ok(run.ms < 6000, `took ${run.ms} ms`);
            assert.deepEqual(run.kubeloomLines, ["kubeloom: K3s server install: could not download the K3s installer from https://get.k3s.io within 2s"]);
        });

        // Defect 2: the installer's systemctl restart can block forever (k3s-io/k3s#11808).
        it("ends within its limit when systemctl restart hangs", () => {
            box.stub("systemctl", { hang: true });
            const run = box.run(shell, server, { env, stdin: "t" });
            assert.notEqual(run.status, 0);
            assert.ok(run.ms < 6000, `took ${run.ms} ms`);
            assert.equal(run.kubeloomLines.length, 1, run.stderr);
            assert.match(run.kubeloomLines[0], /systemctl restart k3s failed or did not finish within 2s/);
        });

        // Defect 2: /readyz had no request timeout.
        it("ends within its limits when /readyz hangs", () => {
            box.stub("k3s", { hang: true }, path.join(box.dir, "usr/local/bin/k3s"));
            const run = box.run(shell, server, { env, stdin: "t" });
            assert.notEqual(run.status, 0);
            assert.ok(run.ms < 8000, `took ${run.ms} ms`);
            assert.equal(run.kubeloomLines.length, 1, run.stderr);
            assert.match(run.kubeloomLines[0], /did not answer \/readyz within 2 attempts of 1s/);
        });

        // Defect 10: the token file was tested without privilege, so a 0700 /etc/rancher/k3s hid it.
        it("removes the token with sudo even when the unprivileged user cannot see it", function () {
            if (process.getuid?.() !== 0 || !fs.existsSync("/usr/bin/setpriv")) return this.skip();
            const etc = path.join(box.dir, "etc/rancher/k3s");
            fs.mkdirSync(etc, { recursive: true, mode: 0o700 });
            fs.chmodSync(etc, 0o700);
            fs.writeFileSync(path.join(box.dir, K3S_TOKEN_FILE), "t");
            // A sudo that records instead of escalating: the unprivileged script cannot remove the file itself.
            box.stub("sudo", { body: "exit 0" });
            const run = box.run(shell, buildK3sUninstallScript("server"), { env, argv0: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] });
            assert.equal(run.status, 0, run.stderr);
            assert.ok(box.log().includes(`sudo rm -f ${box.dir}${K3S_TOKEN_FILE}`), box.log());
        });

        it("uninstall fails with one kubeloom line when the uninstall script fails", () => {
            box.stub("k3s-uninstall.sh", { exit: 2 }, path.join(box.dir, "usr/local/bin/k3s-uninstall.sh"));
            const run = box.run(shell, buildK3sUninstallScript("server"), { env });
            assert.notEqual(run.status, 0);
            assert.deepEqual(run.kubeloomLines, ["kubeloom: K3s server uninstall: /usr/local/bin/k3s-uninstall.sh failed or did not finish within 600s"]);
        });

        // Defect 8: a chatty ~/.bashrc printed into the kubeconfig read over SSH.
        it("reads the kubeconfig between markers, whatever the login shell prints around it", () => {
            const kubeconfig = "apiVersion: v1\nkind: Config\n";
            fs.mkdirSync(path.join(box.dir, "etc/rancher/k3s"), { recursive: true });
            fs.writeFileSync(path.join(box.dir, "etc/rancher/k3s/k3s.yaml"), kubeconfig);
            const run = box.run(shell, `echo 'Welcome to host1!'\nprintf 'Last login: today (no newline)'\n${buildReadKubeconfigScript()}\necho 'bye'`, { env });
            assert.equal(run.status, 0, run.stderr);
            assert.equal(extractMarkedKubeconfig(run.stdout), kubeconfig);
        });

        it("fails reading a missing kubeconfig, and the parser refuses output without markers", () => {
            const run = box.run(shell, buildReadKubeconfigScript(), { env });
            assert.notEqual(run.status, 0);
            assert.deepEqual(run.kubeloomLines, ["kubeloom: read the K3s admin kubeconfig: /etc/rancher/k3s/k3s.yaml is missing or empty (did the K3s server start?)"]);
            assert.throws(() => extractMarkedKubeconfig("Welcome!\napiVersion: v1\n"), /no kubeconfig between its markers/);
        });
    });
}
