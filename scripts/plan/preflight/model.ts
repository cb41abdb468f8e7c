/**
 * The shared model of pre-flight: what a check is given (a cluster model and the objects placed in it) and what it
 * returns (findings), with the helpers every check uses. The checks and their one registry are in ./checks.
 */
import type { KubeObject } from "../render/objects";

/** One pre-flight finding. */
export interface Finding {
    readonly severity: "error" | "warning" | "info";
    readonly cluster: string;
    /** `<kind>/<namespace>/<name>` or `<kind>/<name>`. */
    readonly object: string;
    readonly check: string;
    readonly message: string;
}

/** A node of the modelled cluster. */
export interface NodeModel {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: ReadonlyArray<{ readonly key: string; readonly value?: string; readonly effect: string }>;
}

/** What the CNI check knows about a cluster's networks from its config. */
export interface CniNetworkModel {
    readonly cluster: string;
    /** The cluster's pod CIDR (the primary CNI's pod range when Cilium is chained). */
    readonly podCidr: string;
    readonly serviceCidr: string;
    /** Network name of the primary CNI's conflist (config chaining.target), when known. */
    readonly primaryNetwork?: string;
}

/** What the checks know about one cluster. */
export interface ClusterModel {
    readonly name: string;
    /** e.g. "1.28.13". */
    readonly kubeVersion: string;
    /** group/versions served by CRDs the stack installs. */
    readonly extraApiVersions: readonly string[];
    /** undefined: an existing cluster whose nodes are unknown (scheduling checks are skipped). */
    readonly nodes?: readonly NodeModel[];
    /** Namespaces the stack's Helm releases create (`createNamespace`). @default - none */
    readonly createdNamespaces?: readonly string[];
    /** The cluster's networks, for the CNI chaining check. @default - unknown: that check is skipped */
    readonly network?: CniNetworkModel;
}

/** An object with the namespace it lands in (a release's objects default to the release namespace). */
export interface PlacedObject {
    readonly object: KubeObject;
    /** Effective namespace; undefined for cluster-scoped kinds. */
    readonly namespace?: string;
}

/** One check: a cluster and its objects in, findings out. Registered once, in ./checks PREFLIGHT_CHECKS. */
export type PreflightCheck = (cluster: ClusterModel, objects: readonly PlacedObject[]) => Finding[];

/** Kinds that have no namespace. */
export const CLUSTER_SCOPED_KINDS = new Set([
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "StorageClass",
    "IngressClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "PersistentVolume",
    "Node", "RuntimeClass", "CiliumClusterwideNetworkPolicy", "CiliumLoadBalancerIPPool", "CiliumL2AnnouncementPolicy",
    "CiliumNode", "CiliumIdentity", "CiliumExternalWorkload", "CiliumBGPClusterConfig", "CiliumNodeConfig",
]);

/** Namespaces every cluster has. */
export const BUILTIN_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** `Kind/ns/name` for findings. */
export function describe(placed: PlacedObject): string {
    const { object } = placed;
    return placed.namespace ? `${object.kind}/${placed.namespace}/${object.metadata?.name}` : `${object.kind}/${object.metadata?.name}`;
}

/** A finding about one object, an error unless said otherwise. */
export function finding(cluster: ClusterModel, placed: PlacedObject, check: string, message: string, severity: Finding["severity"] = "error"): Finding {
    return { severity, cluster: cluster.name, object: describe(placed), check, message };
}

/** Findings sorted by severity (errors first), cluster, object, check, message. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
    const rank = { error: 0, warning: 1, info: 2 };
    const key = (f: Finding) => [rank[f.severity], f.cluster, f.object, f.check, f.message].join("\0");
    return [...findings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
