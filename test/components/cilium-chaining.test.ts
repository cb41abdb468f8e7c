import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { ChainingInput, ChainingMode, ciliumValues, CiliumValuesInput } from "../../components/cilium-values";
import { addTaintsScript, removeTaintsScript, taintArgument, taintsFromTolerations } from "../../components/cilium-nodes";
import { SECRET_KEYS } from "../../config/schema";
import { ConfigError } from "../../config/config-error";
import { parseStackConfig } from "../../config/parse";
import { supportedVersions } from "../../components/support-matrix";
import { assertKeysSorted, ciliumUnknownKeyPaths, formatSchemaErrors, validateCiliumValues } from "../support/schemas";
import { at, chainConfig, devConfig } from "../support/helpers";


/** An existing cluster's Cilium, chained with kube-proxy replacement on labelled, tainted nodes. */
const chained = (mode: ChainingMode, overrides: Partial<CiliumValuesInput> = {}): CiliumValuesInput => ({
    clusterName: "chain",
    clusterId: 1,
    podCidr: "10.244.0.0/16",
    kubeProxyReplacement: mode === "portmap" ? { enabled: false } : { enabled: true, apiServerHost: "192.0.2.20", apiServerPort: 6443 },
    routingMode: mode === "portmap" ? "tunnel" : "native",
    ipamMode: mode === "portmap" ? "kubernetes" : "cluster-pool",
    hubble: { relay: true, ui: true, uiNodePort: 31235 },
    nodeSelector: { "kubeloom.io/cilium": "true" },
    tolerations: [{ key: "kubeloom.io/cilium", operator: "Equal", value: "true", effect: "NoSchedule" }],
    operatorReplicas: 2,
    chaining: chainingOf(mode),
    ...overrides,
});

/** The chaining settings each mode needs: a router CIDR when a primary CNI stays, a target network for two of them. */
function chainingOf(mode: ChainingMode): ChainingInput {
    switch (mode) {
        case "generic-veth":
            return { mode, target: "cbr0", routerCidr: "10.250.0.0/20" };
        case "flannel":
            return { mode, target: "cbr0", routerCidr: "10.250.0.0/20" };
        case "aws-cni":
            return { mode, routerCidr: "10.250.0.0/20" };
        case "portmap":
            return { mode };
    }
}

/** The keys each mode adds over an unchained install, exactly (sources in components/cilium-values.ts). */
const expectedChainingKeys: Record<ChainingMode, Record<string, unknown>> = {
    // Documentation/installation/cni-chaining-generic-veth.rst, the conflist from the primary's (cni.chainingTarget)
    "generic-veth": {
        cni: { chainingMode: "generic-veth", chainingTarget: "cbr0", exclusive: false, uninstall: false },
        enableIPv4Masquerade: false,
        routingMode: "native",
    },
    // Documentation/installation/cni-chaining-aws-cni.rst
    "aws-cni": {
        cni: { chainingMode: "aws-cni", exclusive: false, uninstall: false },
        enableIPv4Masquerade: false,
        endpointRoutes: { enabled: true },
        routingMode: "native",
    },
    // no 1.16 guide; flannel's own conflist (network cbr0) as the target, not the agent's built-in "flannel" one
    flannel: {
        cni: { chainingMode: "flannel", chainingTarget: "cbr0", exclusive: false, uninstall: false },
        enableIPv4Masquerade: false,
        routingMode: "native",
    },
    // Documentation/installation/cni-chaining-portmap.rst: Cilium stays the primary CNI
    portmap: { cni: { chainingMode: "portmap" }, routingMode: "tunnel" },
};

const MODES: ChainingMode[] = ["generic-veth", "aws-cni", "flannel", "portmap"];

