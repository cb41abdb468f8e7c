/**
 * Pure builder for the Cilium 1.16 Helm values. Every key is checked against the chart's values.schema.json at
 * 1.16.19 (../shared/schemas) and ../shared/reference/chart-facts.md §1; the tests walk the output against the
 * schema so a misspelled key fails there instead of being silently ignored by Helm.
 */
import { sortKeysDeep } from "./values-util";

/** What the Cilium values depend on: the cluster's identity and network plus the stack's Cilium settings. */
export interface CiliumValuesInput {
    /** Cilium `cluster.name`: ≤32 chars, DNS-1123, never "default" with a non-zero id. */
    readonly clusterName: string;
    /** Cilium `cluster.id`: unique per mesh, 1–255 (511 with maxConnectedClusters 511). */
    readonly clusterId: number;
    /** The cluster's pod CIDR (K3s `--cluster-cidr`). */
    readonly podCidr: string;
    /** Replace kube-proxy with Cilium's eBPF service handling. */
    readonly kubeProxyReplacement: boolean;
    /** API server host the agent dials directly; required when kubeProxyReplacement is true. */
    readonly k8sServiceHost?: string;
    /** API server port; required when kubeProxyReplacement is true. */
    readonly k8sServicePort?: number;
    /** Encapsulate pod traffic between nodes (tunnel) or route it natively (nodes share an L2 segment). */
    readonly routingMode: "tunnel" | "native";
    /** `kubernetes`: use the node podCIDRs K3s allocates; `cluster-pool`: Cilium's operator allocates from podCidr. */
    readonly ipamMode: "kubernetes" | "cluster-pool";
    /** Hubble Relay and UI; uiNodePort exposes the UI on that NodePort. */
    readonly hubble: { readonly relay: boolean; readonly ui: boolean; readonly uiNodePort?: number };
    /** Extra node labels the agent (and operator, envoy) must match; empty: every Linux node. */
    readonly nodeSelector: Readonly<Record<string, string>>;
    /** Tolerations for the agent, operator and envoy; empty keeps the chart's tolerate-everything default. */
    readonly tolerations: ReadonlyArray<Record<string, unknown>>;
    /** cilium-operator replicas; see defaultOperatorReplicas. */
    readonly operatorReplicas: number;
}

/**
 * Operator replicas for a cluster of `nodeCount` nodes: 1 on a single node, else 2 (the chart default). The
 * chart's default operator affinity is a *required* anti-affinity on kubernetes.io/hostname, so a second replica
 * on a one-node cluster stays Pending forever and a waiting Helm release times out.
 */
export function defaultOperatorReplicas(nodeCount: number): number {
    return nodeCount <= 1 ? 1 : 2;
}

/** The Helm values for the cilium chart (1.16.x), keys sorted. Throws when KPR is on without an API host/port. */
export function ciliumValues(input: CiliumValuesInput): Record<string, unknown> {
    const values: Record<string, unknown> = {
        // 1.16 renders only "true"/"false" here (toString of a boolean works); "strict"/"partial" fail the template.
        // The key is absent from values.yaml and the schema, so nothing but this builder's tests guards it.
        kubeProxyReplacement: input.kubeProxyReplacement,
        cluster: { name: input.clusterName, id: input.clusterId },
        operator: operatorValues(input),
        hubble: hubbleValues(input.hubble),
        routingMode: input.routingMode,
        ipam: ipamValues(input),
    };

    if (input.kubeProxyReplacement) {
        const missing = [
            input.k8sServiceHost ? undefined : "k8sServiceHost",
            input.k8sServicePort === undefined ? "k8sServicePort" : undefined,
        ].filter((key): key is string => key !== undefined);
        if (missing.length > 0) {
            throw new Error(
                `Cilium kubeProxyReplacement: true needs ${missing.join(" and ")}: without kube-proxy the agent cannot reach the ` +
                    `API server through the kubernetes Service, so it must dial the API server address directly ` +
                    `(for K3s: the server node IP and 6443). Set them, or set kubeProxyReplacement: false.`,
            );
        }
        values.k8sServiceHost = input.k8sServiceHost;
        values.k8sServicePort = input.k8sServicePort;
    }

    if (input.routingMode === "native") {
        // Without a tunnel, traffic to pod IPs must not be masqueraded and each node needs routes to the
        // other nodes' pod CIDRs; autoDirectNodeRoutes installs them, which requires the nodes to share L2.
        values.ipv4NativeRoutingCIDR = input.podCidr;
        values.autoDirectNodeRoutes = true;
    }

    const scheduling = schedulingValues(input);
    Object.assign(values, scheduling);
    if (Object.keys(scheduling).length > 0) {
        // cilium-envoy is a separate DaemonSet by default in 1.16 and must run beside an agent (its default affinity
        // requires a k8s-app pod on the node): on a node the agent's selector excludes, it would stay Pending and
        // the awaited release would never become ready.
        values.envoy = schedulingValues(input);
    }
    return sortKeysDeep(values);
}

function ipamValues(input: CiliumValuesInput): Record<string, unknown> {
    if (input.ipamMode === "cluster-pool") {
        // The chart default pool is 10.0.0.0/8; in cluster-pool mode Cilium ignores K3s' --cluster-cidr, so the
        // pool must be the cluster's pod CIDR to keep clusters in a mesh from overlapping.
        return { mode: "cluster-pool", operator: { clusterPoolIPv4PodCIDRList: [input.podCidr] } };
    }
    return { mode: "kubernetes" };
}

function hubbleValues(hubble: CiliumValuesInput["hubble"]): Record<string, unknown> {
    const ui: Record<string, unknown> = { enabled: hubble.ui };
    if (hubble.ui && hubble.uiNodePort !== undefined) {
        ui.service = { type: "NodePort", nodePort: hubble.uiNodePort };
    }
    return {
        // Agent-side Hubble is cheap and both Relay and the UI read from it.
        enabled: true,
        relay: { enabled: hubble.relay },
        ui,
    };
}

function operatorValues(input: CiliumValuesInput): Record<string, unknown> {
    // The operator runs on the host network and needs no CNI, but in a chained or partial install it should still
    // stay on the nodes (and tolerate the taints) chosen for Cilium.
    return { replicas: input.operatorReplicas, ...schedulingValues(input) };
}

/** nodeSelector/tolerations for one Cilium workload; empty settings are left out to keep the chart defaults. */
function schedulingValues(input: CiliumValuesInput): Record<string, unknown> {
    const scheduling: Record<string, unknown> = {};
    if (Object.keys(input.nodeSelector).length > 0) {
        // Helm merges maps with the chart default, so kubernetes.io/os: linux stays in force.
        scheduling.nodeSelector = { ...input.nodeSelector };
    }
    if (input.tolerations.length > 0) {
        // A list replaces the chart default `- operator: Exists` entirely. Never emit an empty list: the agent must
        // tolerate the not-ready and agent-not-ready taints that exist precisely because no CNI runs yet.
        scheduling.tolerations = input.tolerations.map((toleration) => ({ ...toleration }));
    }
    return scheduling;
}
