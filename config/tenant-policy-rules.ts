/**
 * Rules on a tenant's `networkPolicies` that need the objects Kubeloom will write for it: how many fence policies
 * the pods they leave out need, and HTTP rules that another rule would void. The voiding rule itself is
 * config/l7-voiding.ts (pre-flight runs the same on everything rendered); this file only maps it to keys.
 */
import type { VClusterConfig } from "./schema";
import type { ConfigIssue } from "./config-error";
import { tenantNetworkPolicies } from "./resolve";
import { tenantPolicyObjectName } from "../components/tenant-policy";
import { claimedPods, HostApiServerPort, isolationPolicyCount, MAX_ISOLATION_POLICIES, tenantHostPolicies } from "../components/tenant-fence";
import { tenantFenceOwner, vclusterLine } from "../components/support-matrix";
import { voidedHttpRuleMessage, voidedHttpRules } from "./l7-voiding";
import { vclusterNamespace } from "../components/vcluster-values";

/** Issues of one vCluster's network policies; `at` is its key path (`clusters[i].vclusters[j]`), `hostApiServerPort` its cluster's (apiServerPort). */
export function tenantPolicyIssues(v: VClusterConfig, at: string, hostApiServerPort: HostApiServerPort): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const line = vclusterLine(v.version);
    if (line === undefined) return issues;
    const policies = tenantNetworkPolicies(v);
    // Kubeloom's fence leaves out the pods a tenant policy selects, on ingress always and on egress where it writes
    // the egress fence (tenantFenceOwner); each left-out set needs its NotIn policies.
    const directions = tenantFenceOwner(line) === "kubeloom" ? (["ingress", "egress"] as const) : (["ingress"] as const);
    let tooMany = false;
    for (const direction of directions) {
        const count = isolationPolicyCount(claimedPods(policies, direction));
        if (v.isolate && count > MAX_ISOLATION_POLICIES) {
            tooMany = true;
            issues.push({ path: `${at}.networkPolicies`, message: `the ${direction} policies' selectors (namespace and labels) would need ${count} isolation NetworkPolicies for the pods they leave out, more than ${MAX_ISOLATION_POLICIES}; select with fewer labels or merge policies` });
        }
    }
    if (v.isolate && tenantFenceOwner(line) === "chart") {
        // The 0.20 chart's egress fence allows every pod of the tenant at L3 (v0.20.6
        // chart/templates/networkpolicy.yaml vc-work), which voids L7 rules towards them.
        v.networkPolicies.forEach((p, k) => p.egress.forEach((rule, r) => {
            if (rule.http !== undefined && rule.toPods !== undefined) {
                issues.push({ path: `${at}.networkPolicies[${k}].egress[${r}].http`, message: `has no effect on vCluster ${v.version} with isolate: true: the chart's egress NetworkPolicy allows every pod of the tenant at L3, which voids L7 rules towards them; use vCluster 0.36 (whose fence Kubeloom writes and leaves these pods out of), set isolate: false, or drop http` });
            }
        }));
    }
    if (tooMany || policies.length === 0) return issues;
    // The objects Kubeloom writes for this tenant (tenantHostPolicies, as VCluster), checked for voided HTTP rules.
    const namespace = vclusterNamespace(v.name);
    const host = tenantHostPolicies(line, v.name, namespace, v.isolate, policies, hostApiServerPort);
    const objects = [...host.networkPolicies, ...host.ciliumPolicies].map((object) => ({ object, namespace }));
    for (const voided of voidedHttpRules(objects)) {
        const k = policies.findIndex((p) => tenantPolicyObjectName(p.name) === voided.policy.object.metadata.name);
        issues.push({ path: `${at}.networkPolicies[${k}].${voided.rule.direction}[${voided.rule.index}].http`, message: voidedHttpRuleMessage(voided) });
    }
    return issues;
}