describe("Cilium chaining values", () => {
    for (const mode of MODES) {
        it(`renders exactly the ${mode} chaining keys`, () => {
            const values = ciliumValues(chained(mode));
            for (const [key, expected] of Object.entries(expectedChainingKeys[mode])) {
                assert.deepEqual(values[key], expected, key);
            }
            const unchained = ciliumValues(chained(mode, { chaining: undefined, routingMode: "tunnel", ipamMode: "kubernetes" }));
            const added = Object.keys(values).filter((key) => !(key in unchained)).sort();
            const expectedAdded = Object.keys(expectedChainingKeys[mode]).filter((key) => key !== "routingMode").sort();
            assert.deepEqual(added, expectedAdded, "no other top-level key appears with chaining");
            assert.equal(values.autoDirectNodeRoutes, undefined, "the primary CNI (or Cilium's tunnel) routes: no direct node routes");
            assert.equal(values.ipv4NativeRoutingCIDR, undefined);
            if (mode === "portmap") {
                assert.deepEqual(values.ipam, { mode: "kubernetes" }, "portmap: Cilium is the primary CNI and keeps the node podCIDRs");
            } else {
                // Issue 11 failure 3 (cilium/cilium#9590): never the node podCIDR the primary CNI hands to pods.
                assert.deepEqual(values.ipam, { mode: "cluster-pool", operator: { clusterPoolIPv4MaskSize: 28, clusterPoolIPv4PodCIDRList: ["10.250.0.0/20"] } });
            }
        });
    }

    it("keeps kube-proxy replacement with the configured API server in chaining", () => {
        const values = ciliumValues(chained("generic-veth"));
        assert.equal(values.kubeProxyReplacement, true);
        assert.equal(values.k8sServiceHost, "192.0.2.20");
        assert.equal(values.k8sServicePort, 6443);
    });

    it("fails on combinations the chaining guides rule out", () => {
        assert.throws(() => ciliumValues(chained("generic-veth", { routingMode: "tunnel" })), /generic-veth: routingMode "tunnel" cannot be used/);
        assert.throws(() => ciliumValues(chained("flannel", { ipamMode: "kubernetes" })), /flannel: ipamMode "kubernetes" cannot be used with chaining mode flannel: the agent would take its router IP/);
        assert.throws(() => ciliumValues(chained("aws-cni", { chaining: { mode: "aws-cni" } })), /chaining\.routerCidr is required with chaining mode aws-cni/);
        assert.throws(() => ciliumValues(chained("generic-veth", { chaining: { mode: "generic-veth", routerCidr: "10.250.0.0/20" } })), /chaining\.target is required with chaining mode generic-veth/);
        assert.throws(() => ciliumValues(chained("aws-cni", { chaining: { mode: "aws-cni", routerCidr: "10.250.0.0/20", target: "x" } })), /chaining\.target is not used with chaining mode aws-cni/);
        assert.throws(() => ciliumValues(chained("portmap", { chaining: { mode: "portmap", routerCidr: "10.250.0.0/20" } })), /chaining\.routerCidr is not used with chaining mode portmap/);
        assert.throws(() => ciliumValues(chained("portmap", { kubeProxyReplacement: { enabled: true, apiServerHost: "192.0.2.20", apiServerPort: 6443 } })), /chaining\.mode "portmap" chaining is for kubeProxyReplacement: false/);
    });

    it("lets portmap keep Cilium's own routing and IPAM (Cilium is the primary CNI there)", () => {
        const values = ciliumValues(chained("portmap", { routingMode: "native", ipamMode: "cluster-pool" }));
        assert.equal(values.autoDirectNodeRoutes, true);
        assert.deepEqual(values.ipam, { mode: "cluster-pool", operator: { clusterPoolIPv4PodCIDRList: ["10.244.0.0/16"] } });
        assert.deepEqual(values.cni, { chainingMode: "portmap" });
    });

    const variants: Array<{ name: string; input: CiliumValuesInput }> = MODES.flatMap((mode) => [
        { name: `${mode}, placed, Hubble NodePort`, input: chained(mode) },
        { name: `${mode}, every node, UI off`, input: chained(mode, { nodeSelector: {}, tolerations: [], hubble: { relay: false, ui: false } }) },
    ]);
    variants.push({ name: "portmap without KPR, native, cluster-pool", input: chained("portmap", { routingMode: "native", ipamMode: "cluster-pool" }) });
    for (const version of supportedVersions("cilium")) {
        it(`validates against the cilium ${version} schema with no unknown keys (every chaining variant)`, () => {
            for (const { name, input } of variants) {
                const values = ciliumValues(input);
                const errors = validateCiliumValues(values, version);
                assert.deepEqual(errors, [], `${name}: ${formatSchemaErrors(errors)}`);
                assert.deepEqual(ciliumUnknownKeyPaths(values, version), [], name);
                assertKeysSorted(values);
            }
        });
    }

    it("allows cni.configMap only as the documented exception below 1.18, not other cni keys", () => {
        const values = ciliumValues(chained("generic-veth"));
        for (const version of supportedVersions("cilium")) {
            assert.deepEqual(ciliumUnknownKeyPaths({ ...values, cni: { ...(values.cni as object), configmap: "x" } }, version), ["cni.configmap"], version);
        }
    });

    it("is deterministic", () => {
        for (const mode of MODES) {
            assert.equal(JSON.stringify(ciliumValues(chained(mode))), JSON.stringify(ciliumValues(chained(mode))));
        }
    });
});

