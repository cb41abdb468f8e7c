import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { meshVerifyScript } from "../../components/mesh-demo";
import { KUBECONFIG_ENV } from "../../lib/shell";
import { SHELLS, ScriptSandbox } from "../support/script-sandbox";

const env = { [KUBECONFIG_ENV]: "apiVersion: v1\nkind: Config\n# client key\n" };
const script = meshVerifyScript({ clusterName: "c1", expect: ["c2"], forbid: ["c1"] });

for (const shell of SHELLS) {
    describe(`meshVerifyScript, run in ${shell}`, () => {
        let box: ScriptSandbox;
        beforeEach(() => (box = new ScriptSandbox()));
        afterEach(() => box.remove());

        it("succeeds when the expected cluster answers, and removes the kubeconfig", () => {
            box.stub("kubectl", { body: `case "$*" in *curl*) echo '{"Galaxy": "Alderaan", "Cluster": "c2"}' ;; esac` });
            const run = box.run(shell, script, { env });
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /rebel-base answered from: c2/);
            assert.deepEqual(box.tempFiles(), []);
        });

        // Defect 7: a failed rollout status ended the script with kubectl's error only.
        it("fails with one kubeloom line when x-wing never becomes ready", () => {
            box.stub("kubectl", { exit: 1, stderr: "error: timed out waiting for the condition\n" });
            const run = box.run(shell, script, { env });
            assert.notEqual(run.status, 0);
            assert.deepEqual(run.kubeloomLines, ["kubeloom: mesh verify (c1): deployment x-wing in namespace mesh-demo did not become ready within 300s"]);
            assert.deepEqual(box.tempFiles(), []);
        });

        // Defect 5: only an EXIT trap, so TERM/INT/HUP left the admin kubeconfig in a temp file.
        for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
            it(`removes the kubeconfig temp file on ${signal}`, async () => {
                box.stub("kubectl", { hang: true });
                const run = await box.runAndSignal(shell, script, signal, () => box.log().includes("rollout status"), env);
                assert.notEqual(run.status, 0);
                assert.ok(box.log().includes("rollout status"), "the script got as far as kubectl");
                assert.deepEqual(box.tempFiles(), [], `left: ${box.tempFiles().map((f) => fs.readFileSync(`${box.tmp}/${f}`, "utf8")).join()}`);
            });
        }
    });
}
