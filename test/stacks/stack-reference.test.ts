/**
 * Cross-stack: a `tenants` stack adds vClusters to a cluster that a `platform` stack created, reading the
 * platform's `kubeconfigs` output through a (mocked) StackReference. The referenced cluster gets a Kubernetes
 * provider fed with the platform's kubeconfig as a secret; the vClusters use that provider; nothing installs K3s.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import type { OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import { fakeK3sKubeconfig } from "../support/fixtures";

const PLATFORM_MARKER = "PLATFORM-DEV-CLIENT-KEY";
const PLATFORM_KUBECONFIG = fakeK3sKubeconfig(PLATFORM_MARKER);

/** The tenants stack config: the platform's "dev" cluster by reference, plus two tenant vClusters. */
function tenantsConfig(context = "dev"): Record<string, unknown> {
    return {
        clusters: [
            {
                name: "dev",
                id: 1,
                podCidr: "10.42.0.0/16",
                serviceCidr: "10.43.0.0/16",
                source: { stackReference: { stack: "platform", context, nodeAddress: "192.0.2.10" } },
                vclusters: [{ name: "team-x" }, { name: "team-y", expose: "NodePort", nodePort: 31450 }],
            },
        ],
    };
}

/**
 * Echo mocks plus what a real engine would return: the platform stack's outputs for the StackReference (its
 * `kubeconfigs` listed as secret, as the platform exports it), and the vCluster kubeconfig Secrets. Records
 * what each resource was given, to check values the plan only shows as "[secret]".
 */
function referenceMocks(received: Map<string, Record<string, unknown>>): pulumi.runtime.Mocks {
    return {
        newResource: (args) => {
            received.set(args.name, args.inputs);
            const state: Record<string, unknown> = { ...args.inputs };
            if (args.type === "pulumi:pulumi:StackReference") {
                state.outputs = { kubeconfigs: { dev: PLATFORM_KUBECONFIG, "dev-vc-a": fakeK3sKubeconfig("VC-A") }, clusters: [] };
                state.secretOutputNames = ["kubeconfigs"];
            }
            if (args.type === "kubernetes:core/v1:Secret" && args.id) {
                state.data = { config: Buffer.from(fakeK3sKubeconfig(`TENANT-${args.name}`)).toString("base64") };
            }
            return { id: args.id || `${args.name}-id`, state };
        },
        call: (args) => {
            throw new Error(`unexpected function call ${args.token}`);
        },
    };
}

async function planTenants(received: Map<string, Record<string, unknown>>, context?: string): Promise<OfflinePlan> {
    // Loaded lazily, like the program under the offline plan: after mocha has set up, before the mocks run.
    const { planConfig } = await import("../support/helpers");
    return planConfig(tenantsConfig(context), { stack: "tenants", secretKeys: [], mocks: referenceMocks(received), preview: false });
}

