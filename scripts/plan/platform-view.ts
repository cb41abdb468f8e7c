/**
 * What a stack builds, as a person reads it: per cluster its source and versions, nodes, Cilium with its modes,
 * load balancer, tenants with their endpoints and contexts, and the mesh links between clusters. The plan summary
 * (plan-summary.ts) and the Mermaid diagram (platform-diagram.ts) both read this one view.
 *
 * Built from the resolved per-cluster model (config/resolved-cluster.ts) the composition itself reads — the API
 * endpoint, node address, load balancer, K3s topology, each tenant's exposure, a mesh member's apiserver — so the
 * summary and the diagram cannot say something the program does not do; nothing here re-derives a rule. Values only known
 * after deployment (a kind cluster's address) are left undefined. Pure.
 */
import type { StackConfig } from "../../config/schema";
import { clusterKubernetes } from "../../config/resolve";
import { resolveClusters, ResolvedCluster } from "../../config/resolved-cluster";
import { vclusterContextName, vclusterNamespace } from "../../components/vcluster-values";
import { CLUSTERMESH_APISERVER_PORT } from "../../components/mesh-plan";

/** One node Kubeloom creates (K3s server or agent, kind control plane or worker). */
export interface NodeView {
    readonly role: "server" | "agent" | "control-plane" | "worker";
    /** The host (K3s) or the kind container's name. */
    readonly name: string;
    /** `user@host:port` for K3s nodes reached over SSH; undefined for localhost and kind. */
    readonly ssh?: string;
}

/** Where a cluster comes from and whether Kubeloom creates it. */
export interface SourceView {
    readonly type: "k3s" | "kind" | "kubeconfig" | "stackReference";
    /** True when Kubeloom creates the cluster (K3s, kind); false for existing clusters. */
    readonly created: boolean;
    /** One phrase: "K3s v1.36.4+k3s1", "kind kindest/node:v1.36.1", "existing cluster (kubeconfig)". */
    readonly what: string;
    /** The Kubernetes version as far as the config states it ("1.36.4", "1.36"), else undefined. */
    readonly kubernetes?: string;
}

/** Cilium as the stack installs it; undefined on a cluster where another stack owns Cilium. */
export interface CiliumView {
    readonly version: string;
    readonly kubeProxyReplacement: boolean;
    readonly routingMode: string;
    readonly ipamMode: string;
    readonly hubble: { readonly relay: boolean; readonly ui: boolean };
    /** CNI chaining mode, when Cilium is chained onto the cluster's CNI. */
    readonly chaining?: string;
}

/** A cluster's load balancer and its address pool. */
export interface LoadBalancerView {
    readonly type: "metallb" | "cilium";
    readonly addresses: readonly string[];
}

/** One vCluster tenant. */
export interface TenantView {
    readonly name: string;
    readonly version: string;
    readonly expose: "ClusterIP" | "NodePort" | "LoadBalancer";
    /** `https://host:port`, or undefined when only known after deployment; ClusterIP: the port-forwarded localhost. */
    readonly endpoint?: string;
    readonly namespace: string;
    readonly context: string;
    readonly isolated: boolean;
    readonly podSecurityStandard: string;
    readonly networkPolicies: number;
}

/** One cluster of the stack. */
export interface ClusterView {
    readonly name: string;
    readonly id: number;
    readonly podCidr: string;
    readonly serviceCidr: string;
    readonly source: SourceView;
    /** `https://host:port`, or undefined when only known after deployment (kind, an existing cluster). */
    readonly apiEndpoint?: string;
    /** The nodes Kubeloom creates; empty for existing clusters. */
    readonly nodes: readonly NodeView[];
    readonly cilium?: CiliumView;
    readonly loadBalancer?: LoadBalancerView;
    readonly tenants: readonly TenantView[];
    /** The cluster's kubeconfig context (the `kubeconfigs` output's key). */
    readonly context: string;
}

/** A mesh member and where its clustermesh-apiserver answers. */
export interface MeshMemberView {
    readonly cluster: string;
    /** `172.22.0.50:2379`, `NodePort 32379 on 192.0.2.10`, or `NodePort 32380` when the node address is only known after deployment. */
    readonly apiserver: string;
}

/** Cilium Cluster Mesh across the stack's clusters. */
export interface MeshView {
    readonly serviceType: "LoadBalancer" | "NodePort" | "ClusterIP";
    readonly members: readonly MeshMemberView[];
    readonly globalServices: readonly string[];
    readonly demo: boolean;
}

/** The whole stack. */
export interface PlatformView {
    readonly stack: string;
    readonly clusters: readonly ClusterView[];
    readonly mesh?: MeshView;
}

function endpointText(endpoint: ResolvedCluster["apiEndpoint"]): string | undefined {
    return endpoint.type === "k3s" || endpoint.type === "configured" ? `https://${endpoint.host}:${endpoint.port}` : undefined;
}

