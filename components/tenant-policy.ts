/**
 * Pure builders for a vCluster tenant's host-side network policy: the syncer's label translation (how a tenant
 * pod's labels look on the host), the ingress isolation NetworkPolicies Kubeloom adds, and the tenant's own Cilium
 * network policies (`vclusters[].networkPolicies`) rendered as CiliumNetworkPolicies in `vcluster-<name>`.
 *
 * Why host-side: the open-source syncer only translates native resources. Syncing custom resources to the host
 * (`sync.toHost.customResources`, 0.21+) is a licensed feature (`IsProFeatureEnabled`), so a CiliumNetworkPolicy
 * created inside a vCluster stays in the virtual API server, where no Cilium agent ever reads it. The host's Cilium
 * sees the tenant's pods in `vcluster-<name>` with translated labels; policies written there, in those labels, work.
 */
import { createHash } from "node:crypto";
import { assertNever } from "../lib/assert-never";
import { sortKeysDeep } from "../lib/values-util";

/** The vcluster chart lines Kubeloom knows; the syncer's label translation differs between them. */
export type VClusterLine = "0.20" | "0.36";

/** The chart line of a vcluster version (`0.20.6` → "0.20"); undefined for a line Kubeloom does not know. */
export function vclusterLine(version: string): VClusterLine | undefined {
    const minor = /^v?0\.(\d+)\./.exec(version)?.[1];
    if (minor === "20") return "0.20";
    if (minor === "36") return "0.36";
    return undefined;
}

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
        metadata: { name: tenantPolicyObjectName(policy.name), namespace, labels: { "app.kubernetes.io/managed-by": "kubeloom" } },
        spec,
    }) as KubeManifest;
}

// ---------------------------------------------------------------------------------------------------------------
// Ingress isolation

/** A matchExpressions requirement. */
interface Requirement {
    readonly key: string;
    readonly operator: "In" | "NotIn";
    readonly values: string[];
}

/** Most isolation NetworkPolicies one tenant may need (the product of its ingress policies' label counts). */
export const MAX_ISOLATION_POLICIES = 64;

/**
 * The pod selectors (matchExpressions, ANDed; the list is a union) for "a pod of this tenant that no ingress policy
 * selects". Not (a ∧ b ∧ c) is ¬a ∨ ¬b ∨ ¬c; for several policies, one negated term from each (their product).
 * `NotIn` also matches a pod without the key, which is what "not selected" means.
 */
export function unclaimedPodSelectors(line: VClusterLine, vcluster: string, claimed: readonly TenantPods[]): Requirement[][] {
    let selectors: Requirement[][] = [[{ key: MANAGED_BY_LABEL, operator: "In", values: [vcluster] }]];
    for (const pods of claimed) {
        const terms = Object.entries(tenantPodSelector(line, vcluster, pods)).filter(([key]) => key !== MANAGED_BY_LABEL);
        // A policy on every pod of the tenant claims them all: nothing is left for the default allowance.
        if (terms.length === 0) return [];
        selectors = selectors.flatMap((selector) => terms.map(([key, value]) => [...selector, { key, operator: "NotIn" as const, values: [value] }]));
    }
    return selectors;
}

/**
 * Host NetworkPolicies that make a tenant's pods accept ingress only from the same tenant and its control plane
 * (Cilium enforces NetworkPolicies like its own, and adds nothing by default: a pod selected by any ingress policy
 * denies what none allows). The egress fence is the chart's or Kubeloom's (tenantFenceOwner).
 *
 * Pods that a tenant policy with ingress rules selects are left out (see unclaimedPodSelectors): an L3 allowance
 * from the whole tenant would also allow every port those pods' policy restricts to L7 rules (Cilium
 * docs/security/policy/layer7: with an L4 rule and the same L4 rule with L7 rules, "the layer 7 portions of the
 * latter rule will have no effect"). Such pods accept exactly what their policies allow.
 */
