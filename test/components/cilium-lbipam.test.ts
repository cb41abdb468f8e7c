import { strict as assert } from "node:assert";
import Ajv from "ajv";
import {
    ciliumL2AnnouncementPolicy,
    ciliumLoadBalancerPools,
    l2AnnouncementValues,
    LBIPAM_IPS_ANNOTATION,
    poolSize,
    RESERVED_SERVICE_LABEL,
} from "../../components/cilium-lbipam";
import { addressRequest } from "../../components/load-balancer";
import { vclusterValues } from "../../components/vcluster-values";
import { clustermeshCiliumValues, meshPlan } from "../../components/mesh-plan";
import { ciliumCrdFile, validateCustomResource } from "../support/crd-schemas";
import { chartValuesSchema } from "../support/schemas";

describe("Cilium LB-IPAM and L2 announcements", () => {
    it("splits the pool: pre-planned addresses in a reserved pool only Kubeloom's labelled Services may use", () => {
        const pools = ciliumLoadBalancerPools(["172.22.0.50-172.22.0.100", "172.22.1.0/28"], ["172.22.0.50", "172.22.0.60"]) as any[];
        assert.deepEqual(pools.map((p) => p.metadata.name), ["kubeloom-reserved", "kubeloom"]);
        assert.deepEqual(pools[0].spec, { blocks: [{ cidr: "172.22.0.50/32" }, { cidr: "172.22.0.60/32" }], serviceSelector: { matchLabels: { [RESERVED_SERVICE_LABEL]: "true" } } });
        assert.deepEqual(pools[1].spec.blocks, [{ start: "172.22.0.51", stop: "172.22.0.59" }, { start: "172.22.0.61", stop: "172.22.0.100" }, { cidr: "172.22.1.0/28" }]);
        assert.equal(pools[1].spec.serviceSelector, undefined, "the general pool serves every Service");
        assert.deepEqual(ciliumLoadBalancerPools(["10.0.0.0/30"]).map((p) => p.metadata.name), ["kubeloom"]);
    });

    for (const cilium of ["1.18.12", "1.19.6"]) {
        it(`pools (cilium.io/v2) and the L2 policy (v2alpha1) are valid against the ${cilium} CRDs`, () => {
            for (const pool of ciliumLoadBalancerPools(["172.22.0.50-172.22.0.100"], ["172.22.0.50"])) {
                assert.equal(pool.apiVersion, "cilium.io/v2");
                assert.deepEqual(validateCustomResource(ciliumCrdFile("ciliumloadbalancerippools", cilium), pool), []);
            }
            for (const policy of [ciliumL2AnnouncementPolicy(), ciliumL2AnnouncementPolicy(["eth0", "enp0s1"])]) {
                assert.equal(policy.apiVersion, "cilium.io/v2alpha1");
                assert.deepEqual(validateCustomResource(ciliumCrdFile("ciliuml2announcementpolicies", cilium), policy), []);
            }
        });
    }

    it("the CRD check can fail: v2 pools do not exist in 1.17, a block needs a string", () => {
        const [pool] = ciliumLoadBalancerPools(["10.0.0.0/30"]);
        assert.throws(() => validateCustomResource(ciliumCrdFile("ciliumloadbalancerippools", "1.17.18"), pool), /no version v2/);
        const bad = { ...pool, spec: { blocks: [{ cidr: 42 }] } };
        assert.notDeepEqual(validateCustomResource(ciliumCrdFile("ciliumloadbalancerippools", "1.18.12"), bad), []);
    });

    it("announces on the given interfaces only (anchored regular expressions), else everywhere", () => {
        assert.deepEqual((ciliumL2AnnouncementPolicy(["eth0"]) as any).spec, { externalIPs: false, interfaces: ["^eth0$"], loadBalancerIPs: true });
        assert.equal((ciliumL2AnnouncementPolicy() as any).spec.interfaces, undefined);
    });

    it("sizes the agent's client rate limit for one lease per announceable Service, and sets devices when given", () => {
        assert.equal(poolSize(["172.22.0.50-172.22.0.100", "10.0.0.0/30"]), 55);
        assert.deepEqual(l2AnnouncementValues(["172.22.0.50-172.22.0.100"]), { k8sClientRateLimit: { burst: 42, qps: 21 }, l2announcements: { enabled: true } });
        assert.deepEqual(l2AnnouncementValues(["10.0.0.1/32"], ["eth0"]).devices, ["eth0"]);
    });

    it("the L2 values are keys of the Cilium 1.18.12 chart schema, with the right types", () => {
        const schema = chartValuesSchema("cilium", "1.18.12") as { properties: Record<string, unknown> };
        const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
        const values = l2AnnouncementValues(["172.22.0.50-172.22.0.100"], ["eth0"]);
        assert.ok(validate(values), JSON.stringify(validate.errors));
        for (const key of ["l2announcements", "k8sClientRateLimit"]) assert.ok(schema.properties[key], `${key} is a 1.18.12 key`);
        assert.ok(!validate({ k8sClientRateLimit: { qps: "fast" } }), "the schema can fail");
    });

    it("requests pre-planned addresses through lbipam.cilium.io/ips with the reserved-pool label, MetalLB's annotation otherwise", () => {
        assert.deepEqual(addressRequest("cilium", "172.22.0.60"), { annotations: { [LBIPAM_IPS_ANNOTATION]: "172.22.0.60" }, labels: { [RESERVED_SERVICE_LABEL]: "true" } });
        assert.deepEqual(addressRequest("metallb", "172.22.0.60"), { annotations: { "metallb.universe.tf/loadBalancerIPs": "172.22.0.60" } });
        const vc = vclusterValues({ name: "vc", contextName: "c-vc", isolate: true, expose: { type: "LoadBalancer", address: "172.22.0.60", provider: "cilium" } }) as any;
        assert.deepEqual(vc.controlPlane.service, { annotations: { "lbipam.cilium.io/ips": "172.22.0.60" }, labels: { "kubeloom.io/lb-reserved": "true" }, spec: { type: "LoadBalancer" } });
        const plan = meshPlan({ members: [
            { name: "c1", id: 1, apiserver: { type: "LoadBalancer", address: "172.22.0.50", provider: "cilium" } },
            { name: "c2", id: 2, apiserver: { type: "LoadBalancer", address: "172.22.0.101" } },
        ] });
        const service = (index: number) => ((clustermeshCiliumValues(plan[index], { maxConnectedClusters: 255 }) as any).clustermesh.apiserver.service);
        assert.deepEqual(service(0), { annotations: { "lbipam.cilium.io/ips": "172.22.0.50" }, labels: { "kubeloom.io/lb-reserved": "true" }, type: "LoadBalancer" });
        assert.deepEqual(service(1), { annotations: { "metallb.universe.tf/loadBalancerIPs": "172.22.0.101" }, type: "LoadBalancer" });
    });
});
