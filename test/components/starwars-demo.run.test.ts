import { strict as assert } from "node:assert";
import { starwarsObjects, starwarsVerifyScript, xwingRefused, STARWARS_LABELS } from "../../components/starwars-demo";
import { KUBECONFIG_ENV } from "../../lib/shell";
import { SHELLS, ScriptSandbox } from "../support/script-sandbox";
import { devConfig, issuesOf } from "../support/fixtures";
import { parseStackConfig } from "../../config/parse";
import { planConfig } from "../support/helpers";

const env = { [KUBECONFIG_ENV]: "apiVersion: v1\nkind: Config\n# client key\n" };
/** The README's tenant policy (Tenants: deathstar-landing). */
const readmePolicy = { name: "deathstar-landing", namespace: "default", podSelector: { org: "empire", class: "deathstar" }, ingress: [{ fromPods: { org: "empire" }, fromNamespace: "default", ports: [{ port: 80 }], http: [{ method: "POST", path: "/v1/request-landing" }] }] };

describe("Star Wars tenant demo: objects and expectations", () => {
    it("deploys the guide's app with its labels", () => {
        const objects = starwarsObjects();
        assert.deepEqual((objects.deathstar.spec as any).selector.matchLabels, STARWARS_LABELS.deathstar);
        assert.equal((objects.xwing.metadata as any).labels.org, "alliance");
        assert.match(JSON.stringify(objects), /quay\.io\/cilium\/starwars:v2\.1@sha256:/);
    });

    it("expects the xwing refused exactly when a tenant policy guards the Death Star without admitting it", () => {
        const parsed = (policies: unknown[]) => {
            const raw = devConfig();
            raw.clusters[0].vclusters[0].networkPolicies = policies;
            return parseStackConfig(raw).clusters[0].vclusters[0].networkPolicies;
        };
        assert.equal(xwingRefused(parsed([readmePolicy])), true);
        assert.equal(xwingRefused(parsed([])), false);
        assert.equal(xwingRefused(parsed([{ ...readmePolicy, ingress: [{ fromEntities: ["cluster"] }] }])), false);
        assert.equal(xwingRefused(parsed([{ ...readmePolicy, podSelector: { class: "other" } }])), false);
    });

    it("needs an exposure the tenant's kubeconfig answers on, and verify needs demo", () => {
        const raw = devConfig();
        raw.clusters[0].vclusters[0] = { name: "galaxy", expose: "ClusterIP", demo: true };
        raw.clusters[0].vclusters[1].verify = true;
        assert.deepEqual(issuesOf(raw).map((i) => i.split(":")[0]), ["clusters[0].vclusters[0].demo", "clusters[0].vclusters[1].verify"]);
    });

    it("plans the demo through a provider on the tenant's kubeconfig (secret), and the check after it", async () => {
        const raw = devConfig();
        Object.assign(raw.clusters[0].vclusters[0], { name: "galaxy", demo: true, verify: true, networkPolicies: [readmePolicy] });
        const plan = await planConfig(raw);
        const provider = plan.resources.find((r) => r.name === "dev-galaxy-starwars-k8s")!;
        assert.equal(provider.inputs.kubeconfig, "[secret]");
        for (const name of ["dev-galaxy-starwars-deathstar", "dev-galaxy-starwars-tiefighter", "dev-galaxy-starwars-xwing", "dev-galaxy-starwars-deathstar-service"]) {
            const r = plan.resources.find((x) => x.name === name);
            assert.ok(r, name);
            assert.match(String(r!.provider), /pulumi:providers:kubernetes::dev-galaxy-starwars-k8s(::|$)/, `${name} uses the tenant's provider`);
        }
        const check = plan.resources.find((r) => r.name === "dev-galaxy-starwars-verify-check")!;
        assert.match(String(check.inputs.create), /xwing \(org=alliance\) landed, but the tenant's policy should refuse it/);
        assert.equal((check.inputs.environment as any)[KUBECONFIG_ENV], "[secret]", "the tenant kubeconfig reaches the check as a secret");
    });
});

for (const shell of SHELLS) {
    describe(`starwarsVerifyScript, run in ${shell}`, () => {
        let box: ScriptSandbox;
        beforeEach(() => (box = new ScriptSandbox()));
        afterEach(() => box.remove());
        const refused = starwarsVerifyScript({ tenant: "dev/galaxy", xwing: "refused" });

        it("passes when the tiefighter lands and the xwing is refused, and removes the kubeconfig", () => {
            box.stub("kubectl", { body: `case "$*" in *"exec tiefighter"*) echo 'Ship landed' ;; *"exec xwing"*) echo 'curl: (28) Connection timed out' >&2; exit 28 ;; esac` });
            const run = box.run(shell, refused, { env });
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /tiefighter landed; xwing refused/);
            assert.deepEqual(box.tempFiles(), []);
        });

        it("fails with one kubeloom line when the xwing lands although the policy should refuse it", () => {
            box.stub("kubectl", { body: `case "$*" in *exec*) echo 'Ship landed' ;; esac` });
            const run = box.run(shell, refused, { env });
            assert.notEqual(run.status, 0);
            assert.deepEqual(run.kubeloomLines, ["kubeloom: star wars demo (dev/galaxy): xwing (org=alliance) landed, but the tenant's policy should refuse it"]);
        });

        it("fails with one kubeloom line when the deathstar never becomes ready", () => {
            box.stub("kubectl", { exit: 1, stderr: "error: timed out waiting for the condition\n" });
            const run = box.run(shell, refused, { env });
            assert.notEqual(run.status, 0);
            assert.deepEqual(run.kubeloomLines, ["kubeloom: star wars demo (dev/galaxy): the deathstar Deployment did not become ready within 300s"]);
            assert.deepEqual(box.tempFiles(), []);
        });
    });
}
