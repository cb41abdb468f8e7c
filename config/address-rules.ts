/**
 * Address rules: pod/service CIDRs, node addresses and MetalLB pools that parse but cannot work on a real
 * cluster. Used by config/rules.ts; pure.
 */
import type { StackConfig } from "./schema";
import type { ConfigIssue } from "./config-error";
import { createdNodeCount } from "./resolve";
import { contains, ipv4ToInt, isIpv4, overlaps, parseAddressRange, parseCidr, Ipv4Interval } from "../lib/cidr";
import { k3sNodes } from "./resolve";
import { quoteInput } from "../lib/user-input";

/** Special-purpose IPv4 ranges (RFC 6890) that can never carry pod or Service traffic. */
export const SPECIAL_PURPOSE_RANGES: ReadonlyArray<{ readonly cidr: string; readonly what: string }> = [
    { cidr: "0.0.0.0/8", what: "\"this network\"" },
    { cidr: "127.0.0.0/8", what: "loopback" },
    { cidr: "169.254.0.0/16", what: "link-local" },
    { cidr: "224.0.0.0/4", what: "multicast" },
    { cidr: "240.0.0.0/4", what: "reserved (includes 255.255.255.255 broadcast)" },
];

/** kube-apiserver refuses a --service-cluster-ip-range wider than /12 for IPv4 (cmd/kube-apiserver options validation). */
export const MIN_SERVICE_PREFIX = 12;
/** kube-controller-manager's default --node-cidr-mask-size for IPv4, which K3s keeps: each node gets a /24. */
export const NODE_CIDR_MASK = 24;

/** True when `text` has the shape of a dotted IPv4 address (digits and dots only), valid or not. */
export function looksLikeIpv4(text: string): boolean {
    return /^[0-9.]+$/.test(text);
}

