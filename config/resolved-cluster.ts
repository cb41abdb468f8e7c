/**
 * The resolved per-cluster model: after parsing and the cross-field rules, each cluster is resolved once into a
 * readonly, tagged record that names what would otherwise be re-derived from optional keys — the source kind and
 * whether Kubeloom creates the cluster, the API endpoint, the address where its nodes answer, the K3s topology,
 * the load balancer and the addresses it must hand out, each vCluster's exposure, the Cilium input.
 *
 * The fact functions (`createsCluster`, `apiEndpoint`, `nodeAddress`, `resolvedLoadBalancer`) are total, so the
 * rules and the port registry read the same statements before the config is accepted; `resolveCluster` bundles
 * them for composition, which reads the model instead of the config's optional keys.
 */
import type { ClusterConfig, CiliumConfig, StackConfig, VClusterConfig, MetallbConfig, CiliumLoadBalancerConfig } from "./schema";
import { clusterSource, createdNodeCount, encryptionOf, gatewayApiOn, installsCilium, meshNativeRoutingCidr, k3sNodes, meshApiserver, meshMembers, vclusterExposure, type ClusterSource, type K3sNodes, type VClusterExposureConfig } from "./resolve";
import type { MeshApiserverPlacement } from "../components/mesh-plan";
import type { CiliumValuesInput } from "../components/cilium-values";
import { k3sAddresses } from "../components/k3s-topology";
import { KIND_API_SERVER_CONTAINER_PORT } from "../components/kind-config";
import type { HostApiServerPort } from "../components/tenant-fence";
import { gatewayApiReleaseFor, type GatewayApiRelease, type GatewaySpecInput } from "../components/gateway-api";
import { DEFAULT_IPSEC_KEY_ID } from "../components/ipsec-key";
import { assertNever } from "../lib/assert-never";
import { isLoopbackHost } from "../lib/cidr";

/** Whether Kubeloom creates (and destroys) the cluster: k3s and kind do; kubeconfig and stackReference exist already. */
export function createsCluster(source: ClusterSource | ClusterSource["type"]): boolean {
    const type = typeof source === "string" ? source : source.type;
    switch (type) {
        case "k3s":
        case "kind":
            return true;
        case "kubeconfig":
        case "stackReference":
            return false;
        default:
            return assertNever(type);
    }
}

/**
 * Where the cluster's API server answers, as far as the config says it. One rule for clusters Kubeloom does not
 * create: `cilium.k8sServiceHost` with `cilium.k8sServicePort`, both or neither (config/rules/source-rules.ts) — never
 * a guessed port.
 */
export type ApiEndpoint =
    /** K3s: registrationAddress, else the first server's host (127.0.0.1 for a lone local server), on apiPort (k3sAddresses). */
    | { readonly type: "k3s"; readonly host: string; readonly port: number }
    /** kind: the control-plane container's address, known once the container runs (the composition reads it). */
    | { readonly type: "kind" }
    /** An existing cluster's `cilium.k8sServiceHost` and `cilium.k8sServicePort`. */
    | { readonly type: "configured"; readonly host: string; readonly port: number }
    /** An existing cluster whose config names no API address. */
    | { readonly type: "unknown" };

/** The API endpoint of a cluster (see ApiEndpoint). */
export function apiEndpoint(cluster: ClusterConfig): ApiEndpoint {
    const source = clusterSource(cluster);
    switch (source.type) {
        case "k3s":
            return { type: "k3s", host: k3sAddresses(k3sNodes(source.k3s, "").servers, source.k3s.registrationAddress).apiHost, port: source.k3s.apiPort };
        case "kind":
            return { type: "kind" };
        case "kubeconfig":
        case "stackReference": {
            const { k8sServiceHost: host, k8sServicePort: port } = cluster.cilium;
            // The rules refuse a host without its port; a port alone names no endpoint.
            return host !== undefined && port !== undefined ? { type: "configured", host, port } : { type: "unknown" };
        }
        default:
            return assertNever(source);
    }
}

