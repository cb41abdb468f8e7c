/**
 * An L7 (HTTP) rule of a CiliumNetworkPolicy that another policy voids — one rule, used by the config layer (on
 * the objects Kubeloom writes for a tenant, to name the key) and by pre-flight (on everything rendered, `l7-voided`).
 * It lives in config/ beside its first user: no component renders from it, and scripts/ (pre-flight) sits above.
 * Cilium wildcards the L7 rules for every peer that some rule on the same endpoint allows at L3 or L4 without L7
 * rules — for an L4 rule, docs/security/policy/layer7 at v1.20.2: "the layer 7 portions of the latter rule will
 * have no effect"; for an L3-only rule, the policy model's L7 wildcarding of its peers (cilium/cilium #3698 "Fix L3
 * only rules to wildcard L7", PR #3634, pkg/policy wildcardL3L4Rule) — and it enforces Kubernetes NetworkPolicies
 * as such rules. Not run against a live Cilium here. So a NetworkPolicy that admits the same peers on the same
 * port (or on every port) silently turns "only POST /v1/request-landing" into "anything".
 *
 * What is checked: CNP rules whose peers are `fromEndpoints` / `toEndpoints` given by matchLabels (the form
 * Kubeloom writes), against NetworkPolicies and the L3/L4 rules of CiliumNetworkPolicies of the same namespace.
 * A pod is modelled by exactly the labels a selector names, so a selector that needs other labels does not count
 * as matching. Entity, CIDR and FQDN peers are not checked.
 */

type Labels = Readonly<Record<string, string>>;
interface Requirement {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
}
interface LabelSelector {
    readonly matchLabels?: Labels;
    readonly matchExpressions?: readonly Requirement[];
}
interface NetworkPolicyPeer {
    readonly podSelector?: LabelSelector;
    readonly namespaceSelector?: LabelSelector;
    readonly ipBlock?: unknown;
}
interface NetworkPolicyRule {
    readonly from?: readonly NetworkPolicyPeer[];
    readonly to?: readonly NetworkPolicyPeer[];
    readonly ports?: ReadonlyArray<{ readonly port?: number | string; readonly protocol?: string }>;
}

/** Whether a Kubernetes label selector selects a pod with exactly these labels (an empty selector selects all). */
export function selectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
    for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) if (labels[key] !== value) return false;
    for (const { key, operator, values = [] } of selector?.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, key);
        const ok =
            operator === "In" ? has && values.includes(labels[key]) :
            operator === "NotIn" ? !(has && values.includes(labels[key])) :
            operator === "Exists" ? has :
            operator === "DoesNotExist" ? !has : false;
        if (!ok) return false;
    }
    return true;
}

/** Whether one NetworkPolicy rule admits a same-namespace pod with `peer` labels on `port`/`protocol`. */
function ruleAdmits(rule: NetworkPolicyRule, peers: readonly NetworkPolicyPeer[] | undefined, peer: Labels, port: string, protocol: string): boolean {
    const portOk = !rule.ports || rule.ports.length === 0 || rule.ports.some((p) => (p.port === undefined || String(p.port) === port) && (p.protocol ?? "TCP") === protocol);
    if (!portOk) return false;
    // No peers: every source/destination. A namespaceSelector-less podSelector: pods of the policy's namespace.
    if (!peers || peers.length === 0) return true;
    return peers.some((p) => p.ipBlock === undefined && p.namespaceSelector === undefined && p.podSelector !== undefined && selectorMatches(p.podSelector, peer));
}

export interface L7Rule {
    readonly direction: "ingress" | "egress";
    readonly index: number;
    readonly peer: Labels;
    readonly port: string;
    readonly protocol: string;
}

/** The HTTP-restricted (peer, port) pairs of a CNP's rules, for label-selected peers. */
function l7Rules(spec: Record<string, unknown>): L7Rule[] {
    const result: L7Rule[] = [];
    for (const direction of ["ingress", "egress"] as const) {
        const rules = (spec[direction] as Array<Record<string, unknown>> | undefined) ?? [];
        rules.forEach((rule, index) => {
            const peers = (rule[direction === "ingress" ? "fromEndpoints" : "toEndpoints"] as LabelSelector[] | undefined) ?? [];
            const toPorts = (rule.toPorts as Array<{ ports?: Array<{ port: string; protocol?: string }>; rules?: { http?: unknown[] } }> | undefined) ?? [];
            for (const entry of toPorts) {
                if (!entry.rules?.http || entry.rules.http.length === 0) continue;
                for (const selector of peers) {
                    if (selector.matchExpressions && selector.matchExpressions.length > 0) continue;
                    for (const p of entry.ports ?? []) result.push({ direction, index, peer: selector.matchLabels ?? {}, port: String(p.port), protocol: p.protocol ?? "TCP" });
                }
            }
        });
    }
    return result;
}

