import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { planStack } from "../../scripts/plan/plan-stack";
import { serializePlan, OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import { readStackFile } from "../../scripts/plan/stack-file";
import { hubbleUiAddress } from "../../stacks/outputs";
import { resolveCluster } from "../../config/resolved-cluster";
import { selectKubeconfigContext } from "../../lib/kubeconfig";
import { parseStackConfig } from "../../config/parse";
import { at, byUrn, chainConfig, dependsOnTransitively, fakeK3sKubeconfig, named, ofType, planConfig, realisticMocks } from "../support/helpers";
import { PROJECT_DIR } from "../../lib/project";
import { SECRET_PLACEHOLDER as SECRET } from "../../lib/placeholders";

const projectDir = PROJECT_DIR;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const CIPHERTEXT = "placeholder-set-your-own-with-pulumi-config-set-secret-path";

const ciliumReleases = (plan: OfflinePlan) => ofType(plan, RELEASE).filter((r) => r.inputs.chart === "cilium");

function valueOf<T>(output: unknown): Promise<T> {
    assert.ok(pulumi.Output.isInstance(output), "not an Output");
    return new Promise((resolve) => (output as pulumi.Output<T>).apply((v) => resolve(v)));
}

describe("offline plan of the chain stack", function () {
    let plan: OfflinePlan;
    let text: string;

    before(async () => {
        plan = await planStack({ projectDir, stack: "chain" });
        text = serializePlan(plan);
    });

    it("installs exactly one Cilium release, chained (generic-veth) with kube-proxy replacement", () => {
        const releases = ciliumReleases(plan);
        assert.equal(releases.length, 1);
        const values = releases[0].inputs.values;
        // The agent copies flannel's conflist (network cbr0) and keeps it on agent stops (issue 11 failure 4).
        assert.deepEqual(at(values, "cni"), { chainingMode: "generic-veth", chainingTarget: "cbr0", exclusive: false, uninstall: false });
        assert.equal(at(values, "routingMode"), "native");
        assert.equal(at(values, "enableIPv4Masquerade"), false);
        // Router IPs from a range flannel never hands to pods (issue 11 failure 3).
        assert.deepEqual(at(values, "ipam"), { mode: "cluster-pool", operator: { clusterPoolIPv4MaskSize: 28, clusterPoolIPv4PodCIDRList: ["10.250.0.0/20"] } });
        assert.equal(at(values, "kubeProxyReplacement"), true);
        assert.equal(at(values, "k8sServiceHost"), "192.0.2.20");
        assert.equal(at(values, "k8sServicePort"), 6443);
        for (const prefix of ["", "operator.", "envoy."]) {
            assert.deepEqual(at(values, `${prefix}nodeSelector`), { "kubeloom.io/cilium": "true" }, `${prefix}nodeSelector`);
        }
        assert.deepEqual(at(values, "hubble.ui.service"), { nodePort: 31235, type: "NodePort" });
        assert.equal(at(values, "hubble.relay.enabled"), true);
    });

    it("ships no hand-written conflist: the agent derives it from the primary CNI's own", () => {
        assert.deepEqual(plan.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap").map((r) => r.name), []);
    });

    it("creates no cluster and installs nothing on hosts", () => {
        const creators = plan.resources.filter((r) => /^command:|K3sHost|KindCluster/.test(r.type));
        assert.deepEqual(creators.map((r) => r.urn), []);
    });

    it("builds the provider from the configured kubeconfig, as a secret, and every Kubernetes resource uses it", () => {
        const providers = ofType(plan, "pulumi:providers:kubernetes");
        assert.equal(providers.length, 1);
        assert.equal(providers[0].inputs.kubeconfig, SECRET);
        for (const r of plan.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            assert.equal(r.provider, providers[0].urn, r.urn);
        }
    });

    it("touches no node and runs no check unless asked", () => {
        assert.deepEqual(ofType(plan, "kubernetes:core/v1:NodePatch"), []);
        assert.deepEqual(ofType(plan, "kubeloom:index:CiliumNodes"), []);
        assert.deepEqual(ofType(plan, "kubeloom:index:KubectlCheck"), []);
    });

    it("keeps every secret out of the plan", () => {
        assert.ok(!text.includes(CIPHERTEXT), "the secure ciphertext leaked");
        assert.equal(plan.outputs.kubeconfigs, SECRET);
    });

    it("exports the Hubble UI address and the chaining mode", () => {
        const [cluster] = plan.outputs.clusters as Array<Record<string, unknown>>;
        assert.equal(cluster.hubbleUi, "http://192.0.2.20:31235");
        assert.equal(cluster.chaining, "generic-veth");
        assert.equal(cluster.apiEndpoint, "https://192.0.2.20:6443");
    });

    it("is deterministic", async () => {
        assert.equal(serializePlan(await planStack({ projectDir, stack: "chain" })), text);
    });
});

describe("Pulumi.chain.yaml", () => {
    it("turns the nested secure kubeconfig into a placeholder and marks the key secret", () => {
        const file = readStackFile(path.join(projectDir, "Pulumi.chain.yaml"), "kubeloom");
        assert.equal(file.config["kubeloom:sourceKubeconfigs"], JSON.stringify({ chain: "[secret]" }));
        assert.ok(file.secretKeys.includes("kubeloom:sourceKubeconfigs"));
        assert.ok(!JSON.stringify(file.config).includes(CIPHERTEXT));
    });

    it("matches the chainConfig fixture the tests use", () => {
        const doc = parse(fs.readFileSync(path.join(projectDir, "Pulumi.chain.yaml"), "utf8"));
        const fromFile = parseStackConfig({ clusters: doc.config["kubeloom:clusters"], sourceKubeconfigs: { chain: "x" } }, { secretKeys: ["sourceKubeconfigs"] });
        const fixture = parseStackConfig({ ...chainConfig(), sourceKubeconfigs: { chain: "x" } }, { secretKeys: ["sourceKubeconfigs"] });
        assert.deepEqual(fromFile, fixture);
    });
});

describe("chain plans from a config object", () => {
    it("labels and taints only the listed nodes, reversibly, before the Cilium release", async () => {
        const raw = chainConfig();
        raw.clusters[0].cilium.chaining.nodes = ["worker-1", "worker-2"];
        const plan = await planConfig(raw, { stack: "chain" });
        const patches = ofType(plan, "kubernetes:core/v1:NodePatch");
        assert.deepEqual(patches.map((p) => at(p.inputs, "metadata.name")).sort(), ["worker-1", "worker-2"]);
        const [release] = ciliumReleases(plan);
        const component = ofType(plan, "kubeloom:index:CiliumNodes")[0];
        for (const patch of patches) {
            assert.deepEqual(at(patch.inputs, "metadata.labels"), { "kubeloom.io/cilium": "true" });
            assert.deepEqual(at(patch.inputs, "metadata.annotations"), { "pulumi.com/patchFieldManager": "kubeloom-cilium-nodes-chain" });
            assert.equal(patch.parent, component.urn);
            assert.equal(patch.provider, named(plan, "chain-k8s").urn);
            assert.ok(dependsOnTransitively(plan, release, patch.urn, false), `${patch.name} is not before the release`);
        }
        const taints = ofType(plan, "command:local:Command");
        assert.deepEqual(taints.map((t) => t.name).sort(), ["chain-cilium-nodes-worker-1-taints", "chain-cilium-nodes-worker-2-taints"]);
        for (const taint of taints) {
            assert.match(String(taint.inputs.create), /k taint node 'worker-\d' 'kubeloom\.io\/cilium=true:NoSchedule' --overwrite/);
            assert.match(String(taint.inputs.delete), /k taint node 'worker-\d' 'kubeloom\.io\/cilium:NoSchedule-'/);
            assert.deepEqual(taint.inputs.environment, { KUBELOOM_KUBECONFIG: SECRET });
            assert.equal(taint.options.deleteBeforeReplace, true);
            assert.ok(dependsOnTransitively(plan, release, taint.urn, false), `${taint.name} is not before the release`);
        }
        assert.equal(at(release.inputs.values, "operator.replicas"), 2, "two marked nodes: the chart's two operator replicas fit");
        assert.ok(!serializePlan(plan).includes("CHAIN-SOURCE-KEY"));
    });

    it("only labels when no toleration names a taint, and runs one operator on one marked node", async () => {
        const raw = chainConfig();
        raw.clusters[0].cilium.chaining.nodes = ["worker-1"];
        raw.clusters[0].cilium.tolerations = [];
        const plan = await planConfig(raw, { stack: "chain" });
        assert.equal(ofType(plan, "kubernetes:core/v1:NodePatch").length, 1);
        assert.deepEqual(ofType(plan, "command:local:Command"), []);
        assert.equal(at(ciliumReleases(plan)[0].inputs.values, "operator.replicas"), 1);
    });

    it("adds the verify command after the release only with verify: true, with no secret in its script", async () => {
        const raw = chainConfig();
        raw.clusters[0].cilium.verify = true;
        const plan = await planConfig(raw, { stack: "chain" });
        const [check] = ofType(plan, "command:local:Command");
        assert.equal(check.name, "chain-cilium-verify-check");
        const component = byUrn(plan, check.parent!)!;
        assert.equal(component.type, "kubeloom:index:KubectlCheck");
        assert.deepEqual(component.options.aliases, [{ type: "kubeloom:index:CiliumVerify" }], "existing stacks keep their check");
        const [release] = ciliumReleases(plan);
        assert.ok(check.dependsOn.includes(release.urn));
        const script = String(check.inputs.create);
        assert.match(script, /cilium-dbg status/);
        assert.ok(!script.includes("CHAIN-SOURCE-KEY") && !script.includes("client-key-data"));
        assert.deepEqual(check.inputs.environment, { KUBELOOM_KUBECONFIG: SECRET });
        assert.equal((check.inputs.triggers as unknown[]).length, 2);
        assert.ok(!serializePlan(plan).includes("CHAIN-SOURCE-KEY"));

        const again = await planConfig(raw, { stack: "chain" });
        assert.deepEqual(ofType(again, "command:local:Command")[0].inputs.triggers, check.inputs.triggers, "same config, same triggers: no re-run");
        raw.clusters[0].cilium.hubble.relay = false;
        const changed = await planConfig(raw, { stack: "chain" });
        assert.notDeepEqual(ofType(changed, "command:local:Command")[0].inputs.triggers, check.inputs.triggers, "new Cilium values re-run the check");
    });

    it("reads a kubeconfig file at run time, keeping it out of the plan", async () => {
        const marker = "PATH-KUBECONFIG-MARKER-51c2";
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-")), "kubeconfig");
        fs.writeFileSync(file, fakeK3sKubeconfig(marker), { mode: 0o600 });
        const raw = chainConfig();
        delete raw.sourceKubeconfigs;
        raw.clusters[0].source = { kubeconfig: { path: file, context: "default" } };
        const plan = await planConfig(raw, { stack: "chain", mocks: realisticMocks(), preview: false });
        const provider = named(plan, "chain-k8s");
        assert.equal(provider.inputs.kubeconfig, SECRET);
        assert.equal(provider.inputs.context, "default");
        assert.equal(ciliumReleases(plan)[0].provider, provider.urn);
        assert.ok(!serializePlan(plan).includes(marker), "the kubeconfig reached the plan");

        const kubeconfigs = plan.rawOutputs?.kubeconfigs;
        assert.equal(await pulumi.isSecret(kubeconfigs as pulumi.Output<unknown>), true);
        const exported = parse((await valueOf<Record<string, string>>(kubeconfigs)).chain);
        assert.equal(exported["current-context"], "chain", "renamed after the cluster");
        assert.deepEqual(exported.contexts, [{ name: "chain", context: { cluster: "chain", user: "chain" } }]);
        assert.equal(Buffer.from(exported.users[0].user["client-key-data"], "base64").toString(), marker, "the credentials themselves are kept");
    });

    it("fails the update naming the key when the file has no such context", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-")), "kubeconfig");
        fs.writeFileSync(file, fakeK3sKubeconfig("UNUSED-KEY"));
        const raw = chainConfig();
        delete raw.sourceKubeconfigs;
        raw.clusters[0].source = { kubeconfig: { path: file, context: "prod" } };
        await assert.rejects(planConfig(raw, { stack: "chain", mocks: realisticMocks(), preview: false }), (error: Error) => {
            assert.match(error.message, /clusters\[0\]\.source\.kubeconfig\.context: "prod" is not a context of clusters\[0\]\.source\.kubeconfig\.path: it has no context "prod" \(contexts: "default"\)/);
            assert.ok(!error.message.includes("UNUSED-KEY"));
            return true;
        });
    });

    it("builds an explicit provider from another stack's kubeconfigs output (stackReference)", async () => {
        const marker = "REFERENCED-STACK-KEY-9d1e";
        const raw = chainConfig();
        delete raw.sourceKubeconfigs;
        raw.clusters[0].source = { stackReference: { stack: "acme/kubeloom/platform", context: "dev" } };
        // A referenced cluster's Cilium belongs to the referencing stack only when it says so.
        raw.clusters[0].cilium.install = true;
        const plan = await planConfig(raw, { stack: "tenants", mocks: realisticMocks(marker), preview: false });
        const [reference] = ofType(plan, "pulumi:pulumi:StackReference");
        assert.equal(reference.inputs.name, "acme/kubeloom/platform");
        const provider = named(plan, "chain-k8s");
        assert.equal(provider.inputs.kubeconfig, SECRET);
        assert.ok(provider.dependsOn.includes(reference.urn), "the provider is fed by the reference");
        const kubernetes: PlannedResource[] = plan.resources.filter((r) => r.type.startsWith("kubernetes:"));
        assert.ok(kubernetes.length >= 1);
        for (const r of kubernetes) assert.equal(r.provider, provider.urn, r.urn);
        assert.deepEqual(plan.resources.filter((r) => /^command:remote|K3sHost|KindCluster/.test(r.type)), []);

        const kubeconfigs = plan.rawOutputs?.kubeconfigs as pulumi.Output<Record<string, string>>;
        assert.equal(await pulumi.isSecret(kubeconfigs), true);
        assert.equal(parse((await valueOf<Record<string, string>>(kubeconfigs)).chain)["current-context"], "chain");
        assert.ok(!serializePlan(plan).includes(marker), "the referenced kubeconfig reached the plan");
    });
});

describe("hubbleUiAddress", () => {
    const cluster = (hubble: Record<string, unknown>) => resolveCluster(parseStackConfig({ ...chainConfig(), clusters: [{ ...chainConfig().clusters[0], cilium: { ...chainConfig().clusters[0].cilium, hubble } }] }, { secretKeys: ["sourceKubeconfigs"] }), 0);

    it("gives the NodePort URL when a node address is known, else the port-forward command", () => {
        assert.equal(hubbleUiAddress(cluster({ ui: true, uiNodePort: 31235 }), "chain", "192.0.2.20"), "http://192.0.2.20:31235");
        assert.equal(hubbleUiAddress(cluster({ ui: true, uiNodePort: 31235 }), "chain", "2001:db8::1"), "http://[2001:db8::1]:31235");
        assert.equal(hubbleUiAddress(cluster({ ui: true, uiNodePort: 31235 }), "chain", null), "kubectl --context chain -n kube-system port-forward svc/hubble-ui 12000:80, then http://localhost:12000");
        assert.equal(hubbleUiAddress(cluster({ ui: true }), "chain", "192.0.2.20"), "kubectl --context chain -n kube-system port-forward svc/hubble-ui 12000:80, then http://localhost:12000");
        assert.equal(hubbleUiAddress(cluster({ ui: false }), "chain", "192.0.2.20"), null);
    });
});

describe("selectKubeconfigContext", () => {
    const twoContexts = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: a-cluster",
        "  cluster: { server: https://192.0.2.1:6443 }",
        "- name: b-cluster",
        "  cluster: { server: https://192.0.2.2:443 }",
        "users:",
        "- name: a-user",
        "  user: { token: A-TOKEN-MARKER }",
        "- name: b-user",
        "  user: { token: B-TOKEN-MARKER }",
        "contexts:",
        "- name: a",
        "  context: { cluster: a-cluster, user: a-user, namespace: team-a }",
        "- name: b",
        "  context: { cluster: b-cluster, user: b-user }",
        "current-context: a",
        "",
    ].join("\n");

    it("keeps only the chosen context (default: current-context), renamed after the cluster", () => {
        const current = parse(selectKubeconfigContext(twoContexts, { name: "chain", keyPath: "k" }));
        assert.deepEqual(current, {
            apiVersion: "v1",
            clusters: [{ cluster: { server: "https://192.0.2.1:6443" }, name: "chain" }],
            contexts: [{ context: { cluster: "chain", namespace: "team-a", user: "chain" }, name: "chain" }],
            "current-context": "chain",
            kind: "Config",
            preferences: {},
            users: [{ name: "chain", user: { token: "A-TOKEN-MARKER" } }],
        });
        const chosen = selectKubeconfigContext(twoContexts, { context: "b", name: "chain", keyPath: "k" });
        assert.match(chosen, /B-TOKEN-MARKER/);
        assert.doesNotMatch(chosen, /A-TOKEN-MARKER/, "other clusters' credentials are dropped");
        assert.equal(selectKubeconfigContext(twoContexts, { context: "b", name: "chain", keyPath: "k" }), chosen, "deterministic");
    });

    it("fails naming the key path and the contexts, never the contents", () => {
        const failsWith = (text: string, pattern: RegExp, context?: string) =>
            assert.throws(
                () => selectKubeconfigContext(text, { context, name: "chain", keyPath: "kubeloom:sourceKubeconfigs.chain" }),
                (error: Error) => pattern.test(error.message) && !/TOKEN-MARKER/.test(error.message),
            );
        failsWith(twoContexts, /^kubeloom:sourceKubeconfigs\.chain: it has no context "c" \(contexts: "a", "b"\)/, "c");
        failsWith(twoContexts.replace("current-context: a", ""), /it has no current-context and 2 contexts \(contexts: "a", "b"\); name one with source\.kubeconfig\.context/);
        failsWith(twoContexts.replace("  context: { cluster: b-cluster", "  context: { cluster: missing"), /context "b" names a cluster "missing" the file does not define/, "b");
        failsWith("[secret]", /it is not a kubeconfig/);
        failsWith("token: A-TOKEN-MARKER: [", /it is not a kubeconfig/);
    });

    it("passes text that is not a kubeconfig through only when asked (previews)", () => {
        assert.equal(selectKubeconfigContext("[secret]", { name: "chain", keyPath: "k", passThroughUnparsable: true }), "[secret]");
        assert.throws(() => selectKubeconfigContext(twoContexts, { context: "c", name: "chain", keyPath: "k", passThroughUnparsable: true }), /no context "c"/, "a real kubeconfig is still checked");
    });
});