/**
 * The port the cluster's API server itself listens on, behind the `kubernetes` Service (what a host NetworkPolicy
 * matches, see components/tenant-fence.ts hostApiServerPorts): K3s's apiPort, kind's in-container port (pods reach
 * the control-plane container, not the host port mapped to it), an existing cluster's `cilium.k8sServicePort`; else
 * "unknown".
 */
export function apiServerPort(endpoint: ApiEndpoint): HostApiServerPort {
    switch (endpoint.type) {
        case "k3s":
        case "configured":
            return endpoint.port;
        case "kind":
            return KIND_API_SERVER_CONTAINER_PORT;
        case "unknown":
            return "unknown";
        default:
            return assertNever(endpoint);
    }
}

/**
 * Which address reaches the cluster's nodes, where NodePorts answer (NodePort vClusters, Hubble UI, a NodePort
 * clustermesh-apiserver) — derived here only.
 */
export type NodeAddress =
    /** An address every client can dial. */
    | { readonly type: "address"; readonly address: string }
    /** A lone K3s server on "localhost" without registrationAddress: 127.0.0.1, reachable from this machine only. */
    | { readonly type: "thisMachine" }
    /** kind: the control-plane container's address, known once it runs. */
    | { readonly type: "kind" }
    /** An existing cluster with neither `nodeAddress` nor `cilium.k8sServiceHost`. */
    | { readonly type: "unknown" };

/**
 * The node address of a cluster: a K3s cluster's first server (for a local server, its registrationAddress — a
 * registration address may otherwise be a load balancer for the API port only; k3sAddresses); an existing cluster's
 * `source.<kind>.nodeAddress`, else its `cilium.k8sServiceHost`.
 */
export function nodeAddress(cluster: ClusterConfig): NodeAddress {
    const source = clusterSource(cluster);
    switch (source.type) {
        case "k3s": {
            // The statement K3sHost answers with too (components/k3s-topology.ts).
            const addresses = k3sAddresses(k3sNodes(source.k3s, "").servers, source.k3s.registrationAddress);
            return addresses.thisMachineOnly ? { type: "thisMachine" } : { type: "address", address: addresses.nodeAddress };
        }
        case "kind":
            return { type: "kind" };
        case "kubeconfig":
        case "stackReference": {
            const address = (source.type === "kubeconfig" ? source.kubeconfig.nodeAddress : source.stackReference.nodeAddress) ?? cluster.cilium.k8sServiceHost;
            return address !== undefined ? { type: "address", address } : { type: "unknown" };
        }
        default:
            return assertNever(source);
    }
}

/** The cluster's load balancer with its pool and the key of the pool, or none. The rules refuse both on one cluster. */
export type ResolvedLoadBalancer =
    | { readonly type: "none" }
    | { readonly type: "metallb"; readonly metallb: MetallbConfig; readonly addresses: readonly string[]; readonly key: "loadBalancer.metallb.addresses" }
    | { readonly type: "cilium"; readonly cilium: CiliumLoadBalancerConfig; readonly addresses: readonly string[]; readonly key: "loadBalancer.cilium.addresses" };

/** The load balancer the cluster's config declares (LB-IPAM wins when both are set; the rules refuse that). */
export function resolvedLoadBalancer(cluster: ClusterConfig): ResolvedLoadBalancer {
    const { metallb, cilium } = cluster.loadBalancer ?? {};
    if (cilium) return { type: "cilium", cilium, addresses: cilium.addresses, key: "loadBalancer.cilium.addresses" };
    if (metallb) return { type: "metallb", metallb, addresses: metallb.addresses, key: "loadBalancer.metallb.addresses" };
    return { type: "none" };
}

/**
 * The Cilium chart input the config decides. Two parts are completed by composition from the cluster's access: the
 * API server kube-proxy replacement dials (`cilium.k8sServiceHost`/`k8sServicePort` when given, else the address of
 * the cluster Kubeloom created) and the operator replicas' default (from the nodes Kubeloom knows).
 */
export interface CiliumInput extends Omit<CiliumValuesInput, "kubeProxyReplacement" | "operatorReplicas"> {
    /** Kube-proxy replacement with the configured API server address, when the config gives one. */
    readonly kubeProxyReplacement: { readonly enabled: false } | { readonly enabled: true; readonly apiServerHost?: string; readonly apiServerPort?: number };
    /** @default - from the node count (composition, defaultOperatorReplicas): 1 on one node, else the chart's CHART_OPERATOR_REPLICAS */
    readonly operatorReplicas?: number;
}

