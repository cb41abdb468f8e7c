/** What composition built for one cluster: read by the steps that span clusters (mesh) and by the outputs. */
import type { CiliumInstall } from "../components/CiliumInstall";
import type { CiliumNodes } from "../components/CiliumNodes";
import type { VCluster } from "../components/VCluster";
import type { ClusterConfig } from "../config/schema";
import type { ResolvedCluster } from "../config/resolved-cluster";
import type { ClusterAccess } from "./sources";

/** Everything built for one cluster, for composition steps that span clusters (mesh). */
export interface ComposedCluster {
    readonly config: ClusterConfig;
    /** The cluster resolved once (config/resolved-cluster.ts): what the later steps read instead of optional keys. */
    readonly resolved: ResolvedCluster;
    readonly access: ClusterAccess;
    /** Cilium, when this stack installs it (see `cilium.install`). */
    readonly cilium?: CiliumInstall;
    readonly vclusters: VCluster[];
    /** The node labels/taints of cilium.chaining.nodes, when any node is listed. */
    readonly ciliumNodes?: CiliumNodes;
}
