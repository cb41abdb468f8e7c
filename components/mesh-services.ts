/**
 * Pure builders for what the product runs on top of a Cluster Mesh: global Services (Cilium 1.16 annotations) and
 * cross-cluster CiliumNetworkPolicies. The demo workloads and the check that uses them are in mesh-demo.ts.
 */
import { sortKeysDeep } from "../lib/values-util";

/** Cilium 1.16 global-service annotations (`service.cilium.io/*` only arrives in later releases). */
export const GLOBAL_SERVICE_ANNOTATION = "io.cilium/global-service";
export const SHARED_SERVICE_ANNOTATION = "io.cilium/shared-service";
export const SERVICE_AFFINITY_ANNOTATION = "io.cilium/service-affinity";
/** Endpoint label Cilium sets to the cluster name; selectors use it to name a cluster in policies. */
export const CLUSTER_LABEL = "io.cilium.k8s.policy.cluster";

/**
 * Protocols of a global Service port: one, or both TCP and UDP on the same number (DNS) — which Kubernetes writes as
 * two port entries (a Service port is one protocol), each with its own name.
 */
export const GLOBAL_SERVICE_PROTOCOLS = ["TCP", "UDP", "TCP+UDP"] as const;
/** One of GLOBAL_SERVICE_PROTOCOLS. */
export type GlobalServiceProtocol = (typeof GLOBAL_SERVICE_PROTOCOLS)[number];

/** One port of a global Service. */
export interface GlobalServicePort {
    readonly port: number;
    readonly targetPort?: number;
    readonly name?: string;
    /** @default "TCP" */
    readonly protocol?: GlobalServiceProtocol;
}

/** A Service served by the backends of every mesh cluster. */
export interface GlobalServiceSpec {
    readonly name: string;
    readonly namespace: string;
    readonly ports: readonly GlobalServicePort[];
    readonly selector: Readonly<Record<string, string>>;
    /** Prefer local or remote backends, or none. */
    readonly affinity: "none" | "local" | "remote";
    /** Clusters whose backends are not offered to the others (they still use the others'). */
    readonly notSharedIn: readonly string[];
    /** Create `namespace` in every mesh cluster. @default false - it exists already */
    readonly createNamespace?: boolean;
}

/** The namespaces a list of global Services asks Kubeloom to create, each once, sorted. */
export function globalServiceNamespaces(services: readonly GlobalServiceSpec[]): string[] {
    return [...new Set(services.filter((s) => s.createNamespace === true).map((s) => s.namespace))].sort();
}

/**
 * The resource name of a namespace created for global Services: the "." keeps it apart from every
 * globalServiceResourceName (Service names and namespaces are DNS-1123 labels, without dots).
 */
export function globalServiceNamespaceResourceName(component: string, namespace: string): string {
    return `${component}-namespace.${namespace}`;
}

/** A Kubernetes object as the resource constructors take it. */
export interface KubernetesObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
    readonly spec?: Record<string, unknown>;
    readonly data?: Record<string, string>;
}

/**
 * The Service `svc` as declared in `clusterName`: a ClusterIP Service annotated as global, not shared where the
 * config says so, with the affinity when it is not the default `none`. The same name and namespace in every
 * cluster is what makes Cilium merge the backends.
 */
export function globalServiceManifest(svc: GlobalServiceSpec, clusterName: string): KubernetesObject {
    const annotations: Record<string, string> = { [GLOBAL_SERVICE_ANNOTATION]: "true" };
    if (svc.notSharedIn.includes(clusterName)) annotations[SHARED_SERVICE_ANNOTATION] = "false";
    if (svc.affinity !== "none") annotations[SERVICE_AFFINITY_ANNOTATION] = svc.affinity;
    return sortKeysDeep({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: svc.name, namespace: svc.namespace, annotations },
        spec: {
            type: "ClusterIP",
            selector: { ...svc.selector },
            ports: globalServicePorts(svc.ports),
        },
    });
}

/**
 * The Service's port entries: one per protocol (TCP+UDP gives two, `<name>-tcp` and `<name>-udp`). Kubernetes requires
 * a name on every entry once there is more than one: an unnamed port is `port-<port>`, as before UDP existed, so a
 * TCP-only Service renders exactly as it did. Cilium merges a global Service's backends per port and protocol.
 */
export function globalServicePorts(ports: readonly GlobalServicePort[]): Array<Record<string, unknown>> {
    const entries = ports.flatMap((p) =>
        (p.protocol === "TCP+UDP" ? (["TCP", "UDP"] as const) : [p.protocol ?? "TCP"]).map((protocol) => ({ port: p, protocol, split: p.protocol === "TCP+UDP" })),
    );
    const named = entries.length > 1;
    return entries.map(({ port: p, protocol, split }) => {
        const base = p.name ?? (named ? `port-${p.port}` : undefined);
        const name = base !== undefined && split ? `${base}-${protocol.toLowerCase()}` : base;
        return { ...(name !== undefined ? { name } : {}), port: p.port, targetPort: p.targetPort ?? p.port, protocol };
    });
}

