import { strict as assert } from "node:assert";
import { defaultProtect, SECRET_KEYS } from "../../config/schema";
import { ConfigError, suggestKey, formatPath } from "../../config/config-error";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { parseStackConfig } from "../../config/parse";
import { devConfig, FailureCase, issuesOf } from "../support/fixtures";


function parse(raw: unknown) {
    return parseStackConfig(raw, { secretKeys: SECRET_KEYS });
}



const cluster0 = (c: Record<string, any>) => c.clusters[0];
const secondCluster = (c: Record<string, any>, overrides: Record<string, unknown> = {}) => {
    c.clusters.push({
        name: "two",
        id: 2,
        podCidr: "10.52.0.0/16",
        serviceCidr: "10.53.0.0/16",
        source: { kubeconfig: { path: "/tmp/kc" } },
        cilium: { kubeProxyReplacement: false },
        ...overrides,
    });
};

const failures: FailureCase[] = [
    { name: "fails on an upper-case cluster name", mutate: (c) => (cluster0(c).name = "Dev"), expectPath: "clusters[0].name", expectMessage: /DNS-1123/ },
    { name: "fails on a cluster name over 32 characters", mutate: (c) => (cluster0(c).name = "a".repeat(33)), expectPath: "clusters[0].name", expectMessage: /32/ },
    { name: "fails on the cluster name default", mutate: (c) => (cluster0(c).name = "default"), expectPath: "clusters[0].name" },
    { name: "fails on duplicate cluster names", mutate: (c) => secondCluster(c, { name: "dev" }), expectPath: "clusters[1].name", expectMessage: /already used by clusters\[0\]/ },
    { name: "fails on an id of 0", mutate: (c) => (cluster0(c).id = 0), expectPath: "clusters[0].id", expectMessage: /1 to 255/ },
    { name: "fails on an id of 256 without a 511 mesh", mutate: (c) => (cluster0(c).id = 256), expectPath: "clusters[0].id", expectMessage: /maxConnectedClusters: 511/ },
    { name: "fails on a fractional id", mutate: (c) => (cluster0(c).id = 1.5), expectPath: "clusters[0].id" },
    { name: "fails on duplicate ids", mutate: (c) => secondCluster(c, { id: 1 }), expectPath: "clusters[1].id", expectMessage: /already used/ },
    { name: "fails on an invalid pod CIDR", mutate: (c) => (cluster0(c).podCidr = "10.42.0.0/33"), expectPath: "clusters[0].podCidr", expectMessage: /not a valid IPv4 CIDR/ },
    { name: "fails on a CIDR with host bits", mutate: (c) => (cluster0(c).serviceCidr = "10.43.0.1/16"), expectPath: "clusters[0].serviceCidr", expectMessage: /10\.43\.0\.0\/16/ },
    { name: "fails on service CIDR overlapping the pod CIDR", mutate: (c) => (cluster0(c).serviceCidr = "10.42.128.0/17"), expectPath: "clusters[0].serviceCidr", expectMessage: /overlaps/ },
    { name: "fails on a missing source", mutate: (c) => delete cluster0(c).source, expectPath: "clusters[0].source", expectMessage: /required/ },
    { name: "fails on two sources", mutate: (c) => (cluster0(c).source.kind = {}), expectPath: "clusters[0].source", expectMessage: /exactly one/ },
    { name: "fails on a missing SSH user", mutate: (c) => delete cluster0(c).source.k3s.user, expectPath: "clusters[0].source.k3s.user" },
    { name: "fails on a missing host", mutate: (c) => delete cluster0(c).source.k3s.host, expectPath: "clusters[0].source.k3s.host", expectMessage: /required/ },
    { name: "fails on a K3s version that is not a K3s release", mutate: (c) => (cluster0(c).source.k3s.version = "1.28"), expectPath: "clusters[0].source.k3s.version", expectMessage: /v1\.36\.4\+k3s1/ },
    { name: "fails on a Cilium version that is not semver", mutate: (c) => (cluster0(c).cilium.version = "latest"), expectPath: "clusters[0].cilium.version" },
    { name: "fails on a Cilium release outside the support matrix, listing the supported ones", mutate: (c) => (cluster0(c).cilium.version = "1.17.0"), expectPath: "clusters[0].cilium.version", expectMessage: /the string "1\.17\.0" is not in Kubeloom's support matrix: supported cilium versions are 1\.16\.19, 1\.17\.18, 1\.18\.12, 1\.19\.6, 1\.20\.0/ },
    { name: "fails on an unsupported patch of a supported Cilium minor", mutate: (c) => (cluster0(c).cilium.version = "1.20.1"), expectPath: "clusters[0].cilium.version", expectMessage: /support matrix.*1\.20\.0/ },
    { name: "fails on a vCluster release outside the support matrix", mutate: (c) => (cluster0(c).vclusters[0].version = "0.21.0"), expectPath: "clusters[0].vclusters[0].version", expectMessage: /0\.20\.6, 0\.36\.1/ },
    { name: "fails on a K3s line no supported Cilium runs on", mutate: (c) => (cluster0(c).source.k3s.version = "v1.37.2+k3s1"), expectPath: "clusters[0].source.k3s.version", expectMessage: /lines are v1\.27 to v1\.36/ },
    { name: "fails on Cilium 1.20 on a Kubernetes outside 1.33–1.36, naming what runs there", mutate: (c) => { cluster0(c).source.k3s.version = "v1.32.12+k3s1"; cluster0(c).vclusters = []; }, expectPath: "clusters[0].cilium.version", expectMessage: /"1\.20\.0" supports Kubernetes 1\.33–1\.36, but clusters\[0\]\.source\.k3s\.version is Kubernetes 1\.32.*use Cilium 1\.17\.18 or 1\.18\.12 or 1\.19\.6/ },
    { name: "fails on vCluster 0.36 on a host older than 1.34", mutate: (c) => { cluster0(c).source.k3s.version = "v1.33.8+k3s1"; cluster0(c).cilium.version = "1.19.6"; }, expectPath: "clusters[0].vclusters[0].version", expectMessage: /"0\.36\.1" supports host Kubernetes 1\.34–1\.36.*no vCluster release Kubeloom supports runs on Kubernetes 1\.33/ },
    { name: "fails on the seeds' vCluster 0.20.6 on the default Kubernetes 1.36", mutate: (c) => (cluster0(c).vclusters[1].version = "0.20.6"), expectPath: "clusters[0].vclusters[1].version", expectMessage: /"0\.20\.6" supports host Kubernetes 1\.27–1\.30.*use vCluster 0\.36\.1/ },
    { name: "fails on Cilium 1.16 with the default K3s line", mutate: (c) => (cluster0(c).cilium.version = "1.16.19"), expectPath: "clusters[0].cilium.version", expectMessage: /1\.27–1\.30.*Kubernetes 1\.36.*use Cilium 1\.20\.0/ },
    { name: "fails on an existing cluster's Kubernetes outside its Cilium's range", mutate: (c) => secondCluster(c, { source: { kubeconfig: { path: "/k", kubernetesVersion: "1.30" } }, cilium: { k8sServiceHost: "192.0.2.20", k8sServicePort: 6443 } }), expectPath: "clusters[1].cilium.version", expectMessage: /clusters\[1\]\.source\.kubeconfig\.kubernetesVersion is Kubernetes 1\.30/ },
    { name: "fails on an existing cluster's Kubernetes outside the matrix", mutate: (c) => secondCluster(c, { source: { kubeconfig: { path: "/k", kubernetesVersion: "1.26" } }, cilium: { k8sServiceHost: "192.0.2.20", k8sServicePort: 6443 } }), expectPath: "clusters[1].source.kubeconfig.kubernetesVersion", expectMessage: /1\.27 to 1\.36/ },
    { name: "fails on kubeProxyReplacement: strict", mutate: (c) => (cluster0(c).cilium.kubeProxyReplacement = "strict"), expectPath: "clusters[0].cilium.kubeProxyReplacement", expectMessage: /boolean/ },
    { name: "fails on an unknown routing mode", mutate: (c) => (cluster0(c).cilium.routingMode = "vxlan"), expectPath: "clusters[0].cilium.routingMode", expectMessage: /"tunnel", "native"/ },
    { name: "fails on kube-proxy replacement with no API host", mutate: (c) => secondCluster(c, { cilium: { kubeProxyReplacement: true } }), expectPath: "clusters[1].cilium.k8sServiceHost", expectMessage: /kubeProxyReplacement/ },
    // One rule for an existing cluster's API port: never a silent 6443 (main fell back to it unless chaining was on).
    { name: "fails on an existing cluster's API host without its port (kube-proxy replacement)", mutate: (c) => secondCluster(c, { cilium: { kubeProxyReplacement: true, k8sServiceHost: "192.0.2.20" } }), expectPath: "clusters[1].cilium.k8sServicePort", expectMessage: /does not guess it/ },
    { name: "fails on an existing cluster's API host without its port (no kube-proxy replacement)", mutate: (c) => secondCluster(c, { source: { stackReference: { stack: "platform", context: "c" } }, cilium: { k8sServiceHost: "192.0.2.20" } }), expectPath: "clusters[1].cilium.k8sServicePort", expectMessage: /443 on EKS/ },
    { name: "fails on a typo in a key with a hint", mutate: (c) => (cluster0(c).cilum = {}), expectPath: "clusters[0].cilum", expectMessage: /did you mean "cilium"/ },
    { name: "fails on an unknown top-level key", mutate: (c) => (c.clusterz = []), expectPath: "clusterz", expectMessage: /did you mean "clusters"/ },
    { name: "fails on an empty cluster list", mutate: (c) => (c.clusters = []), expectPath: "clusters", expectMessage: /at least one/ },
    { name: "fails on a vCluster name too long for the chart", mutate: (c) => (cluster0(c).vclusters[0].name = "v".repeat(53)), expectPath: "clusters[0].vclusters[0].name", expectMessage: /52/ },
    { name: "fails on a vCluster name starting with a digit", mutate: (c) => (cluster0(c).vclusters[0].name = "1vc"), expectPath: "clusters[0].vclusters[0].name" },
    { name: "fails on duplicate vCluster names", mutate: (c) => (cluster0(c).vclusters[1].name = "vc-a"), expectPath: "clusters[0].vclusters[1].name" },
    { name: "fails on a NodePort out of range", mutate: (c) => (cluster0(c).vclusters[0].nodePort = 8080), expectPath: "clusters[0].vclusters[0].nodePort", expectMessage: /30000-32767/ },
    { name: "fails on duplicate vCluster NodePorts", mutate: (c) => (cluster0(c).vclusters[1].nodePort = 31443), expectPath: "clusters[0].vclusters[1].nodePort" },
    { name: "fails on an unknown expose type", mutate: (c) => (cluster0(c).vclusters[0].expose = "Ingress"), expectPath: "clusters[0].vclusters[0].expose" },
    { name: "fails on LoadBalancer without an address", mutate: (c) => Object.assign(cluster0(c).vclusters[0], { expose: "LoadBalancer", nodePort: undefined }), expectPath: "clusters[0].vclusters[0].loadBalancerIP" },
    { name: "fails on a LoadBalancer vCluster where nothing assigns addresses", mutate: (c) => Object.assign(cluster0(c).vclusters[0], { expose: "LoadBalancer", nodePort: undefined, loadBalancerIP: "192.0.2.50" }), expectPath: "clusters[0].vclusters[0].expose", expectMessage: /MetalLB/ },
    { name: "fails on a MetalLB block without a mesh", mutate: (c) => (cluster0(c).loadBalancer = { metallb: { addresses: ["192.0.2.50-192.0.2.60"] } }), expectPath: "clusters[0].loadBalancer.metallb", expectMessage: /mesh members/ },
    { name: "fails on a vCluster version outside 0.20", mutate: (c) => (cluster0(c).vclusters[0].version = "0.21.0"), expectPath: "clusters[0].vclusters[0].version", expectMessage: /0\.20/ },
    { name: "fails on no SSH key at all", mutate: (c) => delete c.sshPrivateKey, expectPath: "clusters[0].source.k3s.sshPrivateKeyPath", expectMessage: /--secret kubeloom:sshPrivateKey/ },
    { name: "fails on a K3s component that does not exist", mutate: (c) => (cluster0(c).source.k3s.disable = ["traefik", "flannel"]), expectPath: "clusters[0].source.k3s.disable[1]" },
    { name: "fails on an agent on localhost", mutate: (c) => (cluster0(c).source.k3s.agents = [{ host: "localhost" }]), expectPath: "clusters[0].source.k3s.agents[0].host" },
    { name: "fails on a localhost server with agents but no reachable address", mutate: (c) => Object.assign(cluster0(c).source.k3s, { host: "localhost", agents: [{ host: "192.0.2.11" }] }), expectPath: "clusters[0].source.k3s.registrationAddress" },
    { name: "fails on the same host twice in a cluster", mutate: (c) => (cluster0(c).source.k3s.agents = [{ host: "192.0.2.11" }, { host: "192.0.2.10" }]), expectPath: "clusters[0].source.k3s.agents[1].host" },
    { name: "fails on cilium.install: false for a cluster this stack creates", mutate: (c) => (cluster0(c).cilium.install = false), expectPath: "clusters[0].cilium.install", expectMessage: /no CNI/ },
    {
        name: "fails on a default NodePort on a cluster another stack manages",
        mutate: (c) => Object.assign(cluster0(c), { source: { stackReference: { stack: "platform", context: "dev" } }, vclusters: [{ name: "t", expose: "NodePort" }] }),
        expectPath: "clusters[0].vclusters[0].nodePort",
        expectMessage: /another stack manages/,
    },
    { name: "fails on chaining on a cluster Kubeloom creates", mutate: (c) => (cluster0(c).cilium.chaining = { mode: "generic-veth" }), expectPath: "clusters[0].cilium.chaining" },
    { name: "fails on an unknown chaining mode", mutate: (c) => (cluster0(c).cilium.chaining = { mode: "calico" }), expectPath: "clusters[0].cilium.chaining.mode" },
    { name: "fails on a Hubble UI NodePort without the UI", mutate: (c) => (cluster0(c).cilium.hubble = { ui: false, uiNodePort: 31000 }), expectPath: "clusters[0].cilium.hubble.uiNodePort" },
    { name: "fails on a string where a number belongs", mutate: (c) => (cluster0(c).id = "1"), expectPath: "clusters[0].id", expectMessage: /must be a number, got the string "1"/ },
    { name: "fails on kubeconfig source without path or secret", mutate: (c) => (cluster0(c).source = { kubeconfig: {} }), expectPath: "clusters[0].source.kubeconfig.path", expectMessage: /sourceKubeconfigs\.dev/ },
];

describe("stack config validation", () => {
    it("accepts the dev config and fills defaults", () => {
        const config = parse(devConfig());
        const cluster = config.clusters[0];
        assert.equal(cluster.source.k3s?.version, "v1.36.4+k3s1");
        assert.equal(cluster.source.k3s?.port, 22);
        assert.deepEqual(cluster.source.k3s?.disable, ["traefik", "servicelb", "metrics-server"]);
        assert.equal(cluster.cilium.version, "1.20.0");
        assert.equal(cluster.cilium.routingMode, "tunnel");
        assert.equal(cluster.vclusters[0].version, "0.36.1");
        assert.equal(cluster.vclusters[0].isolate, true);
    });

    for (const failure of failures) {
        it(failure.name, () => {
            const raw = devConfig();
            failure.mutate(raw);
            const issues = issuesOf(raw);
            const match = issues.find((i) => i.startsWith(`${failure.expectPath}: `));
            assert.ok(match, `no issue at ${failure.expectPath}; got:\n${issues.join("\n")}`);
            if (failure.expectMessage) assert.match(match, failure.expectMessage);
        });
    }

    it("has at least 30 distinct failure cases", () => {
        assert.ok(new Set(failures.map((f) => f.expectPath + f.name)).size >= 30);
    });

    it("fails on an SSH key set in plaintext, without echoing it", () => {
        const raw = devConfig();
        raw.sshPrivateKey = "-----BEGIN OPENSSH PRIVATE KEY----- PLAINTEXT-MARKER";
        assert.throws(
            () => parseStackConfig(raw, { secretKeys: [] }),
            (error: Error) => /sshPrivateKey: is set in plaintext/.test(error.message) && !error.message.includes("PLAINTEXT-MARKER"),
        );
    });

    it("never echoes a secret value in a type error", () => {
        const raw = devConfig();
        raw.sourceKubeconfigs = { dev: 42, other: "SECRET-MARKER" };
        raw.sshPrivateKey = { nested: "SECRET-MARKER" };
        try {
            parse(raw);
            assert.fail("expected a ConfigError");
        } catch (error) {
            assert.ok(error instanceof ConfigError);
            assert.ok(!error.message.includes("SECRET-MARKER"), error.message);
            assert.match(error.message, /sshPrivateKey: must be a string, got a secret value/);
        }
    });

    it("reports every problem at once, not only the first", () => {
        const raw = devConfig();
        raw.clusters[0].id = 0;
        raw.clusters[0].podCidr = "nope";
        assert.equal(issuesOf(raw).length, 2);
    });

    it("decodes structured values from the flat Pulumi map and ignores other namespaces", () => {
        const raw = rawConfigFromPulumi({ "kubeloom:clusters": "[1]", "kubeloom:sshPrivateKey": "key", "aws:region": "x" });
        assert.deepEqual(raw, { clusters: [1], sshPrivateKey: "key" });
    });

    it("suggests close keys only", () => {
        assert.equal(suggestKey("podCIDR", ["podCidr", "serviceCidr"]), "podCidr");
        assert.equal(suggestKey("zzzzzz", ["podCidr", "serviceCidr"]), undefined);
    });

    it("formats key paths with indexes", () => {
        assert.equal(formatPath(["clusters", 1, "source", "k3s", "host"]), "clusters[1].source.k3s.host");
        assert.equal(formatPath(["clusters", 0, "cilium", "nodeSelector", "kubeloom.io/cilium"]), 'clusters[0].cilium.nodeSelector["kubeloom.io/cilium"]');
        assert.equal(formatPath([""]), '[""]');
    });

    it("protects by default except dev and test stacks", () => {
        assert.equal(defaultProtect("dev"), false);
        assert.equal(defaultProtect("test-1"), false);
        assert.equal(defaultProtect("prod"), true);
        assert.equal(defaultProtect("devops"), true);
    });
});

describe("bad-input catalogue through the planner", function () {
    this.timeout(60_000);
    // Every catalogue entry must stop the program before it registers a single resource (the stack itself aside).
    for (const failure of failures) {
        it(`${failure.name}: no resource registered`, async () => {
            const { planConfig } = await import("../support/helpers");
            const pulumi = await import("@pulumi/pulumi");
            const registered: string[] = [];
            const recording = {
                newResource: (args: { type: string; name: string; id?: string; inputs: Record<string, unknown> }) => {
                    registered.push(`${args.type}::${args.name}`);
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call: () => ({}),
            };
            const raw = devConfig();
            failure.mutate(raw);
            await assert.rejects(planConfig(raw, { mocks: recording }), (error: unknown) => {
                assert.ok(pulumi.RunError.isInstance(error), `not a config error: ${error}`);
                assert.ok((error as Error).message.includes(`${failure.expectPath}: `), (error as Error).message);
                return true;
            });
            assert.deepEqual(registered.filter((r) => !r.startsWith("pulumi:pulumi:Stack")), []);
        });
    }
});
