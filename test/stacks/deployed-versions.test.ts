/**
 * The `deployedVersions` stack output, which the upgrade check of `npm run up` and plan:diff read back: per cluster
 * name, exactly the versions the stack installs there — nothing for what another stack manages. And what it means
 * for a stack that runs the seeds' recipe (examples/Pulumi.seed.yaml) and takes the shipped Pulumi.dev.yaml.
 */
import { strict as assert } from "node:assert";
import * as path from "path";
import { planStack } from "../../scripts/plan/plan-stack";
import { PROJECT_DIR } from "../../lib/project";
import { DEFAULT_VERSIONS } from "../../components/versions";
import { DeployedVersions, versionStepIssues, clusterOrderFromRaw } from "../../config/upgrade-rules";
import { planConfig } from "../support/helpers";

describe("deployedVersions output", function () {
    this.timeout(60_000);

    it("dev: K3s, Cilium and both vClusters, as Pulumi.dev.yaml pins them (the defaults)", async () => {
        const plan = await planStack({ projectDir: PROJECT_DIR, stack: "dev" });
        const vcluster = DEFAULT_VERSIONS.vcluster;
        assert.deepEqual(plan.outputs.deployedVersions, { dev: { k3s: DEFAULT_VERSIONS.k3s, cilium: DEFAULT_VERSIONS.cilium, vclusters: { "vc-a": vcluster, "vc-b": vcluster } } });
    });

    it("mesh: Cilium and MetalLB per kind cluster (kind has no in-place K3s version)", async () => {
        const plan = await planStack({ projectDir: PROJECT_DIR, stack: "mesh" });
        const member = { cilium: DEFAULT_VERSIONS.cilium, metallb: DEFAULT_VERSIONS.metallb, vclusters: {} };
        assert.deepEqual(plan.outputs.deployedVersions, { c1: member, c2: member });
    });

    it("a tenants stack on another stack's cluster: only its vClusters, not the other stack's Cilium", async () => {
        const plan = await planConfig(
            {
                clusters: [
                    {
                        name: "shared",
                        id: 3,
                        podCidr: "10.42.0.0/16",
                        serviceCidr: "10.43.0.0/16",
                        source: { stackReference: { stack: "org/kubeloom/dev", context: "dev", nodeAddress: "192.0.2.10", kubernetesVersion: "1.36.0" } },
                        vclusters: [{ name: "team-a", expose: "NodePort", nodePort: 31500 }],
                    },
                ],
            },
            { stack: "tenants" },
        );
        assert.deepEqual(plan.outputs.deployedVersions, { shared: { vclusters: { "team-a": DEFAULT_VERSIONS.vcluster } } });
    });

    it("a dev stack running the seeds' recipe cannot take the shipped Pulumi.dev.yaml in one update: each key refused", async () => {
        const seed = await planStack({ projectDir: PROJECT_DIR, stack: "dev", configFile: path.join(PROJECT_DIR, "examples", "Pulumi.seed.yaml") });
        const shipped = await planStack({ projectDir: PROJECT_DIR, stack: "dev" });
        assert.deepEqual(seed.outputs.deployedVersions, { dev: { k3s: "v1.28.13+k3s1", cilium: "1.16.19", vclusters: { "vc-a": "0.20.6", "vc-b": "0.20.6" } } });
        const order = clusterOrderFromRaw({ clusters: [{ name: "dev", vclusters: [{ name: "vc-a" }, { name: "vc-b" }] }] });
        const issues = versionStepIssues(seed.outputs.deployedVersions as DeployedVersions, shipped.outputs.deployedVersions as DeployedVersions, order);
        assert.deepEqual(issues.map((i) => i.path), ["clusters[0].cilium.version", "clusters[0].source.k3s.version", "clusters[0].vclusters[0].version", "clusters[0].vclusters[1].version"]);
        assert.match(issues[0].message, /Upgrade to 1\.17\.x first: set clusters\[0\]\.cilium\.version: 1\.17\.18/);
    });
});