/**
 * Logical names of the Services a MeshServices component `component` creates: `<component>-<namespace>-<name>` per
 * global Service. Distinct (namespace, name) pairs can give one name ("a-b"/"c", "a"/"b-c"): the
 * config rules reject that before two resources would share a URN.
 */
export function globalServiceResourceName(component: string, svc: { readonly namespace: string; readonly name: string }): string {
    return `${component}-${svc.namespace}-${svc.name}`;
}

/** `to.cluster` value meaning every cluster of the mesh (the local one included). */
export const ANY_CLUSTER = "*";

/** Endpoints in one cluster (or, as a destination, in any: ANY_CLUSTER), by labels. */
export interface ClusterEndpoints {
    readonly cluster: string;
    readonly labels: Readonly<Record<string, string>>;
}

/** One Kafka rule (CNP `toPorts[].rules.kafka[]`): Cilium 1.16–1.19 only; 1.20 removed Kafka (and generic L7) rules. */
export interface KafkaRuleSpec {
    readonly role?: "produce" | "consume";
    readonly topic?: string;
}

/** What a cross-cluster policy allows. */
export interface CrossClusterPolicySpec {
    readonly name: string;
    /** Namespace of the policy and of both endpoint sets. */
    readonly namespace: string;
    readonly from: ClusterEndpoints;
    readonly to: ClusterEndpoints;
    /** TCP ports allowed; @default - every port */
    readonly ports?: readonly number[];
    /** Kafka rules on those ports (Cilium < 1.20; the config refuses them on 1.20). @default - none */
    readonly kafka?: readonly KafkaRuleSpec[];
}

/**
 * The first Cilium release whose CNP CRD has no Kafka rules: `toPorts[].rules.kafka/l7/l7proto` removed (commit
 * 73be778d "policy: Remove generic L7 policy support", in v1.20.0-pre.1; checked against the 1.20.0-pre.3 CRD).
 */
export const KAFKA_RULES_REMOVED_IN = "1.20.0";

/**
 * The selector labels of endpoints in `cluster`: the cluster label, or — for ANY_CLUSTER — an explicit "any cluster"
 * (`io.cilium.k8s.policy.cluster` Exists). From 1.19 a selector that names no cluster matches only the local one
 * (clustermesh.policyDefaultLocalCluster defaults to true), so a policy meant for every cluster must say so.
 */
function endpointSelector(endpoints: ClusterEndpoints): Record<string, unknown> {
    if (endpoints.cluster === ANY_CLUSTER) {
        return { matchLabels: { ...endpoints.labels }, matchExpressions: [{ key: CLUSTER_LABEL, operator: "Exists" }] };
    }
    return { matchLabels: { ...endpoints.labels, [CLUSTER_LABEL]: endpoints.cluster } };
}

/** Label selector for kube-dns (CoreDNS keeps the k8s-app=kube-dns label on kind and K3s). */
const KUBE_DNS_SELECTOR = { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" };

/**
 * A CiliumNetworkPolicy (cilium.io/v2) selecting `from` in its cluster and allowing egress to `to` in the other
 * cluster only, plus DNS to kube-dns: once any egress rule selects a pod, everything else is denied, name
 * lookups included. Apply it in the `from` cluster, where the egress is enforced. The chart ships no CRDs: the
 * Cilium operator creates them at run time, so this can only be applied after the Cilium release is ready.
 */
export function crossClusterPolicy(spec: CrossClusterPolicySpec): KubernetesObject {
    const target: Record<string, unknown> = { toEndpoints: [endpointSelector(spec.to)] };
    if (spec.ports && spec.ports.length > 0) {
        const kafka = spec.kafka && spec.kafka.length > 0 ? { rules: { kafka: spec.kafka.map((rule) => ({ ...rule })) } } : {};
        target.toPorts = [{ ports: spec.ports.map((port) => ({ port: String(port), protocol: "TCP" })), ...kafka }];
    }
    const describe = (e: ClusterEndpoints) => `${Object.entries(e.labels).map(([k, v]) => `${k}=${v}`).join(",")} in ${e.cluster === ANY_CLUSTER ? "any cluster" : e.cluster}`;
    return sortKeysDeep({
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: { name: spec.name, namespace: spec.namespace },
        spec: {
            description: `Allow ${describe(spec.from)} to reach ${describe(spec.to)}, and DNS`,
            endpointSelector: endpointSelector(spec.from),
            egress: [
                target,
                {
                    toEndpoints: [{ matchLabels: { ...KUBE_DNS_SELECTOR } }],
                    toPorts: [
                        {
                            ports: [
                                { port: "53", protocol: "UDP" },
                                { port: "53", protocol: "TCP" },
                            ],
                            // Through Cilium's DNS proxy, so the names x-wing looks up are visible in Hubble.
                            rules: { dns: [{ matchPattern: "*" }] },
                        },
                    ],
                },
            ],
        },
    });
}
