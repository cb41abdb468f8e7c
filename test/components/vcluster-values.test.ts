import { strict as assert } from "node:assert";
import {
    METALLB_LOAD_BALANCER_IPS_ANNOTATION,
    vclusterKubeconfigSecretName,
    vclusterNamespace,
    vclusterServerUrl,
    vclusterValues,
    VClusterValuesInput,
} from "../../components/vcluster-values";
import { deepMerge } from "../../lib/values-util";
import { supportedVersions } from "../../components/support-matrix";
import { assertKeysSorted, formatSchemaErrors, validateVClusterValues } from "../support/schemas";

const clusterIp: VClusterValuesInput = {
    name: "vc-a",
    contextName: "dev-vc-a",
    expose: { type: "ClusterIP" },
    isolate: true,
};
const nodePort: VClusterValuesInput = { ...clusterIp, name: "vc-b", contextName: "dev-vc-b", expose: { type: "NodePort", nodePort: 31444, nodeAddress: "192.0.2.10" } };
const loadBalancer: VClusterValuesInput = { ...clusterIp, expose: { type: "LoadBalancer", address: "192.0.2.200" } };
const withPolicies: VClusterValuesInput = {
    ...nodePort,
    isolate: false,
    resourceQuota: { "requests.cpu": 4, "requests.memory": "8Gi", pods: 50 },
    limitRange: { default: { cpu: "500m", memory: "512Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } },
};
const variants: Array<{ name: string; input: VClusterValuesInput }> = [
    { name: "ClusterIP", input: clusterIp },
    { name: "NodePort", input: nodePort },
    { name: "LoadBalancer", input: loadBalancer },
    { name: "quota and limit range, not isolated", input: withPolicies },
    { name: "quota only", input: { ...clusterIp, resourceQuota: { "limits.memory": "16Gi" } } },
    { name: "limit range only", input: { ...clusterIp, limitRange: { defaultRequest: { cpu: "50m" } } } },
    { name: "no quota", input: { ...nodePort, quota: false } },
    { name: "restricted, pro build", input: { ...loadBalancer, podSecurityStandard: "restricted", build: "pro" } },
];

const at = (values: unknown, keyPath: string): unknown =>
    keyPath.split(".").reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), values);

