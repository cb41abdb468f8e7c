import { strict as assert } from "node:assert";
import * as path from "node:path";
import { vclusterSecretWaitScript } from "../../components/vcluster-secret-wait";
import { KUBECONFIG_ENV } from "../../lib/shell";
import { quote, SHELLS, ScriptSandbox } from "../support/script-sandbox";

const script = vclusterSecretWaitScript({ tenant: "vc-a", namespace: "vcluster-vc-a", secretName: "vc-vc-a" });
const fast = { [KUBECONFIG_ENV]: "apiVersion: v1\nkind: Config\n", KUBELOOM_VCLUSTER_SECRET_TIMEOUT: "2", KUBELOOM_VCLUSTER_SECRET_INTERVAL: "1" };
const notFound = 'Error from server (NotFound): secrets "vc-vc-a" not found';

/** A kubectl stub that answers NotFound until its `present`-th call, then "present" (as the go-template prints). */
function appearsOnCall(box: ScriptSandbox, present: number): void {
    const counter = path.join(box.dir, "calls");
    box.stub("kubectl", {
        body: [
            `n=$(cat ${quote(counter)} 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > ${quote(counter)}`,
            `if [ "$n" -ge ${present} ]; then printf present; exit 0; fi`,
            `printf '%s\\n' ${quote(notFound)} >&2; exit 1`,
        ].join("\n"),
    });
}

for (const shell of SHELLS) {
    describe(`vCluster kubeconfig Secret wait, run in ${shell}`, function () {
        this.timeout(20000);
        let box: ScriptSandbox;
        beforeEach(() => (box = new ScriptSandbox()));
        afterEach(() => box.remove());

        it("waits out NotFound until the syncer writes the Secret, then succeeds without printing it", () => {
            appearsOnCall(box, 2);
            const run = box.run(shell, script, { env: { ...fast, KUBELOOM_VCLUSTER_SECRET_TIMEOUT: "10" } });
            assert.equal(run.status, 0, run.stderr);
            const calls = box.log().trim().split("\n");
            assert.equal(calls.length, 2);
            assert.match(calls[0], /^kubectl --kubeconfig \S+ --request-timeout=60s -n vcluster-vc-a get secret vc-vc-a -o go-template=\{\{if \.data\}\}\{\{if \.data\.config\}\}present\{\{end\}\}\{\{end\}\}$/);
            assert.equal(run.stdout, "kubeconfig Secret vcluster-vc-a/vc-vc-a of vCluster vc-a is present\n");
            assert.deepEqual(box.tempFiles(), [], "the host kubeconfig file is removed");
        });

        it("fails after the timeout with one line naming the tenant, the Secret and kubectl's last error", () => {
            appearsOnCall(box, 1000);
            const run = box.run(shell, script, { env: fast });
            assert.equal(run.status, 1);
            assert.deepEqual(run.kubeloomLines, [`kubeloom: vCluster vc-a: kubeconfig Secret vcluster-vc-a/vc-vc-a did not appear within 2s (KUBELOOM_VCLUSTER_SECRET_TIMEOUT); last: ${notFound}`]);
            assert.ok(run.ms < 15000, `bounded: took ${run.ms} ms`); // a 2 s limit; the margin absorbs a loaded CI machine, an unbounded wait would take 300 s
            assert.deepEqual(box.tempFiles(), []);
        });

        it("keeps waiting while the Secret exists without its config key", () => {
            box.stub("kubectl", { stdout: "" });
            const run = box.run(shell, script, { env: fast });
            assert.equal(run.status, 1);
            assert.match(run.kubeloomLines[0], /last: the Secret exists but has no config key yet$/);
        });

        it("fails at once on Forbidden: waiting cannot fix credentials", () => {
            box.stub("kubectl", { exit: 1, stderr: 'Error from server (Forbidden): secrets "vc-vc-a" is forbidden: User "x" cannot get resource "secrets"\nmore\n' });
            const run = box.run(shell, script, { env: { ...fast, KUBELOOM_VCLUSTER_SECRET_TIMEOUT: "30" } });
            assert.equal(run.status, 1);
            assert.equal(box.log().trim().split("\n").length, 1, "no retry");
            assert.deepEqual(run.kubeloomLines, ['kubeloom: vCluster vc-a: cannot read Secret vcluster-vc-a/vc-vc-a: Error from server (Forbidden): secrets "vc-vc-a" is forbidden: User "x" cannot get resource "secrets"']);
        });

        it("fails with one line when kubectl is missing or a limit override is not a number", () => {
            const missing = box.run(shell, script, { env: fast });
            assert.equal(missing.status, 1);
            assert.match(missing.kubeloomLines.join("\n"), /^kubeloom: vCluster vc-a: kubectl is not installed on the machine running Pulumi; it is needed to wait for the kubeconfig Secret vcluster-vc-a\/vc-vc-a$/);
            box.stub("kubectl", { stdout: "present" });
            const typo = box.run(shell, script, { env: { ...fast, KUBELOOM_VCLUSTER_SECRET_TIMEOUT: "5m" } });
            assert.equal(typo.status, 1);
            assert.deepEqual(typo.kubeloomLines, ["kubeloom: vCluster vc-a: KUBELOOM_VCLUSTER_SECRET_TIMEOUT must be a positive number of seconds, got '5m'"]);
        });
    });
}
