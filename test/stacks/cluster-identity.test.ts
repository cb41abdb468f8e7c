/**
 * Every Kubernetes provider carries a clusterIdentifier that stays the same for the cluster's life, so that no
 * kubeconfig change — a K3s upgrade, a rotated certificate, a kubeconfig unknown during preview — ever replaces the
 * provider and with it every resource in the cluster.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { planStack } from "../../scripts/plan/plan-stack";
import { stacksInDir } from "../../scripts/diff/base-worktree";
import { PROJECT_DIR } from "../../lib/project";
import { devConfig, haConfig, planConfig, realisticMocks } from "../support/helpers";
import type { OfflinePlan } from "../../scripts/plan/offline-plan";

const PROVIDER = "pulumi:providers:kubernetes";
const identifiers = (plan: OfflinePlan) => Object.fromEntries(plan.resources.filter((r) => r.type === PROVIDER).map((r) => [r.name, r.inputs.clusterIdentifier]));

describe("cluster identity of Kubernetes providers", function () {
    this.timeout(60_000);

    for (const stack of stacksInDir(PROJECT_DIR)) {
        it(`${stack}: every provider has a clusterIdentifier naming the stack and the cluster`, async () => {
            const plan = await planStack({ projectDir: PROJECT_DIR, stack });
            const found = identifiers(plan);
            assert.ok(Object.keys(found).length > 0, "no provider planned");
            for (const [name, identifier] of Object.entries(found)) {
                assert.equal(identifier, `kubeloom/${stack}/${name.replace(/-k8s$/, "")}`, `${name} in ${path.basename(stack)}`);
            }
        });
    }

    it("keeps the identifier when the K3s version (and so the kubeconfig read-back) changes", async () => {
        const before = await planConfig(devConfig());
        const bumped = devConfig();
        bumped.clusters[0].source.k3s.version = "v1.36.5+k3s1";
        const after = await planConfig(bumped);
        assert.notDeepEqual(
            after.resources.find((r) => r.name === "dev-k3s-server")?.inputs,
            before.resources.find((r) => r.name === "dev-k3s-server")?.inputs,
            "the bump changes the install",
        );
        assert.deepEqual(identifiers(after), identifiers(before));
    });

    it("keeps the identifier of an HA cluster across a K3s version bump (which re-reads its kubeconfig)", async () => {
        const base = haConfig();
        base.clusters[0].source.k3s.version = "v1.35.5+k3s1";
        const bumped = haConfig();
        bumped.clusters[0].source.k3s.version = "v1.36.4+k3s1";
        const before = await planConfig(base, { mocks: realisticMocks(), preview: false });
        const after = await planConfig(bumped, { mocks: realisticMocks(), preview: false });
        const trigger = (plan: OfflinePlan) => plan.resources.find((r) => r.name === "dev-k3s-kubeconfig")?.inputs.triggers;
        assert.notDeepEqual(trigger(after), trigger(before), "the bump re-reads the kubeconfig");
        assert.deepEqual(identifiers(after), { "dev-k8s": "kubeloom/dev/dev" });
        assert.deepEqual(identifiers(after), identifiers(before));
    });

    it("keeps the identifier when an existing cluster's kubeconfig changes", async () => {
        const config = (kubeconfig: string) => ({
            clusters: [{ name: "ext", id: 1, podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16", source: { kubeconfig: {} }, cilium: { kubeProxyReplacement: false } }],
            sourceKubeconfigs: { ext: kubeconfig },
        });
        const first = identifiers(await planConfig(config("apiVersion: v1\nkind: Config\n# one\n")));
        const second = identifiers(await planConfig(config("apiVersion: v1\nkind: Config\n# two\n")));
        assert.deepEqual(first, { "ext-k8s": "kubeloom/dev/ext" });
        assert.deepEqual(second, first);
    });
});
