import { strict as assert } from "node:assert";
import { kindKubeconfigScript, kindNodeAddressScript } from "../../components/kind-config";
import { SHELLS, ScriptSandbox } from "../support/script-sandbox";

const KIND_KUBECONFIG = "apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:39999\n  name: kind-dev\ncontexts: []\nkind: Config\nusers: []\n";

for (const shell of SHELLS) {
    describe(`kind scripts, run in ${shell}`, () => {
        let box: ScriptSandbox;
        beforeEach(() => (box = new ScriptSandbox()));
        afterEach(() => box.remove());

        it("prints the renamed kubeconfig", () => {
            box.stub("kind", { stdout: KIND_KUBECONFIG });
            const run = box.run(shell, kindKubeconfigScript("dev"));
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /name: dev\n/);
            assert.ok(!run.stdout.includes("kind-dev"));
        });

        // Defect 1: `kind get kubeconfig | sed` exited 0 with an empty kubeconfig.
        it("fails with one kubeloom line when kind get kubeconfig fails", () => {
            box.stub("kind", { exit: 1, stderr: "ERROR: could not locate any control plane nodes\n" });
            const run = box.run(shell, kindKubeconfigScript("dev"));
            assert.notEqual(run.status, 0);
            assert.equal(run.stdout, "", "no kubeconfig at all on failure");
            assert.deepEqual(run.kubeloomLines, ["kubeloom: kind kubeconfig dev: kind get kubeconfig --name dev failed (does the cluster exist?)"]);
        });

        it("fails when kind is missing", () => {
            const run = box.run(shell, kindKubeconfigScript("dev"));
            assert.notEqual(run.status, 0);
            assert.equal(run.stdout, "");
            assert.deepEqual(run.kubeloomLines, ["kubeloom: kind kubeconfig dev: kind is not installed on the machine running Pulumi"]);
        });

        it("fails instead of emitting an empty or non-kubeconfig output", () => {
            for (const stdout of ["", "Welcome!\n"]) {
                box.stub("kind", { stdout });
                const run = box.run(shell, kindKubeconfigScript("dev"));
                assert.notEqual(run.status, 0, JSON.stringify(stdout));
                assert.equal(run.stdout, "");
                assert.deepEqual(run.kubeloomLines, ["kubeloom: kind kubeconfig dev: kind get kubeconfig --name dev printed no kubeconfig"]);
            }
        });

        // Defect 9: a container on two networks printed both addresses glued together.
        it("prints only the kind network's address of a container on two networks", () => {
            box.stub("docker", {
                body: `case "$*" in *'index .NetworkSettings.Networks "kind"'*) echo 172.18.0.2 ;; *) echo 172.18.0.2172.30.0.5 ;; esac`,
            });
            const run = box.run(shell, kindNodeAddressScript("dev"));
            assert.equal(run.status, 0, run.stderr);
            assert.equal(run.stdout, "172.18.0.2\n");
        });

        it("fails when the container has no kind network address", () => {
            box.stub("docker", { stdout: "\n" });
            const run = box.run(shell, kindNodeAddressScript("dev"));
            assert.notEqual(run.status, 0);
            assert.deepEqual(run.kubeloomLines, ["kubeloom: kind node address dev: container dev-control-plane has no address on the kind Docker network"]);
        });
    });
}