function sourceView(cluster: ResolvedCluster): { source: SourceView; nodes: NodeView[] } {
    const config = cluster.config;
    const kubernetes = clusterKubernetes(config)?.version;
    const source = cluster.source;
    switch (source.type) {
        case "k3s": {
            const topology = cluster.k3sTopology ?? { servers: [], agents: [] };
            const ssh = (n: { host: string; user: string | undefined; port: number }) => (n.host === "localhost" ? undefined : `${n.user ?? "?"}@${n.host}:${n.port}`);
            return {
                source: { type: "k3s", created: cluster.createdByKubeloom, what: `K3s ${source.k3s.version}`, kubernetes },
                nodes: [
                    ...topology.servers.map((n) => ({ role: "server" as const, name: n.host, ssh: ssh(n) })),
                    ...topology.agents.map((n) => ({ role: "agent" as const, name: n.host, ssh: ssh(n) })),
                ],
            };
        }
        case "kind":
            return {
                source: { type: "kind", created: cluster.createdByKubeloom, what: `kind ${source.kind.nodeImage}`, kubernetes },
                nodes: [
                    { role: "control-plane", name: `${config.name}-control-plane` },
                    ...Array.from({ length: source.kind.workers }, (_, i) => ({ role: "worker" as const, name: `${config.name}-worker${i === 0 ? "" : i + 1}` })),
                ],
            };
        case "kubeconfig":
        case "stackReference": {
            const from = source.type === "kubeconfig" ? (source.kubeconfig.path ? `kubeconfig ${source.kubeconfig.path}` : "kubeconfig secret") : `stack ${source.stackReference.stack}, context ${source.stackReference.context}`;
            return { source: { type: source.type, created: cluster.createdByKubeloom, what: `existing cluster (${from})`, kubernetes }, nodes: [] };
        }
    }
}

/** The view of a parsed, valid stack config, read from the resolved per-cluster model (config/resolved-cluster.ts). */
export function platformView(config: StackConfig, stack: string): PlatformView {
    const clusters: ClusterView[] = resolveClusters(config).map((cluster) => {
        const { source, nodes } = sourceView(cluster);
        const apiEndpoint = endpointText(cluster.apiEndpoint);
        const node = cluster.nodeAddress;
        const nodeHost = node.type === "address" ? node.address : node.type === "thisMachine" ? "127.0.0.1" : undefined;
        const tenants: TenantView[] = cluster.vclusters.map(({ config: vc, exposure }) => {
            const endpoint =
                exposure.type === "NodePort"
                    ? nodeHost !== undefined
                        ? `https://${nodeHost}:${exposure.nodePort}`
                        : undefined
                    : exposure.type === "LoadBalancer"
                      ? `https://${exposure.address}:443`
                      : "https://localhost:8443 (port-forward)";
            return {
                name: vc.name,
                version: vc.version,
                expose: vc.expose,
                ...(endpoint !== undefined ? { endpoint } : {}),
                namespace: vclusterNamespace(vc.name),
                context: vclusterContextName(cluster.config.name, vc.name),
                isolated: vc.isolate,
                podSecurityStandard: vc.podSecurityStandard,
                networkPolicies: vc.networkPolicies.length,
            };
        });
        const settings = cluster.cilium;
        const cilium: CiliumView | undefined = cluster.installsCilium
            ? {
                  version: settings.version,
                  kubeProxyReplacement: settings.kubeProxyReplacement,
                  routingMode: settings.routingMode,
                  ipamMode: settings.ipamMode,
                  hubble: { relay: settings.hubble.relay, ui: settings.hubble.ui },
                  ...(settings.chaining ? { chaining: settings.chaining.mode } : {}),
              }
            : undefined;
        const lb = cluster.loadBalancer;
        return {
            name: cluster.config.name,
            id: cluster.config.id,
            podCidr: cluster.config.podCidr,
            serviceCidr: cluster.config.serviceCidr,
            source,
            ...(apiEndpoint !== undefined ? { apiEndpoint } : {}),
            nodes,
            ...(cilium ? { cilium } : {}),
            ...(lb.type !== "none" ? { loadBalancer: { type: lb.type, addresses: lb.addresses } } : {}),
            tenants,
            context: cluster.config.name,
        };
    });
    const members = resolveClusters(config).filter((c) => c.meshApiserver !== undefined);
    const mesh: MeshView | undefined =
        config.mesh && members.length > 0
            ? {
                  serviceType: config.mesh.serviceType,
                  members: members.map((cluster) => {
                      const placement = cluster.meshApiserver!;
                      const apiserver =
                          placement.type === "LoadBalancer" || placement.type === "ClusterIP"
                              ? `${placement.type === "ClusterIP" ? "ClusterIP " : ""}${placement.address}:${CLUSTERMESH_APISERVER_PORT}`
                              : `NodePort ${placement.nodePort}${placement.nodeAddress !== undefined ? ` on ${placement.nodeAddress}` : ""}`;
                      return { cluster: cluster.config.name, apiserver };
                  }),
                  globalServices: config.mesh.globalServices.map((s) => `${s.namespace}/${s.name}`),
                  demo: config.mesh.demo,
              }
            : undefined;
    return { stack, clusters, ...(mesh ? { mesh } : {}) };
}

/** Every kubeconfig context the stack outputs (`kubeconfigs`), in config order. */
export function viewContexts(view: PlatformView): string[] {
    return view.clusters.flatMap((c) => [c.context, ...c.tenants.map((t) => t.context)]);
}
