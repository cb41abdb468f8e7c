/**
 * VCluster on its own in the Pulumi mock runtime (not through a stack plan): the namespace, release and kubeconfig
 * Secret read it creates, their inputs (values per exposure), the explicit provider on every one of them, ordering
 * (dependsOn carried by the first child, the read after the release), and the kubeconfig output as a secret.
 */
import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { VCluster, VClusterArgs } from "../../components/VCluster";
import { vclusterValues } from "../../components/vcluster-values";
import { podSecurityNamespaceLabels } from "../../components/tenant-policy";
import { DEFAULT_VERSIONS } from "../../components/versions";
import { SECRET_PLACEHOLDER as SECRET, UNKNOWN_PLACEHOLDER as UNKNOWN } from "../../lib/placeholders";
import * as pulumi from "@pulumi/pulumi";
import { at, dependsOnTransitively, fakeK3sKubeconfig, named, outputState, planComponents, planProgram, realisticMocks, recordingMocks } from "../support/helpers";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET_TYPE = "kubernetes:core/v1:Secret";

const args = (provider: k8s.Provider, overrides: Partial<VClusterArgs> = {}): VClusterArgs => ({
    provider,
    hostKubeconfig: "host-kubeconfig",
    clusterName: "dev",
    name: "vc-a",
    expose: { type: "NodePort", nodePort: 31443, nodeAddress: "192.0.2.10" },
    ...overrides,
});

const providerName = (urn: string | null) => urn?.split("::").pop();

