import { strict as assert } from "node:assert";
import { ipAddressPool, l2Advertisement, METALLB_NAMESPACE, metallbPools, RESERVED_POOL_NAME, GENERAL_POOL_NAME } from "../../components/metallb-resources";
import { ipv4ToInt, parseAddressRange } from "../../lib/cidr";
import { CRD_FILES, metallbCrdFile, validateCustomResource } from "../support/crd-schemas";
import { supportedVersions } from "../../components/support-matrix";
import { formatSchemaErrors } from "../support/schemas";

/** Every address of the pools' entries, as integers (small pools only). */
function expand(entries: readonly string[]): number[] {
    return entries.flatMap((entry) => {
        const parsed = parseAddressRange(entry);
        if (typeof parsed === "string") throw new Error(parsed);
        return Array.from({ length: parsed.last - parsed.first + 1 }, (_, i) => parsed.first + i);
    });
}

describe("MetalLB resources", () => {
    for (const version of supportedVersions("metallb")) {
        it(`builds IPAddressPool and L2Advertisement objects that validate against the ${version} CRDs`, () => {
            const pools = metallbPools(["172.22.0.50-172.22.0.100", "172.22.1.0/28"], ["172.22.0.50"]);
            for (const pool of pools) {
                const object = ipAddressPool(pool);
                assert.equal(object.apiVersion, "metallb.io/v1beta1");
                assert.equal(object.metadata.namespace, METALLB_NAMESPACE);
                const errors = validateCustomResource(metallbCrdFile("ipaddresspools", version), object);
                assert.deepEqual(errors, [], formatSchemaErrors(errors));
            }
            const advertisement = l2Advertisement("kubeloom", pools.map((p) => p.name));
            assert.deepEqual(advertisement.spec, { ipAddressPools: [RESERVED_POOL_NAME, GENERAL_POOL_NAME] });
            const errors = validateCustomResource(metallbCrdFile("l2advertisements", version), advertisement);
            assert.deepEqual(errors, [], formatSchemaErrors(errors));
        });
    }

    it("fails validation for a broken pool and a broken advertisement", () => {
        const pool = ipAddressPool({ name: "p", addresses: ["10.0.0.1/32"], autoAssign: true });
        const noAddresses = { ...pool, spec: { autoAssign: true } };
        assert.ok(validateCustomResource(CRD_FILES.ipAddressPool, noAddresses).some((e) => /addresses/.test(e.message ?? "")), "addresses is required");
        const wrongType = { ...pool, spec: { addresses: "10.0.0.1/32" } };
        assert.notDeepEqual(validateCustomResource(CRD_FILES.ipAddressPool, wrongType), []);
        const wrongVersion = { ...pool, apiVersion: "metallb.io/v1alpha1" };
        assert.throws(() => validateCustomResource(CRD_FILES.ipAddressPool, wrongVersion), /no version v1alpha1/);
        const advertisement = l2Advertisement("l2", ["p"]);
        assert.notDeepEqual(validateCustomResource(CRD_FILES.l2Advertisement, { ...advertisement, spec: { ipAddressPools: "p" } }), []);
        assert.notDeepEqual(validateCustomResource(CRD_FILES.l2Advertisement, { ...advertisement, kind: "IPAddressPool" }), [], "kind must match the CRD");
    });

    it("keeps the configured entries as they are when nothing is reserved", () => {
        assert.deepEqual(metallbPools(["172.22.0.50-172.22.0.100"]), [{ name: GENERAL_POOL_NAME, addresses: ["172.22.0.50-172.22.0.100"], autoAssign: true }]);
    });

    it("moves pre-planned addresses to a pool MetalLB never assigns on its own, without overlap or loss", () => {
        const configured = ["172.22.0.50-172.22.0.60", "172.22.1.0/29"];
        const reserved = ["172.22.0.50", "172.22.0.55", "172.22.1.7", "10.9.9.9"];
        const pools = metallbPools(configured, reserved);
        const reservedPool = pools.find((p) => p.name === RESERVED_POOL_NAME)!;
        const general = pools.find((p) => p.name === GENERAL_POOL_NAME)!;
        assert.equal(reservedPool.autoAssign, false);
        assert.equal(general.autoAssign, true);
        assert.deepEqual(reservedPool.addresses, ["172.22.0.50/32", "172.22.0.55/32", "172.22.1.7/32"], "addresses outside the configured entries are ignored");
        assert.deepEqual(general.addresses, ["172.22.0.51-172.22.0.54", "172.22.0.56-172.22.0.60", "172.22.1.0-172.22.1.6"]);
        const all = [...expand(reservedPool.addresses), ...expand(general.addresses)].sort((a, b) => a - b);
        assert.deepEqual(all, expand(configured).sort((a, b) => a - b), "the pools partition the configured addresses");
        assert.ok(!expand(general.addresses).includes(ipv4ToInt("172.22.0.50")));
    });

    it("leaves out the general pool when every address is reserved", () => {
        assert.deepEqual(metallbPools(["172.22.0.50/32"], ["172.22.0.50"]), [{ name: RESERVED_POOL_NAME, addresses: ["172.22.0.50/32"], autoAssign: false }]);
    });

    it("rejects an entry that is neither a CIDR nor a range", () => {
        assert.throws(() => metallbPools(["172.22.0.50"]), /neither an IPv4 CIDR nor a range/);
    });

    it("is deterministic", () => {
        const render = () => JSON.stringify(metallbPools(["172.22.0.50-172.22.0.100"], ["172.22.0.70", "172.22.0.60"]).map((p) => ipAddressPool(p)));
        assert.equal(render(), render());
    });
});
