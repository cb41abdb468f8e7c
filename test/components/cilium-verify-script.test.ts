import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ciliumVerifyScript, CiliumVerifyInput, shellQuote, VERIFY_KUBECONFIG_ENV, verifyManifest } from "../../components/cilium-verify-script";
import { fakeK3sKubeconfig } from "../support/fixtures";

const input: CiliumVerifyInput = {
    clusterName: "chain",
    kubeProxyReplacement: true,
    nodeSelector: { "kubeloom.io/cilium": "true" },
    tolerations: [{ key: "kubeloom.io/cilium", operator: "Equal", value: "true", effect: "NoSchedule" }],
};

/** Checks the syntax with every POSIX shell available here. */
function assertShSyntax(script: string): void {
    for (const shell of ["/bin/sh", "/usr/bin/dash", "/bin/bash"].filter((s) => fs.existsSync(s))) {
        const check = spawnSync(shell, ["-n", "-c", script], { encoding: "utf8" });
        assert.equal(check.status, 0, `${shell}: ${check.stderr}`);
    }
}

/**
 * A fake kubectl answering the script's calls like a healthy cluster with two Cilium nodes; STUB_KPR, STUB_KUBESVC
 * and STUB_WGET change the answers. It logs every call, the kubeconfig file's mode and whether its content is the
 * one from the environment.
 */
const STUB_KUBECTL = `#!/bin/sh
echo "ARGS $*" >> "$STUB_LOG"
if [ "$1" = "--kubeconfig" ]; then
  echo "KUBECONFIG $2 $(stat -c %a "$2")" >> "$STUB_LOG"
  [ "$(cat "$2")" = "$(printf "%s" "$${VERIFY_KUBECONFIG_ENV}")" ] || echo "KUBECONFIG-MISMATCH" >> "$STUB_LOG"
fi
case "$*" in
  *"rollout status"*) exit 0 ;;
  *"get pods -l k8s-app=cilium"*) printf 'cilium-aaa=node-1\\ncilium-bbb=node-2\\n' ;;
  *"cilium-dbg status"*) printf 'KVStore:   Ok   Disabled\\nKubeProxyReplacement:   %s   [eth0   192.0.2.31 (Direct Routing)]\\n' "\${STUB_KPR:-True}" ;;
  *"iptables-save"*) case "\${STUB_IPTABLES:-ok}" in unavailable) echo unavailable ;; execfail) exit 1 ;; *) echo "\${STUB_KUBESVC:-0}" ;; esac ;;
  *"create namespace"*) exit 0 ;;
  *"apply -f -"*) cat > "$STUB_DIR/manifest.json" ;;
  *"wait --for=condition=Ready"*) exit 0 ;;
  *"{.spec.clusterIP}"*) printf '10.96.10.10' ;;
  *"{.spec.ports[0].nodePort}"*) [ -z "\${STUB_FAIL_NODEPORT:-}" ] || { echo "error: the server was unable to return a response" >&2; exit 1; }; printf '31999' ;;
  *"get pod client"*) printf 'node-1' ;;
  *"get node"*) printf '%s' "\${STUB_NODE_IPS:-192.0.2.31}" ;;
  *"cilium-dbg service list"*) printf 'ID   Frontend            Service Type   Backend\\n4    10.96.10.10:80      ClusterIP      1 => 10.244.1.5:8080\\n5    0.0.0.0:31999       NodePort       1 => 10.244.1.5:8080\\n' ;;
  *"wget"*) for url; do :; done; echo "WGET $url" >> "$STUB_LOG"
    printf '%s' "$url" | grep -E -q '^http://([0-9.]+|\\[[0-9a-f:]+\\]):[0-9]+/$' || exit 4
    [ "\${STUB_WGET:-ok}" = ok ] && echo kubeloom-verify ;;
  *"delete namespace"*) exit 0 ;;
  *) echo "unexpected kubectl $*" >&2; exit 3 ;;
esac
`;

interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly log: string;
    readonly dir: string;
}

