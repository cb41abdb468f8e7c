/**
 * IPv4 address, CIDR and range arithmetic for config validation (pod/service CIDR overlaps, MetalLB pools).
 * Pure and dependency-free so every rule that uses it is testable without Pulumi.
 */

/** An inclusive IPv4 interval as 32-bit unsigned integers. */
export interface Ipv4Interval {
    readonly first: number;
    readonly last: number;
}

const octet = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const ipv4Pattern = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`);

/** True when `text` is a dotted-quad IPv4 address without leading zeros. */
export function isIpv4(text: string): boolean {
    return ipv4Pattern.test(text);
}

/**
 * True for a host that is this machine whoever dials it: the name "localhost" (any case, trailing dot) or an address
 * in 127.0.0.0/8. Every rule about "localhost" is about all of these.
 */
export function isLoopbackHost(host: string): boolean {
    const lower = host.toLowerCase().replace(/\.$/, "");
    return lower === "localhost" || (isIpv4(lower) && lower.startsWith("127."));
}

/** Parses a dotted-quad address to an unsigned 32-bit integer; throws on anything else. */
export function ipv4ToInt(text: string): number {
    if (!isIpv4(text)) {
        throw new Error(`"${text}" is not an IPv4 address`);
    }
    return text.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Formats an unsigned 32-bit integer as a dotted-quad address. */
export function intToIpv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/**
 * Parses `a.b.c.d/n` and requires the address to be the network address, because a CIDR with host bits set
 * (10.42.0.1/16) is almost always a typo and K3s and Cilium disagree on how to read it.
 */
export function parseCidr(text: string): Ipv4Interval | string {
    const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
    if (!match || !isIpv4(match[1]) || Number(match[2]) > 32) {
        return "is not a valid IPv4 CIDR (expected a.b.c.d/n with n from 0 to 32)";
    }
    const prefix = Number(match[2]);
    const size = 2 ** (32 - prefix);
    const base = ipv4ToInt(match[1]);
    if (base % size !== 0) {
        return `has host bits set; the network address is ${intToIpv4(base - (base % size))}/${prefix}`;
    }
    return { first: base, last: base + size - 1 };
}

/** Parses a MetalLB pool entry: a CIDR or an inclusive `a.b.c.d-e.f.g.h` range. Returns an error string if invalid. */
export function parseAddressRange(text: string): Ipv4Interval | string {
    if (text.includes("/")) {
        return parseCidr(text);
    }
    const parts = text.split("-").map((p) => p.trim());
    if (parts.length !== 2 || !isIpv4(parts[0]) || !isIpv4(parts[1])) {
        return "is neither an IPv4 CIDR nor a range a.b.c.d-e.f.g.h";
    }
    const first = ipv4ToInt(parts[0]);
    const last = ipv4ToInt(parts[1]);
    if (first > last) {
        return "is a range whose start is after its end";
    }
    return { first, last };
}

/** True when the two intervals share at least one address. */
export function overlaps(a: Ipv4Interval, b: Ipv4Interval): boolean {
    return a.first <= b.last && b.first <= a.last;
}

/** True when `address` lies inside `interval`. */
export function contains(interval: Ipv4Interval, address: number): boolean {
    return interval.first <= address && address <= interval.last;
}

/** A labelled interval, e.g. a cluster's pod CIDR with the config path it came from. */
export interface LabelledInterval {
    readonly label: string;
    readonly interval: Ipv4Interval;
}

/**
 * Returns every overlapping pair among the given intervals, in O(n log n + k): sort by start and sweep, so a
 * 20-cluster mesh with many pools does not pay for an all-pairs comparison.
 */
export function findOverlaps(items: readonly LabelledInterval[]): Array<[LabelledInterval, LabelledInterval]> {
    const sorted = [...items].sort((a, b) => a.interval.first - b.interval.first || a.interval.last - b.interval.last);
    const pairs: Array<[LabelledInterval, LabelledInterval]> = [];
    const active: LabelledInterval[] = [];
    for (const item of sorted) {
        for (let i = active.length - 1; i >= 0; i--) {
            if (active[i].interval.last < item.interval.first) {
                active.splice(i, 1);
            }
        }
        for (const open of active) {
            pairs.push([open, item]);
        }
        active.push(item);
    }
    return pairs;
}
