import { strict as assert } from "node:assert";
import { CHART_OPERATOR_REPLICAS, ciliumValues, CiliumValuesInput, defaultOperatorReplicas } from "../../components/cilium-values";
import { supportedVersions } from "../../components/support-matrix";
import { K3S_CILIUM_VALUES_INPUT } from "../support/fixtures";
import { assertKeysSorted, ciliumUnknownKeyPaths, formatSchemaErrors, validateCiliumValues } from "../support/schemas";

/** A K3s server with kube-proxy replacement, the dev stack's shape. */
const base: CiliumValuesInput = K3S_CILIUM_VALUES_INPUT;

const variants: Array<{ name: string; input: CiliumValuesInput }> = [
    { name: "KPR, tunnel, kubernetes IPAM", input: base },
    {
        name: "no KPR, native routing, cluster-pool, hubble UI NodePort",
        input: {
            ...base,
            kubeProxyReplacement: { enabled: false },
            routingMode: "native",
            ipamMode: "cluster-pool",
            hubble: { relay: true, ui: true, uiNodePort: 31235 },
        },
    },
    {
        name: "chained onto labelled, tainted nodes",
        input: {
            ...base,
            clusterName: "edge-2",
            clusterId: 2,
            podCidr: "10.44.0.0/16",
            nodeSelector: { "kubeloom.io/cilium": "true" },
            tolerations: [{ key: "kubeloom.io/cilium", operator: "Exists", effect: "NoSchedule" }],
            operatorReplicas: 2,
        },
    },
    { name: "hubble off", input: { ...base, hubble: { relay: false, ui: false, uiNodePort: 31235 } } },
];

const at = (values: unknown, keyPath: string): unknown =>
    keyPath.split(".").reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), values);

