/**
 * CiliumInstall on its own in the Pulumi mock runtime (not through a stack plan): the release it creates, its
 * inputs (values, version, wait), the explicit provider, secret values, dependsOn carried to the children, and
 * the generic-veth ConfigMap ordered before the release.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { CiliumInstall, CiliumInstallValues } from "../../components/CiliumInstall";
import { ciliumValues } from "../../components/cilium-values";
import { DEFAULT_VERSIONS } from "../../components/versions";
import { sortKeysDeep } from "../../lib/values-util";
import { SECRET_PLACEHOLDER as SECRET, UNKNOWN_PLACEHOLDER as UNKNOWN } from "../../lib/placeholders";
import { at, named, outputState, planComponents, planProgram } from "../support/helpers";
import { K3S_CILIUM_VALUES_INPUT } from "../support/fixtures";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";

const values = (apiServerHost: pulumi.Input<string>): CiliumInstallValues => ({
    ...K3S_CILIUM_VALUES_INPUT,
    kubeProxyReplacement: { ...K3S_CILIUM_VALUES_INPUT.kubeProxyReplacement, apiServerHost },
});

/** What ciliumValues renders for `values("192.0.2.10")`, keys sorted as the component passes them. */
const expectedValues = () => sortKeysDeep(ciliumValues({ ...values("192.0.2.10"), kubeProxyReplacement: { enabled: true, apiServerHost: "192.0.2.10", apiServerPort: 6443 } }));

const providerName = (urn: string | null) => urn?.split("::").pop();

