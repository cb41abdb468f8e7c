/**
 * The tenant fence's control-plane egress towards the host API server: it opens the port the API server listens on
 * (what Cilium matches after Service translation), from the resolved cluster through the composition into the fence.
 */
import { strict as assert } from "node:assert";
import { CHART_HOST_API_PORTS, HostApiServerPort, hostApiServerPorts, tenantFencePolicies } from "../../components/tenant-fence";
import type { KubeManifest } from "../../components/tenant-policy";
import { parseStackConfig } from "../../config/parse";
import { apiEndpoint, apiServerPort } from "../../config/resolved-cluster";
import { chainConfig, devConfig, ofType, planConfig } from "../support/helpers";
import type { OfflinePlan } from "../../scripts/plan/offline-plan";

interface PortRule {
    readonly port: number;
    readonly protocol: string;
}
interface EgressRule {
    readonly to?: unknown[];
    readonly ports?: PortRule[];
}

/** The ports of the control-plane policy's rule to the host API server (its only egress rule with ports and no peer). */
function apiRulePorts(policies: readonly KubeManifest[]): number[] {
    const controlPlane = policies.find((p) => p.metadata.name === "kubeloom-control-plane");
    assert.ok(controlPlane, "no kubeloom-control-plane policy");
    const egress = (controlPlane as unknown as { spec: { egress: EgressRule[] } }).spec.egress;
    const rules = egress.filter((rule) => rule.to === undefined && rule.ports !== undefined);
    assert.equal(rules.length, 1, JSON.stringify(egress));
    assert.ok(rules[0].ports!.every((p) => p.protocol === "TCP"));
    return rules[0].ports!.map((p) => p.port);
}

const fence = (port: HostApiServerPort) => tenantFencePolicies("0.36", "vc-a", "vcluster-vc-a", [], port);

describe("tenant fence: the control plane's egress to the host API server", () => {
    it("opens a K3s apiPort other than 6443 (7443), and not the default it replaces", () => {
        assert.deepEqual(apiRulePorts(fence(7443)), [443, 8443, 7443]);
    });

    it("opens an existing cluster's 443 (EKS) without the guessed 6443", () => {
        assert.deepEqual(apiRulePorts(fence(443)), [443, 8443]);
    });

    it("keeps the chart's ports for K3s's default 6443 (the shipped stacks' fence is unchanged)", () => {
        assert.deepEqual(apiRulePorts(fence(6443)), [443, 8443, 6443]);
    });

    it("falls back to the chart's ports when the cluster's API port is unknown", () => {
        assert.deepEqual(apiRulePorts(fence("unknown")), [...CHART_HOST_API_PORTS]);
        assert.deepEqual(hostApiServerPorts("unknown"), [443, 8443, 6443]);
    });

    it("writes no fence on 0.20, whose chart writes its own", () => {
        assert.deepEqual(tenantFencePolicies("0.20", "vc-a", "vcluster-vc-a", [], 7443), []);
    });
});

describe("tenant fence: the host API server's port from the resolved cluster", () => {
    it("K3s: source.k3s.apiPort", () => {
        const raw = devConfig();
        raw.clusters[0].source.k3s.apiPort = 7443;
        assert.equal(apiServerPort(apiEndpoint(parseStackConfig(raw).clusters[0])), 7443);
        assert.equal(apiServerPort(apiEndpoint(parseStackConfig(devConfig()).clusters[0])), 6443);
    });

    it("an existing cluster: cilium.k8sServicePort; without k8sServiceHost and k8sServicePort, unknown", () => {
        const raw = chainConfig();
        raw.clusters[0].cilium.k8sServicePort = 443;
        assert.equal(apiServerPort(apiEndpoint(parseStackConfig(raw).clusters[0])), 443);
        const bare = chainConfig();
        bare.clusters[0].cilium = { kubeProxyReplacement: false };
        assert.equal(apiServerPort(apiEndpoint(parseStackConfig(bare).clusters[0])), "unknown");
    });

    it("kind: the API server's port inside the control-plane container, whatever host port maps to it", () => {
        assert.equal(apiServerPort({ type: "kind" }), 6443);
    });
});

describe("tenant fence: planned, the VCluster's fence opens the cluster's API port", function () {
    this.timeout(60000);

    const plannedApiPorts = (plan: OfflinePlan, tenant: string): number[] =>
        apiRulePorts(
            ofType(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
                .map((r) => r.inputs as unknown as KubeManifest)
                .filter((p) => p.metadata.namespace === `vcluster-${tenant}`),
        );

    it("K3s with apiPort 7443", async () => {
        const raw = devConfig();
        raw.clusters[0].source.k3s.apiPort = 7443;
        const plan = await planConfig(raw);
        assert.deepEqual(plannedApiPorts(plan, "vc-a"), [443, 8443, 7443]);
        assert.deepEqual(plannedApiPorts(plan, "vc-b"), [443, 8443, 7443]);
    });

    it("an existing cluster whose API answers on 443", async () => {
        const raw = chainConfig();
        raw.clusters[0].cilium.k8sServicePort = 443;
        raw.clusters[0].vclusters = [{ name: "vc-a", version: "0.36.1", expose: "ClusterIP" }];
        const plan = await planConfig(raw, { stack: "chain" });
        assert.deepEqual(plannedApiPorts(plan, "vc-a"), [443, 8443]);
    });
});