describe("vclusterValues", () => {
    it("names the namespace and kubeconfig Secret after the vCluster", () => {
        assert.equal(vclusterNamespace("vc-a"), "vcluster-vc-a");
        assert.equal(vclusterKubeconfigSecretName("vc-a"), "vc-vc-a");
    });

    it("runs the k3s distro on 0.20, with k8s (the fallback) off", () => {
        const values = vclusterValues({ ...clusterIp, version: "0.20.6" });
        assert.equal(at(values, "controlPlane.distro.k3s.enabled"), true);
        assert.equal(at(values, "controlPlane.distro.k8s.enabled"), false);
    });

    it("runs the k8s distro on 0.36, which has no k3s, and nothing else changes between the releases but who renders the fence", () => {
        const values = vclusterValues({ ...clusterIp, version: "0.36.1" });
        assert.deepEqual(at(values, "controlPlane.distro"), { k8s: { enabled: true } });
        for (const { input } of variants) {
            const [old, current] = [vclusterValues({ ...input, version: "0.20.6" }), vclusterValues({ ...input, version: "0.36.1" })];
            // The fence is the one other difference: the 0.20 chart renders it, on 0.36 Kubeloom does (tenantFenceOwner).
            const withoutDistro = (v: Record<string, unknown>) =>
                JSON.stringify({ ...v, controlPlane: { ...(v.controlPlane as object), distro: null }, policies: { ...(v.policies as object), networkPolicy: null } });
            assert.equal(withoutDistro(current), withoutDistro(old));
        }
        assert.equal(JSON.stringify(vclusterValues(clusterIp)), JSON.stringify(values), "0.36.1 is the default");
        assert.throws(() => vclusterValues({ ...clusterIp, version: "0.21.0" }), /not in the support matrix/);
    });

    it("syncs tenant NetworkPolicies to the host so Cilium enforces them", () => {
        for (const { input } of variants) {
            assert.equal(at(vclusterValues(input), "sync.toHost.networkPolicies.enabled"), true);
        }
    });

    it("renders the chart's fence only where the chart owns it (0.20) and only when isolated; never on 0.36", () => {
        assert.equal(at(vclusterValues({ ...clusterIp, version: "0.20.6" }), "policies.networkPolicy.enabled"), true);
        assert.equal(at(vclusterValues({ ...clusterIp, version: "0.20.6", isolate: false }), "policies.networkPolicy.enabled"), false);
        // 0.36's chart policy admits every tenant pod at L3 (voiding tenant L7 rules): Kubeloom writes the fence.
        assert.equal(at(vclusterValues(clusterIp), "policies.networkPolicy.enabled"), false);
        assert.equal(at(vclusterValues({ ...clusterIp, isolate: false }), "policies.networkPolicy.enabled"), false);
    });

    it("exposes ClusterIP for port-forwarding to localhost:8443", () => {
        const values = vclusterValues(clusterIp);
        assert.equal(at(values, "controlPlane.service.spec.type"), "ClusterIP");
        assert.equal(at(values, "controlPlane.service.httpsNodePort"), undefined);
        assert.equal(at(values, "controlPlane.service.annotations"), undefined);
        assert.equal(at(values, "controlPlane.proxy"), undefined, "localhost is already in the certificate");
        assert.equal(vclusterServerUrl(clusterIp.expose), "https://localhost:8443");
        assert.deepEqual(values.exportKubeConfig, { context: "dev-vc-a", server: "https://localhost:8443" });
    });

    it("exposes a NodePort on the node address, with that address in the certificate", () => {
        const values = vclusterValues(nodePort);
        assert.equal(at(values, "controlPlane.service.spec.type"), "NodePort");
        assert.equal(at(values, "controlPlane.service.httpsNodePort"), 31444);
        assert.deepEqual(at(values, "controlPlane.proxy.extraSANs"), ["192.0.2.10"]);
        assert.equal(vclusterServerUrl(nodePort.expose), "https://192.0.2.10:31444");
        assert.deepEqual(values.exportKubeConfig, { context: "dev-vc-b", server: "https://192.0.2.10:31444" });
    });

    it("requests the LoadBalancer address from MetalLB by annotation, never spec.loadBalancerIP", () => {
        const values = vclusterValues(loadBalancer);
        assert.equal(at(values, "controlPlane.service.spec.type"), "LoadBalancer");
        assert.deepEqual(at(values, "controlPlane.service.annotations"), { "metallb.universe.tf/loadBalancerIPs": "192.0.2.200" });
        assert.equal(METALLB_LOAD_BALANCER_IPS_ANNOTATION, "metallb.universe.tf/loadBalancerIPs");
        assert.equal(at(values, "controlPlane.service.spec.loadBalancerIP"), undefined);
        assert.ok(!JSON.stringify(values).includes("\"loadBalancerIP\""), "no loadBalancerIP key anywhere");
        assert.deepEqual(at(values, "controlPlane.proxy.extraSANs"), ["192.0.2.200"]);
        assert.equal(vclusterServerUrl(loadBalancer.expose), "https://192.0.2.200:443");
        assert.equal(at(values, "exportKubeConfig.server"), "https://192.0.2.200:443");
    });

    it("brackets an IPv6 node address in the server URL", () => {
        assert.equal(vclusterServerUrl({ type: "NodePort", nodePort: 31444, nodeAddress: "2001:db8::10" }), "https://[2001:db8::10]:31444");
    });

    it("renders the chart's quota and limit range by default, with the tenant's own Service allowed", () => {
        assert.deepEqual(at(vclusterValues(clusterIp), "policies.resourceQuota"), { enabled: true, quota: {} });
        assert.deepEqual(at(vclusterValues(clusterIp), "policies.limitRange"), { enabled: true });
        assert.deepEqual(at(vclusterValues(nodePort), "policies.resourceQuota.quota"), { "services.nodeports": 2 });
        assert.deepEqual(at(vclusterValues(loadBalancer), "policies.resourceQuota.quota"), { "services.loadbalancers": 1, "services.nodeports": 1 });
    });

    it("turns quota and limit range off explicitly with quota: false (auto would bring them back)", () => {
        const values = vclusterValues({ ...nodePort, quota: false });
        assert.deepEqual(at(values, "policies.resourceQuota"), { enabled: false });
        assert.deepEqual(at(values, "policies.limitRange"), { enabled: false });
    });

    it("merges configured quota and limit range entries over the defaults", () => {
        const values = vclusterValues(withPolicies);
        assert.deepEqual(at(values, "policies.resourceQuota"), { enabled: true, quota: { pods: 50, "requests.cpu": 4, "requests.memory": "8Gi", "services.nodeports": 2 } });
        assert.deepEqual(at(values, "policies.limitRange"), {
            default: { cpu: "500m", memory: "512Mi" },
            defaultRequest: { cpu: "100m", memory: "128Mi" },
            enabled: true,
        });
        const own = vclusterValues({ ...nodePort, resourceQuota: { "services.nodeports": 5 } });
        assert.deepEqual(at(own, "policies.resourceQuota.quota"), { "services.nodeports": 5 }, "the config's own value wins");
    });

    it("enforces the Pod Security Standard through the syncer: baseline by default, or the level asked for", () => {
        assert.equal(at(vclusterValues(clusterIp), "policies.podSecurityStandard"), "baseline");
        assert.equal(at(vclusterValues({ ...clusterIp, podSecurityStandard: "restricted" }), "policies.podSecurityStandard"), "restricted");
        assert.equal(at(vclusterValues({ ...clusterIp, podSecurityStandard: "privileged" }), "policies.podSecurityStandard"), "privileged");
    });

    it("runs the open-source build by default; pro on request (controlPlane.statefulSet.image.repository)", () => {
        assert.equal(at(vclusterValues(clusterIp), "controlPlane.statefulSet.image.repository"), "loft-sh/vcluster-oss");
        assert.equal(at(vclusterValues({ ...clusterIp, build: "pro" }), "controlPlane.statefulSet.image.repository"), "loft-sh/vcluster-pro");
    });

    for (const version of supportedVersions("vcluster")) {
        for (const { name, input } of variants) {
            it(`validates against the strict vcluster ${version} schema (${name})`, () => {
                const errors = validateVClusterValues(vclusterValues({ ...input, version }), version);
                assert.deepEqual(errors, [], formatSchemaErrors(errors));
            });
        }
    }

    it("fails the schema on a key a vcluster release does not have (the validator can fail)", () => {
        const old = { ...clusterIp, version: "0.20.6" };
        const values = deepMerge(vclusterValues(old), { sync: { toHost: { customResources: { "widgets.example.com": { enabled: true } } } } });
        const errors = validateVClusterValues(values, "0.20.6");
        assert.ok(errors.length > 0, "sync.toHost.customResources only exists from 0.21");
        assert.match(formatSchemaErrors(errors), /\/sync\/toHost .*customResources/);

        const typo = deepMerge(vclusterValues(old), { controlPlane: { distro: { k3s: { enable: true } } } });
        assert.notDeepEqual(validateVClusterValues(typo, "0.20.6"), []);
        // The 0.20 distro on 0.36: its schema has no k3s distro.
        assert.match(formatSchemaErrors(validateVClusterValues(vclusterValues(old), "0.36.1")), /\/controlPlane\/distro .*\(k3s\)/);
    });

    it("is deterministic, with keys sorted at every level", () => {
        for (const { input } of variants) {
            const first = JSON.stringify(vclusterValues(input));
            assert.equal(JSON.stringify(vclusterValues(input)), first);
            assertKeysSorted(JSON.parse(first));
        }
    });

    it("does not share objects with its input", () => {
        const values = vclusterValues(withPolicies);
        (at(values, "policies.resourceQuota.quota") as Record<string, unknown>).pods = 1;
        (at(values, "policies.limitRange.default") as Record<string, unknown>).cpu = "1";
        assert.equal(withPolicies.resourceQuota!.pods, 50);
        assert.equal(withPolicies.limitRange!.default!.cpu, "500m");
    });
});
