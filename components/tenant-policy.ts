/**
 * Pure builders for a vCluster tenant's host-side network policy: the syncer's label translation (how a tenant
 * pod's labels look on the host), the tenant's own Cilium network policies (`vclusters[].networkPolicies`) rendered
 * as CiliumNetworkPolicies in `vcluster-<name>`, and the Pod Security labels. The fence that isolates the tenant
 * (ingress isolation, and on 0.36 the egress/control-plane/DNS policies) is in tenant-fence.ts.
 *
 * Why host-side: the open-source syncer only translates native resources. Syncing custom resources to the host
 * (`sync.toHost.customResources`, 0.21+) is a licensed feature (`IsProFeatureEnabled`), so a CiliumNetworkPolicy
 * created inside a vCluster stays in the virtual API server, where no Cilium agent ever reads it. The host's Cilium
 * sees the tenant's pods in `vcluster-<name>` with translated labels; policies written there, in those labels, work.
 */
import { createHash } from "node:crypto";
import { assertNever } from "../lib/assert-never";
import { sortKeysDeep } from "../lib/values-util";
import { PodSecurityLevel, podSecurityLabels } from "../lib/pod-security";
import type { VClusterLine } from "./support-matrix";
import { MANAGED_BY_KUBELOOM } from "./identity";

/** Host label naming the vCluster a synced pod belongs to (vcluster pkg/util/translate MarkerLabel). */
export const MANAGED_BY_LABEL = "vcluster.loft.sh/managed-by";
/** Host label carrying a synced pod's virtual namespace (vcluster pkg/util/translate NamespaceLabel). */
export const VIRTUAL_NAMESPACE_LABEL = "vcluster.loft.sh/namespace";
/** Label the chart puts on the vCluster's own control-plane pods (templates/statefulset.yaml). */
export const RELEASE_LABEL = "release";

/**
 * The syncer's SafeConcatName (pkg/util/translate/translate.go at v0.20.6 and v0.36.1, identical): parts joined
 * with "-", and a name longer than 63 cut to 52 characters plus "-" and 10 hex digits of its sha256.
 */
export function safeConcatName(...parts: string[]): string {
    const full = parts.join("-");
    if (full.length <= 63) return full;
    const digest = createHash("sha256").update(full).digest("hex").slice(0, 10);
    return `${full.slice(0, 52)}-${digest}`.split(".-").join("-");
}

/** The syncer's convertLabelKeyWithPrefix: `<prefix>-<vcluster>-x-<first 10 hex of sha256(key)>`. */
function hashedLabelKey(prefix: string, vcluster: string, key: string): string {
    return safeConcatName(prefix, vcluster, "x", createHash("sha256").update(key).digest("hex").slice(0, 10));
}

/**
 * Keys the 0.36 syncer rewrites because the host uses them itself (v0.36.1 pkg/util/translate/single_namespace.go
 * LabelsToTranslate); every other key is kept as it is.
 */
const RESERVED_LABEL_KEYS_036 = new Set([RELEASE_LABEL, VIRTUAL_NAMESPACE_LABEL, MANAGED_BY_LABEL, "vcluster.loft.sh/controlled-by"]);

/**
 * The host label key of a tenant pod label `key`, as the syncer writes it:
 * - 0.20: every key is hashed to `vcluster.loft.sh/label-<vcluster>-x-<hash>` (v0.20.6
 *   pkg/util/translate/single_namespace.go TranslateLabels → ConvertLabelKey);
 * - 0.36: keys are kept, only the reserved ones are hashed that way (v0.36.1 pkg/util/translate/labels.go HostLabel).
 * Values are never changed.
 */
export function hostPodLabelKey(line: VClusterLine, vcluster: string, key: string): string {
    switch (line) {
        case "0.20":
            return hashedLabelKey("vcluster.loft.sh/label", vcluster, key);
        case "0.36":
            return RESERVED_LABEL_KEYS_036.has(key) ? hashedLabelKey("vcluster.loft.sh/label", vcluster, key) : key;
        default:
            return assertNever(line);
    }
}

/**
 * The host pod label carrying label `key` of the pod's virtual namespace: hashed with the `vcluster.loft.sh/ns-label`
 * prefix in both lines (v0.20.6 pods/translate/translator.go NamespaceLabelPrefix; v0.36.1 HostLabelNamespace).
 */
export function hostNamespaceLabelKey(vcluster: string, key: string): string {
    return hashedLabelKey("vcluster.loft.sh/ns-label", vcluster, key);
}

/** A tenant's pods in its own terms: optionally one virtual namespace, and pod labels (all must match). */
export interface TenantPods {
    /** Virtual namespace. @default - every namespace of the tenant */
    readonly namespace?: string;
    /** Pod labels as the tenant writes them. @default {} (every pod) */
    readonly labels: Readonly<Record<string, string>>;
}

