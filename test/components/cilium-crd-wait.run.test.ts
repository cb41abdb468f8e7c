import { strict as assert } from "node:assert";
import * as path from "node:path";
import { ciliumCrdWaitScript, LBIPAM_CRDS } from "../../components/cilium-crd-wait";
import { KUBECONFIG_ENV } from "../../lib/shell";
import { quote, SHELLS, ScriptSandbox } from "../support/script-sandbox";

const crd = LBIPAM_CRDS.CiliumLoadBalancerIPPool;
const script = ciliumCrdWaitScript({ cluster: "c1", crd });
const fast = { [KUBECONFIG_ENV]: "apiVersion: v1\nkind: Config\n", KUBELOOM_CILIUM_CRD_TIMEOUT: "2", KUBELOOM_CILIUM_CRD_INTERVAL: "1" };
const notFound = `Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io "${crd}" not found`;

/** kubectl answering NotFound on calls before `exists`, an un-established CRD before `established`, then established. */
function operatorRegisters(box: ScriptSandbox, exists: number, established: number): void {
    const counter = path.join(box.dir, "calls");
    box.stub("kubectl", {
        body: [
            `n=$(cat ${quote(counter)} 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > ${quote(counter)}`,
            `if [ "$n" -ge ${established} ]; then printf established; exit 0; fi`,
            `if [ "$n" -ge ${exists} ]; then exit 0; fi`,
            `printf '%s\\n' ${quote(notFound)} >&2; exit 1`,
        ].join("\n"),
    });
}

for (const shell of SHELLS) {
    describe(`Cilium CRD wait, run in ${shell}`, function () {
        this.timeout(20000);
        let box: ScriptSandbox;
        beforeEach(() => (box = new ScriptSandbox()));
        afterEach(() => box.remove());

        it("waits out NotFound and a not-yet-Established CRD, then succeeds", () => {
            operatorRegisters(box, 2, 3);
            const run = box.run(shell, script, { env: { ...fast, KUBELOOM_CILIUM_CRD_TIMEOUT: "10" } });
            assert.equal(run.status, 0, run.stderr);
            const calls = box.log().trim().split("\n");
            assert.equal(calls.length, 3);
            assert.match(calls[0], /^kubectl --kubeconfig \S+ --request-timeout=60s get crd ciliumloadbalancerippools\.cilium\.io -o go-template=\{\{range \.status\.conditions\}\}\{\{if and \(eq \.type "Established"\) \(eq \.status "True"\)\}\}established\{\{end\}\}\{\{end\}\}$/);
            assert.equal(run.stdout, `CRD ${crd} is established on c1\n`);
            assert.deepEqual(box.tempFiles(), [], "the kubeconfig file is removed");
        });

        it("fails after the timeout with one line naming the cluster, the CRD and the last state", () => {
            operatorRegisters(box, 1, 1000);
            const run = box.run(shell, script, { env: fast });
            assert.equal(run.status, 1);
            assert.deepEqual(run.kubeloomLines, [`kubeloom: Cilium on c1: CRD ${crd} (registered by the Cilium operator) was not established within 2s (KUBELOOM_CILIUM_CRD_TIMEOUT); last: the CRD exists but is not Established yet`]);
            assert.ok(run.ms < 15000, `bounded: took ${run.ms} ms`);
        });

        it("fails at once on Forbidden", () => {
            box.stub("kubectl", { exit: 1, stderr: 'Error from server (Forbidden): customresourcedefinitions.apiextensions.k8s.io is forbidden: User "x" cannot get resource\n' });
            const run = box.run(shell, script, { env: { ...fast, KUBELOOM_CILIUM_CRD_TIMEOUT: "30" } });
            assert.equal(run.status, 1);
            assert.equal(box.log().trim().split("\n").length, 1, "no retry");
            assert.match(run.kubeloomLines[0], /^kubeloom: Cilium on c1: cannot read CRD ciliumloadbalancerippools\.cilium\.io: Error from server \(Forbidden\)/);
        });
    });
}
