/**
 * The `deployedVersions` stack output, which the upgrade check of `npm run up` and plan:diff read back: per cluster
 * name, exactly the versions the stack installs there — nothing for what another stack manages.
 */
import { strict as assert } from "node:assert";
import { planStack } from "../../scripts/plan/plan-stack";
import { PROJECT_DIR } from "../../lib/project";
import { planConfig } from "../support/helpers";

describe("deployedVersions output", function () {
    this.timeout(60_000);

    it("dev: K3s, Cilium and both vClusters", async () => {
        const plan = await planStack({ projectDir: PROJECT_DIR, stack: "dev" });
        assert.deepEqual(plan.outputs.deployedVersions, { dev: { k3s: "v1.28.13+k3s1", cilium: "1.16.19", vclusters: { "vc-a": "0.20.6", "vc-b": "0.20.6" } } });
    });

    it("mesh: Cilium and MetalLB per kind cluster (kind has no in-place K3s version)", async () => {
        const plan = await planStack({ projectDir: PROJECT_DIR, stack: "mesh" });
        assert.deepEqual(plan.outputs.deployedVersions, {
            c1: { cilium: "1.16.19", metallb: "0.14.9", vclusters: {} },
            c2: { cilium: "1.16.19", metallb: "0.14.9", vclusters: {} },
        });
    });

    it("a tenants stack on another stack's cluster: only its vClusters, not the other stack's Cilium", async () => {
        const plan = await planConfig({
            clusters: [
                {
                    name: "shared",
                    id: 3,
                    podCidr: "10.42.0.0/16",
                    serviceCidr: "10.43.0.0/16",
                    source: { stackReference: { stack: "org/kubeloom/dev", context: "dev", nodeAddress: "192.0.2.10" } },
                    vclusters: [{ name: "team-a", expose: "NodePort", nodePort: 31500 }],
                },
            ],
        }, { stack: "tenants" });
        assert.deepEqual(plan.outputs.deployedVersions, { shared: { vclusters: { "team-a": "0.20.6" } } });
    });
});