/** The host label selector (matchLabels) of tenant pods: always scoped to the tenant, translated keys. */
export function tenantPodSelector(line: VClusterLine, vcluster: string, pods: TenantPods): Record<string, string> {
    const selector: Record<string, string> = { [MANAGED_BY_LABEL]: vcluster };
    if (pods.namespace !== undefined) selector[VIRTUAL_NAMESPACE_LABEL] = pods.namespace;
    for (const [key, value] of Object.entries(pods.labels)) selector[hostPodLabelKey(line, vcluster, key)] = value;
    return selector;
}

// ---------------------------------------------------------------------------------------------------------------
// Tenant network policies

/** Cilium entities a tenant policy may name (CNP CRD fromEntities/toEntities enum, 1.16.19 … 1.19.4). */
export const TENANT_ENTITIES = ["world", "cluster", "host", "remote-node", "kube-apiserver", "all"] as const;
export type TenantEntity = (typeof TENANT_ENTITIES)[number];

/**
 * What the CiliumNetworkPolicy CRD states for the fields a tenant policy fills, identical in every supported
 * release's CRD but where noted (cilium/cilium pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml, v1.16.19 …
 * v1.20.0-pre.3): the API server refuses a policy beyond them. test/components/cnp-crd-limits.test.ts reads each
 * value from every CRD and fails when one differs, so these are checked, not restated on faith.
 */
export const CNP_CRD_LIMITS = {
    /**
     * spec.egress[].toFQDNs[].matchName / matchPattern maxLength from 1.17; 1.16's CRD states none, and since no DNS
     * name is longer (253), Kubeloom applies it to every release.
     */
    fqdnMaxLength: 255,
    /** spec.egress[].toFQDNs[].matchName pattern (Go RE2). */
    matchNamePattern: "^([-a-zA-Z0-9_]+[.]?)+$",
    /** spec.egress[].toFQDNs[].matchPattern pattern (Go RE2). */
    matchPatternPattern: "^([-a-zA-Z0-9_*]+[.]?)+$",
    /** spec.{ingress,egress}[].toPorts[].ports maxItems: a tenant rule's ports render as one toPorts entry. */
    portsPerRule: 40,
} as const;

/** One L4 port. */
export interface TenantPort {
    readonly port: number;
    readonly protocol: "TCP" | "UDP" | "SCTP";
}

/** One L7 HTTP rule (Cilium PortRuleHTTP): a request passes when it matches every field given. */
export interface TenantHttpRule {
    readonly method?: string;
    readonly path?: string;
    readonly host?: string;
    readonly headers?: readonly string[];
}

/** The other end of a rule: pods of the same tenant, Cilium entities, or (egress only) DNS names. */
export type TenantPeer =
    | { readonly type: "pods"; readonly pods: TenantPods }
    | { readonly type: "entities"; readonly entities: readonly TenantEntity[] }
    | { readonly type: "fqdns"; readonly fqdns: ReadonlyArray<{ readonly matchName?: string; readonly matchPattern?: string }> };

/** One allow rule: a peer, optional ports, and optional HTTP rules on those ports. */
export interface TenantRule {
    readonly peer: TenantPeer;
    /** @default [] (every port) */
    readonly ports: readonly TenantPort[];
    /** HTTP rules on the ports (Envoy, L7). @default - none (L4 only) */
    readonly http?: readonly TenantHttpRule[];
}

/** A tenant's network policy in its own terms. */
export interface TenantNetworkPolicy {
    /** Policy name; the host object is `tenant-<name>`. */
    readonly name: string;
    /** The pods it applies to. */
    readonly pods: TenantPods;
    /** Allowed ingress; once a policy has ingress rules, the selected pods accept only what some policy allows. */
    readonly ingress: readonly TenantRule[];
    /** Allowed egress; once a policy has egress rules, DNS and everything else must be allowed too. */
    readonly egress: readonly TenantRule[];
}

/** The host object name of a tenant policy; the prefix keeps it apart from the syncer's `<name>-x-<ns>-x-<vc>` objects. */
export function tenantPolicyObjectName(policy: string): string {
    return `tenant-${policy}`;
}

/** A Kubernetes object as the program creates it. */
export interface KubeManifest {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
    readonly [key: string]: unknown;
}

function toPorts(rule: TenantRule): Record<string, unknown>[] | undefined {
    if (rule.ports.length === 0) return undefined;
    const entry: Record<string, unknown> = { ports: rule.ports.map((p) => ({ port: String(p.port), protocol: p.protocol })) };
    if (rule.http && rule.http.length > 0) entry.rules = { http: rule.http.map((h) => ({ ...h, ...(h.headers ? { headers: [...h.headers] } : {}) })) };
    return [entry];
}

