/**
 * The removal steps of a K3s node (components/k3s-roll-script.ts), run in bash and dash with a stub k3s: evict
 * cordons and drains the node (bounded) before its uninstall, forget deletes its Node object after it.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { buildEvictScript, buildForgetScript, buildRemovalStepCreateScript } from "../../components/k3s-roll-script";
import { SHELLS, ScriptSandbox } from "../support/script-sandbox";

for (const shell of SHELLS) {
    describe(`K3s node removal steps, run in ${shell}`, () => {
        let box: ScriptSandbox;
        const env = () => ({ KUBELOOM_K3S_ROOT: box.dir, KUBELOOM_KUBECTL_TIMEOUT: "1", KUBELOOM_DRAIN_TIMEOUT: "1" });
        const k3s = (body: string) => box.stub("k3s", { body }, path.join(box.dir, "usr/local/bin/k3s"));
        beforeEach(() => {
            box = new ScriptSandbox();
            box.stub("sudo", { body: 'exec "$@"' });
        });
        afterEach(() => box.remove());

        it("evict: cordons, then drains the node with daemonsets kept and a bound", () => {
            k3s("exit 0");
            const run = box.run(shell, buildEvictScript("worker-1", "192.0.2.21"), { env: env() });
            assert.equal(run.status, 0, run.stderr);
            assert.match(box.log(), /k3s kubectl --request-timeout=1s cordon worker-1/);
            assert.match(box.log(), /k3s kubectl --request-timeout=1s drain worker-1 --ignore-daemonsets --delete-emptydir-data --force --timeout=1s/);
        });

        it("evict: a node already gone is nothing to drain", () => {
            k3s('case "$*" in *"get node"*) exit 1 ;; esac; exit 0');
            const run = box.run(shell, buildEvictScript("worker-1", "192.0.2.21"), { env: env() });
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /is not in the cluster; nothing to drain/);
            assert.doesNotMatch(box.log(), /drain worker-1/);
        });

        it("evict: a drain that fails stops the removal with one kubeloom line, the node cordoned", () => {
            k3s('case "$*" in *" drain "*) exit 1 ;; esac; exit 0');
            const run = box.run(shell, buildEvictScript("worker-1", "192.0.2.21"), { env: env() });
            assert.notEqual(run.status, 0);
            assert.equal(run.kubeloomLines.length, 1, run.stderr);
            assert.match(run.kubeloomLines[0], /node worker-1 \(192\.0\.2\.21\) was not drained within 1s .* it stays cordoned and is not removed/);
        });

        it("forget: deletes the Node object (idempotent); a failure is one kubeloom line", () => {
            k3s("exit 0");
            const run = box.run(shell, buildForgetScript("worker-1", "192.0.2.21"), { env: env() });
            assert.equal(run.status, 0, run.stderr);
            assert.match(box.log(), /k3s kubectl --request-timeout=1s delete node worker-1 --ignore-not-found/);
            k3s("exit 1");
            const failed = box.run(shell, buildForgetScript("worker-1", "192.0.2.21"), { env: env() });
            assert.notEqual(failed.status, 0);
            assert.deepEqual(failed.kubeloomLines.length, 1);
            assert.match(failed.kubeloomLines[0], /cannot delete the Node object of node worker-1/);
        });

        it("the create steps do nothing", () => {
            const run = box.run(shell, buildRemovalStepCreateScript("evict", "192.0.2.21"));
            assert.equal(run.status, 0);
            assert.equal(box.log(), "");
        });
    });
}
