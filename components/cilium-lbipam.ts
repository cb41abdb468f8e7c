/**
 * Pure builders for Cilium's own load balancer, the alternative to MetalLB from Cilium 1.18: LB-IPAM pools
 * (CiliumLoadBalancerIPPool, `cilium.io/v2` from 1.18 — the 1.18.10 CRD serves v2 as the storage version, v2alpha1
 * still served), an L2 announcement policy (CiliumL2AnnouncementPolicy, `cilium.io/v2alpha1`, beta) and the agent
 * values L2 announcements need. The tests validate the objects against the locked upstream CRDs (cilium/cilium
 * `pkg/k8s/apis/cilium.io/client/crds/` at each minor's release tag, artifacts.lock.json).
 *
 * Upstream caveats (Cilium docs network/l2-announcements, network/lb-ipam): L2 announcements need kube-proxy
 * replacement; the agent's `devices` must include the announcing NIC when `devices` is set; every announced
 * Service holds a lease that the leader renews, so the agent's client rate limit must cover them; Services with
 * `externalTrafficPolicy: Local` are not supported; MetalLB and a Cilium pool would both claim Services that name
 * no `loadBalancerClass`, so a cluster uses one of them (the config rules refuse both).
 */
import { intToIpv4, ipv4ToInt, Ipv4Interval, isIpv4, parseAddressRange } from "../lib/cidr";
import { sortKeysDeep } from "../lib/values-util";
import { ownedValues } from "../lib/chart-values";
import { MANAGED_BY_KUBELOOM } from "./identity";

/** The annotation through which a Service requests its addresses from LB-IPAM. */
export const LBIPAM_IPS_ANNOTATION = "lbipam.cilium.io/ips";
/** The label Kubeloom puts on the Services whose pre-planned address sits in the reserved pool. */
export const RESERVED_SERVICE_LABEL = "kubeloom.io/lb-reserved";
/** Pool handed out to any LoadBalancer Service. */
export const CILIUM_GENERAL_POOL = "kubeloom";
/** Pool of pre-planned addresses, only for Services with RESERVED_SERVICE_LABEL. */
export const CILIUM_RESERVED_POOL = "kubeloom-reserved";
/** API version of CiliumLoadBalancerIPPool from Cilium 1.18 (v2alpha1 before): why the matrix's LBIPAM_MIN_CILIUM is 1.18. */
export const LBIPAM_POOL_API_VERSION = "cilium.io/v2";
/** API version of CiliumL2AnnouncementPolicy (still v2alpha1 in 1.18 and 1.19). */
export const L2_POLICY_API_VERSION = "cilium.io/v2alpha1";

/** A cluster-scoped Cilium custom resource as the program creates it. */
export interface CiliumObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
    readonly spec: Record<string, unknown>;
}

type Block = { cidr: string } | { start: string; stop: string };

function block(interval: Ipv4Interval): Block {
    return interval.first === interval.last ? { cidr: `${intToIpv4(interval.first)}/32` } : { start: intToIpv4(interval.first), stop: intToIpv4(interval.last) };
}

/** One configured entry as a pool block: a CIDR stays a CIDR, a range becomes start/stop. */
function entryBlock(entry: string, parsed: Ipv4Interval): Block {
    return entry.includes("/") ? { cidr: entry } : block(parsed);
}

/**
 * The pools of the configured addresses: a general one, and the pre-planned addresses (the clustermesh-apiserver,
 * LoadBalancer vClusters) in a reserved pool whose serviceSelector admits only Kubeloom's labelled Services, so no
 * other Service is ever given an address another cluster already dials. The general pool leaves the reserved
 * addresses out: LB-IPAM marks overlapping pools as conflicting. Throws on an entry that is not a CIDR or range.
 */
