import { strict as assert } from "node:assert";
import * as path from "node:path";
import { ChainingMode, ciliumValues, CiliumValuesInput } from "../../components/cilium-values";
import { checkCniChaining } from "../../scripts/plan/preflight/cni-checks";
import type { CniNetworkModel, PlacedObject } from "../../scripts/plan/preflight/model";
import type { KubeObject } from "../../scripts/plan/render/objects";
import { renderRelease } from "../../scripts/plan/render/render";
import { needRenderEnvironment } from "../support/artifacts";

const network: CniNetworkModel = { cluster: "chain", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", primaryNetwork: "cbr0" };
const CILIUM_CONFIG = "ConfigMap/kube-system/cilium-config";

/** Renders the cilium 1.16.19 chart with these values through helm ($KUBELOOM_HELM, test/support/artifacts.ts). */
async function renderCilium(values: Record<string, unknown>, extra: KubeObject[] = []): Promise<PlacedObject[]> {
    const { objects } = await renderRelease({ release: { release: "cilium", chart: "cilium", version: "1.16.19", namespace: "kube-system" }, values, kubeVersion: "1.30.0", apiVersions: [] }, needRenderEnvironment());
    return [...objects, ...extra].map((object) => ({ object, namespace: object.metadata.namespace ?? "kube-system" }));
}

const chainedInput = (mode: ChainingMode): CiliumValuesInput => ({
    clusterName: "chain", clusterId: 1, podCidr: "10.244.0.0/16",
    kubeProxyReplacement: { enabled: true, apiServerHost: "192.0.2.20", apiServerPort: 6443 },
    routingMode: "native", ipamMode: "cluster-pool", hubble: { relay: true, ui: false }, nodeSelector: {}, tolerations: [], operatorReplicas: 1,
    chaining: mode === "aws-cni" ? { mode, routerCidr: "10.250.0.0/20" } : { mode, target: "cbr0", routerCidr: "10.250.0.0/20" },
});

/** The chaining values Kubeloom rendered before the issue 11 fixes (generic-veth with a hand-written conflist). */
const beforeFix = {
    kubeProxyReplacement: true, k8sServiceHost: "192.0.2.20", k8sServicePort: 6443, routingMode: "native", enableIPv4Masquerade: false,
    cluster: { name: "chain", id: 1 }, ipam: { mode: "kubernetes" },
    cni: { chainingMode: "generic-veth", customConf: true, configMap: "cni-configuration", exclusive: false, uninstall: true },
};
const genericVethConfigMap: KubeObject = {
    apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cni-configuration", namespace: "kube-system" },
    data: { "cni-config": JSON.stringify({ cniVersion: "0.3.1", name: "generic-veth", plugins: [{ type: "flannel" }, { type: "cilium-cni" }] }) },
};

describe("preflight: Cilium CNI chaining (issue 11 known failures 3 and 4)", function () {
    this.timeout(60000);

    it("fails the pre-fix chaining values on the rendered cilium-config: ipam kubernetes, cni-uninstall, network generic-veth vs cbr0", async () => {
        const findings = checkCniChaining(network, await renderCilium(beforeFix, [genericVethConfigMap]));
        assert.deepEqual(new Set(findings.map((f) => f.object)), new Set([CILIUM_CONFIG]));
        assert.ok(findings.every((f) => f.severity === "error" && f.check === "cni-chaining" && f.cluster === "chain"));
        const messages = findings.map((f) => f.message).join("\n");
        assert.match(messages, /ipam kubernetes gives cilium_host a router IP from the node podCIDR/);
        assert.match(messages, /cni-uninstall "true" removes 05-cilium\.conflist/);
        assert.match(messages, /ConfigMap\/kube-system\/cni-configuration\) is network "generic-veth" but the primary CNI's is "cbr0"/);
        assert.equal(findings.length, 3);
    });

    it("fails the chart's default pool (10.0.0.0/8) in chaining: it contains the pod and service CIDRs", async () => {
        const { ipam: _ipam, ...rest } = beforeFix;
        const findings = checkCniChaining(network, await renderCilium({ ...rest, cni: { chainingMode: "generic-veth", chainingTarget: "cbr0", exclusive: false } }));
        assert.deepEqual(findings.map((f) => f.message.split(":")[1].trim()), [
            "cluster-pool-ipv4-cidr 10.0.0.0/8 overlaps the cluster's podCidr 10.244.0.0/16",
            "cluster-pool-ipv4-cidr 10.0.0.0/8 overlaps the cluster's serviceCidr 10.96.0.0/12",
        ]);
    });

    it("fails flannel chaining on the agent's built-in conflist (network \"flannel\", not flannel's cbr0) and cni-exclusive", async () => {
        const values = { ...beforeFix, ipam: { mode: "cluster-pool", operator: { clusterPoolIPv4PodCIDRList: ["10.250.0.0/20"] } }, cni: { chainingMode: "flannel", uninstall: false } };
        const messages = checkCniChaining(network, await renderCilium(values)).map((f) => f.message);
        assert.equal(messages.length, 2, messages.join("\n"));
        assert.match(messages.join("\n"), /the agent's built-in conflist\) is network "flannel" but the primary CNI's is "cbr0"/);
        assert.match(messages.join("\n"), /cni-exclusive "true" renames the primary CNI's conflist/);
    });

    for (const mode of ["generic-veth", "flannel", "aws-cni"] as const) {
        it(`passes Kubeloom's ${mode} values: cluster-pool over the router CIDR, the primary's network, conflist kept`, async () => {
            const placed = await renderCilium(ciliumValues(chainedInput(mode)));
            assert.deepEqual(checkCniChaining({ ...network, primaryNetwork: mode === "aws-cni" ? "aws-cni" : "cbr0" }, placed), []);
            const data = placed.find((p) => p.object.metadata.name === "cilium-config")!.object.data as Record<string, string>;
            assert.equal(data.ipam, "cluster-pool");
            assert.equal(data["cluster-pool-ipv4-cidr"], "10.250.0.0/20");
            assert.equal(data["cni-uninstall"], undefined, "the chart renders cni-uninstall only when true");
        });
    }

    it("ignores Cilium as the only CNI and portmap chaining", async () => {
        const input = { ...chainedInput("generic-veth"), chaining: undefined, ipamMode: "kubernetes" as const, routingMode: "tunnel" as const };
        assert.deepEqual(checkCniChaining(network, await renderCilium(ciliumValues(input))), []);
        const portmap = { ...input, kubeProxyReplacement: { enabled: false as const }, chaining: { mode: "portmap" as const } };
        assert.deepEqual(checkCniChaining(network, await renderCilium(ciliumValues(portmap))), []);
    });
});