export function tenantIngressIsolation(line: VClusterLine, vcluster: string, namespace: string, claimed: readonly TenantPods[]): KubeManifest[] {
    return unclaimedPolicies(line, vcluster, namespace, claimed, "kubeloom-tenant-ingress", {
        ingress: [
            // The tenant's own pods (this namespace only: no namespaceSelector).
            { from: [{ podSelector: { matchLabels: { [MANAGED_BY_LABEL]: vcluster } } }] },
            // Its control plane: the API server calls the tenant's webhooks and aggregated APIs.
            { from: [{ podSelector: { matchLabels: { [RELEASE_LABEL]: vcluster } } }] },
        ],
    });
}

// ---------------------------------------------------------------------------------------------------------------
// The tenant's fence: egress of its pods, its control plane, its DNS server

/**
 * Who writes a tenant's fence when it is isolated. The one place this is decided:
 * - 0.20: the chart (`policies.networkPolicy.enabled`). Its policies fence egress only (v0.20.6
 *   chart/templates/networkpolicy.yaml vc-work, vc-cp), so Kubeloom's ingress isolation decides who reaches a pod.
 * - 0.36: Kubeloom. The chart's vc-work policy also has an ingress rule admitting every pod of the tenant (v0.36.1
 *   chart/templates/networkpolicy.yaml, "Allow ingress from other vcluster workloads") on all ports; no value
 *   removes it, and that L3 allowance would void the L7 rules of the tenant's own ingress policies (Cilium
 *   wildcards L7 rules for peers an L3 rule allows: docs/security/policy/layer7). So the chart's policies stay off
 *   and Kubeloom writes their equivalent (tenantFencePolicies) beside its ingress isolation, which leaves out the
 *   pods a tenant ingress policy selects.
 */
export function tenantFenceOwner(line: VClusterLine): "chart" | "kubeloom" {
    switch (line) {
        case "0.20":
            return "chart";
        case "0.36":
            return "kubeloom";
        default:
            return assertNever(line);
    }
}

/** Addresses the public-egress allowance leaves out: the chart's default (v0.36.1 values.yaml workload.publicEgress.except). */
export const PRIVATE_RANGES = ["100.64.0.0/10", "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

const tcp = (port: number) => ({ port, protocol: "TCP" });
const udp = (port: number) => ({ port, protocol: "UDP" });
/** The host cluster's DNS, which the control plane and the tenant's DNS server forward to. */
const HOST_KUBE_DNS = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } };

function fencePolicy(name: string, namespace: string, spec: Record<string, unknown>): KubeManifest {
    return sortKeysDeep({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "kubeloom" } },
        spec: { ...spec, policyTypes: [...(spec.ingress ? ["Ingress"] : []), ...(spec.egress ? ["Egress"] : [])] },
    }) as KubeManifest;
}

/**
 * The NetworkPolicies of a tenant's fence that Kubeloom writes (none where the chart writes them, see
 * tenantFenceOwner). On 0.36 they are the chart's vc-work egress, vc-cp and vc-kube-dns policies (v0.36.1
 * chart/templates/networkpolicy.yaml) with three changes:
 * - the workloads' ingress is left to tenantIngressIsolation;
 * - the workloads' egress is split: every tenant pod may reach its control plane (`kubeloom-tenant-api`), but the
 *   allowance of the tenant's own pods and the internet (`kubeloom-tenant-egress*`) leaves out the pods a tenant
 *   egress policy selects (`egressClaimed`), for the same reason as on ingress: an L3 allowance voids the L7 rules
 *   of those peers, and would let those pods reach what their policy does not allow;
 * - the control plane admits no `app: loft` pod of any namespace (Kubeloom installs no vCluster Platform, and that
 *   label is free for anyone to set).
 * The chart's vc-snapshot policy fences the pod `vcluster snapshot` starts, which Kubeloom never runs; the control
 * plane still admits it.
 */
