/**
 * Effective values derived from a valid config, resolved once so composition reads them instead of re-deriving
 * them: which alternative a cluster's source is, how a vCluster is exposed (its NodePort default included),
 * whether Cilium is installed, who is in the mesh. Runs only on config the rules accepted.
 */
import type { VClusterExposure } from "../components/vcluster-values";
import type { TenantNetworkPolicy, TenantPeer, TenantRule } from "../components/tenant-policy";
import { CLUSTERMESH_NODEPORT_BASE, VCLUSTER_NODEPORT_BASE } from "../components/versions";
import { firstPoolAddress, type MeshApiserverPlacement } from "../components/mesh-plan";
import { kindNodeKubernetes, minorOf } from "../components/support-matrix";
import { assertNever } from "../lib/assert-never";
import { coveringCidr, type EncryptionInput } from "../components/cilium-features";
import { DEFAULT_LOAD_BALANCER_PROVIDER, LoadBalancerProvider } from "../components/load-balancer";
import { DEFAULT_MESH_SERVICE_TYPE } from "../components/defaults";
import type { CiliumLoadBalancerConfig, MetallbConfig, ClusterConfig, TenantNetworkPolicyConfig, VClusterConfig, K3sSourceConfig, KindSourceConfig, KubeconfigSourceConfig, StackConfig, StackReferenceSourceConfig } from "./schema";

/** A cluster's source as one tagged alternative (the YAML keeps `source: { k3s: {...} }`). */
export type ClusterSource =
    | { readonly type: "k3s"; readonly k3s: K3sSourceConfig }
    | { readonly type: "kind"; readonly kind: KindSourceConfig }
    | { readonly type: "kubeconfig"; readonly kubeconfig: KubeconfigSourceConfig }
    | { readonly type: "stackReference"; readonly stackReference: StackReferenceSourceConfig };

/** One K3s node with its SSH target resolved, and the key path of its host for messages. */
export interface K3sNode {
    readonly host: string;
    /** SSH user; undefined only for a "localhost" server. */
    readonly user: string | undefined;
    readonly port: number;
    /** Key path of this node's host, e.g. `clusters[0].source.k3s.servers[1].host`. */
    readonly path: string;
}

/** A node's K3s settings as the install scripts take them (components/k3s-install-script.ts K3sNodeSettings). */
export interface ResolvedNodeSettings {
    readonly labels?: Readonly<Record<string, string>>;
    readonly taints?: ReadonlyArray<{ readonly key: string; readonly value?: string; readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }>;
    readonly nodeIp?: string;
    readonly externalIp?: string;
    readonly extraArgs?: readonly string[];
}

/**
 * Each node's settings: the source's labels, taints and extraArgs for every node, then the node's own (its labels
 * win, its taints and flags come after); node addresses are the node's own, or the source's for the `host`
 * shorthand. Servers then agents, in the order of k3sNodes. Undefined for a node without any setting, so its
 * scripts stay byte-identical.
 */
export function k3sNodeSettings(k3s: K3sSourceConfig): { servers: Array<ResolvedNodeSettings | undefined>; agents: Array<ResolvedNodeSettings | undefined> } {
    type Own = { labels?: Record<string, string>; taints?: ResolvedNodeSettings["taints"]; extraArgs?: readonly string[]; nodeIp?: string; externalIp?: string };
    const merge = (own: Own): ResolvedNodeSettings | undefined => {
        const labels = { ...(k3s.labels ?? {}), ...(own.labels ?? {}) };
        const taints = [...(k3s.taints ?? []), ...(own.taints ?? [])];
        const extraArgs = [...(k3s.extraArgs ?? []), ...(own.extraArgs ?? [])];
        const settings: ResolvedNodeSettings = {
            ...(Object.keys(labels).length > 0 ? { labels } : {}),
            ...(taints.length > 0 ? { taints } : {}),
            ...(own.nodeIp !== undefined ? { nodeIp: own.nodeIp } : {}),
            ...(own.externalIp !== undefined ? { externalIp: own.externalIp } : {}),
            ...(extraArgs.length > 0 ? { extraArgs } : {}),
        };
        return Object.keys(settings).length > 0 ? settings : undefined;
    };
    const servers = k3s.servers ? k3s.servers.map(merge) : [merge({ nodeIp: k3s.nodeIp, externalIp: k3s.externalIp })];
    return { servers, agents: k3s.agents.map(merge) };
}