/** The Cilium input of a cluster (see CiliumInput). */
export function ciliumInput(cluster: ClusterConfig): CiliumInput {
    const cilium = cluster.cilium;
    const chaining = cilium.chaining;
    return {
        clusterName: cluster.name,
        clusterId: cluster.id,
        podCidr: cluster.podCidr,
        kubeProxyReplacement: cilium.kubeProxyReplacement
            ? { enabled: true, ...(cilium.k8sServiceHost !== undefined ? { apiServerHost: cilium.k8sServiceHost } : {}), ...(cilium.k8sServicePort !== undefined ? { apiServerPort: cilium.k8sServicePort } : {}) }
            : { enabled: false },
        routingMode: cilium.routingMode,
        ipamMode: cilium.ipamMode,
        // The chart's Hubble input: relay, UI and its NodePort, and the metrics with their ServiceMonitor when on.
        hubble: {
            relay: cilium.hubble.relay,
            ui: cilium.hubble.ui,
            ...(cilium.hubble.uiNodePort !== undefined ? { uiNodePort: cilium.hubble.uiNodePort } : {}),
            ...(cilium.hubble.metrics ? { metrics: { enabled: cilium.hubble.metrics, serviceMonitor: cilium.hubble.serviceMonitor } } : {}),
        },
        nodeSelector: cilium.nodeSelector,
        tolerations: cilium.tolerations,
        ...(cilium.operatorReplicas !== undefined ? { operatorReplicas: cilium.operatorReplicas } : {}),
        chaining: chaining ? { mode: chaining.mode, target: chaining.target, routerCidr: chaining.routerCidr } : undefined,
        ...(encryptionOf(cluster) ? { encryption: encryptionOf(cluster) } : {}),
        ...(cilium.tunnelProtocol !== undefined ? { tunnelProtocol: cilium.tunnelProtocol } : {}),
        ...(cilium.devices !== undefined ? { devices: cilium.devices } : {}),
        ...(gatewayApiOn(cluster) ? { gatewayAPI: { enabled: true as const } } : {}),
    };
}

/** What a cluster adds around its Cilium release: the IPsec key's id and whether the mesh shares it, the Gateway API. */
export interface CiliumExtras {
    /** IPsec: the key id; `shared` when every IPsec mesh member uses the one mesh key. */
    readonly ipsec?: { readonly keyId: number; readonly shared: boolean };
    /** Gateway API: the CRD release for this Cilium, and the optional Gateway. */
    readonly gatewayApi?: { readonly release: GatewayApiRelease; readonly gateway?: GatewaySpecInput };
}

/** The extras of a cluster (see CiliumExtras); the rules have refused Gateway API where no CRD release is locked. */
export function ciliumExtras(config: StackConfig, cluster: ClusterConfig): CiliumExtras {
    const encryption = cluster.cilium.encryption;
    const ipsec = installsCilium(cluster) && encryption?.type === "ipsec" ? { keyId: encryption.keyId ?? DEFAULT_IPSEC_KEY_ID, shared: meshMembers(config).includes(cluster) } : undefined;
    const release = installsCilium(cluster) && gatewayApiOn(cluster) ? gatewayApiReleaseFor(cluster.cilium.version) : undefined;
    const gateway = cluster.cilium.gatewayAPI?.gateway;
    const lb = resolvedLoadBalancer(cluster);
    return {
        ...(ipsec ? { ipsec } : {}),
        ...(release
            ? { gatewayApi: { release, ...(gateway && lb.type !== "none" ? { gateway: { name: gateway.name, namespace: gateway.namespace, address: gateway.address, loadBalancer: lb.type } } : {}) } }
            : {}),
    };
}

/** One vCluster with its effective exposure (a NodePort's default port resolved). */
export interface ResolvedVCluster {
    readonly config: VClusterConfig;
    readonly exposure: VClusterExposureConfig;
}