describe("ciliumValues", () => {
    it("emits kubeProxyReplacement as a boolean, with the API server when on", () => {
        const on = ciliumValues(base);
        assert.equal(on.kubeProxyReplacement, true);
        assert.equal(on.k8sServiceHost, "192.0.2.10");
        assert.equal(on.k8sServicePort, 6443);

        const off = ciliumValues({ ...base, kubeProxyReplacement: { enabled: false } });
        assert.equal(off.kubeProxyReplacement, false);
        assert.ok(!("k8sServiceHost" in off) && !("k8sServicePort" in off), "no API host without KPR");
        for (const values of [on, off]) {
            assert.equal(typeof values.kubeProxyReplacement, "boolean", "1.16 accepts only true/false, never \"strict\"");
        }
    });

    it("sets the cluster name and id", () => {
        const values = ciliumValues({ ...base, clusterName: "edge-2", clusterId: 42 });
        assert.deepEqual(values.cluster, { id: 42, name: "edge-2" });
    });

    it("uses K3s' node podCIDRs with kubernetes IPAM", () => {
        assert.deepEqual(ciliumValues(base).ipam, { mode: "kubernetes" });
    });

    it("pins the cluster-pool to the cluster's pod CIDR", () => {
        const values = ciliumValues({ ...base, ipamMode: "cluster-pool", podCidr: "10.44.0.0/16" });
        assert.deepEqual(values.ipam, { mode: "cluster-pool", operator: { clusterPoolIPv4PodCIDRList: ["10.44.0.0/16"] } });
    });

    it("adds the native-routing CIDR and direct node routes only for native routing", () => {
        const native = ciliumValues({ ...base, routingMode: "native" });
        assert.equal(native.routingMode, "native");
        assert.equal(native.ipv4NativeRoutingCIDR, "10.42.0.0/16");
        assert.equal(native.autoDirectNodeRoutes, true);

        const tunnel = ciliumValues(base);
        assert.equal(tunnel.routingMode, "tunnel");
        assert.ok(!("ipv4NativeRoutingCIDR" in tunnel) && !("autoDirectNodeRoutes" in tunnel));
    });

    it("enables Hubble, Relay and the UI as asked, with a NodePort UI service", () => {
        const values = ciliumValues({ ...base, hubble: { relay: true, ui: true, uiNodePort: 31235 } });
        assert.equal(at(values, "hubble.enabled"), true);
        assert.equal(at(values, "hubble.relay.enabled"), true);
        assert.equal(at(values, "hubble.ui.enabled"), true);
        assert.deepEqual(at(values, "hubble.ui.service"), { nodePort: 31235, type: "NodePort" });

        const off = ciliumValues({ ...base, hubble: { relay: false, ui: false, uiNodePort: 31235 } });
        assert.equal(at(off, "hubble.relay.enabled"), false);
        assert.equal(at(off, "hubble.ui.enabled"), false);
        assert.equal(at(off, "hubble.ui.service"), undefined, "no UI service for a disabled UI");

        assert.equal(at(ciliumValues(base), "hubble.ui.service"), undefined, "ClusterIP (chart default) without uiNodePort");
    });

    it("runs one operator replica on a single node", () => {
        assert.equal(defaultOperatorReplicas(1), 1);
        assert.equal(defaultOperatorReplicas(2), 2);
        assert.equal(defaultOperatorReplicas(5), 2);
        assert.equal(defaultOperatorReplicas(undefined), CHART_OPERATOR_REPLICAS, "nodes unknown: the chart's own default");
        assert.equal(at(ciliumValues({ ...base, operatorReplicas: defaultOperatorReplicas(1) }), "operator.replicas"), 1);
    });

    it("applies the node selector and tolerations to the agent, operator and envoy", () => {
        const { input } = variants[2];
        const values = ciliumValues(input);
        for (const prefix of ["", "operator.", "envoy."]) {
            assert.deepEqual(at(values, `${prefix}nodeSelector`), { "kubeloom.io/cilium": "true" }, `${prefix}nodeSelector`);
            assert.deepEqual(at(values, `${prefix}tolerations`), [{ effect: "NoSchedule", key: "kubeloom.io/cilium", operator: "Exists" }], `${prefix}tolerations`);
        }
        assert.equal(at(values, "operator.replicas"), 2);
    });

    it("keeps the chart's tolerate-everything default when no tolerations are configured", () => {
        const values = ciliumValues(base);
        for (const key of ["tolerations", "nodeSelector", "operator.tolerations", "operator.nodeSelector", "envoy"]) {
            assert.equal(at(values, key), undefined, key);
        }
    });

    for (const version of supportedVersions("cilium")) {
        it(`validates against the cilium ${version} schema with no unknown keys (every variant)`, () => {
            for (const { name, input } of variants) {
                const values = ciliumValues(input);
                const errors = validateCiliumValues(values, version);
                assert.deepEqual(errors, [], `${name}: ${formatSchemaErrors(errors)}`);
                assert.deepEqual(ciliumUnknownKeyPaths(values, version), [], name);
            }
        });
    }

    it("fails the key walk on a misspelled or removed key (the schema alone would pass it)", () => {
        const values = { ...ciliumValues(base), maxConnectedClusters: 255, hubble: { enabled: true, relay: { enable: true } } };
        assert.deepEqual(validateCiliumValues(values), [], "the cilium schema has no additionalProperties: false");
        assert.deepEqual(ciliumUnknownKeyPaths(values).sort(), ["hubble.relay.enable", "maxConnectedClusters"]);
        // A key a release dropped: 1.19 removes nodePort.enabled, which 1.18 still has.
        const withNodePort = { ...ciliumValues(base), nodePort: { enabled: true } };
        assert.deepEqual(ciliumUnknownKeyPaths(withNodePort, "1.18.12"), []);
        assert.deepEqual(ciliumUnknownKeyPaths(withNodePort, "1.19.6"), ["nodePort.enabled"]);
        // kubeProxyReplacement is only exempt where the schema lacks it (below 1.18).
        assert.deepEqual(ciliumUnknownKeyPaths({ kubeProxyReplacement: true }, "1.17.18"), []);
        assert.deepEqual(validateCiliumValues({ kubeProxyReplacement: 3 }, "1.18.12").length > 0, true, "1.18 types it string|boolean");
    });

    it("fails the schema on a wrongly typed known key", () => {
        assert.notDeepEqual(validateCiliumValues({ ...ciliumValues(base), cluster: { name: "dev", id: "one" } }), []);
    });

    it("is deterministic, with keys sorted at every level", () => {
        for (const { input } of variants) {
            const first = JSON.stringify(ciliumValues(input));
            assert.equal(JSON.stringify(ciliumValues(input)), first);
            assertKeysSorted(JSON.parse(first));
        }
    });

    it("does not share objects with its input", () => {
        const input = variants[2].input;
        const values = ciliumValues(input);
        (values.tolerations as Array<Record<string, unknown>>)[0].key = "changed";
        (values.nodeSelector as Record<string, string>)["kubeloom.io/cilium"] = "changed";
        assert.equal(input.tolerations[0].key, "kubeloom.io/cilium");
        assert.equal(input.nodeSelector["kubeloom.io/cilium"], "true");
    });
});