describe("VCluster component", function () {
    this.timeout(30_000);

    it("creates its namespace, release and kubeconfig read as direct children, all with the given provider", async () => {
        const plan = await planProgram(() => {
            new VCluster("t", args(new k8s.Provider("p", { kubeconfig: "x" })));
        });
        const component = named(plan, "t");
        assert.equal(component.type, "kubeloom:index:VCluster");
        const children = plan.resources.filter((r) => r.parent === component.urn);
        assert.deepEqual(children.map((r) => `${r.type} ${r.name}${r.read ? " (read)" : ""}`).sort(), [
            "command:local:Command t-kubeconfig-wait",
            `${RELEASE} t-release`,
            `${NAMESPACE} t-namespace`,
            `${SECRET_TYPE} t-kubeconfig (read)`,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy t-kubeloom-control-plane",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy t-kubeloom-tenant-api",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy t-kubeloom-tenant-dns",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy t-kubeloom-tenant-egress",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy t-kubeloom-tenant-ingress",
        ].sort());
        // Every Kubernetes child on the explicit provider; the Secret wait is a local command that gets the host
        // kubeconfig only through its (secret) environment.
        for (const child of children.filter((r) => r.type.startsWith("kubernetes:"))) assert.equal(providerName(child.provider), "p", `${child.name} uses the explicit provider`);
        assert.deepEqual(named(plan, "t-kubeconfig-wait").inputs.environment, { KUBELOOM_KUBECONFIG: SECRET });
    });

    it("release: pinned to the vCluster name in its namespace, default version, values from vclusterValues, awaited", async () => {
        const plan = await planProgram(() => {
            new VCluster("t", args(new k8s.Provider("p", { kubeconfig: "x" }), { resourceQuota: { "requests.cpu": 4 } }));
        });
        const namespace = named(plan, "t-namespace");
        const release = named(plan, "t-release");
        assert.deepEqual(namespace.inputs.metadata, { name: "vcluster-vc-a", labels: podSecurityNamespaceLabels("baseline") });
        assert.equal(namespace.options.deleteBeforeReplace, true);
        const { name, chart, repositoryOpts, version, skipAwait } = release.inputs;
        assert.deepEqual({ name, chart, repositoryOpts, version, skipAwait }, { name: "vc-a", chart: "vcluster", repositoryOpts: { repo: "https://charts.loft.sh" }, version: DEFAULT_VERSIONS.vcluster, skipAwait: false });
        // The namespace name comes from the Namespace's output: known in a preview only because the mock echoes it.
        assert.equal(release.inputs.namespace, "vcluster-vc-a");
        assert.ok(release.dependsOn.includes(namespace.urn), "the release waits for its namespace");
        assert.deepEqual(
            release.inputs.values,
            JSON.parse(JSON.stringify(vclusterValues({ name: "vc-a", contextName: "dev-vc-a", expose: { type: "NodePort", nodePort: 31443, nodeAddress: "192.0.2.10" }, isolate: true, resourceQuota: { "requests.cpu": 4 } }))),
        );
        assert.deepEqual(release.options.additionalSecretOutputs, ["manifest"]);
        assert.equal(release.options.deleteBeforeReplace, true);
    });

    it("the component's dependsOn is carried by the namespace; the kubeconfig read waits for the release", async () => {
        const plan = await planProgram(() => {
            const cilium = new random.RandomPet("cilium", {});
            new VCluster("t", args(new k8s.Provider("p", { kubeconfig: "x" })), { dependsOn: [cilium] });
        });
        assert.ok(named(plan, "t-namespace").dependsOn.includes(named(plan, "cilium").urn));
        assert.ok(named(plan, "t-kubeconfig-wait").dependsOn.includes(named(plan, "t-release").urn), "the Secret wait follows the release");
        assert.ok(named(plan, "t-kubeconfig").dependsOn.includes(named(plan, "t-kubeconfig-wait").urn), "the read follows the Secret wait");
    });

    it("only a NodePort waits for the node address: a ClusterIP tenant's values stay known in a preview", async () => {
        const plan = await planProgram(() => {
            const provider = new k8s.Provider("p", { kubeconfig: "x" });
            const node = new random.RandomPet("node", {});
            const address = node.prefix.apply(() => "192.0.2.10");
            new VCluster("np", args(provider, { name: "a", expose: { type: "NodePort", nodePort: 31443, nodeAddress: address } }));
            new VCluster("cip", args(provider, { name: "b", expose: { type: "ClusterIP" } }));
        });
        assert.equal(named(plan, "np-release").inputs.values, UNKNOWN);
        assert.deepEqual(named(plan, "cip-release").inputs.values, JSON.parse(JSON.stringify(vclusterValues({ name: "b", contextName: "dev-b", expose: { type: "ClusterIP" }, isolate: true }))));
    });

    it("outputs: the kubeconfig from the vc-<name> Secret, secret; context, namespace and server URL plain", async () => {
        const marker = "VCLUSTER-CLIENT-KEY";
        let vc!: VCluster;
        const received: pulumi.runtime.MockResourceArgs[] = [];
        const plan = await planComponents(
            () => {
                vc = new VCluster("t", args(new k8s.Provider("p", { kubeconfig: "x" })));
                return { kubeconfig: vc.kubeconfig, context: vc.contextName, namespace: vc.namespace, server: vc.serverUrl };
            },
            { mocks: recordingMocks(realisticMocks(marker), received), preview: false },
        );
        assert.deepEqual(plan.outputs, { kubeconfig: SECRET, context: "dev-vc-a", namespace: "vcluster-vc-a", server: "https://192.0.2.10:31443" });
        const kubeconfig = await outputState(vc.kubeconfig);
        assert.equal(kubeconfig.secret, true);
        assert.equal(kubeconfig.value, fakeK3sKubeconfig(marker));
        // The read names the Secret the chart writes for this release (vc-<release>), in the release's namespace.
        assert.equal(named(plan, "t-kubeconfig").read, true);
        assert.deepEqual(received.filter((r) => r.type === SECRET_TYPE).map((r) => r.id), ["vcluster-vc-a/vc-vc-a"]);
    });

    it("isolates by default with Kubeloom's fence created before the release; isolate: false creates no policy", async () => {
        const plan = await planProgram(() => {
            const provider = new k8s.Provider("p", { kubeconfig: "x" });
            new VCluster("d", args(provider, { name: "d" }));
            new VCluster("t", args(provider, { isolate: false }));
        });
        const policies = (prefix: string) => plan.resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.name.startsWith(prefix)).map((r) => r.name).sort();
        assert.deepEqual(policies("d-"), ["d-kubeloom-control-plane", "d-kubeloom-tenant-api", "d-kubeloom-tenant-dns", "d-kubeloom-tenant-egress", "d-kubeloom-tenant-ingress"]);
        assert.deepEqual(policies("t-"), []);
        // On 0.36 (the default) the chart's own fence stays off either way (tenantFenceOwner).
        assert.equal(at(named(plan, "d-release").inputs.values, "policies.networkPolicy.enabled"), false);
        // The release (and so every tenant pod) waits for the fence.
        for (const policy of policies("d-")) assert.ok(dependsOnTransitively(plan, named(plan, "d-release"), named(plan, policy).urn, false), policy);
        assert.deepEqual(
            named(plan, "t-release").inputs.values,
            JSON.parse(JSON.stringify(vclusterValues({ name: "vc-a", contextName: "dev-vc-a", expose: { type: "NodePort", nodePort: 31443, nodeAddress: "192.0.2.10" }, isolate: false }))),
        );
    });
});
