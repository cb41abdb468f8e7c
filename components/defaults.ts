/**
 * Defaults of component arguments that the config schema states too: each is written once, here. The schema's
 * `.default(...)` and the component's `?? ...` (and its `@default` doc) name the same constant, so the config a
 * user leaves out and a component called without the argument behave alike. Versions and the NodePort bases are
 * in versions.ts, for the same reason. Imports no builder (they import this), so the types are checked where the
 * constants are used.
 */
import type { PodSecurityLevel } from "../lib/pod-security";
import type { MaxConnectedClusters } from "./mesh-plan";

/** Seconds Helm waits for every Cilium workload to become ready (`cilium.waitTimeoutSeconds`, CiliumInstall). */
export const DEFAULT_CILIUM_WAIT_SECONDS = 600;

/** Whether a tenant is fenced in (`vclusters[].isolate`, VCluster): isolated unless the config says otherwise. */
export const DEFAULT_VCLUSTER_ISOLATE = true;

/** A tenant's Pod Security Standard (`vclusters[].podSecurityStandard`): baseline, which the chart's control plane passes. */
export const DEFAULT_POD_SECURITY_STANDARD: PodSecurityLevel = "baseline";

/** A tenant's control-plane build (`vclusters[].build`): the pure open-source image (the chart's default is "pro"). */
export const DEFAULT_VCLUSTER_BUILD = "oss" as const;

/** Whether the chart's ResourceQuota and LimitRange are on (`vclusters[].quota`). */
export const DEFAULT_VCLUSTER_QUOTA = true;

/** kind worker nodes (`source.kind.workers`, KindCluster). */
export const DEFAULT_KIND_WORKERS = 1;

/** `clustermesh.maxConnectedClusters` of every member (`mesh.maxConnectedClusters`, ClusterMesh): the chart's default. */
export const DEFAULT_MAX_CONNECTED_CLUSTERS: MaxConnectedClusters = 255;

/**
 * A K3s server's API port (`source.k3s.apiPort`, K3sHost): K3s's own `--https-listen-port` default (k3s
 * pkg/cli/cmds/server.go), so the install script passes that flag only for another port.
 */
export const K3S_DEFAULT_API_PORT = 6443;

/** How a clustermesh-apiserver is exposed (`mesh.serviceType`): a LoadBalancer address every peer can dial. */
export const DEFAULT_MESH_SERVICE_TYPE = "LoadBalancer" as const;