function peerFields(line: VClusterLine, vcluster: string, peer: TenantPeer, direction: "from" | "to"): Record<string, unknown> {
    switch (peer.type) {
        case "pods":
            // No namespace key in the selector: Cilium scopes it to the policy's namespace, vcluster-<name>, where
            // every pod of this tenant (and no pod of another tenant) lives.
            return { [`${direction}Endpoints`]: [{ matchLabels: tenantPodSelector(line, vcluster, peer.pods) }] };
        case "entities":
            return { [`${direction}Entities`]: [...peer.entities] };
        case "fqdns":
            return { toFQDNs: peer.fqdns.map((f) => ({ ...f })) };
        default:
            return assertNever(peer);
    }
}

/**
 * Egress to the tenant's own DNS server through Cilium's DNS proxy, which toFQDNs needs to learn the addresses of
 * the names. The tenant's CoreDNS runs as a synced pod of its virtual kube-system (0.20: chart
 * templates/coredns-configmap.yaml; 0.36: pkg/coredns/template.go), listening on 1053 behind Service port 53.
 */
function tenantDnsRule(vcluster: string): Record<string, unknown> {
    return {
        toEndpoints: [{ matchLabels: { [MANAGED_BY_LABEL]: vcluster, [VIRTUAL_NAMESPACE_LABEL]: "kube-system" } }],
        toPorts: [
            {
                ports: ["53", "1053"].flatMap((port) => [
                    { port, protocol: "UDP" },
                    { port, protocol: "TCP" },
                ]),
                rules: { dns: [{ matchPattern: "*" }] },
            },
        ],
    };
}

/**
 * The CiliumNetworkPolicy (cilium.io/v2) of one tenant policy, in the tenant's host namespace: the endpoint
 * selector and every pod peer are scoped to the tenant (and to a virtual namespace where given), label keys as the
 * syncer translates them. An egress policy also allows DNS to the tenant's CoreDNS (through the DNS proxy), since
 * Cilium denies every other egress of the selected pods once one egress rule selects them.
 */
export function tenantCiliumNetworkPolicy(line: VClusterLine, vcluster: string, namespace: string, policy: TenantNetworkPolicy): KubeManifest {
    const spec: Record<string, unknown> = {
        description: `vCluster ${vcluster}: tenant policy ${policy.name}`,
        endpointSelector: { matchLabels: tenantPodSelector(line, vcluster, policy.pods) },
    };
    const rule = (direction: "from" | "to") => (r: TenantRule) => {
        const ports = toPorts(r);
        return { ...peerFields(line, vcluster, r.peer, direction), ...(ports ? { toPorts: ports } : {}) };
    };
    if (policy.ingress.length > 0) spec.ingress = policy.ingress.map(rule("from"));
    if (policy.egress.length > 0) spec.egress = [...policy.egress.map(rule("to")), tenantDnsRule(vcluster)];
    return sortKeysDeep({
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: { name: tenantPolicyObjectName(policy.name), namespace, labels: { ...MANAGED_BY_KUBELOOM } },
        spec,
    }) as KubeManifest;
}

// ---------------------------------------------------------------------------------------------------------------
// Pod Security Standards

/**
 * The level the host namespace `vcluster-<name>` enforces for a tenant level. The namespace also holds the
 * vCluster's control plane, which both charts run as root (0.20.6 and 0.36.1 values.yaml
 * controlPlane.statefulSet.security.containerSecurityContext: runAsUser 0, no seccomp profile): it passes baseline
 * but not restricted (test/scripts/preflight.test.ts renders both and checks). So a restricted tenant gets baseline
 * enforced on the host (plus restricted warn/audit) and restricted from the syncer, which checks every tenant pod
 * against `policies.podSecurityStandard` before creating it on the host (pods/validate_pod_security.go in
 * v0.20.6 and v0.36.1) and labels every virtual namespace with it (controllers/podsecurity).
 */
export function hostPodSecurityLevel(tenant: PodSecurityLevel): PodSecurityLevel {
    switch (tenant) {
        case "privileged":
            return "privileged";
        case "baseline":
        case "restricted":
            return "baseline";
        default:
            return assertNever(tenant);
    }
}

/** The pod-security.kubernetes.io labels of a tenant's host namespace: hostPodSecurityLevel enforced, the tenant's level warned and audited. */
export function podSecurityNamespaceLabels(tenant: PodSecurityLevel): Record<string, string> {
    return podSecurityLabels({ enforce: hostPodSecurityLevel(tenant), warn: tenant, audit: tenant });
}
