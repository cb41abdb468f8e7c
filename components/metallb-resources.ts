/**
 * Pure builders for MetalLB (every release of the support matrix: 0.14.9, 0.16.1): the address pools and the L2
 * advertisement, checked against each release's CRDs (metallb/metallb `config/crd/bases/` at the tag) by the tests. Both releases serve
 * IPAddressPool and L2Advertisement only as metallb.io/v1beta1 and keep the fields used here (`addresses`,
 * `autoAssign`, `ipAddressPools`); 0.16 adds status fields and `serviceSelectors`, which Kubeloom does not set.
 */
import { intToIpv4, ipv4ToInt, Ipv4Interval, isIpv4, parseAddressRange } from "../lib/cidr";
import { sortKeysDeep } from "../lib/values-util";
import { ownedValues } from "../lib/chart-values";

/** Namespace of the release; MetalLB only reads its custom resources from its own namespace. */
export const METALLB_NAMESPACE = "metallb-system";
/** Upstream chart repository. */
export const METALLB_CHART_REPO = "https://metallb.github.io/metallb";
/** API version of IPAddressPool and L2Advertisement: the only one the 0.14.9 and 0.16.1 CRDs serve. */
export const METALLB_API_VERSION = "metallb.io/v1beta1";
/** Pool handed out to any LoadBalancer Service. */
export const GENERAL_POOL_NAME = "kubeloom";
/** Pool of pre-planned addresses, only given to Services that request them. */
export const RESERVED_POOL_NAME = "kubeloom-reserved";

/**
 * MetalLB values Kubeloom relies on at the chart's defaults (it writes no values of its own): the CRDs and the
 * webhook its pools are applied through, the controller that assigns addresses and the speakers that announce them
 * in L2 mode. A user's `loadBalancer.metallb.values` may not turn them off (relative to the cluster).
 */
export const METALLB_OWNED_VALUES = ownedValues("metallb", [
    { path: "crds.enabled", use: "loadBalancer.metallb (its address pools need the CRDs)" },
    { path: "controller.enabled", use: "loadBalancer.metallb (the controller assigns the pool's addresses)" },
    { path: "speaker.enabled", use: "loadBalancer.metallb (L2 mode needs the speakers)" },
]);

/** One IPAddressPool's content. */
export interface MetallbPoolSpec {
    readonly name: string;
    readonly addresses: readonly string[];
    /** false: MetalLB gives these addresses only to Services that request them by annotation. */
    readonly autoAssign: boolean;
}

function rangeText(interval: Ipv4Interval): string {
    return interval.first === interval.last ? `${intToIpv4(interval.first)}/32` : `${intToIpv4(interval.first)}-${intToIpv4(interval.last)}`;
}

/**
 * Splits the configured addresses into a general pool and a reserved one. Pre-planned addresses (the
 * clustermesh-apiserver IP, vCluster LoadBalancer IPs) go to a pool with `autoAssign: false`, so a LoadBalancer
 * Service that asks for nothing can never take the address another cluster's Cilium values already point at.
 * MetalLB rejects overlapping pools, so the general pool is the configured ranges minus the reserved addresses;
 * entries without a reserved address keep their original text. Reserved addresses outside the configured
 * entries are ignored (the config rules reject them). Throws on an entry that is not a CIDR or range.
 */
export function metallbPools(addresses: readonly string[], reserved: readonly string[] = []): MetallbPoolSpec[] {
    const reservedInts = [...new Set(reserved.filter(isIpv4).map(ipv4ToInt))].sort((a, b) => a - b);
    const general: string[] = [];
    const kept: number[] = [];
    for (const entry of addresses) {
        const parsed = parseAddressRange(entry);
        if (typeof parsed === "string") throw new Error(`MetalLB address "${entry}" ${parsed}`);
        const inside = reservedInts.filter((ip) => ip >= parsed.first && ip <= parsed.last);
        if (inside.length === 0) {
            general.push(entry);
            continue;
        }
        kept.push(...inside);
        let start = parsed.first;
        for (const ip of inside) {
            if (ip > start) general.push(rangeText({ first: start, last: ip - 1 }));
            start = ip + 1;
        }
        if (start <= parsed.last) general.push(rangeText({ first: start, last: parsed.last }));
    }
    const pools: MetallbPoolSpec[] = [];
    const reservedAddresses = [...new Set(kept)].sort((a, b) => a - b).map((ip) => `${intToIpv4(ip)}/32`);
    if (reservedAddresses.length > 0) pools.push({ name: RESERVED_POOL_NAME, addresses: reservedAddresses, autoAssign: false });
    if (general.length > 0) pools.push({ name: GENERAL_POOL_NAME, addresses: general, autoAssign: true });
    return pools;
}

/** A Kubernetes object as the CustomResource resource takes it. */
export interface MetallbObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: Record<string, unknown>;
}

/** The IPAddressPool object for a pool. */
export function ipAddressPool(pool: MetallbPoolSpec, namespace: string = METALLB_NAMESPACE): MetallbObject {
    return sortKeysDeep({
        apiVersion: METALLB_API_VERSION,
        kind: "IPAddressPool",
        metadata: { name: pool.name, namespace },
        spec: { addresses: [...pool.addresses], autoAssign: pool.autoAssign },
    });
}

/** An L2Advertisement announcing exactly the given pools (ARP/NDP from the node that holds each address). */
export function l2Advertisement(name: string, poolNames: readonly string[], namespace: string = METALLB_NAMESPACE): MetallbObject {
    return sortKeysDeep({
        apiVersion: METALLB_API_VERSION,
        kind: "L2Advertisement",
        metadata: { name, namespace },
        // Listing the pools (rather than an empty spec, which advertises every pool) keeps pools someone adds by
        // hand for BGP out of L2.
        spec: { ipAddressPools: [...poolNames] },
    });
}