/** Every issue of this class, with the key path of the value to change. */
export function addressIssues(config: StackConfig): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const special = SPECIAL_PURPOSE_RANGES.map((r) => ({ ...r, interval: parseCidr(r.cidr) as Ipv4Interval }));
    config.clusters.forEach((c, i) => {
        const at = `clusters[${i}]`;
        for (const field of ["podCidr", "serviceCidr"] as const) {
            const range = parseCidr(c[field]) as Ipv4Interval;
            const hit = special.find((s) => overlaps(s.interval, range));
            if (hit) {
                issues.push({ path: `${at}.${field}`, message: `${quoteInput(c[field])} overlaps ${hit.cidr} (${hit.what}); use a private range such as 10.42.0.0/16` });
            }
        }
        const servicePrefix = Number(c.serviceCidr.split("/")[1]);
        if (servicePrefix < MIN_SERVICE_PREFIX) {
            issues.push({ path: `${at}.serviceCidr`, message: `${quoteInput(c.serviceCidr)} is larger than kube-apiserver accepts (at most a /${MIN_SERVICE_PREFIX} for IPv4); use a prefix of ${MIN_SERVICE_PREFIX} to 28, e.g. 10.43.0.0/16` });
        }
        const podPrefix = Number(c.podCidr.split("/")[1]);
        const k3s = c.source.k3s;
        // Nodes that each take a /24 from the pod range: the K3s server and agents, or kind's control plane and workers.
        const nodes = createdNodeCount(c) ?? 1;
        if (podPrefix > NODE_CIDR_MASK) {
            issues.push({ path: `${at}.podCidr`, message: `${quoteInput(c.podCidr)} is smaller than one node's pod range (/${NODE_CIDR_MASK}, the controller manager's node mask); use a prefix of at most ${NODE_CIDR_MASK}, e.g. 10.42.0.0/16` });
        } else if (2 ** (NODE_CIDR_MASK - podPrefix) < nodes) {
            issues.push({ path: `${at}.podCidr`, message: `${quoteInput(c.podCidr)} holds ${2 ** (NODE_CIDR_MASK - podPrefix)} node ranges of /${NODE_CIDR_MASK} but the cluster has ${nodes} nodes; use a larger range` });
        }
        // The registration address (a VIP or load balancer) is on the nodes' network too.
        const registration = k3s?.registrationAddress !== undefined ? [{ path: `${at}.source.k3s.registrationAddress`, host: k3s.registrationAddress }] : [];
        const k3sHosts = k3s ? k3sNodes(k3s, `${at}.source.k3s`) : undefined;
        const nodeHosts = k3sHosts ? [...k3sHosts.servers, ...k3sHosts.agents, ...registration] : [];
        const pod = parseCidr(c.podCidr) as Ipv4Interval;
        const service = parseCidr(c.serviceCidr) as Ipv4Interval;
        const lbKey = c.loadBalancer?.cilium ? "cilium" : "metallb";
        const lbName = c.loadBalancer?.cilium ? "Cilium's L2 announcement" : "MetalLB";
        const pools = (c.loadBalancer?.[lbKey]?.addresses ?? []).map((text, k) => ({ k, text, range: parseAddressRange(text) }));
        // Every cluster's pool, not only a mesh member's: an address inside the cluster's own pod or Service range
        // would be handed to a LoadBalancer Service while pods or ClusterIPs use it.
        for (const pool of pools) {
            if (typeof pool.range === "string") continue;
            for (const [field, range] of [["podCidr", pod], ["serviceCidr", service]] as const) {
                if (overlaps(pool.range, range)) {
                    issues.push({ path: `${at}.loadBalancer.${lbKey}.addresses[${pool.k}]`, message: `${quoteInput(pool.text)} overlaps the cluster's ${field} ${quoteInput(c[field])}; LoadBalancer addresses must lie outside the pod and Service ranges, on the nodes' network` });
                }
            }
        }
        // The API and node addresses a cluster Kubeloom did not create is reached on: a pool holding one would give it
        // to a Service and answer ARP for it.
        const apiAndNodeAddresses = [
            { path: `${at}.cilium.k8sServiceHost`, host: c.cilium.k8sServiceHost },
            { path: `${at}.source.kubeconfig.nodeAddress`, host: c.source.kubeconfig?.nodeAddress },
            { path: `${at}.source.stackReference.nodeAddress`, host: c.source.stackReference?.nodeAddress },
            { path: `${at}.clustermesh.nodeAddress`, host: c.clustermesh?.nodeAddress },
        ].flatMap((a) => (a.host !== undefined && isIpv4(a.host) ? [{ path: a.path, host: a.host }] : []));
        for (const address of apiAndNodeAddresses) {
            for (const pool of pools) {
                if (typeof pool.range !== "string" && contains(pool.range, ipv4ToInt(address.host))) {
                    issues.push({ path: `${at}.loadBalancer.${lbKey}.addresses[${pool.k}]`, message: `${quoteInput(pool.text)} contains ${address.host} (${address.path}); ${lbName} would hand it to a Service and answer ARP for it; exclude it from the pool` });
                }
            }
        }
        for (const node of nodeHosts) {
            if (!isIpv4(node.host)) continue;
            const address = ipv4ToInt(node.host);
            if (contains(pod, address)) issues.push({ path: `${at}.podCidr`, message: `${quoteInput(c.podCidr)} contains the node address ${node.host} (${node.path}); pick a pod range apart from the nodes' network` });
            if (contains(service, address)) issues.push({ path: `${at}.serviceCidr`, message: `${quoteInput(c.serviceCidr)} contains the node address ${node.host} (${node.path}); pick a service range apart from the nodes' network` });
            for (const pool of pools) {
                if (typeof pool.range !== "string" && contains(pool.range, address)) {
                    issues.push({ path: `${at}.loadBalancer.${lbKey}.addresses[${pool.k}]`, message: `${quoteInput(pool.text)} contains the node address ${node.host} (${node.path}); ${lbName} would answer ARP for the node; exclude it from the pool` });
                }
            }
        }
    });
    return issues;
}