describe("CiliumInstall component", function () {
    this.timeout(30_000);

    it("creates one release, a direct child with the given provider, pinned name, default version and wait", async () => {
        const plan = await planProgram(() => {
            const provider = new k8s.Provider("p", { kubeconfig: "x" });
            new CiliumInstall("c", { provider, values: values("192.0.2.10") });
        });
        const component = named(plan, "c");
        assert.equal(component.type, "kubeloom:index:CiliumInstall");
        const children = plan.resources.filter((r) => r.parent === component.urn);
        assert.deepEqual(children.map((r) => `${r.type} ${r.name}`), [`${RELEASE} c-release`]);
        const release = children[0];
        assert.equal(providerName(release.provider), "p");
        const { name, chart, repositoryOpts, namespace, version, timeout, skipAwait } = release.inputs;
        assert.deepEqual(
            { name, chart, repositoryOpts, namespace, version, timeout, skipAwait },
            { name: "cilium", chart: "cilium", repositoryOpts: { repo: "https://helm.cilium.io" }, namespace: "kube-system", version: DEFAULT_VERSIONS.cilium, timeout: 600, skipAwait: false },
        );
        assert.deepEqual(release.inputs.values, expectedValues());
        assert.deepEqual(release.options.additionalSecretOutputs, ["manifest"], "the rendered manifest holds certificates");
        assert.equal(release.options.deleteBeforeReplace, true, "pinned release name: the old release goes first");
    });

    it("waits for an API host that is an Output of another resource, and passes version and wait timeout through", async () => {
        const plan = await planProgram(() => {
            const provider = new k8s.Provider("p", { kubeconfig: "x" });
            const creator = new random.RandomPet("creator", {});
            new CiliumInstall("c", { provider, version: "1.18.12", waitTimeoutSeconds: 900, values: values(creator.prefix.apply(() => "192.0.2.10")) });
        });
        const release = named(plan, "c-release");
        assert.equal(release.inputs.version, "1.18.12");
        assert.equal(release.inputs.timeout, 900);
        // In a preview the creator's computed outputs are unknown, so are the values; and the release depends on the creator.
        assert.equal(release.inputs.values, UNKNOWN);
        assert.ok(release.dependsOn.includes(named(plan, "creator").urn));
    });

    it("merges extra values over the generated ones; only their secret leaves are secret", async () => {
        let cilium!: CiliumInstall;
        const plan = await planComponents(() => {
            const provider = new k8s.Provider("p", { kubeconfig: "x" });
            cilium = new CiliumInstall("c", {
                provider,
                values: values("192.0.2.10"),
                extraValues: { clustermesh: { useAPIServer: true, config: { enabled: true } }, tls: { ca: { key: pulumi.secret("CA-KEY") } }, hubble: { relay: { enabled: false } } },
            });
            return {};
        });
        const released = named(plan, "c-release").inputs.values as Record<string, unknown>;
        assert.equal(at(released, "tls.ca.key"), SECRET);
        assert.equal(at(released, "clustermesh.useAPIServer"), true);
        assert.equal(at(released, "hubble.relay.enabled"), false, "an extra scalar replaces the generated one");
        assert.equal(at(released, "hubble.ui.enabled"), true, "objects merge: the rest of hubble stays");
        assert.equal(at(released, "kubeProxyReplacement"), true);
        const state = await outputState(cilium.values);
        assert.equal(state.secret, false, "the values output is not wholly secret: a plan still shows the mesh peers");
    });

    it("extra values given as one secret Output make the whole values secret", async () => {
        const plan = await planProgram(() => {
            const provider = new k8s.Provider("p", { kubeconfig: "x" });
            new CiliumInstall("c", { provider, values: values("192.0.2.10"), extraValues: pulumi.secret({ tls: { ca: { key: "CA-KEY" } } }) });
        });
        assert.equal(named(plan, "c-release").inputs.values, SECRET);
    });

    it("carries the component's dependsOn to the release (children do not inherit it)", async () => {
        const plan = await planProgram(() => {
            const provider = new k8s.Provider("p", { kubeconfig: "x" });
            const before = new random.RandomPet("before", {});
            new CiliumInstall("c", { provider, values: values("192.0.2.10") }, { dependsOn: [before] });
        });
        assert.ok(named(plan, "c-release").dependsOn.includes(named(plan, "before").urn));
    });

    it("generic-veth chaining: no ConfigMap of its own, the agent copies the primary's conflist (cni.chainingTarget)", async () => {
        const plan = await planProgram(() => {
            const provider = new k8s.Provider("p", { kubeconfig: "x" });
            new CiliumInstall("c", {
                provider,
                values: { ...values("192.0.2.10"), routingMode: "native", ipamMode: "cluster-pool", chaining: { mode: "generic-veth", target: "cbr0", routerCidr: "10.99.0.0/16" } },
            });
        });
        assert.deepEqual(plan.resources.filter((r) => r.type === CONFIGMAP), [], "no hand-written conflist ConfigMap");
        const release = named(plan, "c-release");
        assert.equal(at(release.inputs.values, "cni.chainingTarget"), "cbr0");
        assert.equal(at(release.inputs.values, "cni.configMap"), undefined);
        assert.equal(at(release.inputs.values, "cni.uninstall"), false, "the chained conflist survives an agent restart");
    });

    it("fails before creating anything on a chaining mode its values cannot satisfy", async () => {
        await assert.rejects(
            planProgram(() => {
                new CiliumInstall("c", { provider: new k8s.Provider("p", { kubeconfig: "x" }), values: { ...values("h"), chaining: { mode: "generic-veth", target: "cbr0", routerCidr: "10.99.0.0/16" } } });
            }),
            /CiliumInstall c: Cilium chaining mode generic-veth: routingMode "tunnel" cannot be used with chaining mode generic-veth/,
        );
    });

    it("fails before creating anything on a feature combination Cilium refuses (Gateway API on 1.18, a tunnel protocol with native routing)", async () => {
        await assert.rejects(
            planProgram(() => {
                new CiliumInstall("c", { provider: new k8s.Provider("p", { kubeconfig: "x" }), version: "1.18.12", values: { ...values("h"), gatewayAPI: { enabled: true } } });
            }),
            /CiliumInstall c: Cilium gatewayAPI needs Cilium 1\.19 or newer/,
        );
        await assert.rejects(
            planProgram(() => {
                new CiliumInstall("c", { provider: new k8s.Provider("p", { kubeconfig: "x" }), values: { ...values("h"), routingMode: "native", tunnelProtocol: "geneve" } });
            }),
            /CiliumInstall c: Cilium tunnelProtocol "geneve" is only used with routingMode: tunnel/,
        );
    });

    it("fails before creating anything on a chart version outside the support matrix", async () => {
        await assert.rejects(
            planProgram(() => {
                new CiliumInstall("c", { provider: new k8s.Provider("p", { kubeconfig: "x" }), version: "1.16.3", values: values("h") });
            }),
            /CiliumInstall c: chart version 1\.16\.3 is not in the support matrix \(1\.16\.19, 1\.17\.18, 1\.18\.12, 1\.19\.6, 1\.20\.0\)/,
        );
    });
});