/** A K3s source's nodes in one form, whether it was written with the `host` shorthand or with `servers`. */
export interface K3sNodes {
    /** The servers in config order; the first initialises embedded etcd when there are several. */
    readonly servers: readonly K3sNode[];
    readonly agents: readonly K3sNode[];
}

/** The servers and agents of a K3s source (`host` = one server); `at` is the source's key path. */
export function k3sNodes(k3s: K3sSourceConfig, at: string): K3sNodes {
    const servers: K3sNode[] = k3s.servers
        ? k3s.servers.map((s, i) => ({ host: s.host, user: s.user ?? k3s.user, port: s.port, path: `${at}.servers[${i}].host` }))
        : k3s.host !== undefined
          ? [{ host: k3s.host, user: k3s.user, port: k3s.port, path: `${at}.host` }]
          : [];
    const agents = k3s.agents.map((a, i) => ({ host: a.host, user: a.user ?? k3s.user, port: a.port, path: `${at}.agents[${i}].host` }));
    return { servers, agents };
}

/** The one source of a cluster. The schema guarantees exactly one is set. */
export function clusterSource(cluster: ClusterConfig): ClusterSource {
    const { k3s, kind, kubeconfig, stackReference } = cluster.source;
    if (k3s) return { type: "k3s", k3s };
    if (kind) return { type: "kind", kind };
    if (kubeconfig) return { type: "kubeconfig", kubeconfig };
    if (stackReference) return { type: "stackReference", stackReference };
    throw new Error(`cluster ${cluster.name}: no source; the schema admits exactly one (internal error)`);
}

/** How a vCluster is exposed, without the node address (composition knows it, from the cluster's access). */
export type VClusterExposureConfig = { readonly type: "ClusterIP" } | { readonly type: "NodePort"; readonly nodePort: number } | Extract<VClusterExposure, { type: "LoadBalancer" }>;

/** The effective exposure of the vCluster at `index`: a NodePort's default port resolved, a LoadBalancer's address. */
export function vclusterExposure(cluster: ClusterConfig, index: number): VClusterExposureConfig {
    const vc = cluster.vclusters[index];
    switch (vc.expose) {
        case "ClusterIP":
            return { type: "ClusterIP" };
        case "NodePort":
            return { type: "NodePort", nodePort: vclusterNodePort(cluster, index) };
        case "LoadBalancer":
            if (vc.loadBalancerIP === undefined) throw new Error(`vCluster ${vc.name}: LoadBalancer without loadBalancerIP passed the rules (internal error)`);
            return { type: "LoadBalancer", address: vc.loadBalancerIP, provider: loadBalancerProvider(cluster) };
    }
}

/** Whether this stack installs Cilium on the cluster: `cilium.install`, else all but `stackReference` clusters. */
export function installsCilium(cluster: ClusterConfig): boolean {
    return cluster.cilium.install ?? clusterSource(cluster).type !== "stackReference";
}

/** The clusters taking part in Cluster Mesh, in config order (empty when mesh is off). */
export function meshMembers(config: StackConfig): ClusterConfig[] {
    if (!config.mesh || !config.mesh.enabled) return [];
    const names = config.mesh.clusters;
    return names === undefined ? [...config.clusters] : config.clusters.filter((c) => names.includes(c.name));
}

/** The NodePort a vCluster exposed as NodePort listens on: explicit, else VCLUSTER_NODEPORT_BASE + its index in the cluster. */
export function vclusterNodePort(cluster: ClusterConfig, index: number): number {
    return cluster.vclusters[index].nodePort ?? VCLUSTER_NODEPORT_BASE + index;
}

/**
 * Where the clustermesh-apiserver of the mesh member at `memberIndex` answers, every default resolved here once: a
 * LoadBalancer address is `clustermesh.apiserverIP`, else the first address of the cluster's MetalLB pool; a NodePort
 * is `clustermesh.nodePort`, else CLUSTERMESH_NODEPORT_BASE + the member index, on `clustermesh.nodeAddress` — or, left undefined here,
 * the address composition knows from the cluster's access (a kind container's, a K3s host). Runs only on config the
 * rules accepted (a LoadBalancer mesh member has a MetalLB pool).
 */
