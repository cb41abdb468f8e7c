/**
 * How Kubeloom names and marks what it creates, in one place. The Pulumi type token of every component: each component registers under its token, and
 * the config layer names the same token as the scope of the resource names it derives (config/derived-names.ts),
 * so the two cannot drift. A token is part of every child's URN: changing one needs `aliases` (CONTRIBUTING.md, URN snapshots).
 */

/** `kubeloom:index:<Component>` for each component. */
export const COMPONENT_TYPES = {
    CiliumGateway: "kubeloom:index:CiliumGateway",
    CiliumInstall: "kubeloom:index:CiliumInstall",
    CiliumLoadBalancer: "kubeloom:index:CiliumLoadBalancer",
    CiliumNodes: "kubeloom:index:CiliumNodes",
    ClusterMesh: "kubeloom:index:ClusterMesh",
    GatewayApiCrds: "kubeloom:index:GatewayApiCrds",
    IpsecKeySecret: "kubeloom:index:IpsecKeySecret",
    K3sHost: "kubeloom:index:K3sHost",
    KindCluster: "kubeloom:index:KindCluster",
    KubectlCheck: "kubeloom:index:KubectlCheck",
    MeshDemo: "kubeloom:index:MeshDemo",
    MeshServices: "kubeloom:index:MeshServices",
    MetalLB: "kubeloom:index:MetalLB",
    StarwarsDemo: "kubeloom:index:StarwarsDemo",
    VCluster: "kubeloom:index:VCluster",
} as const;

/** The label on the Kubernetes objects Kubeloom writes itself (LB-IPAM pools, tenant fences and policies). */
export const MANAGED_BY_KUBELOOM: Readonly<Record<string, string>> = { "app.kubernetes.io/managed-by": "kubeloom" };