export function tenantFencePolicies(line: VClusterLine, vcluster: string, namespace: string, egressClaimed: readonly TenantPods[]): KubeManifest[] {
    if (tenantFenceOwner(line) === "chart") return [];
    const workloads = { podSelector: { matchLabels: { [MANAGED_BY_LABEL]: vcluster } } };
    const controlPlane = { podSelector: { matchLabels: { [RELEASE_LABEL]: vcluster } } };
    return [
        // Every tenant pod: its control plane (API 8443, embedded DNS 1053).
        fencePolicy("kubeloom-tenant-api", namespace, {
            podSelector: workloads.podSelector,
            egress: [{ to: [controlPlane], ports: [udp(1053), tcp(1053), tcp(8443)] }],
        }),
        // Pods no tenant egress policy selects: the tenant's own pods (its CoreDNS among them) and the internet.
        ...unclaimedPolicies(line, vcluster, namespace, egressClaimed, "kubeloom-tenant-egress", {
            egress: [{ to: [workloads] }, { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES] } }] }],
        }),
        fencePolicy("kubeloom-control-plane", namespace, {
            podSelector: controlPlane.podSelector,
            egress: [
                { to: [HOST_KUBE_DNS] },
                // The host API server (its Service and endpoints: 443, 6443 on K3s/kind, 8443 elsewhere).
                { ports: [tcp(443), tcp(8443), tcp(6443)] },
                { to: [controlPlane] },
                { to: [workloads] },
            ],
            ingress: [
                // Clients of the vCluster API, through its Service or node port (target port 8443).
                { ports: [tcp(8443)] },
                { from: [controlPlane] },
                { from: [workloads], ports: [udp(1053), tcp(1053), tcp(8443)] },
                { from: [{ podSelector: { matchLabels: { app: "vcluster-snapshot" } } }] },
            ],
        }),
        // The tenant's CoreDNS (a synced pod, k8s-app=vcluster-kube-dns on 0.36): forwards to the host's DNS.
        fencePolicy("kubeloom-tenant-dns", namespace, {
            podSelector: { matchLabels: { "k8s-app": "vcluster-kube-dns", [MANAGED_BY_LABEL]: vcluster } },
            egress: [{ to: [HOST_KUBE_DNS] }, { to: [controlPlane], ports: [tcp(8443)] }],
            ingress: [{ from: [workloads], ports: [tcp(1053), udp(1053)] }],
        }),
    ];
}

/** One policy per selector of "a tenant pod no claiming policy selects": `<name>`, `<name>-1`, … */
function unclaimedPolicies(line: VClusterLine, vcluster: string, namespace: string, claimed: readonly TenantPods[], name: string, rules: Record<string, unknown>): KubeManifest[] {
    const selectors = unclaimedPodSelectors(line, vcluster, claimed);
    if (selectors.length > MAX_ISOLATION_POLICIES) {
        throw new Error(`vCluster ${vcluster}: its policies' selectors need ${selectors.length} ${name} NetworkPolicies, more than ${MAX_ISOLATION_POLICIES}; the config rules refuse this (internal error)`);
    }
    return selectors.map((matchExpressions, index) => fencePolicy(index === 0 ? name : `${name}-${index}`, namespace, { podSelector: { matchExpressions }, ...rules }));
}

/** How many NetworkPolicies the allowance for pods these policies leave out needs (unclaimedPodSelectors; for the config rule). */
export function isolationPolicyCount(claimed: readonly TenantPods[]): number {
    return claimed.reduce((count, pods) => count * (Object.keys(pods.labels).length + (pods.namespace !== undefined ? 1 : 0)), 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Pod Security Standards

/** Pod Security Standard levels (Kubernetes pod-security.kubernetes.io). */
export const POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

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

/** The pod-security.kubernetes.io labels of a tenant's host namespace. */
export function podSecurityNamespaceLabels(tenant: PodSecurityLevel): Record<string, string> {
    const enforce = hostPodSecurityLevel(tenant);
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": tenant,
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": tenant,
        "pod-security.kubernetes.io/audit-version": "latest",
    };
}