/** One cluster, resolved once after the rules accepted the config; everything composition needs to know about it. */
export interface ResolvedCluster {
    readonly config: ClusterConfig;
    /** Index in `clusters`, and its key path `clusters[i]` for messages. */
    readonly index: number;
    readonly at: string;
    readonly source: ClusterSource;
    /** True for k3s and kind sources (see createsCluster). */
    readonly createdByKubeloom: boolean;
    readonly apiEndpoint: ApiEndpoint;
    readonly nodeAddress: NodeAddress;
    /** A K3s source's servers and agents; undefined for other sources. */
    readonly k3sTopology?: K3sNodes;
    /** A kind source's worker nodes (besides its control plane); undefined for other sources. */
    readonly kindWorkers?: number;
    /** Nodes Kubeloom creates (servers + agents, or kind's control plane + workers); undefined when it creates none. */
    readonly createdNodeCount?: number;
    /** Cilium's settings, the chart input they decide, and whether this stack installs Cilium at all. */
    readonly cilium: CiliumConfig;
    readonly ciliumInput: CiliumInput;
    /** The IPsec key and Gateway API pieces around the Cilium release. */
    readonly ciliumExtras: CiliumExtras;
    readonly installsCilium: boolean;
    readonly loadBalancer: ResolvedLoadBalancer;
    /** Where the clustermesh-apiserver answers, for a mesh member (index in the mesh's members); else undefined. */
    readonly meshApiserver?: MeshApiserverPlacement<string | undefined>;
    readonly vclusters: readonly ResolvedVCluster[];
    /**
     * The LoadBalancer addresses the cluster's load balancer must hand out as requested: the clustermesh-apiserver's
     * (a LoadBalancer mesh member), each LoadBalancer vCluster's and the Gateway's (cilium.gatewayAPI.gateway).
     */
    readonly claimedAddresses: readonly string[];
}

/** Resolves the cluster at `index` of a config the rules accepted. */
export function resolveCluster(config: StackConfig, index: number): ResolvedCluster {
    const cluster = config.clusters[index];
    const source = clusterSource(cluster);
    const memberIndex = meshMembers(config).indexOf(cluster);
    const apiserver = memberIndex >= 0 ? meshApiserver(config, cluster, memberIndex) : undefined;
    const vclusters = cluster.vclusters.map((vc, j) => ({ config: vc, exposure: vclusterExposure(cluster, j) }));
    // In a native-routed mesh every member's native-routing CIDR covers all members' pod CIDRs (meshNativeRoutingCidr).
    const nativeRoutingCidr = meshNativeRoutingCidr(config, cluster);
    const extras = ciliumExtras(config, cluster);
    const claimedAddresses = [
        ...(apiserver?.type === "LoadBalancer" ? [apiserver.address] : []),
        ...vclusters.flatMap((vc) => (vc.exposure.type === "LoadBalancer" ? [vc.exposure.address] : [])),
        ...(extras.gatewayApi?.gateway ? [extras.gatewayApi.gateway.address] : []),
    ];
    return {
        config: cluster,
        index,
        at: `clusters[${index}]`,
        source,
        createdByKubeloom: createsCluster(source),
        apiEndpoint: apiEndpoint(cluster),
        nodeAddress: nodeAddress(cluster),
        ...(source.type === "k3s" ? { k3sTopology: k3sNodes(source.k3s, `clusters[${index}].source.k3s`) } : {}),
        ...(source.type === "kind" ? { kindWorkers: source.kind.workers } : {}),
        ...(createdNodeCount(cluster) !== undefined ? { createdNodeCount: createdNodeCount(cluster) } : {}),
        cilium: cluster.cilium,
        ciliumInput: nativeRoutingCidr === undefined ? ciliumInput(cluster) : { ...ciliumInput(cluster), nativeRoutingCidr },
        ciliumExtras: extras,
        installsCilium: installsCilium(cluster),
        loadBalancer: resolvedLoadBalancer(cluster),
        ...(apiserver ? { meshApiserver: apiserver } : {}),
        vclusters,
        claimedAddresses,
    };
}

/** Every cluster of an accepted config, resolved, in config order. */
export function resolveClusters(config: StackConfig): ResolvedCluster[] {
    return config.clusters.map((_, index) => resolveCluster(config, index));
}
