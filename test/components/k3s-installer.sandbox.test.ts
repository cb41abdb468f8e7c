/**
 * Kubeloom's host scripts against the real K3s installer (install.sh at the commit artifacts.lock.json pins, through
 * test/support/artifacts.ts) in a sandbox of private mount, network and pid namespaces with a fake release served on
 * its loopback and a stub systemctl: nothing real starts and nothing on the machine changes
 * (test/support/installer-sandbox.ts). Skips with one line where the namespaces are not available.
 */
import { strict as assert } from "node:assert";
import {
    buildK3sAgentInstallScript,
    buildK3sServerInstallScript,
    buildK3sUninstallScript,
    k3sServerFlags,
    K3S_TOKEN_FILE,
    K3sServerScriptInput,
} from "../../components/k3s-install-script";
import { needK3sInstaller } from "../support/artifacts";
import { InstallerSandbox, installerSandboxUnavailable, StepResult } from "../support/installer-sandbox";

const V1 = "v1.36.4+k3s1";
const V2 = "v1.36.5+k3s1";
const BROKEN = "v1.36.6+k3s1";

const serverInput: K3sServerScriptInput = {
    version: V1,
    podCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    disable: ["traefik", "servicelb"],
    disableKubeProxy: true,
    tlsSans: ["192.0.2.10", "k3s.example.com"],
    apiPort: 6443,
    role: { type: "init" },
};
const joinInput: K3sServerScriptInput = { ...serverInput, version: V2, role: { type: "join", serverUrl: "https://192.0.2.10:6443" } };
const AGENT_SERVER_URL = "https://192.0.2.10:6443";

/** The argv of a unit's ExecStart, as systemd would split it (install.sh single-quotes each argument). */
function execStart(unit: string): string[] {
    const match = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit);
    assert.ok(match, `no ExecStart in:\n${unit}`);
    return match[1].replace(/\\\n/g, " ").trim().split(/\s+/).map((word) => word.replace(/^'(.*)'$/, "$1"));
}

function file(result: StepResult, name: string): { mode: string; content: string } {
    const found = result.files.get(name);
    assert.ok(found, `${name} is missing; present: ${[...result.files.keys()].join(", ")}\nstderr: ${result.stderr}`);
    return found;
}