describe("cross-stack: a tenants stack adds vClusters to the platform's cluster", function () {
    this.timeout(30_000);
    let plan: OfflinePlan;
    const received = new Map<string, Record<string, unknown>>();
    const byType = (type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);

    before(async () => {
        plan = await planTenants(received);
    });

    it("reads the platform stack through a StackReference", () => {
        const references = byType("pulumi:pulumi:StackReference");
        assert.equal(references.length, 1);
        assert.equal(references[0].name, "dev-stack");
        assert.equal(references[0].inputs.name, "platform");
        assert.equal(references[0].read, true, "a StackReference reads, never creates");
    });

    it("gives the cluster's Kubernetes provider the platform's kubeconfig for the context, as a secret", () => {
        const [provider] = byType("pulumi:providers:kubernetes");
        assert.equal(provider.name, "dev-k8s");
        assert.equal(provider.inputs.kubeconfig, "[secret]", "secret in the plan");
        // The engine receives secrets wrapped with Pulumi's secret signature: this is what makes it encrypt them.
        assert.deepEqual(received.get("dev-k8s")?.kubeconfig, { [specialSigKey]: specialSecretSig, value: PLATFORM_KUBECONFIG }, "exactly the platform's dev kubeconfig, as a secret");
    });

    it("creates the tenant vClusters with that provider", () => {
        const [provider] = byType("pulumi:providers:kubernetes");
        const releases = byType("kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "vcluster");
        assert.deepEqual(releases.map((r) => r.name).sort(), ["dev-team-x-release", "dev-team-y-release"]);
        for (const release of releases) assert.equal(release.provider, provider.urn, `${release.name} uses the referenced cluster's provider`);
        const vclusterChildren = plan.resources.filter((r) => r.parent?.includes("kubeloom:index:VCluster::") && r.type.startsWith("kubernetes:"));
        assert.ok(vclusterChildren.length > 0);
        assert.ok(vclusterChildren.every((r) => r.provider === provider.urn), "every Kubernetes object of a tenant goes to that cluster");
    });

    it("installs no K3s and creates no cluster (its only commands wait for the tenants' kubeconfig Secrets)", () => {
        const creators = plan.resources.filter((r) => /K3sHost|KindCluster|^command:/.test(r.type) && !r.name.endsWith("-kubeconfig-wait"));
        assert.deepEqual(creators, []);
    });

    it("exports the tenant kubeconfigs as a secret output", async () => {
        const kubeconfigs = plan.rawOutputs?.kubeconfigs as pulumi.Output<Record<string, string>>;
        assert.equal(plan.outputs.kubeconfigs, "[secret]");
        assert.equal(await (kubeconfigs as unknown as { isSecret: Promise<boolean> }).isSecret, true);
        const contexts = await new Promise<string[]>((resolve) => kubeconfigs.apply((map) => resolve(Object.keys(map).sort())));
        assert.deepEqual(contexts, ["dev", "dev-team-x", "dev-team-y"]);
    });

    it("fails with the available contexts when the platform has no such context", async () => {
        await assert.rejects(planTenants(new Map(), "prod"), /clusters\[0\]\.source\.stackReference\.context: stack "platform" output "kubeconfigs" has no context "prod" \(available: "dev", "dev-vc-a"\)/);
    });

    it("does not install Cilium again on a cluster another stack manages", () => {
        const cilium = byType("kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "cilium");
        assert.deepEqual(cilium, [], "the platform stack owns that cluster's Cilium");
        assert.deepEqual(byType("kubeloom:index:CiliumInstall"), []);
        const summary = (plan.outputs.clusters as Array<Record<string, unknown>>)[0];
        assert.equal(summary.ciliumVersion, null);
    });

    it("requires explicit NodePorts, so tenants never take the platform's own vClusters' ports", async () => {
        const config = tenantsConfig() as { clusters: Array<{ vclusters: Array<Record<string, unknown>> }> };
        delete config.clusters[0].vclusters[1].nodePort;
        const { planConfig } = await import("../support/helpers");
        await assert.rejects(planConfig(config, { stack: "tenants", secretKeys: [], mocks: referenceMocks(new Map()), preview: false }), /clusters\[0\]\.vclusters\[1\]\.nodePort: is required on a cluster another stack manages/);
    });

    it("fails on a NodePort vCluster with no node address, instead of exporting https://localhost:<port>", async () => {
        const config = tenantsConfig() as { clusters: Array<{ source: { stackReference: Record<string, unknown> } }> };
        delete config.clusters[0].source.stackReference.nodeAddress;
        const { planConfig } = await import("../support/helpers");
        await assert.rejects(
            planConfig(config, { stack: "tenants", secretKeys: [], mocks: referenceMocks(new Map()), preview: false }),
            /clusters\[0\]\.source\.stackReference\.nodeAddress: is required for vclusters\[1\] \(expose: NodePort\)/,
        );
    });

    it("dials a NodePort vCluster at source.stackReference.nodeAddress", async () => {
        const { planConfig } = await import("../support/helpers");
        const plan = await planConfig(tenantsConfig(), { stack: "tenants", secretKeys: [], mocks: referenceMocks(new Map()), preview: false });
        const summary = (plan.outputs.clusters as Array<{ vclusters: Array<{ name: string; endpoint: string }> }>)[0];
        assert.equal(summary.vclusters.find((vc) => vc.name === "team-y")?.endpoint, "https://192.0.2.10:31450");
    });

    it("can still install Cilium on a referenced cluster when asked (cilium.install: true)", async () => {
        const config = tenantsConfig() as { clusters: Array<Record<string, unknown>> };
        config.clusters[0].cilium = { install: true, k8sServiceHost: "192.0.2.10", k8sServicePort: 6443 };
        const { planConfig } = await import("../support/helpers");
        const installed = await planConfig(config, { stack: "tenants", secretKeys: [], mocks: referenceMocks(new Map()), preview: false });
        assert.equal(installed.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "cilium").length, 1);
    });
});
