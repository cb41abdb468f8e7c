/**
 * Kubeloom's host scripts against the real K3s installer (install.sh at the commit artifacts.lock.json pins, through
 * test/support/artifacts.ts) in a sandbox of private mount, network and pid namespaces with a fake release served on
 * its loopback and a stub systemctl: nothing real starts and nothing on the machine changes
 * (test/support/installer-sandbox.ts). Skips with one line where the namespaces are not available.
 */
import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import { parse } from "yaml";
import {
    buildK3sAgentInstallScript,
    buildK3sServerInstallScript,
    buildK3sUninstallScript,
    k3sServerFlags,
    K3S_TOKEN_FILE,
    K3sNodeSettings,
    K3sServerScriptInput,
} from "../../components/k3s-install-script";
import { buildNodeFileScript, etcdSnapshotDropIn, K3S_ETCD_SNAPSHOT_DROPIN, K3S_REGISTRIES_FILE, registriesYaml } from "../../components/k3s-node-files";
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

/** Node settings and the files beside K3s (issue #24) with the same real installer: flags, 0600 files, restarts. */
describe("K3s node settings, etcd snapshots and registries with the real installer", function () {
    this.timeout(180_000);
    const nonce = crypto.randomBytes(8).toString("hex");
    // Distinct one-line markers inside each credential: the sandbox records every file that holds one.
    const secrets = { "s3-access": `AKIA${nonce}S3ACCESS`, "s3-secret": `s3secret${nonce}`, "registry-password": `regpass${nonce}` };
    // Values with spaces, quotes, a dollar and a backslash: they travel in the files, never through a shell word.
    const registryPassword = `${secrets["registry-password"]} it's "quoted" $HOME \\ end`;
    const s3SecretKey = `${secrets["s3-secret"]}/with 'quotes' and "spaces"`;
    const node: K3sNodeSettings = {
        labels: { "topology.kubernetes.io/zone": "eu-1a", "kubeloom.dev/role": "db" },
        taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }, { key: "spot", effect: "PreferNoSchedule" }],
        nodeIp: "192.0.2.10",
        externalIp: "203.0.113.10",
        // Characters install.sh's `eval set -- $(escape …)` must carry through: < ; * , and =. Not `%` or `$`: install.sh
        // writes them into ExecStart verbatim, where systemd reads `%x` as a specifier and `${X}` as a variable — what
        // systemd then makes of them cannot be checked here (no systemd as PID 1), so this test does not claim it.
        extraArgs: ["--kubelet-arg=eviction-hard=memory.available<500Mi", "--kube-apiserver-arg=audit-log-path=/var/log/k3s-audit.log", "--kubelet-arg=x=a;c*,d", "--protect-kernel-defaults"],
    };
    const agentNode: K3sNodeSettings = { labels: { "kubeloom.dev/pool": "edge" }, taints: [{ key: "edge", value: "true", effect: "NoExecute" }], nodeIp: "192.0.2.21", externalIp: "203.0.113.21", extraArgs: ["--kubelet-arg=max-pods=200"] };
    const server: K3sServerScriptInput = { ...serverInput, secretsEncryption: true, node };
    const agent = { version: V1, serverUrl: AGENT_SERVER_URL, node: agentNode };
    const registries = {
        mirrors: { "docker.io": { endpoints: ["https://mirror.example.com:5000"] } },
        configs: { "mirror.example.com:5000": { auth: { username: "pull bot", password: registryPassword } } },
    };
    const changedRegistries = { ...registries, mirrors: { ...registries.mirrors, "ghcr.io": { endpoints: ["https://mirror.example.com:5000"] } } };
    const snapshots = { schedule: "0 3 * * *", retention: 7, s3: { endpoint: "s3.example.com", bucket: "k3s-backups", folder: "dev", region: "eu-central-1", accessKey: secrets["s3-access"], secretKey: s3SecretKey } };
    const registriesWriter = (service: "k3s" | "k3s-agent") => buildNodeFileScript({ path: K3S_REGISTRIES_FILE, service, what: "registries.yaml" });
    const snapshotWriter = buildNodeFileScript({ path: K3S_ETCD_SNAPSHOT_DROPIN, service: "k3s", what: "the etcd snapshot settings" });
    let results: Map<string, StepResult>;
    let scripts: string[];
    let sandbox: InstallerSandbox | undefined;

    before(function () {
        const available = installerSandboxUnavailable();
        if ("reason" in available) {
            console.log(`      ${available.reason}`);
            this.skip();
        }
        const installer = needK3sInstaller(this);
        sandbox = new InstallerSandbox(available.unshare, installer.path, { [V1]: { honestChecksum: true } }, secrets);
        const token = sandbox.token;
        // The order K3sHost chains them in: the node's files, then its installer.
        const steps = [
            { name: "registries", script: registriesWriter("k3s"), stdin: registriesYaml(registries) },
            { name: "snapshots", script: snapshotWriter, stdin: etcdSnapshotDropIn(snapshots) },
            { name: "server", script: buildK3sServerInstallScript(server), stdin: token },
            { name: "registries-again", script: registriesWriter("k3s"), stdin: registriesYaml(registries) },
            { name: "snapshots-again", script: snapshotWriter, stdin: etcdSnapshotDropIn(snapshots) },
            { name: "server-again", script: buildK3sServerInstallScript(server), stdin: token },
            { name: "registries-changed", script: registriesWriter("k3s"), stdin: registriesYaml(changedRegistries) },
            { name: "uninstall-server", script: buildK3sUninstallScript("server"), stdin: "" },
            { name: "agent-registries", script: registriesWriter("k3s-agent"), stdin: registriesYaml(registries) },
            { name: "agent", script: buildK3sAgentInstallScript(agent), stdin: token },
            { name: "agent-again", script: buildK3sAgentInstallScript(agent), stdin: token },
            { name: "agent-registries-changed", script: registriesWriter("k3s-agent"), stdin: registriesYaml(changedRegistries) },
            { name: "uninstall-agent", script: buildK3sUninstallScript("agent"), stdin: "" },
        ];
        scripts = steps.map((s) => s.script);
        results = new Map(sandbox.run(steps).map((result, i) => [steps[i].name, result]));
    });

    after(() => sandbox?.remove());

    const step = (name: string): StepResult => {
        const result = results.get(name)!;
        assert.equal(result.status, 0, `${name}: ${result.stderr}`);
        return result;
    };
    const restarts = (result: StepResult) => result.systemctl.filter((c) => /restart|start /.test(c));

    it("server: labels, taints, --node-ip, --node-external-ip, --secrets-encryption and extraArgs each their own ExecStart argument", () => {
        const argv = execStart(file(step("server"), "/etc/systemd/system/k3s.service").content);
        assert.deepEqual(argv, ["/usr/local/bin/k3s", "server", ...k3sServerFlags(server)]);
        for (const flag of [
            "--secrets-encryption",
            "--node-label=kubeloom.dev/role=db",
            "--node-label=topology.kubernetes.io/zone=eu-1a",
            "--node-taint=dedicated=db:NoSchedule",
            "--node-taint=spot:PreferNoSchedule",
            "--node-ip=192.0.2.10",
            "--node-external-ip=203.0.113.10",
            ...node.extraArgs!,
        ]) {
            assert.equal(argv.filter((a) => a === flag).length, 1, `${flag} once in ExecStart: ${JSON.stringify(argv)}`);
        }
    });

    it("agent: its node flags each their own ExecStart argument after `agent`", () => {
        const argv = execStart(file(step("agent"), "/etc/systemd/system/k3s-agent.service").content);
        assert.deepEqual(argv, ["/usr/local/bin/k3s", "agent", "--node-label=kubeloom.dev/pool=edge", "--node-taint=edge=true:NoExecute", "--node-ip=192.0.2.21", "--node-external-ip=203.0.113.21", "--kubelet-arg=max-pods=200"]);
    });

    it("a flag value the installer would split or mangle (space, quote) is refused before any host is touched", () => {
        assert.throws(() => k3sServerFlags({ ...serverInput, node: { labels: { a: "b c" } } }), /labels\.a.*whitespace/);
        assert.throws(() => k3sServerFlags({ ...serverInput, node: { extraArgs: ["--kubelet-arg=a b"] } }), /extraArgs\[0\]/);
        assert.throws(() => k3sServerFlags({ ...serverInput, node: { extraArgs: ["--kubelet-arg=it's"] } }), /extraArgs\[0\].*quotes/);
    });

    it("the etcd snapshot drop-in and registries.yaml land 0600 with every value intact (spaces, quotes, $, backslash)", () => {
        const server = step("server");
        const dropIn = file(server, K3S_ETCD_SNAPSHOT_DROPIN);
        assert.equal(dropIn.mode, "600");
        assert.deepEqual(parse(dropIn.content), {
            "etcd-snapshot-schedule-cron": "0 3 * * *",
            "etcd-snapshot-retention": 7,
            "etcd-s3": true,
            "etcd-s3-endpoint": "s3.example.com",
            "etcd-s3-bucket": "k3s-backups",
            "etcd-s3-folder": "dev",
            "etcd-s3-region": "eu-central-1",
            "etcd-s3-access-key": secrets["s3-access"],
            "etcd-s3-secret-key": s3SecretKey,
        });
        const registriesFile = file(server, K3S_REGISTRIES_FILE);
        assert.equal(registriesFile.mode, "600");
        assert.equal(parse(registriesFile.content).configs["mirror.example.com:5000"].auth.password, registryPassword);
        assert.equal(parse(registriesFile.content).configs["mirror.example.com:5000"].auth.username, "pull bot");
        const agentRegistries = file(step("agent"), K3S_REGISTRIES_FILE);
        assert.equal(agentRegistries.mode, "600");
        assert.ok(!step("agent").files.has(K3S_ETCD_SNAPSHOT_DROPIN), "no etcd snapshot settings on an agent");
    });

    it("the S3 keys and the registry password exist only in those 0600 files: not in the unit, env file, argv, scripts or output", () => {
        const home: Record<keyof typeof secrets, string> = { "s3-access": K3S_ETCD_SNAPSHOT_DROPIN, "s3-secret": K3S_ETCD_SNAPSHOT_DROPIN, "registry-password": K3S_REGISTRIES_FILE };
        for (const [name, result] of results) {
            for (const secret of Object.keys(secrets) as (keyof typeof secrets)[]) {
                const where = result.secretFiles.get(secret)!.map((f) => f.replace(/^\/etc\.up/, "/etc"));
                // The drop-in is there from its step to the server's uninstall; registries.yaml on the server and then the agent.
                const present = secret === "registry-password" ? !name.startsWith("uninstall") : name !== "registries" && !name.startsWith("uninstall") && !name.startsWith("agent");
                const expected = present ? [home[secret]] : [];
                assert.deepEqual(where, expected, `${name}: files holding ${secret}`);
                assert.ok(!result.stdout.includes(secrets[secret]) && !result.stderr.includes(secrets[secret]), `${name}: ${secret} reached the output`);
            }
        }
        const server = step("server");
        for (const value of [...Object.values(secrets), registryPassword, s3SecretKey]) {
            for (const unit of ["/etc/systemd/system/k3s.service", "/etc/systemd/system/k3s.service.env"]) assert.ok(!file(server, unit).content.includes(value), `${unit} holds a secret`);
            assert.ok(!scripts.some((s) => s.includes(value)), "a script's text holds a secret");
            assert.ok(!server.k3sCalls.some((c) => c.includes(value)), "a k3s argv holds a secret");
        }
        assert.ok(server.k3sCalls.length > 0, "the fake k3s logged its calls (readyz)");
    });

    it("a re-run with nothing changed restarts nothing: files unchanged, installer re-run only starts", () => {
        for (const name of ["registries-again", "snapshots-again"]) {
            assert.deepEqual(restarts(step(name)), [], name);
            assert.match(step(name).stdout, /unchanged/);
        }
        assert.deepEqual(restarts(step("server-again")), ["systemctl start k3s"]);
        assert.deepEqual(restarts(step("agent-again")), ["systemctl start k3s-agent"]);
    });

    it("before the first install the files are only written (K3s reads them when it starts); a changed registries.yaml restarts the node", () => {
        assert.deepEqual(restarts(step("registries")), []);
        assert.match(step("registries").stdout, /k3s is not running here/);
        assert.deepEqual(restarts(step("server")), ["systemctl restart k3s"]);
        const changed = step("registries-changed");
        assert.deepEqual(restarts(changed), ["systemctl restart k3s"]);
        assert.match(changed.stdout, /k3s restarted with the new registries\.yaml/);
        assert.ok(parse(file(changed, K3S_REGISTRIES_FILE).content).mirrors["ghcr.io"], "the new content is in place");
        assert.equal(file(changed, K3S_REGISTRIES_FILE).mode, "600");
        assert.deepEqual(restarts(step("agent-registries-changed")), ["systemctl restart k3s-agent"]);
    });

    it("the uninstall removes the files with K3s", () => {
        for (const name of ["uninstall-server", "uninstall-agent"]) assert.deepEqual([...step(name).files.keys()], [], name);
    });
});
