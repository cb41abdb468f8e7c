/**
 * Rules on a cluster's Cilium: Hubble, operator replicas against the nodes, CNI chaining (its router CIDR), and
 * Cilium's own load balancer (LB-IPAM).
 */
import type { ConfigIssue } from "../config-error";
import type { ClusterConfig } from "../schema";
import { DEFAULT_K3S_DISABLE } from "../../components/versions";
import { LBIPAM_MIN_CILIUM, supportsLbIpam } from "../../components/support-matrix";
import { createdNodeCount, installsCilium, clusterSource } from "../resolve";
import { chainingProblems, chainsOntoPrimaryCni, ROUTER_CIDR_NODE_MASK } from "../../components/cilium-values";
import { contains, ipv4ToInt, isIpv4, overlaps, parseAddressRange, parseCidr } from "../../lib/cidr";
import { createsCluster } from "../resolved-cluster";
import { duplicates, Rule } from "./rule";
import { quoteInput } from "../../lib/user-input";

/**
 * The operator's replicas must fit the nodes: the 1.16 chart gives cilium-operator a required pod anti-affinity on
 * kubernetes.io/hostname (values.yaml operator.affinity), so each replica needs its own node and the rest stay
 * Pending. Kind workers count, as do K3s agents; clusters Kubeloom did not create are not known here.
 */
export const operatorReplicasFit: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const nodes = createdNodeCount(c);
        const replicas = c.cilium.operatorReplicas;
        return installsCilium(c) && nodes !== undefined && replicas !== undefined && replicas > nodes
            ? [{ path: `clusters[${i}].cilium.operatorReplicas`, message: `${replicas} is more than the cluster's ${nodes} node${nodes === 1 ? "" : "s"} (${c.source.kind ? "kind control plane + workers" : "K3s server + agents"}); each operator replica needs its own node (required anti-affinity), the rest would stay Pending` }]
            : [];
    });

export const hubbleConsistent: Rule = (config) =>
    config.clusters.flatMap((c, i) =>
        c.cilium.hubble.uiNodePort !== undefined && !c.cilium.hubble.ui
            ? [{ path: `clusters[${i}].cilium.hubble.uiNodePort`, message: "needs cilium.hubble.ui: true (there is no UI to expose)" }]
            : [],
    );

/**
 * chaining.routerCidr for a mode that keeps a primary CNI (required: see chainingProblems): a network address with room for a few per-node
 * /28 blocks, and disjoint from the ranges the cluster's pods, Services and API server use.
 */
function routerCidrIssues(c: ClusterConfig, path: string): ConfigIssue[] {
    const routerCidr = c.cilium.chaining?.routerCidr;
    // Missing: a chaining problem (chainingProblems) reports it.
    if (routerCidr === undefined) return [];
    const router = parseCidr(routerCidr);
    if (typeof router === "string") return []; // the field schema reported it
    const prefix = Number(routerCidr.split("/")[1]);
    const issues: ConfigIssue[] = [];
    if (prefix > ROUTER_CIDR_NODE_MASK - 2) {
        issues.push({ path, message: `${quoteInput(routerCidr)} holds fewer than 4 nodes: Cilium gives each node a /${ROUTER_CIDR_NODE_MASK}; use a /${ROUTER_CIDR_NODE_MASK - 2} or larger (a /20 holds 256 nodes)` });
    }
    for (const field of ["podCidr", "serviceCidr"] as const) {
        const other = parseCidr(c[field]);
        if (typeof other !== "string" && overlaps(router, other)) {
            issues.push({ path, message: `${quoteInput(routerCidr)} overlaps the cluster's ${field} ${quoteInput(c[field])}: the router IPs must come from a range no pod or Service uses` });
        }
    }
    const host = c.cilium.k8sServiceHost;
    if (host !== undefined && isIpv4(host) && contains(router, ipv4ToInt(host))) {
        issues.push({ path, message: `${quoteInput(routerCidr)} contains cilium.k8sServiceHost ${host}: the router IPs must not collide with node addresses` });
    }
    return issues;
}