export function ciliumLoadBalancerPools(addresses: readonly string[], reserved: readonly string[] = []): CiliumObject[] {
    const reservedInts = [...new Set(reserved.filter(isIpv4).map(ipv4ToInt))].sort((a, b) => a - b);
    const general: Block[] = [];
    const kept: number[] = [];
    for (const entry of addresses) {
        const parsed = parseAddressRange(entry);
        if (typeof parsed === "string") throw new Error(`LB-IPAM address "${entry}" ${parsed}`);
        const inside = reservedInts.filter((ip) => ip >= parsed.first && ip <= parsed.last);
        if (inside.length === 0) {
            general.push(entryBlock(entry, parsed));
            continue;
        }
        kept.push(...inside);
        let start = parsed.first;
        for (const ip of inside) {
            if (ip > start) general.push(block({ first: start, last: ip - 1 }));
            start = ip + 1;
        }
        if (start <= parsed.last) general.push(block({ first: start, last: parsed.last }));
    }
    const labels = { ...MANAGED_BY_KUBELOOM };
    const pools: CiliumObject[] = [];
    const reservedBlocks = [...new Set(kept)].sort((a, b) => a - b).map((ip) => ({ cidr: `${intToIpv4(ip)}/32` }));
    if (reservedBlocks.length > 0) {
        pools.push({ apiVersion: LBIPAM_POOL_API_VERSION, kind: "CiliumLoadBalancerIPPool", metadata: { name: CILIUM_RESERVED_POOL, labels }, spec: { blocks: reservedBlocks, serviceSelector: { matchLabels: { [RESERVED_SERVICE_LABEL]: "true" } } } });
    }
    if (general.length > 0) {
        pools.push({ apiVersion: LBIPAM_POOL_API_VERSION, kind: "CiliumLoadBalancerIPPool", metadata: { name: CILIUM_GENERAL_POOL, labels }, spec: { blocks: general } });
    }
    return pools.map((pool) => sortKeysDeep(pool));
}

/**
 * The L2 announcement policy: ARP for every LoadBalancer address on the given interfaces (regular expressions, as
 * the CRD's `interfaces`), or on every device the agent uses when none are given. External IPs are not announced.
 */
export function ciliumL2AnnouncementPolicy(interfaces: readonly string[] = []): CiliumObject {
    return sortKeysDeep({
        apiVersion: L2_POLICY_API_VERSION,
        kind: "CiliumL2AnnouncementPolicy",
        metadata: { name: "kubeloom", labels: { ...MANAGED_BY_KUBELOOM } },
        spec: { loadBalancerIPs: true, externalIPs: false, ...(interfaces.length > 0 ? { interfaces: interfaces.map((i) => `^${i.replace(/[.+]/g, "\\$&")}$`) } : {}) },
    });
}

/** How many addresses the configured entries hold: the most Services that can ever be announced. */
export function poolSize(addresses: readonly string[]): number {
    return addresses.reduce((sum, entry) => {
        const parsed = parseAddressRange(entry);
        return typeof parsed === "string" ? sum : sum + (parsed.last - parsed.first + 1);
    }, 0);
}

/** The chart's default agent client rate limit (1.18.12 values.yaml k8sClientRateLimit: qps 10, burst 20). */
export const DEFAULT_CLIENT_QPS = 10;
/** The lease renew deadline the chart leaves at Cilium's default (values.yaml l2announcements.leaseRenewDeadline: 5s). */
export const LEASE_RENEW_SECONDS = 5;

/** The Cilium values keys l2AnnouncementValues writes, owned by `loadBalancer.cilium` (relative to the cluster). */
export const L2_ANNOUNCEMENT_OWNED_VALUES = ownedValues("cilium", [
    { path: "l2announcements", use: "loadBalancer.cilium" },
    { path: "k8sClientRateLimit", use: "loadBalancer.cilium (the rate limit grows with the pool's leases)" },
    { path: "devices", use: "loadBalancer.cilium.devices" },
]);

/**
 * Agent values for L2 announcements: enabled, the devices when given (the announcing NIC must be among them), and
 * a client rate limit sized for one lease renewal per announceable Service every renew deadline on top of the
 * chart's default traffic: qps = 10 + ceil(addresses / 5), burst twice that. The pool size bounds the Services.
 */
export function l2AnnouncementValues(addresses: readonly string[], devices: readonly string[] = []): Record<string, unknown> {
    const qps = DEFAULT_CLIENT_QPS + Math.ceil(poolSize(addresses) / LEASE_RENEW_SECONDS);
    return sortKeysDeep({
        l2announcements: { enabled: true },
        k8sClientRateLimit: { qps, burst: 2 * qps },
        ...(devices.length > 0 ? { devices: [...devices] } : {}),
    });
}
