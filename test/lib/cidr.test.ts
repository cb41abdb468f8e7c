import { strict as assert } from "node:assert";
import { contains, findOverlaps, intToIpv4, ipv4ToInt, overlaps, parseAddressRange, parseCidr, Ipv4Interval } from "../../lib/cidr";

const cidr = (text: string) => {
    const parsed = parseCidr(text);
    assert.equal(typeof parsed, "object", `${text}: ${parsed}`);
    return parsed as Ipv4Interval;
};

describe("cidr arithmetic", () => {
    it("parses network CIDRs to inclusive intervals", () => {
        assert.deepEqual(cidr("10.42.0.0/16"), { first: ipv4ToInt("10.42.0.0"), last: ipv4ToInt("10.42.255.255") });
        assert.deepEqual(cidr("0.0.0.0/0"), { first: 0, last: 2 ** 32 - 1 });
        assert.deepEqual(cidr("192.0.2.7/32"), { first: ipv4ToInt("192.0.2.7"), last: ipv4ToInt("192.0.2.7") });
    });

    it("fails on malformed CIDRs and host bits", () => {
        for (const bad of ["10.42.0.0", "10.42.0.0/33", "256.1.1.1/8", "10.042.0.0/16", "a.b.c.d/8", "10.42.0.0/16/1"]) {
            assert.equal(typeof parseCidr(bad), "string", bad);
        }
        assert.match(parseCidr("10.42.1.0/16") as string, /network address is 10\.42\.0\.0\/16/);
    });

    it("round-trips addresses", () => {
        for (const ip of ["0.0.0.0", "10.0.0.1", "172.22.0.150", "255.255.255.255"]) {
            assert.equal(intToIpv4(ipv4ToInt(ip)), ip);
        }
    });

    it("parses MetalLB ranges and CIDRs", () => {
        assert.deepEqual(parseAddressRange("172.22.0.50-172.22.0.100"), { first: ipv4ToInt("172.22.0.50"), last: ipv4ToInt("172.22.0.100") });
        assert.deepEqual(parseAddressRange("172.22.1.0/24"), cidr("172.22.1.0/24"));
        assert.equal(typeof parseAddressRange("172.22.0.100-172.22.0.50"), "string");
        assert.equal(typeof parseAddressRange("172.22.0.50-"), "string");
    });

    it("detects overlap and containment at the edges", () => {
        const a = parseAddressRange("172.22.0.50-172.22.0.100") as Ipv4Interval;
        const b = parseAddressRange("172.22.0.100-172.22.0.150") as Ipv4Interval;
        const c = parseAddressRange("172.22.0.101-172.22.0.150") as Ipv4Interval;
        assert.equal(overlaps(a, b), true);
        assert.equal(overlaps(a, c), false);
        assert.equal(contains(a, ipv4ToInt("172.22.0.100")), true);
        assert.equal(contains(a, ipv4ToInt("172.22.0.101")), false);
    });

    it("finds exactly the overlapping pairs with a sweep", () => {
        const items = ["10.10.0.0/16", "10.20.0.0/16", "10.10.128.0/17", "10.0.0.0/8", "192.168.0.0/16"].map((text) => ({ label: text, interval: cidr(text) }));
        const pairs = findOverlaps(items).map(([x, y]) => [x.label, y.label].sort().join(" & ")).sort();
        assert.deepEqual(pairs, ["10.0.0.0/8 & 10.10.0.0/16", "10.0.0.0/8 & 10.10.128.0/17", "10.0.0.0/8 & 10.20.0.0/16", "10.10.0.0/16 & 10.10.128.0/17"]);
    });

    it("agrees with an all-pairs check on random intervals", () => {
        let seed = 7;
        const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        for (let round = 0; round < 50; round++) {
            const items = Array.from({ length: 12 }, (_, i) => {
                const first = Math.floor(rand() * 1000);
                return { label: String(i), interval: { first, last: first + Math.floor(rand() * 100) } };
            });
            const expected = new Set<string>();
            for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) if (overlaps(items[i].interval, items[j].interval)) expected.add([i, j].join("-"));
            const got = new Set(findOverlaps(items).map(([x, y]) => [Number(x.label), Number(y.label)].sort((p, q) => p - q).join("-")));
            assert.deepEqual(got, expected);
        }
    });
});
