/**
 * Node settings and secrets encryption in the K3s install scripts (components/k3s-install-script.ts): the flags they
 * render, the flags Kubeloom derives refused in extraArgs (K3S_DERIVED_FLAGS, the one declaration), byte-identical
 * scripts when nothing is set, and the flags as the installer receives them, run in bash and dash with stubs.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import {
    buildK3sAgentInstallScript,
    buildK3sServerInstallScript,
    extraArgProblem,
    K3S_DERIVED_FLAGS,
    k3sServerFlags,
    K3sServerScriptInput,
    nodeSettingFlags,
} from "../../components/k3s-install-script";
import { SHELLS, ScriptSandbox } from "../support/script-sandbox";

const BASE: K3sServerScriptInput = { version: "v1.36.4+k3s1", podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16", disable: ["traefik"], disableKubeProxy: true, tlsSans: ["192.0.2.10"], apiPort: 6443 };
const NODE = {
    labels: { "topology.kubernetes.io/zone": "a", "example.com/role": "edge" },
    taints: [{ key: "dedicated", value: "edge", effect: "NoSchedule" as const }, { key: "gpu", effect: "NoExecute" as const }],
    nodeIp: "10.0.0.5",
    externalIp: "203.0.113.5",
    extraArgs: ["--kubelet-arg=max-pods=200", "--protect-kernel-defaults"],
};

describe("K3s node settings (flags)", () => {
    it("renders labels sorted by key, taints in order, addresses, then extra flags", () => {
        assert.deepEqual(nodeSettingFlags(NODE), [
            "--node-label=example.com/role=edge",
            "--node-label=topology.kubernetes.io/zone=a",
            "--node-taint=dedicated=edge:NoSchedule",
            "--node-taint=gpu:NoExecute",
            "--node-ip=10.0.0.5",
            "--node-external-ip=203.0.113.5",
            "--kubelet-arg=max-pods=200",
            "--protect-kernel-defaults",
        ]);
    });

    it("keeps scripts byte-identical when nothing is set (an unchanged script never re-runs the installer)", () => {
        const plain = buildK3sServerInstallScript(BASE);
        assert.equal(buildK3sServerInstallScript({ ...BASE, node: {}, secretsEncryption: false }), plain);
        assert.equal(buildK3sServerInstallScript({ ...BASE, node: { labels: {}, taints: [], extraArgs: [] } }), plain);
        const agent = buildK3sAgentInstallScript({ version: "v1.36.4+k3s1", serverUrl: "https://192.0.2.10:6443" });
        assert.equal(buildK3sAgentInstallScript({ version: "v1.36.4+k3s1", serverUrl: "https://192.0.2.10:6443", node: {} }), agent);
        assert.match(agent, /INSTALL_K3S_EXEC='agent'/);
    });

    it("secretsEncryption → --secrets-encryption, after the role flags", () => {
        const flags = k3sServerFlags({ ...BASE, role: { type: "init" }, secretsEncryption: true });
        assert.deepEqual(flags.slice(-2), ["--cluster-init", "--secrets-encryption"]);
    });

    it("refuses every flag Kubeloom derives, naming the key that owns it", () => {
        for (const flag of Object.keys(K3S_DERIVED_FLAGS)) {
            const problem = extraArgProblem(`${flag}=x`);
            assert.ok(problem, `${flag} is refused`);
            assert.ok(problem!.includes(K3S_DERIVED_FLAGS[flag].startsWith("(") ? "set by Kubeloom" : `from ${K3S_DERIVED_FLAGS[flag]}`), problem);
        }
        assert.match(extraArgProblem("--cluster-cidr=10.50.0.0/16")!, /derived by Kubeloom from podCidr: set that key instead/);
        assert.match(extraArgProblem("--node-ip=10.0.0.9")!, /from nodeIp/);
        assert.throws(() => nodeSettingFlags({ extraArgs: ["--kubelet-arg=a", "--secrets-encryption"] }), /extraArgs\[1\]: --secrets-encryption is derived by Kubeloom from source\.k3s\.secretsEncryption/);
    });

    it("refuses what the installer would mangle or a short alias it cannot check", () => {
        for (const bad of ["--kubelet-arg=a b", "-t", "kubelet-arg=x", "--", "--Bad", "--kubelet-arg='x'", '--kubelet-arg="x"', "--kubelet-arg=a\\b", "--kubelet-arg=x=%n", "--kubelet-arg=x=%Q", "--kubelet-arg=x=$HOME", "--kubelet-arg=x=${PATH}"]) assert.ok(extraArgProblem(bad), bad);
        assert.throws(() => nodeSettingFlags({ labels: { a: "b c" } }), /labels\.a must be non-empty and contain no whitespace/);
        assert.throws(() => nodeSettingFlags({ nodeIp: "" }), /nodeIp/);
    });
});

for (const shell of SHELLS) {
    describe(`K3s node settings through the installer, run in ${shell}`, () => {
        let box: ScriptSandbox;
        // An installer that records what install.sh reads.
        const installer = '#!/bin/sh\n# INSTALL_K3S_EXEC\necho "exec=$INSTALL_K3S_EXEC" >> "$STUB_LOG"\n';
        beforeEach(() => {
            box = new ScriptSandbox();
            box.stub("curl", { body: `out=""; while [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift ;; esac; shift; done\nprintf '%s' '${installer}' > "$out"` });
            box.stub("systemctl");
            box.stub("sudo", { body: 'exec "$@"' });
            box.stub("k3s", { stdout: "ok" }, path.join(box.dir, "usr/local/bin/k3s"));
        });
        afterEach(() => box.remove());
        const env = () => ({ KUBELOOM_K3S_ROOT: box.dir, STUB_LOG: box.logFile, KUBELOOM_READYZ_ATTEMPTS: "1" });

        it("a server's node settings and secrets encryption reach INSTALL_K3S_EXEC as flags", () => {
            const run = box.run(shell, buildK3sServerInstallScript({ ...BASE, secretsEncryption: true, node: NODE }), { env: env(), stdin: "token" });
            assert.equal(run.status, 0, run.stderr);
            assert.match(box.log(), /^exec=server .*--token-file=\/etc\/rancher\/k3s\/kubeloom-token --secrets-encryption --node-label=example\.com\/role=edge --node-label=topology\.kubernetes\.io\/zone=a --node-taint=dedicated=edge:NoSchedule --node-taint=gpu:NoExecute --node-ip=10\.0\.0\.5 --node-external-ip=203\.0\.113\.5 --kubelet-arg=max-pods=200 --protect-kernel-defaults$/m);
        });

        it("an agent's node settings reach INSTALL_K3S_EXEC after `agent`", () => {
            const run = box.run(shell, buildK3sAgentInstallScript({ version: "v1.36.4+k3s1", serverUrl: "https://192.0.2.10:6443", node: { labels: { tier: "edge" }, nodeIp: "10.0.0.6" } }), { env: env(), stdin: "token" });
            assert.equal(run.status, 0, run.stderr);
            assert.match(box.log(), /^exec=agent --node-label=tier=edge --node-ip=10\.0\.0\.6$/m);
        });
    });
}
