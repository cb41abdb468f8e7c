/**
 * The rolling-upgrade steps run in bash and dash against a stub `k3s kubectl`: drain cordons and drains the named
 * node, ready waits for Ready on the new version before uncordoning, and every failure is one kubeloom line naming
 * the node (the node stays cordoned; the Command fails, so the steps after it never run).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { buildDrainScript, buildNodeNameScript, buildReadyScript, extractNodeName } from "../../components/k3s-roll-script";
import { SHELLS, ScriptSandbox } from "../support/script-sandbox";

const NODE = { nodeName: "agent-1", host: "192.0.2.21", version: "v1.29.8+k3s1" };

/**
 * A `k3s` stub: `kubectl get node agent-1 -o jsonpath=...` prints $NODE_STATUS (or fails when it is "absent"),
 * `kubectl drain` exits $DRAIN_EXIT, everything else succeeds. Every call is logged.
 */
const K3S_STUB = `case "$*" in
  *"get node agent-1 -o jsonpath"*) [ "$NODE_STATUS" = absent ] && exit 1; printf '%s' "$NODE_STATUS" ;;
  *"get node agent-1"*) [ "$NODE_STATUS" = absent ] && { echo 'Error from server (NotFound)' >&2; exit 1; }; echo agent-1 ;;
  *" drain "*) exit "\${DRAIN_EXIT:-0}" ;;
esac`;

for (const shell of SHELLS) {
    describe(`K3s roll steps, run in ${shell}`, () => {
        let box: ScriptSandbox;
        const env = (extra: Record<string, string> = {}) => ({ KUBELOOM_K3S_ROOT: box.dir, KUBELOOM_NODE_READY_ATTEMPTS: "2", KUBELOOM_NODE_READY_INTERVAL: "1", NODE_STATUS: "v1.29.8+k3s1 True", ...extra });
        beforeEach(() => {
            box = new ScriptSandbox();
            box.stub("sudo", { body: 'exec "$@"' });
            box.stub("k3s", { body: K3S_STUB }, path.join(box.dir, "usr/local/bin/k3s"));
        });
        afterEach(() => box.remove());
        const calls = () => box.log().split("\n").filter((l) => l.startsWith("k3s ")).map((l) => l.replace(/ --request-timeout=\d+s/, ""));

        it("drain: cordons, then drains the node (DaemonSets stay, bounded by the drain timeout)", () => {
            const run = box.run(shell, buildDrainScript(NODE), { env: env({ KUBELOOM_DRAIN_TIMEOUT: "7" }) });
            assert.equal(run.status, 0, run.stderr);
            assert.deepEqual(calls(), [
                "k3s kubectl get node agent-1",
                "k3s kubectl cordon agent-1",
                "k3s kubectl drain agent-1 --ignore-daemonsets --delete-emptydir-data --force --timeout=7s",
            ]);
        });

        it("drain: a drain that fails stops the roll with one line naming the node", () => {
            const run = box.run(shell, buildDrainScript(NODE), { env: env({ DRAIN_EXIT: "1" }) });
            assert.notEqual(run.status, 0);
            assert.deepEqual(run.kubeloomLines, [
                "kubeloom: drain node agent-1 (192.0.2.21) before upgrading it to v1.29.8+k3s1: node agent-1 (192.0.2.21) was not drained within 600s (a PodDisruptionBudget?); it stays cordoned and the roll stops before upgrading it",
            ]);
        });

        it("drain: a node missing from the cluster stops the roll before anything is cordoned", () => {
            const run = box.run(shell, buildDrainScript(NODE), { env: env({ NODE_STATUS: "absent" }) });
            assert.notEqual(run.status, 0);
            assert.equal(run.kubeloomLines.length, 1, run.stderr);
            assert.match(run.kubeloomLines[0], /node agent-1 \(192\.0\.2\.21\) is not in the cluster/);
            assert.ok(!calls().some((c) => c.includes("cordon")), box.log());
        });

        it("ready: uncordons once the node is Ready on the new version", () => {
            const run = box.run(shell, buildReadyScript(NODE), { env: env() });
            assert.equal(run.status, 0, run.stderr);
            assert.equal(calls().at(-1), "k3s kubectl uncordon agent-1");
            assert.match(run.stdout, /node agent-1 \(192\.0\.2\.21\) is Ready on v1\.29\.8\+k3s1 and uncordoned/);
        });

        for (const [what, status] of [
            ["still on the old version", "v1.28.13+k3s1 True"],
            ["NotReady on the new version", "v1.29.8+k3s1 False"],
        ]) {
            it(`ready: a node ${what} ends within its bounded wait, stays cordoned and names the node`, () => {
                const run = box.run(shell, buildReadyScript(NODE), { env: env({ NODE_STATUS: status }) });
                assert.notEqual(run.status, 0);
                assert.ok(run.ms < 8000, `took ${run.ms} ms`);
                assert.equal(run.kubeloomLines.length, 1, run.stderr);
                assert.match(run.kubeloomLines[0], new RegExp(`node agent-1 \\(192\\.0\\.2\\.21\\) is not Ready on v1\\.29\\.8\\+k3s1 after 2 checks every 1s \\(last seen: '${status.replace(/[.+]/g, "\\$&")}'\\); it stays cordoned and the roll stops here`));
                assert.ok(!calls().some((c) => c.includes("uncordon")), "uncordoned a node that is not ready");
            });
        }

        it("node name: the lowercased hostname, between the chatter of a login shell", () => {
            box.stub("hostname", { stdout: "Agent-1" });
            const run = box.run(shell, `echo 'Welcome!'\n${buildNodeNameScript()}`, { env: env() });
            assert.equal(run.status, 0, run.stderr);
            assert.equal(extractNodeName(run.stdout), "agent-1");
        });
    });
}