/**
 * CNI chaining, per the Cilium 1.16 install guides (Documentation/installation/cni-chaining-*.rst): generic-veth,
 * aws-cni and flannel keep the cluster's CNI as the primary one (its IPAM, its routing), portmap keeps Cilium primary.
 */
export const chainingConsistent: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const chaining = c.cilium.chaining;
        if (!chaining) return [];
        const at = `clusters[${i}].cilium`;
        const mode = chaining.mode;
        const issues: ConfigIssue[] = [];
        if (createsCluster(clusterSource(c))) {
            issues.push({
                path: `${at}.chaining`,
                message: "is for clusters that keep their own CNI; Kubeloom creates this cluster without one (k3s/kind source), so Cilium must be the only CNI. Remove chaining, or use a kubeconfig / stackReference source",
            });
        }
        // The chaining rules themselves are stated once, in components/cilium-values.ts; here they get key paths.
        for (const problem of chainingProblems({ chaining, routingMode: c.cilium.routingMode, ipamMode: c.cilium.ipamMode, kubeProxyReplacement: { enabled: c.cilium.kubeProxyReplacement } })) {
            issues.push({ path: `${at}.${problem.key}`, message: problem.message });
        }
        if (chainsOntoPrimaryCni(mode)) issues.push(...routerCidrIssues(c, `${at}.chaining.routerCidr`));
        if (chaining.nodes.length > 0 && Object.keys(c.cilium.nodeSelector).length === 0) {
            issues.push({ path: `${at}.nodeSelector`, message: "is empty but chaining.nodes is set: add a nodeSelector (e.g. kubeloom.io/cilium: \"true\") so the agents stay on the nodes you selected" });
        }
        for (const j of duplicates(chaining.nodes, (node) => node)) {
            issues.push({ path: `${at}.chaining.nodes[${j}]`, message: `${quoteInput(chaining.nodes[j])} is listed twice` });
        }
        return issues;
    });

/**
 * Cilium's own load balancer: never together with MetalLB (both would claim every Service without a
 * loadBalancerClass); only where this stack installs Cilium ≥ LBIPAM_MIN_CILIUM (the support matrix) with
 * kube-proxy replacement (L2 announcements need it); address entries valid; and K3s' ServiceLB off.
 */
export const ciliumLoadBalancer: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const cilium = c.loadBalancer?.cilium;
        if (!cilium) return [];
        const at = `clusters[${i}].loadBalancer`;
        const issues: ConfigIssue[] = [];
        if (c.loadBalancer?.metallb) {
            issues.push({ path: at, message: "sets both metallb and cilium; pick one: both would claim every LoadBalancer Service that names no loadBalancerClass" });
        }
        if (!installsCilium(c)) {
            issues.push({ path: `${at}.cilium`, message: "needs Cilium installed by this stack (cilium.install is false here): LB-IPAM and L2 announcements are agent and operator settings" });
        } else if (!supportsLbIpam(c.cilium.version)) {
            issues.push({ path: `${at}.cilium`, message: `needs Cilium ${LBIPAM_MIN_CILIUM} or newer (cilium.version is ${c.cilium.version}): CiliumLoadBalancerIPPool is cilium.io/v2 from ${LBIPAM_MIN_CILIUM}; use loadBalancer.metallb on older Cilium` });
        }
        if (!c.cilium.kubeProxyReplacement) {
            issues.push({ path: `${at}.cilium`, message: "needs cilium.kubeProxyReplacement: true: L2 announcements only work with kube-proxy replacement" });
        }
        cilium.addresses.forEach((text, k) => {
            const parsed = parseAddressRange(text);
            if (typeof parsed === "string") issues.push({ path: `${at}.cilium.addresses[${k}]`, message: `${quoteInput(text)} ${parsed}` });
        });
        if (c.source.k3s && !c.source.k3s.disable.includes("servicelb")) {
            issues.push({ path: `clusters[${i}].source.k3s.disable`, message: `must include "servicelb" when loadBalancer.cilium is set: K3s' ServiceLB would also claim the LoadBalancer Services (leave disable unset for the default ${JSON.stringify(DEFAULT_K3S_DISABLE)})` });
        }
        return issues;
    });