export function meshApiserver(config: StackConfig, cluster: ClusterConfig, memberIndex: number): MeshApiserverPlacement<string | undefined> {
    const serviceType = config.mesh?.serviceType ?? DEFAULT_MESH_SERVICE_TYPE;
    switch (serviceType) {
        case "LoadBalancer": {
            const pool = loadBalancerAddresses(cluster);
            const address = cluster.clustermesh?.apiserverIP ?? (pool && pool.length > 0 ? firstPoolAddress(pool) : undefined);
            if (address === undefined) throw new Error(`mesh member ${cluster.name}: LoadBalancer without a pool passed the rules (internal error)`);
            return { type: "LoadBalancer", address, provider: loadBalancerProvider(cluster) };
        }
        case "NodePort":
            return { type: "NodePort", nodeAddress: cluster.clustermesh?.nodeAddress, nodePort: clustermeshNodePort(cluster, memberIndex) };
        case "ClusterIP": {
            const address = cluster.clustermesh?.apiserverIP;
            if (address === undefined) throw new Error(`mesh member ${cluster.name}: ClusterIP without clustermesh.apiserverIP passed the rules (internal error)`);
            return { type: "ClusterIP", address };
        }
        default:
            return assertNever(serviceType);
    }
}

/** The NodePort of the clustermesh-apiserver of the mesh member at `memberIndex` (see components/mesh-plan.ts). */
export function clustermeshNodePort(cluster: ClusterConfig, memberIndex: number): number {
    return cluster.clustermesh?.nodePort ?? CLUSTERMESH_NODEPORT_BASE + memberIndex;
}

type IngressRuleConfig = TenantNetworkPolicyConfig["ingress"][number];
type EgressRuleConfig = TenantNetworkPolicyConfig["egress"][number];

/** The peer of a parsed ingress rule as one tagged alternative; the schema guarantees exactly one peer key. */
function ingressPeer(rule: IngressRuleConfig): TenantPeer {
    if (rule.fromPods !== undefined) return { type: "pods", pods: { labels: rule.fromPods, ...(rule.fromNamespace !== undefined ? { namespace: rule.fromNamespace } : {}) } };
    if (rule.fromEntities !== undefined) return { type: "entities", entities: rule.fromEntities };
    throw new Error("a tenant ingress rule without a peer passed the schema (internal error)");
}

/** The peer of a parsed egress rule. */
function egressPeer(rule: EgressRuleConfig): TenantPeer {
    if (rule.toPods !== undefined) return { type: "pods", pods: { labels: rule.toPods, ...(rule.toNamespace !== undefined ? { namespace: rule.toNamespace } : {}) } };
    if (rule.toEntities !== undefined) return { type: "entities", entities: rule.toEntities };
    if (rule.toFQDNs !== undefined) return { type: "fqdns", fqdns: rule.toFQDNs };
    throw new Error("a tenant egress rule without a peer passed the schema (internal error)");
}

function tenantRule(peer: TenantPeer, rule: IngressRuleConfig | EgressRuleConfig): TenantRule {
    return { peer, ports: rule.ports, ...(rule.http !== undefined ? { http: rule.http } : {}) };
}

/** A vCluster's `networkPolicies` as the tagged policies the component renders. */
export function tenantNetworkPolicies(vc: VClusterConfig): TenantNetworkPolicy[] {
    return vc.networkPolicies.map((policy) => ({
        name: policy.name,
        pods: { labels: policy.podSelector, ...(policy.namespace !== undefined ? { namespace: policy.namespace } : {}) },
        ingress: policy.ingress.map((rule) => tenantRule(ingressPeer(rule), rule)),
        egress: policy.egress.map((rule) => tenantRule(egressPeer(rule), rule)),
    }));
}

/** A cluster's load balancer as one tagged alternative; the rules refuse both on one cluster. */
export type ClusterLoadBalancer =
    | { readonly type: "metallb"; readonly metallb: MetallbConfig }
    | { readonly type: "cilium"; readonly cilium: CiliumLoadBalancerConfig };

/** The load balancer the cluster's config declares, or undefined (none, or one the cluster brings itself). */
export function clusterLoadBalancer(cluster: ClusterConfig): ClusterLoadBalancer | undefined {
    const { metallb, cilium } = cluster.loadBalancer ?? {};
    if (cilium) return { type: "cilium", cilium };
    if (metallb) return { type: "metallb", metallb };
    return undefined;
}

