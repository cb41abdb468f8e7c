/**
 * Rules on a cluster's vCluster tenants: unique names, options that only apply to one exposure, quota keys, and
 * their host-side network policies.
 */
import type { ConfigIssue } from "../config-error";
import { tenantPolicyIssues } from "../tenant-policy-rules";
import { duplicates, Rule } from "./rule";

export const vclustersConsistent: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const issues: ConfigIssue[] = [];
        for (const j of duplicates(c.vclusters, (v) => v.name)) {
            issues.push({ path: `clusters[${i}].vclusters[${j}].name`, message: `"${c.vclusters[j].name}" is already used in this cluster; vCluster names must be unique per cluster` });
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
            for (const k of duplicates(v.networkPolicies, (p) => p.name)) {
                issues.push({ path: `${at}.networkPolicies[${k}].name`, message: `"${v.networkPolicies[k].name}" is already used by another policy of this vCluster; policy names must be unique` });
            }
            issues.push(...tenantPolicyIssues(v, at));
            if (v.expose === "LoadBalancer" && v.loadBalancerIP === undefined) {
                issues.push({ path: `${at}.loadBalancerIP`, message: "is required with expose: LoadBalancer, so the exported kubeconfig and the certificate can name the server; pick a free address from the cluster's LoadBalancer pool" });
            }
        });
        return issues;
    });