function issuesOf(raw: unknown): string[] {
    try {
        parseStackConfig(raw, { secretKeys: SECRET_KEYS });
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
        return error.issues.map((i) => `${i.path}: ${i.message}`);
    }
    return [];
}

const cilium0 = (c: Record<string, any>) => c.clusters[0].cilium;

const failures: Array<{ name: string; mutate: (c: Record<string, any>) => void; expectPath: string; expectMessage?: RegExp }> = [
    { name: "fails on chaining on a K3s cluster Kubeloom creates", mutate: (c) => (c.clusters[0].source = devConfig().clusters[0].source), expectPath: "clusters[0].cilium.chaining", expectMessage: /keep their own CNI/ },
    { name: "fails on routingMode tunnel with generic-veth", mutate: (c) => (cilium0(c).routingMode = "tunnel"), expectPath: "clusters[0].cilium.routingMode", expectMessage: /primary CNI carries pod traffic/ },
    {
        name: "fails on routingMode tunnel with flannel, naming the VXLAN port clash",
        mutate: (c) => Object.assign(cilium0(c), { routingMode: "tunnel", chaining: { mode: "flannel" } }),
        expectPath: "clusters[0].cilium.routingMode",
        expectMessage: /8472/,
    },
    {
        name: "fails on ipam kubernetes with flannel chaining (router IP from the podCIDR the primary CNI uses)",
        mutate: (c) => Object.assign(cilium0(c), { ipamMode: "kubernetes", chaining: { mode: "flannel", routerCidr: "10.250.0.0/20" } }),
        expectPath: "clusters[0].cilium.ipamMode",
        expectMessage: /router IP \(cilium_host\) from the node podCIDR/,
    },
    { name: "fails on generic-veth without a router CIDR", mutate: (c) => delete cilium0(c).chaining.routerCidr, expectPath: "clusters[0].cilium.chaining.routerCidr", expectMessage: /required with chaining mode generic-veth/ },
    { name: "fails on aws-cni without a router CIDR", mutate: (c) => (cilium0(c).chaining = { mode: "aws-cni" }), expectPath: "clusters[0].cilium.chaining.routerCidr", expectMessage: /required with chaining mode aws-cni/ },
    { name: "fails on a router CIDR inside the pod CIDR", mutate: (c) => (cilium0(c).chaining.routerCidr = "10.244.128.0/20"), expectPath: "clusters[0].cilium.chaining.routerCidr", expectMessage: /overlaps the cluster's podCidr/ },
    { name: "fails on a router CIDR inside the service CIDR", mutate: (c) => (cilium0(c).chaining.routerCidr = "10.100.0.0/20"), expectPath: "clusters[0].cilium.chaining.routerCidr", expectMessage: /overlaps the cluster's serviceCidr/ },
    { name: "fails on a router CIDR holding the API server address", mutate: (c) => (cilium0(c).chaining.routerCidr = "192.0.2.0/24"), expectPath: "clusters[0].cilium.chaining.routerCidr", expectMessage: /contains cilium.k8sServiceHost/ },
    { name: "fails on a router CIDR too small for 4 nodes", mutate: (c) => (cilium0(c).chaining.routerCidr = "10.250.0.0/27"), expectPath: "clusters[0].cilium.chaining.routerCidr", expectMessage: /fewer than 4 nodes/ },
    { name: "fails on a router CIDR that is not a CIDR", mutate: (c) => (cilium0(c).chaining.routerCidr = "10.250.0.1/20"), expectPath: "clusters[0].cilium.chaining.routerCidr" },
    { name: "fails on portmap with kube-proxy replacement", mutate: (c) => (cilium0(c).chaining = { mode: "portmap" }), expectPath: "clusters[0].cilium.chaining.mode", expectMessage: /HostPort/ },
    { name: "fails on portmap with a router CIDR", mutate: (c) => (cilium0(c).chaining = { mode: "portmap", routerCidr: "10.250.0.0/20" }), expectPath: "clusters[0].cilium.chaining.routerCidr", expectMessage: /not used with chaining mode portmap/ },
    { name: "fails on generic-veth without the target network", mutate: (c) => delete cilium0(c).chaining.target, expectPath: "clusters[0].cilium.chaining.target", expectMessage: /required with chaining mode generic-veth/ },
    { name: "fails on a target with aws-cni", mutate: (c) => (cilium0(c).chaining = { mode: "aws-cni", target: "aws-cni", routerCidr: "10.250.0.0/20" }), expectPath: "clusters[0].cilium.chaining.target", expectMessage: /implies the target "aws-cni"/ },
    { name: "fails on a target that is not a CNI network name", mutate: (c) => (cilium0(c).chaining.target = "cbr 0"), expectPath: "clusters[0].cilium.chaining.target", expectMessage: /CNI network name/ },
    { name: "fails on the removed primaryPlugins key", mutate: (c) => (cilium0(c).chaining.primaryPlugins = [{ type: "flannel" }]), expectPath: "clusters[0].cilium.chaining.primaryPlugins" },
    { name: "fails on kube-proxy replacement without the API host", mutate: (c) => delete cilium0(c).k8sServiceHost, expectPath: "clusters[0].cilium.k8sServiceHost", expectMessage: /kubeProxyReplacement/ },
    { name: "fails on kube-proxy replacement without the API port", mutate: (c) => delete cilium0(c).k8sServicePort, expectPath: "clusters[0].cilium.k8sServicePort", expectMessage: /443 on EKS/ },
    { name: "fails on chaining.nodes without a nodeSelector", mutate: (c) => Object.assign(cilium0(c), { nodeSelector: {}, chaining: { ...cilium0(c).chaining, nodes: ["worker-1"] } }), expectPath: "clusters[0].cilium.nodeSelector" },
    { name: "fails on a node listed twice", mutate: (c) => (cilium0(c).chaining.nodes = ["worker-1", "worker-1"]), expectPath: "clusters[0].cilium.chaining.nodes[1]", expectMessage: /listed twice/ },
    { name: "fails on an unknown chaining mode", mutate: (c) => (cilium0(c).chaining.mode = "calico"), expectPath: "clusters[0].cilium.chaining.mode", expectMessage: /"generic-veth"/ },
    { name: "fails on a misspelled chaining key", mutate: (c) => (cilium0(c).chaining.routerCIDR = "10.250.0.0/20"), expectPath: "clusters[0].cilium.chaining.routerCIDR", expectMessage: /did you mean "routerCidr"/ },
];

describe("chaining config rules", () => {
    it("accepts the chain stack's config, with native routing as the chaining default", () => {
        assert.deepEqual(issuesOf(chainConfig()), []);
        const config = parseStackConfig(chainConfig(), { secretKeys: SECRET_KEYS });
        assert.equal(config.clusters[0].cilium.routingMode, "native");
        assert.equal(config.clusters[0].cilium.ipamMode, "cluster-pool", "chained onto a primary CNI: Cilium's pool is the router CIDR");
        assert.deepEqual(config.clusters[0].cilium.chaining?.nodes, [], "no node is touched by default");
    });

    it("keeps tunnel as the default without chaining and with portmap", () => {
        assert.equal(parseStackConfig(devConfig(), { secretKeys: SECRET_KEYS }).clusters[0].cilium.routingMode, "tunnel");
        const portmap = chainConfig();
        Object.assign(cilium0(portmap), { kubeProxyReplacement: false, chaining: { mode: "portmap" }, ipamMode: "cluster-pool" });
        assert.deepEqual(issuesOf(portmap), [], "portmap without KPR keeps Cilium's own routing and IPAM");
        assert.equal(parseStackConfig(portmap, { secretKeys: SECRET_KEYS }).clusters[0].cilium.routingMode, "tunnel");
    });

    it("defaults flannel's chaining target to its network name cbr0", () => {
        const raw = chainConfig();
        cilium0(raw).chaining = { mode: "flannel", routerCidr: "10.250.0.0/20" };
        assert.deepEqual(issuesOf(raw), []);
        assert.equal(parseStackConfig(raw, { secretKeys: SECRET_KEYS }).clusters[0].cilium.chaining?.target, "cbr0");
    });

    it("accepts an explicit routingMode native with chaining", () => {
        const raw = chainConfig();
        cilium0(raw).routingMode = "native";
        assert.deepEqual(issuesOf(raw), []);
    });

    for (const failure of failures) {
        it(failure.name, () => {
            const raw = chainConfig();
            failure.mutate(raw);
            const issues = issuesOf(raw);
            const match = issues.find((i) => i.startsWith(`${failure.expectPath}: `));
            assert.ok(match, `no issue at ${failure.expectPath}; got:\n${issues.join("\n")}`);
            if (failure.expectMessage) assert.match(match, failure.expectMessage);
        });
    }
});

describe("Cilium node taints and labels", () => {
    it("derives taints from tolerations that name a key and an effect", () => {
        assert.deepEqual(
            taintsFromTolerations([
                { key: "kubeloom.io/cilium", operator: "Equal", value: "true", effect: "NoSchedule" },
                { key: "dedicated", operator: "Exists", effect: "NoExecute" },
                { operator: "Exists" },
                { key: "no-effect", operator: "Exists" },
                { key: "kubeloom.io/cilium", operator: "Equal", value: "other", effect: "NoSchedule" },
            ]),
            [
                { key: "kubeloom.io/cilium", value: "true", effect: "NoSchedule" },
                { key: "dedicated", effect: "NoExecute" },
            ],
        );
        assert.deepEqual(taintsFromTolerations([]), [], "no tolerations: nodes are only labelled");
        assert.equal(taintArgument({ key: "kubeloom.io/cilium", value: "true", effect: "NoSchedule" }), "kubeloom.io/cilium=true:NoSchedule");
        assert.equal(taintArgument({ key: "dedicated", effect: "NoExecute" }), "dedicated:NoExecute");
    });

    it("adds and removes exactly those taints with kubectl, in valid sh", () => {
        const taints = [{ key: "kubeloom.io/cilium", value: "true", effect: "NoSchedule" as const }];
        const add = addTaintsScript("worker-1", taints);
        const remove = removeTaintsScript("worker-1", taints);
        assert.match(add, /k taint node 'worker-1' 'kubeloom\.io\/cilium=true:NoSchedule' --overwrite/);
        assert.match(remove, /k taint node 'worker-1' 'kubeloom\.io\/cilium:NoSchedule-'/);
        assert.ok(remove.includes(`*'taint "kubeloom.io/cilium:NoSchedule" not found'*|*'(NotFound): nodes "worker-1" not found'*) ;;`), "only this taint or node being gone is not an error");
        for (const script of [add, remove]) {
            const check = spawnSync("/bin/sh", ["-n", "-c", script], { encoding: "utf8" });
            assert.equal(check.status, 0, check.stderr);
            assert.match(script, /umask 077/);
            assert.match(script, /trap cleanup EXIT/);
        }
    });

    it("reads the taint list from the config in at() form", () => {
        const tolerations = cilium0(chainConfig()).tolerations;
        assert.equal(at({ t: taintsFromTolerations(tolerations) }, "t.0.key"), "kubeloom.io/cilium");
    });
});