/** The pool addresses of the cluster's load balancer (either kind), or undefined without one. */
export function loadBalancerAddresses(cluster: ClusterConfig): readonly string[] | undefined {
    const lb = clusterLoadBalancer(cluster);
    return lb === undefined ? undefined : lb.type === "metallb" ? lb.metallb.addresses : lb.cilium.addresses;
}

/** Which provider answers a pre-planned address request on this cluster (MetalLB unless LB-IPAM is declared). */
export function loadBalancerProvider(cluster: ClusterConfig): LoadBalancerProvider {
    return clusterLoadBalancer(cluster)?.type ?? DEFAULT_LOAD_BALANCER_PROVIDER;
}

/**
 * How many nodes Kubeloom creates for the cluster: the K3s server and its agents, or kind's control plane and its
 * workers; undefined for clusters it did not create (it cannot know).
 */
export function createdNodeCount(cluster: ClusterConfig): number | undefined {
    const source = clusterSource(cluster);
    switch (source.type) {
        case "k3s":
            return k3sNodes(source.k3s, "").servers.length + source.k3s.agents.length;
        case "kind":
            return 1 + source.kind.workers;
        case "kubeconfig":
        case "stackReference":
            return undefined;
    }
}

/** A cluster's Kubernetes version as far as the config says it, with the key that says it (for messages). */
export interface ClusterKubernetes {
    /** "major.minor.patch" when the source names a patch (K3s, kind), else "major.minor" (`kubernetesVersion`). */
    readonly version: string;
    /** "major.minor". */
    readonly minor: string;
    /** Key path below `clusters[i]` that sets it, e.g. `source.k3s.version`. */
    readonly key: string;
}

/**
 * The Kubernetes version of a cluster: K3s `v1.36.4+k3s1` → 1.36.4, a kind image `kindest/node:v1.36.1` → 1.36.1, an
 * existing cluster's `kubernetesVersion`; undefined when an existing cluster does not state it.
 */
export function clusterKubernetes(cluster: ClusterConfig): ClusterKubernetes | undefined {
    const source = clusterSource(cluster);
    switch (source.type) {
        case "k3s": {
            const version = /^v?(\d+\.\d+\.\d+)/.exec(source.k3s.version)?.[1];
            return version ? { version, minor: minorOf(version)!, key: "source.k3s.version" } : undefined;
        }
        case "kind": {
            const minor = kindNodeKubernetes(source.kind.nodeImage);
            const version = /:v(\d+\.\d+\.\d+)/.exec(source.kind.nodeImage)?.[1];
            return minor && version ? { version, minor, key: "source.kind.nodeImage" } : undefined;
        }
        case "kubeconfig":
        case "stackReference": {
            const stated = source.type === "kubeconfig" ? source.kubeconfig.kubernetesVersion : source.stackReference.kubernetesVersion;
            const minor = stated === undefined ? undefined : minorOf(stated);
            return stated && minor ? { version: stated.replace(/^v/, ""), minor, key: `source.${source.type}.kubernetesVersion` } : undefined;
        }
    }
}

/** The encryption input of a cluster's config, as the builders take it. */
export function encryptionOf(cluster: ClusterConfig): EncryptionInput | undefined {
    const encryption = cluster.cilium.encryption;
    if (!encryption) return undefined;
    return encryption.type === "wireguard" ? { type: "wireguard", nodeEncryption: encryption.nodeEncryption ?? false } : { type: "ipsec", nodeEncryption: encryption.nodeEncryption as false | undefined };
}

/** Whether the cluster's Gateway API controller is on. */
export function gatewayApiOn(cluster: ClusterConfig): boolean {
    return cluster.cilium.gatewayAPI !== undefined && cluster.cilium.gatewayAPI.enabled;
}

/**
 * The native-routing CIDR a cluster renders: in a native-routed mesh the CIDR covering every member's pod CIDR (the
 * same in every member), else undefined (the cluster's own pod CIDR).
 */
export function meshNativeRoutingCidr(config: StackConfig, cluster: ClusterConfig): string | undefined {
    const members = meshMembers(config).filter(installsCilium);
    if (cluster.cilium.routingMode !== "native" || members.length < 2 || !members.includes(cluster)) return undefined;
    return coveringCidr(members.map((c) => c.podCidr));
}