function runWithStub(script: string, env: Record<string, string> = {}, withKubectl = true): Run {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-verify-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    if (withKubectl) fs.writeFileSync(path.join(bin, "kubectl"), STUB_KUBECTL, { mode: 0o755 });
    const log = path.join(dir, "log");
    fs.writeFileSync(log, "");
    const result = spawnSync("/bin/sh", ["-c", script], {
        encoding: "utf8",
        env: {
            PATH: `${bin}:/usr/bin:/bin`,
            TMPDIR: dir,
            STUB_LOG: log,
            STUB_DIR: dir,
            [VERIFY_KUBECONFIG_ENV]: fakeK3sKubeconfig("VERIFY-RUN-KEY"),
            ...env,
        },
        timeout: 30_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, log: fs.readFileSync(log, "utf8"), dir };
}

const fast = { ...input, attempts: 2, intervalSeconds: 0 };

describe("ciliumVerifyScript", () => {
    it("runs the kube-proxy replacement checks of the kubeproxy-free guide", () => {
        const script = ciliumVerifyScript(input);
        assert.match(script, /exec "\$pod" -c cilium-agent -- cilium-dbg status/);
        assert.match(script, /\^KubeProxyReplacement:\[\[:space:\]\]\*True/);
        assert.match(script, /iptables-save 2>\/dev\/null \| grep -c KUBE-SVC/);
        assert.match(script, /cilium-dbg service list/);
        assert.match(script, /NodePort/);
        assert.match(script, /rollout status daemonset\/cilium/);
    });

    it("skips the kube-proxy replacement checks when it is not configured", () => {
        const script = ciliumVerifyScript({ ...input, kubeProxyReplacement: false });
        assert.doesNotMatch(script, /cilium-dbg status/);
        assert.doesNotMatch(script, /KUBE-SVC/);
        assert.doesNotMatch(script, /has_node_port/);
        assert.match(script, /has_cluster_ip/, "the ClusterIP is in Cilium's table without KPR too");
    });

    it("is valid POSIX sh", () => {
        assertShSyntax(ciliumVerifyScript(input));
        assertShSyntax(ciliumVerifyScript({ ...input, kubeProxyReplacement: false, nodeSelector: {}, tolerations: [], clusterName: "it's" }));
    });

    it("takes the kubeconfig from the environment only, into a private temporary file removed on exit", () => {
        const script = ciliumVerifyScript(input);
        assert.match(script, /umask 077\nkubeconfig=\$\(mktemp\)/);
        assert.match(script, new RegExp(`printf '%s\\\\n' "\\$${VERIFY_KUBECONFIG_ENV}" > "\\$kubeconfig"`));
        assert.match(script, /trap cleanup EXIT/);
        assert.match(script, /rm -f "\$kubeconfig"/);
        assert.match(script, /delete namespace "\$ns"/, "the test namespace goes with the trap");
        assert.doesNotMatch(script, /client-key-data|BEGIN [A-Z ]*PRIVATE KEY|apiVersion: v1\nclusters:/);
    });

    it("places the test pods on the Cilium nodes with the agents' tolerations", () => {
        const manifest = JSON.parse(verifyManifest(input));
        assert.deepEqual(manifest.items.map((i: { kind: string }) => i.kind), ["Deployment", "Service", "Pod"]);
        const [deployment, service, pod] = manifest.items;
        for (const spec of [deployment.spec.template.spec, pod.spec]) {
            assert.deepEqual(spec.nodeSelector, { "kubeloom.io/cilium": "true" });
            assert.deepEqual(spec.tolerations, [{ effect: "NoSchedule", key: "kubeloom.io/cilium", operator: "Equal", value: "true" }]);
            assert.equal(spec.securityContext.runAsNonRoot, true);
        }
        assert.equal(service.spec.type, "NodePort", "one Service: its ClusterIP and its NodePort");
        assert.equal(verifyManifest(input).includes("\n"), false, "one line inside the here-document");
    });

    it("is deterministic and quotes what it embeds", () => {
        assert.equal(ciliumVerifyScript(input), ciliumVerifyScript({ ...input }));
        assert.equal(shellQuote("it's"), `'it'"'"'s'`);
        assert.match(ciliumVerifyScript({ ...input, clusterName: "it's" }), /where='cilium verify \(it'"'"'s\)'/);
    });

    describe("against a fake kubectl", () => {
        it("passes on a healthy cluster, with the kubeconfig private and removed afterwards", () => {
            const run = runWithStub(ciliumVerifyScript(fast));
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /cilium verify \(chain\): OK: KubeProxyReplacement True on every agent, no KUBE-SVC rules, ClusterIP 10\.96\.10\.10:80 and NodePort 192\.0\.2\.31:31999 answered/);
            assert.doesNotMatch(run.log, /KUBECONFIG-MISMATCH/);
            const files = [...run.log.matchAll(/^KUBECONFIG (\S+) (\d+)$/gm)];
            assert.ok(files.length > 0);
            for (const [, file, mode] of files) {
                assert.equal(mode, "600");
                assert.equal(fs.existsSync(file), false, `${file} was not removed`);
            }
            assert.match(run.log, /ARGS .*exec cilium-aaa -c cilium-agent -- cilium-dbg status/);
            assert.match(run.log, /ARGS .*exec cilium-bbb -c cilium-agent -- cilium-dbg status/, "every agent is checked");
            assert.match(run.log, /ARGS .*exec client -- wget -q -O- -T 5 http:\/\/192\.0\.2\.31:31999\//);
            assert.match(run.log, /ARGS .*delete namespace kubeloom-verify-/);
            assert.ok(JSON.parse(fs.readFileSync(path.join(run.dir, "manifest.json"), "utf8")).items.length === 3);
        });

        it("fails with one line per node when KubeProxyReplacement is not True", () => {
            const run = runWithStub(ciliumVerifyScript(fast), { STUB_KPR: "False" });
            assert.equal(run.status, 1);
            const lines = run.stderr.trim().split("\n").filter((l) => l.startsWith("kubeloom: "));
            assert.equal(lines.length, 1, run.stderr);
            assert.match(lines[0], /^kubeloom: cilium verify \(chain\): 2 check\(s\) failed: node node-1: cilium-dbg status shows 'KubeProxyReplacement:   False.*; node node-2: cilium-dbg status shows/);
        });

        it("fails when kube-proxy's KUBE-SVC rules are still on a node", () => {
            const run = runWithStub(ciliumVerifyScript(fast), { STUB_KUBESVC: "12" });
            assert.equal(run.status, 1);
            assert.match(run.stderr, /node node-1: 12 KUBE-SVC iptables rules, so kube-proxy still runs there/);
        });

        it("fails when the Service does not answer, naming ClusterIP and NodePort", () => {
            const run = runWithStub(ciliumVerifyScript(fast), { STUB_WGET: "fail" });
            assert.equal(run.status, 1);
            assert.match(run.stderr, /ClusterIP 10\.96\.10\.10:80 did not answer from a pod on node node-1/);
            assert.match(run.stderr, /NodePort 192\.0\.2\.31:31999 \(node node-1\) did not answer/);
            assert.match(run.log, /delete namespace/, "cleans up after a failure too");
        });

        // Defect 4: two InternalIPs were joined into one URL, and an IPv6 one needs brackets.
        it("tries the NodePort on one address of a dual-stack node, an IPv6 one in brackets", () => {
            const v6first = runWithStub(ciliumVerifyScript(fast), { STUB_NODE_IPS: "fd00::31 192.0.2.31" });
            assert.equal(v6first.status, 0, v6first.stderr);
            assert.match(v6first.log, /^WGET http:\/\/\[fd00::31\]:31999\/$/m);
            const v4first = runWithStub(ciliumVerifyScript(fast), { STUB_NODE_IPS: "192.0.2.31 fd00::31" });
            assert.equal(v4first.status, 0, v4first.stderr);
            assert.match(v4first.log, /^WGET http:\/\/192\.0\.2\.31:31999\/$/m);
        });

        // Defect 6: a skipped check was reported as OK.
        it("says SKIPPED, not OK, for the KUBE-SVC check when iptables-save is missing", () => {
            const run = runWithStub(ciliumVerifyScript(fast), { STUB_IPTABLES: "unavailable" });
            assert.equal(run.status, 0, run.stderr);
            assert.ok(!run.stdout.includes("no KUBE-SVC rules"), run.stdout);
            assert.match(run.stdout, /SKIPPED: KUBE-SVC check on node node-1 \(no iptables-save in pod cilium-aaa\), KUBE-SVC check on node node-2/);
        });

        it("fails, not OK, when the exec for the KUBE-SVC check fails", () => {
            const run = runWithStub(ciliumVerifyScript(fast), { STUB_IPTABLES: "execfail" });
            assert.equal(run.status, 1);
            assert.match(run.stderr, /^kubeloom: cilium verify \(chain\): 2 check\(s\) failed: node node-1: cannot exec into pod cilium-aaa to count KUBE-SVC iptables rules/m);
        });

        // Defect 7: `node_port=$(k ...)` failing under set -e ended the script with kubectl's error only.
        it("fails with one kubeloom line when reading the NodePort fails", () => {
            const run = runWithStub(ciliumVerifyScript(fast), { STUB_FAIL_NODEPORT: "1" });
            assert.equal(run.status, 1);
            const lines = run.stderr.split("\n").filter((l) => l.startsWith("kubeloom: "));
            assert.deepEqual(lines, ["kubeloom: cilium verify (chain): cannot read the test Service's NodePort"]);
        });

        it("fails with a clear message when kubectl is missing", () => {
            // Only the (empty) stub directory on PATH: this machine may have a real kubectl elsewhere.
            const run = runWithStub(ciliumVerifyScript(fast), { PATH: "/nonexistent" }, false);
            assert.equal(run.status, 1);
            assert.equal(run.stderr.trim(), "kubeloom: cilium verify (chain): kubectl is not installed on the machine running Pulumi; install kubectl, or set cilium.verify: false");
        });
    });
});