/** Whether a CNP rule admits a pod with `peer` labels on `port`/`protocol` without L7 rules (L3-only or plain L4). */
function cnpRuleAdmitsWithoutL7(rule: Record<string, unknown>, direction: "ingress" | "egress", peer: Labels, port: string, protocol: string): boolean {
    const selectors = rule[direction === "ingress" ? "fromEndpoints" : "toEndpoints"] as LabelSelector[] | undefined;
    if (!selectors || !selectors.some((selector) => selectorMatches(selector, peer))) return false;
    const toPorts = rule.toPorts as Array<{ ports?: Array<{ port: string; protocol?: string }>; rules?: Record<string, unknown[]> }> | undefined;
    if (!toPorts || toPorts.length === 0) return true;
    return toPorts.some((entry) => !entry.rules && (entry.ports ?? []).some((p) => String(p.port) === port && [protocol, "ANY"].includes(p.protocol ?? "ANY")));
}


/** A namespaced policy object (NetworkPolicy or CiliumNetworkPolicy) as the check reads it. */
export interface PolicyObject {
    readonly kind: string;
    readonly metadata: { readonly name?: unknown };
    readonly spec?: unknown;
    readonly [key: string]: unknown;
}

/** An HTTP rule that another rule voids: the CNP and its rule, and the rule that voids it. */
export interface VoidedHttpRule {
    readonly policy: { readonly object: PolicyObject; readonly namespace?: string };
    readonly rule: L7Rule;
    /** `Kind/namespace/name direction[index]` of the voiding rule ("its own …" for the same CNP). */
    readonly by: string;
}

const ref = (p: { object: PolicyObject; namespace?: string }) => `${p.object.kind}/${p.namespace}/${String(p.object.metadata.name)}`;

/** Every HTTP rule of the CNPs among `objects` that a NetworkPolicy or an L3/L4 CNP rule of the same namespace voids. */
export function voidedHttpRules(objects: ReadonlyArray<{ readonly object: PolicyObject; readonly namespace?: string }>): VoidedHttpRule[] {
    const found: VoidedHttpRule[] = [];
    const networkPolicies = objects.filter((p) => p.object.kind === "NetworkPolicy");
    const ciliumPolicies = objects.filter((p) => p.object.kind === "CiliumNetworkPolicy");
    for (const placed of ciliumPolicies) {
        const spec = (placed.object.spec ?? {}) as Record<string, unknown>;
        const endpoint = (spec.endpointSelector as LabelSelector | undefined) ?? {};
        if (endpoint.matchExpressions && endpoint.matchExpressions.length > 0) continue;
        const pod = endpoint.matchLabels ?? {};
        for (const rule of l7Rules(spec)) {
            for (const np of networkPolicies.filter((n) => n.namespace === placed.namespace)) {
                const npSpec = (np.object.spec ?? {}) as { podSelector?: LabelSelector; policyTypes?: string[]; ingress?: NetworkPolicyRule[]; egress?: NetworkPolicyRule[] };
                const types = npSpec.policyTypes ?? (npSpec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
                if (!types.includes(rule.direction === "ingress" ? "Ingress" : "Egress") || !selectorMatches(npSpec.podSelector, pod)) continue;
                const voiding = (npSpec[rule.direction] ?? []).findIndex((r) => ruleAdmits(r, rule.direction === "ingress" ? r.from : r.to, rule.peer, rule.port, rule.protocol));
                if (voiding >= 0) found.push({ policy: placed, rule, by: `${ref(np)} ${rule.direction}[${voiding}]` });
            }
            for (const other of ciliumPolicies.filter((c) => c.namespace === placed.namespace)) {
                const otherSpec = (other.object.spec ?? {}) as Record<string, unknown>;
                if (!selectorMatches(otherSpec.endpointSelector as LabelSelector | undefined, pod)) continue;
                const otherRules = (otherSpec[rule.direction] as Array<Record<string, unknown>> | undefined) ?? [];
                const voiding = otherRules.findIndex((r) => cnpRuleAdmitsWithoutL7(r, rule.direction, rule.peer, rule.port, rule.protocol));
                if (voiding >= 0) found.push({ policy: placed, rule, by: `${other === placed ? "its own" : ref(other)} ${rule.direction}[${voiding}]` });
            }
        }
    }
    return found;
}

/** One sentence for a voided rule (the config layer and pre-flight say the same). */
export function voidedHttpRuleMessage(v: VoidedHttpRule): string {
    return `the HTTP rules of ${v.rule.direction}[${v.rule.index}] on ${v.rule.protocol}/${v.rule.port} have no effect: ${v.by} allows the same peers at L3/L4, and Cilium then allows every request`;
}