describe("K3s host scripts with the real installer (namespaces, fake release on loopback)", function () {
    this.timeout(180_000);
    let results: Map<string, StepResult>;
    let sandbox: InstallerSandbox | undefined;

    before(function () {
        const available = installerSandboxUnavailable();
        if ("reason" in available) {
            console.log(`      ${available.reason}`);
            this.skip();
        }
        const installer = needK3sInstaller(this);
        sandbox = new InstallerSandbox(available.unshare, installer.path, { [V1]: { honestChecksum: true }, [V2]: { honestChecksum: true }, [BROKEN]: { honestChecksum: false } });
        const token = sandbox.token;
        const steps = [
            { name: "server", script: buildK3sServerInstallScript(serverInput), stdin: token },
            { name: "server-again", script: buildK3sServerInstallScript(serverInput), stdin: token },
            { name: "upgrade", script: buildK3sServerInstallScript({ ...serverInput, version: V2 }), stdin: token },
            { name: "uninstall-server", script: buildK3sUninstallScript("server"), stdin: "" },
            { name: "join", script: buildK3sServerInstallScript(joinInput), stdin: token },
            { name: "uninstall-join", script: buildK3sUninstallScript("server"), stdin: "" },
            { name: "agent", script: buildK3sAgentInstallScript({ version: V2, serverUrl: AGENT_SERVER_URL }), stdin: token },
            { name: "uninstall-agent", script: buildK3sUninstallScript("agent"), stdin: "" },
            { name: "bad-checksum", script: buildK3sServerInstallScript({ ...serverInput, version: BROKEN }), stdin: token },
        ];
        results = new Map(sandbox.run(steps).map((result, i) => [steps[i].name, result]));
    });

    after(() => sandbox?.remove());

    const step = (name: string): StepResult => {
        const result = results.get(name)!;
        return result;
    };

    it("installs a server: every Kubeloom flag in the unit's ExecStart, restarted once, /readyz asked of the installed binary", () => {
        const server = step("server");
        assert.equal(server.status, 0, server.stderr);
        assert.deepEqual(execStart(file(server, "/etc/systemd/system/k3s.service").content), ["/usr/local/bin/k3s", "server", ...k3sServerFlags(serverInput)]);
        assert.equal(file(server, "/usr/local/bin/k3s").mode, "755");
        assert.match(file(server, "/usr/local/bin/k3s").content, /fake k3s v1\.36\.4\+k3s1/);
        assert.deepEqual(server.systemctl.filter((c) => /restart|start /.test(c)), ["systemctl restart k3s"]);
        assert.match(server.stdout, /kubeloom: K3s API server is ready/);
    });

    it("keeps the token only in its 0600 file: not in the unit, the env file, the installer's temp files or any output", () => {
        const server = step("server");
        assert.deepEqual(server.tokenFiles.map((f) => f.replace(/^\/etc\.up/, "/etc")), [K3S_TOKEN_FILE]);
        assert.equal(file(server, K3S_TOKEN_FILE).mode, "600");
        const env = file(server, "/etc/systemd/system/k3s.service.env");
        assert.equal(env.mode, "600");
        assert.ok(!env.content.includes("K3S_TOKEN="), "no token variable in the env file");
        for (const name of results.keys()) {
            const result = step(name);
            assert.ok(!result.stdout.includes("installer-sandbox") && !result.stderr.includes("K10-installer-sandbox"), `${name}: the token reached the output`);
        }
    });

    it("a re-run with nothing changed does not restart K3s (install.sh's own check is skipped by INSTALL_K3S_SKIP_START)", () => {
        const again = step("server-again");
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(again.systemctl.filter((c) => /restart|start /.test(c)), ["systemctl start k3s"]);
        assert.match(again.stdout, /kubeloom: K3s binary, unit, env file and token unchanged; k3s is not restarted/);
        assert.equal(file(again, "/etc/systemd/system/k3s.service").content, file(step("server"), "/etc/systemd/system/k3s.service").content);
    });

    it("an upgrade re-run replaces the binary and rewrites the unit, then restarts", () => {
        const upgrade = step("upgrade");
        assert.equal(upgrade.status, 0, upgrade.stderr);
        assert.match(file(upgrade, "/usr/local/bin/k3s").content, /fake k3s v1\.36\.5\+k3s1/);
        assert.deepEqual(execStart(file(upgrade, "/etc/systemd/system/k3s.service").content), ["/usr/local/bin/k3s", "server", ...k3sServerFlags(serverInput)]);
        assert.deepEqual(upgrade.systemctl.filter((c) => /restart|start /.test(c)), ["systemctl restart k3s"]);
    });

    it("leaves the uninstall scripts Kubeloom's destroy calls, and the uninstall removes K3s, its unit and the token", () => {
        assert.ok(step("server").files.has("/usr/local/bin/k3s-uninstall.sh"), "k3s-uninstall.sh (buildK3sUninstallScript('server') runs it)");
        assert.ok(step("agent").files.has("/usr/local/bin/k3s-agent-uninstall.sh"), "k3s-agent-uninstall.sh (buildK3sUninstallScript('agent') runs it)");
        for (const name of ["uninstall-server", "uninstall-join", "uninstall-agent"]) {
            const result = step(name);
            assert.equal(result.status, 0, `${name}: ${result.stderr}`);
            assert.deepEqual([...result.files.keys()], [], `${name} left ${[...result.files.keys()].join(", ")}`);
            assert.deepEqual(result.tokenFiles, [], `${name}: the token is gone`);
        }
    });

    it("joins a second server with --server=<url> in ExecStart", () => {
        const join = step("join");
        assert.equal(join.status, 0, join.stderr);
        const argv = execStart(file(join, "/etc/systemd/system/k3s.service").content);
        assert.deepEqual(argv, ["/usr/local/bin/k3s", "server", ...k3sServerFlags(joinInput)]);
        assert.ok(argv.includes("--server=https://192.0.2.10:6443"));
    });

    it("joins an agent: K3S_URL and the token file's path in the 0600 env file, never the token", () => {
        const agent = step("agent");
        assert.equal(agent.status, 0, agent.stderr);
        assert.deepEqual(execStart(file(agent, "/etc/systemd/system/k3s-agent.service").content), ["/usr/local/bin/k3s", "agent"]);
        const env = file(agent, "/etc/systemd/system/k3s-agent.service.env");
        assert.equal(env.mode, "600");
        assert.match(env.content, new RegExp(`^K3S_URL=['"]?${AGENT_SERVER_URL.replace(/\./g, "\\.")}['"]?$`, "m"));
        assert.match(env.content, new RegExp(`^K3S_TOKEN_FILE=['"]?${K3S_TOKEN_FILE}['"]?$`, "m"));
        assert.deepEqual(agent.tokenFiles.map((f) => f.replace(/^\/etc\.up/, "/etc")), [K3S_TOKEN_FILE]);
        assert.deepEqual(agent.systemctl.filter((c) => /restart|start /.test(c)), ["systemctl restart k3s-agent"]);
    });

    it("a release whose checksum does not match fails with one kubeloom line and a non-zero exit, starting nothing", () => {
        const bad = step("bad-checksum");
        assert.notEqual(bad.status, 0);
        assert.deepEqual(bad.kubeloomLines, [`kubeloom: K3s server install: the K3s installer failed or did not finish within 600s`]);
        assert.match(bad.stderr, /Download sha256 does not match/);
        assert.deepEqual(bad.systemctl.filter((c) => /restart|start /.test(c)), []);
        assert.ok(!bad.files.has("/usr/local/bin/k3s"), "no binary installed");
    });
});
