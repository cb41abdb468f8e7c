/**
 * Pure builders for a tenant's fence: the host NetworkPolicies that isolate a vCluster's pods (ingress isolation
 * on both chart lines; on 0.36 also the egress, control-plane and DNS policies the chart would write). Who writes
 * them per chart line is a version fact of the support matrix (tenantFenceOwner). The tenant's own policies and
 * the syncer's labels are in tenant-policy.ts.
 */
import { assertNever } from "../lib/assert-never";
import { sortKeysDeep } from "../lib/values-util";
import { KubeManifest, MANAGED_BY_LABEL, RELEASE_LABEL, tenantCiliumNetworkPolicy, TenantNetworkPolicy, tenantPodSelector, TenantPods } from "./tenant-policy";
import { tenantFenceOwner, VClusterLine } from "./support-matrix";
import { MANAGED_BY_KUBELOOM } from "./identity";

// ---------------------------------------------------------------------------------------------------------------
// Ingress isolation

/** A matchExpressions requirement. */
interface Requirement {
    readonly key: string;
    readonly operator: "In" | "NotIn";
    readonly values: string[];
}

/** Name of a tenant's (first) ingress isolation NetworkPolicy; every isolated tenant has it on both lines. */
export const INGRESS_ISOLATION_POLICY = "kubeloom-tenant-ingress";

/** Most NetworkPolicies one left-out allowance of a tenant may need, per direction (isolationPolicyCount). */
export const MAX_ISOLATION_POLICIES = 64;

/**
 * The pod selectors (matchExpressions, ANDed; the list is a union) for "a pod of this tenant that none of the
 * `claimed` selections selects" (claimedPods: the pods of the tenant's ingress, or egress, policies). Not (a ∧ b ∧ c) is ¬a ∨ ¬b ∨ ¬c; for several policies, one negated term from each (their product).
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
    return unclaimedPolicies(line, vcluster, namespace, claimed, INGRESS_ISOLATION_POLICY, {
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

/** Addresses the public-egress allowance leaves out: the chart's default (v0.36.1 values.yaml workload.publicEgress.except). */
export const PRIVATE_RANGES = ["100.64.0.0/10", "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

const tcp = (port: number) => ({ port, protocol: "TCP" });
const udp = (port: number) => ({ port, protocol: "UDP" });
/**
 * The port the host cluster's API server listens on — the endpoint port of its `default/kubernetes` Service, not the
 * Service's 443 — or "unknown" for an existing cluster whose config names no API endpoint.
 */
export type HostApiServerPort = number | "unknown";

/**
 * The ports the 0.36 chart's control-plane policy opens towards the host API server (v0.36.1
 * chart/templates/networkpolicy.yaml vc-cp): the `kubernetes` Service's 443 and two guessed endpoint ports.
 */
export const CHART_HOST_API_PORTS = [443, 8443, 6443] as const;

/**
 * The ports the tenant's control plane may reach the host API server on. The pod dials `kubernetes.default` on 443,
 * but Cilium translates a Service address to a backend before it enforces egress policy — kube-proxy replacement
 * at connect() in the socket (Cilium Documentation/network/kubernetes/kubeproxy-free.rst, "socket-LB"), else per
 * packet at the pod's interface — so the rule is matched against the endpoint's port, the API server's real one:
 * 6443 on K3s, `source.k3s.apiPort` when changed, 443 on EKS (cilium/cilium#31434: "one has to make sure to allow
 * access to the endpoint port and not the service port"). That port replaces the chart's guessed 6443. The chart's
 * 443 and 8443 stay: Kubernetes leaves undefined whether a NetworkPolicy sees the address before or after such a
 * rewrite (kubernetes.io docs/concepts/services-networking/network-policies), and the fence never opens less of
 * the usual ports than the chart would. Unknown (an existing cluster without `cilium.k8sServiceHost` and
 * `k8sServicePort`): the chart's own ports, the best guess there is; setting both names the real one.
 */
export function hostApiServerPorts(apiServerPort: HostApiServerPort): number[] {
    if (apiServerPort === "unknown") return [...CHART_HOST_API_PORTS];
    return [...new Set([443, 8443, apiServerPort])];
}

/** The host cluster's DNS, which the control plane and the tenant's DNS server forward to. */
const HOST_KUBE_DNS = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } };

function fencePolicy(name: string, namespace: string, spec: Record<string, unknown>): KubeManifest {
    return sortKeysDeep({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace, labels: { ...MANAGED_BY_KUBELOOM } },
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
 *   label is free for anyone to set);
 * - the control plane reaches the host API server on its real port, not the chart's guessed 6443
 *   (`hostApiServerPort`, see hostApiServerPorts).
 * The chart's vc-snapshot policy fences the pod `vcluster snapshot` starts, which Kubeloom never runs; the control
 * plane still admits it.
 */
export function tenantFencePolicies(line: VClusterLine, vcluster: string, namespace: string, egressClaimed: readonly TenantPods[], hostApiServerPort: HostApiServerPort): KubeManifest[] {
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
                // The host API server, on the port Cilium matches after Service translation (hostApiServerPorts).
                { ports: hostApiServerPorts(hostApiServerPort).map(tcp) },
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

/** The pods of a tenant's policies with rules in `direction`: the pods the fence's default allowance leaves out. */
export function claimedPods(policies: readonly TenantNetworkPolicy[], direction: "ingress" | "egress"): TenantPods[] {
    return policies.filter((p) => p[direction].length > 0).map((p) => p.pods);
}

/**
 * Every host-side policy Kubeloom writes for a tenant, in its namespace: with `isolate`, the fence and the ingress
 * isolation (NetworkPolicies); always, the tenant's own policies (CiliumNetworkPolicies). VCluster creates exactly
 * these, and the config rules check them (config/tenant-policy-rules.ts).
 */
export function tenantHostPolicies(line: VClusterLine, vcluster: string, namespace: string, isolate: boolean, policies: readonly TenantNetworkPolicy[], hostApiServerPort: HostApiServerPort): { networkPolicies: KubeManifest[]; ciliumPolicies: KubeManifest[] } {
    return {
        networkPolicies: isolate ? [...tenantFencePolicies(line, vcluster, namespace, claimedPods(policies, "egress"), hostApiServerPort), ...tenantIngressIsolation(line, vcluster, namespace, claimedPods(policies, "ingress"))] : [],
        ciliumPolicies: policies.map((policy) => tenantCiliumNetworkPolicy(line, vcluster, namespace, policy)),
    };
}
