/**
 * Rules on a cluster's vCluster tenants: unique names, options that only apply to one exposure, quota keys, and
 * their host-side network policies.
 */
import { ConfigIssue, formatPath } from "../config-error";
import type { VClusterConfig } from "../schema";
import { compareQuantities, parseQuantity } from "../../lib/k8s-formats";
import { effectiveLimitRange } from "../../components/vcluster-values";
import { quoteInput } from "../../lib/user-input";
import { tenantPolicyIssues } from "../tenant-policy-rules";
import { apiEndpoint, apiServerPort } from "../resolved-cluster";
import { duplicates, Rule } from "./rule";
import { vclusterKubernetesTag, vclusterKubernetesVersions } from "../../components/vcluster-values";
import { vclusterRelease } from "../../components/support-matrix";

/**
 * Kubernetes refuses a LimitRange whose default request of a resource is above its default limit (core validation
 * ValidateLimitRange: "default request value must be less than or equal to default limit value"), at `up`, after the
 * vCluster's release has started. Compared on what the chart renders — its release's defaults with the tenant's
 * entries merged over them (components/vcluster-values.ts effectiveLimitRange) — and as quantities (`1Gi` > `1G`).
 */
function limitRangeIssues(v: VClusterConfig, at: string): ConfigIssue[] {
    const merged = effectiveLimitRange(v.version, v.limitRange);
    const issues: ConfigIssue[] = [];
    for (const [resource, request] of Object.entries(merged.defaultRequest).sort(([a], [b]) => a.localeCompare(b))) {
        const limit = merged.default[resource];
        if (limit === undefined) continue;
        const [requested, limited] = [parseQuantity(request), parseQuantity(limit)];
        if (!requested || !limited || compareQuantities(requested, limited) <= 0) continue;
        const requestGiven = v.limitRange?.defaultRequest?.[resource] !== undefined;
        const limitGiven = v.limitRange?.default?.[resource] !== undefined;
        const limitFrom = limitGiven ? `limitRange.default${formatKey(resource)}` : `the chart's default limit at vcluster ${v.version}`;
        const requestFrom = requestGiven ? `limitRange.defaultRequest${formatKey(resource)}` : `the chart's default request at vcluster ${v.version}`;
        issues.push({
            path: requestGiven ? `${at}.limitRange.defaultRequest${formatKey(resource)}` : `${at}.limitRange.default${formatKey(resource)}`,
            message: `the default request ${quoteInput(request)} (${requestFrom}) is above the default limit ${quoteInput(limit)} (${limitFrom}); Kubernetes refuses the LimitRange at \`up\`: lower the request or raise the limit (set both to be sure)`,
        });
    }
    return issues;
}

/** A map key appended to a key path as formatPath writes it (`.cpu`, `["example.com/gpu"]`). */
function formatKey(key: string): string {
    return formatPath(["x", key]).slice(1);
}

export const vclustersConsistent: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const issues: ConfigIssue[] = [];
        for (const j of duplicates(c.vclusters, (v) => v.name)) {
            issues.push({ path: `clusters[${i}].vclusters[${j}].name`, message: `${quoteInput(c.vclusters[j].name)} is already used in this cluster; vCluster names must be unique per cluster` });
        }
        c.vclusters.forEach((v, j) => {
            const at = `clusters[${i}].vclusters[${j}]`;
            if (v.nodePort !== undefined && v.expose !== "NodePort") {
                issues.push({ path: `${at}.nodePort`, message: `is only used with expose: NodePort (expose is ${v.expose}); remove it or change expose` });
            }
            if (v.loadBalancerIP !== undefined && v.expose !== "LoadBalancer") {
                issues.push({ path: `${at}.loadBalancerIP`, message: `is only used with expose: LoadBalancer (expose is ${v.expose}); remove it or change expose` });
            }
            if (!v.quota && v.resourceQuota !== undefined) {
                issues.push({ path: `${at}.resourceQuota`, message: "is set but quota is false (no ResourceQuota renders); remove it or set quota: true" });
            }
            if (!v.quota && v.limitRange !== undefined) {
                issues.push({ path: `${at}.limitRange`, message: "is set but quota is false (no LimitRange renders); remove it or set quota: true" });
            }
            if (v.quota) issues.push(...limitRangeIssues(v, at));
            for (const k of duplicates(v.networkPolicies, (p) => p.name)) {
                issues.push({ path: `${at}.networkPolicies[${k}].name`, message: `${quoteInput(v.networkPolicies[k].name)} is already used by another policy of this vCluster; policy names must be unique` });
            }
            issues.push(...tenantPolicyIssues(v, at, apiServerPort(apiEndpoint(c))));
            if (v.demo && v.expose === "ClusterIP") {
                issues.push({ path: `${at}.demo`, message: "needs expose: NodePort or LoadBalancer: the demo is deployed through the tenant's kubeconfig, whose ClusterIP server (https://localhost:8443) answers only through a port-forward" });
            }
            if (v.verify && !v.demo) {
                issues.push({ path: `${at}.verify`, message: "checks the Star Wars demo; set demo: true too (or remove verify)" });
            }
            if (v.kubernetesVersion !== undefined && vclusterKubernetesTag(v.version, v.kubernetesVersion) === undefined) {
                issues.push({ path: `${at}.kubernetesVersion`, message: `"${v.kubernetesVersion}" is not offered by vcluster ${v.version}'s ${vclusterRelease(v.version)?.distro ?? ""} distro: it offers ${vclusterKubernetesVersions(v.version).join(", ")}${v.version === "0.20.6" ? " (0.36.1 offers up to 1.36)" : ""}` });
            }
            if (v.expose === "LoadBalancer" && v.loadBalancerIP === undefined) {
                issues.push({ path: `${at}.loadBalancerIP`, message: "is required with expose: LoadBalancer, so the exported kubeconfig and the certificate can name the server; pick a free address from the cluster's LoadBalancer pool" });
            }
        });
        return issues;
    });
