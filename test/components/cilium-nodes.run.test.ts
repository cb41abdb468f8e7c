import { strict as assert } from "node:assert";
import { addTaintsScript, removeTaintsScript } from "../../components/cilium-nodes";
import { KUBECONFIG_ENV } from "../../lib/shell";
import { SHELLS, ScriptSandbox } from "../support/script-sandbox";

const taints = [{ key: "kubeloom.io/cilium", value: "true", effect: "NoSchedule" as const }];
const env = { [KUBECONFIG_ENV]: "apiVersion: v1\nkind: Config\n" };

for (const shell of SHELLS) {
    describe(`Cilium node taint scripts, run in ${shell}`, () => {
        let box: ScriptSandbox;
        beforeEach(() => (box = new ScriptSandbox()));
        afterEach(() => box.remove());

        it("removes the taint and leaves no kubeconfig behind", () => {
            box.stub("kubectl", { stdout: "node/worker-1 untainted\n" });
            const run = box.run(shell, removeTaintsScript("worker-1", taints), { env });
            assert.equal(run.status, 0, run.stderr);
            assert.match(box.log(), /taint node worker-1 kubeloom\.io\/cilium:NoSchedule-/);
            assert.deepEqual(box.tempFiles(), []);
        });

        for (const gone of ['error: taint "kubeloom.io/cilium:NoSchedule" not found', 'Error from server (NotFound): nodes "worker-1" not found']) {
            it(`treats ${JSON.stringify(gone)} as already removed`, () => {
                box.stub("kubectl", { exit: 1, stderr: `${gone}\n` });
                const run = box.run(shell, removeTaintsScript("worker-1", taints), { env });
                assert.equal(run.status, 0, run.stderr);
            });
        }

        // Defect 3: any "not found" counted as success, even a missing exec credential plugin.
        it("fails when kubectl's credential plugin is not found", () => {
            box.stub("kubectl", { exit: 1, stderr: 'error: exec: executable kubelogin not found\n' });
            const run = box.run(shell, removeTaintsScript("worker-1", taints), { env });
            assert.notEqual(run.status, 0);
            assert.equal(run.kubeloomLines.length, 1, run.stderr);
            assert.match(run.kubeloomLines[0], /^kubeloom: cilium nodes: node worker-1: cannot remove taint kubeloom\.io\/cilium:NoSchedule: error: exec: executable kubelogin not found$/);
        });

        it("fails adding taints with one kubeloom line naming kubectl's error", () => {
            box.stub("kubectl", { exit: 1, stderr: 'Error from server (NotFound): nodes "worker-1" not found\n' });
            const run = box.run(shell, addTaintsScript("worker-1", taints), { env });
            assert.notEqual(run.status, 0);
            assert.equal(run.kubeloomLines.length, 1, run.stderr);
            assert.match(run.kubeloomLines[0], /kubectl taint failed \(is the node name right\?\): Error from server \(NotFound\)/);
            assert.deepEqual(box.tempFiles(), []);
        });
    });
}
