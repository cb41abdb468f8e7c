/**
 * The Cilium feature keys (cilium.encryption, hubble.metrics / serviceMonitor, tunnelProtocol, devices, gatewayAPI,
 * mesh global Service protocols): each bad combination refused at its key (issuesOf, and a few through `npm run plan`
 * with exit 2), and each key planned and rendered — the rendered cilium-config shows it — with no pre-flight error,
 * through the real CLI with the stand-in helm and the locked charts.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { devConfig, issuesOf, kindMeshConfig } from "../support/fixtures";
import { runPlan } from "../support/run-plan";

const kindMesh = kindMeshConfig;

/** dev with LB-IPAM, so a Gateway has a pool. */
function devWithPool(): Record<string, any> {
    const c = devConfig();
    c.clusters[0].loadBalancer = { cilium: { addresses: ["198.51.100.0/28"] } };
    return c;
}

const cilium = (c: Record<string, any>, i = 0) => c.clusters[i].cilium as Record<string, any>;

const cases: Array<{ name: string; base?: () => Record<string, any>; mutate: (c: Record<string, any>) => void; expectPath: string; expect: RegExp }> = [
    { name: "an unknown encryption type", mutate: (c) => (cilium(c).encryption = { type: "ztunnel" }), expectPath: "clusters[0].cilium.encryption.type", expect: /wireguard|ipsec/ },
    { name: "node encryption with IPsec", mutate: (c) => (cilium(c).encryption = { type: "ipsec", nodeEncryption: true }), expectPath: "clusters[0].cilium.encryption.nodeEncryption", expect: /only effective with type: wireguard/ },
    { name: "an IPsec key id with WireGuard", mutate: (c) => (cilium(c).encryption = { type: "wireguard", keyId: 2 }), expectPath: "clusters[0].cilium.encryption.keyId", expect: /only used with type: ipsec/ },
    { name: "an IPsec key id of 16", mutate: (c) => (cilium(c).encryption = { type: "ipsec", keyId: 16 }), expectPath: "clusters[0].cilium.encryption.keyId", expect: /1 to 15/ },
    {
        name: "IPsec on a chained Cilium",
        base: () => ({ clusters: [{ name: "chain", id: 3, podCidr: "10.60.0.0/16", serviceCidr: "10.61.0.0/16", source: { kubeconfig: { path: "/dev/null" } }, cilium: { kubeProxyReplacement: false, chaining: { mode: "generic-veth", target: "cbr0", routerCidr: "10.250.0.0/20" } } }] }),
        mutate: (c) => (cilium(c).encryption = { type: "ipsec" }),
        expectPath: "clusters[0].cilium.encryption.type",
        expect: /cilium\/cilium#15596/,
    },
    { name: "an unknown Hubble metric", mutate: (c) => (cilium(c).hubble.metrics = ["dns", "kafka"]), expectPath: "clusters[0].cilium.hubble.metrics", expect: /"kafka" is not a Hubble metric/ },
    { name: "a ServiceMonitor without metrics", mutate: (c) => (cilium(c).hubble.serviceMonitor = true), expectPath: "clusters[0].cilium.hubble.serviceMonitor", expect: /metrics, which are off/ },
    { name: "a tunnel protocol with native routing", mutate: (c) => Object.assign(cilium(c), { routingMode: "native", tunnelProtocol: "geneve" }), expectPath: "clusters[0].cilium.tunnelProtocol", expect: /only used with routingMode: tunnel/ },
    { name: "an unknown tunnel protocol", mutate: (c) => (cilium(c).tunnelProtocol = "gre"), expectPath: "clusters[0].cilium.tunnelProtocol", expect: /vxlan|geneve/ },
    { name: "a device that is no interface name", mutate: (c) => (cilium(c).devices = ["eth0 eth1"]), expectPath: "clusters[0].cilium.devices[0]", expect: /interface name/ },
    { name: "an L2 announcing device outside cilium.devices", base: devWithPool, mutate: (c) => { cilium(c).devices = ["eth0"]; c.clusters[0].loadBalancer.cilium.devices = ["eth1"]; }, expectPath: "clusters[0].loadBalancer.cilium.devices", expect: /eth1 is not among cilium\.devices/ },
    { name: "Gateway API without kube-proxy replacement", mutate: (c) => Object.assign(cilium(c), { kubeProxyReplacement: false, gatewayAPI: {} }), expectPath: "clusters[0].cilium.gatewayAPI", expect: /kubeProxyReplacement: true/ },
    { name: "Gateway API on Cilium 1.18", mutate: (c) => Object.assign(cilium(c), { version: "1.18.12", gatewayAPI: {} }), expectPath: "clusters[0].cilium.gatewayAPI", expect: /1\.19 or newer/ },
    { name: "Gateway API beside K3s's Traefik", mutate: (c) => { cilium(c).gatewayAPI = {}; c.clusters[0].source.k3s.disable = ["servicelb", "metrics-server"]; }, expectPath: "clusters[0].cilium.gatewayAPI", expect: /Traefik/ },
    { name: "a Gateway without a load balancer", mutate: (c) => (cilium(c).gatewayAPI = { gateway: { address: "198.51.100.5" } }), expectPath: "clusters[0].cilium.gatewayAPI.gateway.address", expect: /needs a load balancer/ },
    { name: "a Gateway address outside the pool", base: devWithPool, mutate: (c) => (cilium(c).gatewayAPI = { gateway: { address: "198.51.100.99" } }), expectPath: "clusters[0].cilium.gatewayAPI.gateway.address", expect: /outside this cluster's load balancer pool/ },
    { name: "a Gateway with gatewayAPI off", base: devWithPool, mutate: (c) => (cilium(c).gatewayAPI = { enabled: false, gateway: { address: "198.51.100.5" } }), expectPath: "clusters[0].cilium.gatewayAPI.gateway", expect: /needs gatewayAPI\.enabled: true/ },
    { name: "mesh members encrypting differently", base: kindMesh, mutate: (c) => (cilium(c, 0).encryption = { type: "wireguard" }), expectPath: "clusters[1].cilium.encryption", expect: /is off and c1's is type wireguard.*no mixed mode/ },
    { name: "mesh members with WireGuard and IPsec", base: kindMesh, mutate: (c) => { cilium(c, 0).encryption = { type: "wireguard" }; cilium(c, 1).encryption = { type: "ipsec" }; }, expectPath: "clusters[1].cilium.encryption", expect: /type ipsec and c1's is type wireguard/ },
    { name: "mesh members with two IPsec key ids", base: kindMesh, mutate: (c) => { cilium(c, 0).encryption = { type: "ipsec", keyId: 2 }; cilium(c, 1).encryption = { type: "ipsec" }; }, expectPath: "clusters[1].cilium.encryption.keyId", expect: /one IPsec key, so one key id/ },
    { name: "mesh members routing differently", base: kindMesh, mutate: (c) => (cilium(c, 1).routingMode = "native"), expectPath: "clusters[1].cilium.routingMode", expect: /same|one datapath mode/ },
    { name: "mesh members tunnelling differently", base: kindMesh, mutate: (c) => (cilium(c, 1).tunnelProtocol = "geneve"), expectPath: "clusters[1].cilium.tunnelProtocol", expect: /must tunnel alike/ },
    {
        name: "a native-routed mesh whose pod CIDRs need more than a /8",
        base: kindMesh,
        mutate: (c) => { for (const i of [0, 1]) cilium(c, i).routingMode = "native"; c.clusters[1].podCidr = "172.16.0.0/16"; c.clusters[1].serviceCidr = "172.17.0.0/16"; },
        expectPath: "clusters[1].podCidr",
        expect: /wider than a \/8/,
    },
    {
        name: "a TCP+UDP global Service port whose derived name is too long",
        base: kindMesh,
        mutate: (c) => (c.mesh.globalServices = [{ name: "dns", namespace: "default", selector: { app: "dns" }, ports: [{ port: 53, name: "domain-names", protocol: "TCP+UDP" }] }]),
        expectPath: "mesh.globalServices[0].ports[0].name",
        expect: /"domain-names-tcp" with protocol TCP\+UDP/,
    },
    {
        name: "the K3s API port on the Hubble metrics server's",
        mutate: (c) => { cilium(c).hubble.metrics = ["dns"]; c.clusters[0].source.k3s.apiPort = 9965; },
        expectPath: "clusters[0].source.k3s.apiPort",
        expect: /9965 is also reserved: Hubble metrics server/,
    },
    {
        name: "a Gateway on a LoadBalancer vCluster's address",
        base: devWithPool,
        mutate: (c) => { c.clusters[0].vclusters[1] = { name: "vc-b", expose: "LoadBalancer", loadBalancerIP: "198.51.100.5" }; cilium(c).gatewayAPI = { gateway: { address: "198.51.100.5" } }; },
        expectPath: "clusters[0].cilium.gatewayAPI.gateway.address",
        expect: /is also clusters\[0\]\.vclusters\[1\]\.loadBalancerIP/,
    },
    {
        name: "a UDP port given twice",
        base: kindMesh,
        mutate: (c) => (c.mesh.globalServices = [{ name: "dns", namespace: "default", selector: { app: "dns" }, ports: [{ port: 53, protocol: "TCP+UDP" }, { port: 53, protocol: "UDP", name: "again" }] }]),
        expectPath: "mesh.globalServices[0].ports[1].port",
        expect: /same protocol/,
    },
];

describe("Cilium feature keys: each bad combination refused at its key", () => {
    for (const c of cases) {
        it(`fails on ${c.name}`, () => {
            const config = (c.base ?? devConfig)();
            c.mutate(config);
            const issues = issuesOf(config);
            const atPath = issues.filter((i) => i.startsWith(`${c.expectPath}: `));
            assert.ok(atPath.length > 0, `no issue at ${c.expectPath}:\n${issues.join("\n")}`);
            assert.ok(atPath.some((i) => c.expect.test(i)), `no issue at ${c.expectPath} matches ${c.expect}:\n${atPath.join("\n")}`);
        });
    }

    it("accepts every key together, a WireGuard mesh, a native-routed mesh, UDP and TCP+UDP global Services", () => {
        const dev = devWithPool();
        Object.assign(cilium(dev), {
            encryption: { type: "wireguard", nodeEncryption: true },
            hubble: { relay: true, ui: true, metrics: ["dns", "drop", "tcp", "flow", "port-distribution", "icmp", "http"], serviceMonitor: true },
            tunnelProtocol: "geneve",
            devices: ["eth0"],
            gatewayAPI: { gateway: { address: "198.51.100.5" } },
        });
        assert.deepEqual(issuesOf(dev), []);
        const mesh = kindMesh();
        for (const i of [0, 1]) Object.assign(cilium(mesh, i), { encryption: { type: "ipsec", keyId: 3 }, routingMode: "native" });
        mesh.mesh.globalServices = [{ name: "dns", namespace: "default", selector: { app: "dns" }, ports: [{ port: 53, protocol: "TCP+UDP" }, { port: 5353, protocol: "UDP" }] }];
        assert.deepEqual(issuesOf(mesh), []);
    });
});

/** Writes `config` as a stack file in a temporary folder; returns its path and a clean-up. */
function stackFile(stack: string, config: Record<string, any>): { file: string; remove: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-features-"));
    const { sshPrivateKey: _secret, ...rest } = config;
    const body: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rest)) body[`kubeloom:${key}`] = value;
    if (config.clusters.some((c: any) => c.source.k3s)) body["kubeloom:sshPrivateKey"] = { secure: "v1:placeholder" };
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, stringify({ config: body }, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" }));
    return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

describe("the port registry's UDP ports", () => {
    const { nodeUdpPorts, portRegistry } = require("../../config/port-registry") as typeof import("../../config/port-registry");
    const { parseStackConfig } = require("../../config/parse") as typeof import("../../config/parse");
    it("claims the tunnel's and WireGuard's UDP ports on every node: VXLAN 8472 by default, Geneve 6081, WireGuard 51871", () => {
        const config = devConfig();
        const ports = (mutate: (c: Record<string, any>) => void) => {
            const c = devConfig();
            mutate(c);
            return nodeUdpPorts(parseStackConfig(c).clusters[0]).map((p) => p.port);
        };
        assert.deepEqual(ports(() => undefined), [8472]);
        assert.deepEqual(ports((c) => Object.assign(cilium(c), { tunnelProtocol: "geneve", encryption: { type: "wireguard" } })), [6081, 51871]);
        assert.deepEqual(ports((c) => Object.assign(cilium(c), { routingMode: "native", encryption: { type: "ipsec" } })), [], "IPsec is ESP, not UDP; native routing has no tunnel");
        const claims = portRegistry(parseStackConfig(config)).filter((c) => c.kind === "udpPort");
        assert.deepEqual(claims.map((c) => [c.scope, c.value]), [["host 192.0.2.10", 8472]]);
    });
});

describe("Cilium feature keys through npm run plan", () => {
    it("refuses a bad combination with exit 2 and the key path, writing no plan", async function () {
        this.timeout(120_000);
        const config = devConfig();
        cilium(config).encryption = { type: "ipsec", nodeEncryption: true };
        const { file, remove } = stackFile("bad", config);
        try {
            const run = await runPlan(["bad", "--config", file, "--json"]);
            assert.equal(run.code, 2, run.stderr);
            assert.match(run.stderr, /clusters\[0\]\.cilium\.encryption\.nodeEncryption: is only effective with type: wireguard/);
            assert.equal(run.stdout, "");
        } finally {
            remove();
        }
    });

    /** Every rendered cilium-config ConfigMap of a plan, by release resource name. */
    const ciliumConfigs = (plan: any): Map<string, Record<string, string>> =>
        new Map(
            plan.resources.flatMap((r: any) => (r.rendered ?? []).filter((o: any) => o.kind === "ConfigMap" && o.metadata.name === "cilium-config").map((o: any) => [r.name, o.data])),
        );
    const renderedKinds = (plan: any): string[] => plan.resources.flatMap((r: any) => (r.rendered ?? []).map((o: any) => `${o.kind}/${o.metadata.name}`));
    const errors = (plan: any) => plan.preflight.filter((f: any) => f.severity === "error");

    it("plans and renders every new key on dev: the cilium-config shows each, no pre-flight error", async function () {
        this.timeout(300_000);
        const config = devWithPool();
        Object.assign(cilium(config), {
            encryption: { type: "wireguard", nodeEncryption: true },
            hubble: { relay: true, ui: true, metrics: ["dns", "drop", "tcp", "flow", "port-distribution", "icmp", "http"], serviceMonitor: true },
            tunnelProtocol: "geneve",
            devices: ["eth0"],
            gatewayAPI: { gateway: { address: "198.51.100.5" } },
        });
        const { file, remove } = stackFile("features", config);
        try {
            const run = await runPlan(["features", "--config", file, "--render", "--json"]);
            assert.equal(run.code, 0, run.stderr);
            const plan = JSON.parse(run.stdout);
            assert.deepEqual(errors(plan), []);
            const data = ciliumConfigs(plan).get("dev-cilium-release")!;
            assert.equal(data["enable-wireguard"], "true");
            assert.equal(data["encrypt-node"], "true");
            assert.equal(data["hubble-metrics"], "dns drop tcp flow port-distribution icmp http");
            assert.equal(data["tunnel-protocol"], "geneve");
            assert.equal(data["devices"], "eth0");
            assert.equal(data["enable-gateway-api"], "true");
            const kinds = renderedKinds(plan);
            assert.ok(kinds.includes("ServiceMonitor/hubble"), "the chart renders the ServiceMonitor with the monitoring API");
            const { validateCustomResource, SERVICE_MONITOR_CRD_FILE, gatewayApiCrdFile } = require("../support/crd-schemas") as typeof import("../support/crd-schemas");
            const serviceMonitor = plan.resources.flatMap((r: any) => r.rendered ?? []).find((o: any) => o.kind === "ServiceMonitor");
            assert.deepEqual(validateCustomResource(SERVICE_MONITOR_CRD_FILE, serviceMonitor), [], "the rendered ServiceMonitor fits Prometheus Operator's CRD");
            const gatewayObject = plan.resources.find((r: any) => r.type === "kubernetes:gateway.networking.k8s.io/v1:Gateway").inputs;
            assert.deepEqual(validateCustomResource(gatewayApiCrdFile("gateways", "1.5.1"), gatewayObject), []);
            assert.ok(kinds.includes("GatewayClass/cilium"));
            const types = plan.resources.map((r: any) => r.type);
            assert.equal(types.filter((t: string) => t === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition").length, 7, "Gateway API v1.5.1's seven CRDs for Cilium 1.20");
            assert.ok(types.includes("kubernetes:gateway.networking.k8s.io/v1:Gateway"));
            const release = plan.resources.find((r: any) => r.name === "dev-cilium-release");
            assert.ok(release.dependsOn.some((u: string) => u.endsWith("::dev-gateway-api-tlsroutes")), "CRDs before Cilium");
        } finally {
            remove();
        }
    });

    it("renders IPsec with the Secret the agents mount, created before Cilium", async function () {
        this.timeout(300_000);
        const config = devConfig();
        cilium(config).encryption = { type: "ipsec" };
        const { file, remove } = stackFile("ipsec", config);
        try {
            const run = await runPlan(["ipsec", "--config", file, "--render", "--json"]);
            assert.equal(run.code, 0, run.stderr);
            const plan = JSON.parse(run.stdout);
            assert.deepEqual(errors(plan), []);
            const data = ciliumConfigs(plan).get("dev-cilium-release")!;
            assert.equal(data["enable-ipsec"], "true");
            assert.equal(data["ipsec-key-file"], "/etc/ipsec/keys");
            const secret = plan.resources.find((r: any) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.name === "cilium-ipsec-keys");
            assert.equal(secret.inputs.metadata.namespace, "kube-system");
            assert.equal(secret.inputs.stringData, "[secret]");
            const release = plan.resources.find((r: any) => r.name === "dev-cilium-release");
            assert.ok(release.dependsOn.includes(secret.urn), "the Secret exists before the agents start");
        } finally {
            remove();
        }
    });

    it("gives IPsec mesh members one shared key (one RandomBytes, a secret), written as each member's Secret", async function () {
        this.timeout(120_000);
        const config = kindMesh();
        for (const i of [0, 1]) cilium(config, i).encryption = { type: "ipsec", keyId: 4 };
        const { file, remove } = stackFile("meshipsec", config);
        try {
            const run = await runPlan(["meshipsec", "--config", file, "--json"]);
            assert.equal(run.code, 0, run.stderr);
            const plan = JSON.parse(run.stdout);
            const keys = plan.resources.filter((r: any) => r.type === "random:index/randomBytes:RandomBytes");
            assert.deepEqual(keys.map((r: any) => [r.name, r.inputs.length, r.inputs.keepers]), [["ipsec-key", 20, { keyId: "4" }]]);
            const secrets = plan.resources.filter((r: any) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.name === "cilium-ipsec-keys");
            assert.deepEqual(secrets.map((r: any) => r.name).sort(), ["c1-ipsec-secret", "c2-ipsec-secret"]);
            for (const secret of secrets) {
                assert.equal(secret.inputs.stringData, "[secret]");
                assert.ok(secret.dependsOn.includes(keys[0].urn) || JSON.stringify(secret).includes("ipsec-key"), "each Secret is made from the one key");
            }
        } finally {
            remove();
        }
    });

    it("renders a WireGuard mesh alike in both members, and a native-routed mesh over one covering CIDR", async function () {
        this.timeout(300_000);
        const wireguard = kindMesh();
        for (const i of [0, 1]) cilium(wireguard, i).encryption = { type: "wireguard" };
        const native = kindMesh();
        for (const i of [0, 1]) cilium(native, i).routingMode = "native";
        for (const [stack, config] of [["meshwg", wireguard], ["meshnative", native]] as const) {
            const { file, remove } = stackFile(stack, config);
            try {
                const run = await runPlan([stack, "--config", file, "--render", "--json"]);
                assert.equal(run.code, 0, run.stderr);
                const plan = JSON.parse(run.stdout);
                assert.deepEqual(errors(plan), []);
                const configs = ciliumConfigs(plan);
                const [c1, c2] = [configs.get("c1-cilium-release")!, configs.get("c2-cilium-release")!];
                const differing = Object.keys({ ...c1, ...c2 }).filter((k) => c1[k] !== c2[k]).sort();
                assert.deepEqual(differing, ["cluster-id", "cluster-name"], `${stack}: members render alike but for their identity`);
                if (stack === "meshwg") assert.equal(c1["enable-wireguard"], "true");
                else assert.equal(c1["ipv4-native-routing-cidr"], "10.0.0.0/11", "covers 10.10.0.0/16 and 10.20.0.0/16");
            } finally {
                remove();
            }
        }
    });
});

describe("mesh.policies: cross-cluster CiliumNetworkPolicies as config", () => {
    const { crossClusterPolicy, CLUSTER_LABEL } = require("../../components/mesh-services") as typeof import("../../components/mesh-services");
    const { validateCustomResource, ciliumCrdFile, celProblems } = require("../support/crd-schemas") as typeof import("../support/crd-schemas");
    const { supportedVersions } = require("../../components/support-matrix") as typeof import("../../components/support-matrix");
    const withPolicy = (policy: Record<string, unknown>, version?: string) => {
        const c = kindMesh();
        // Cilium 1.19 runs on Kubernetes up to 1.34 (the support matrix): kind's 1.34 node image with it.
        if (version) for (const i of [0, 1]) Object.assign(c.clusters[i], { cilium: { ...cilium(c, i), version }, source: { kind: { ...c.clusters[i].source.kind, nodeImage: "kindest/node:v1.34.0" } } });
        c.mesh.policies = [{ name: "to-kafka", namespace: "default", from: { cluster: "c1", labels: { app: "client" } }, to: { cluster: "c2", labels: { app: "broker" } }, ...policy }];
        return c;
    };
    const failures: Array<{ name: string; config: Record<string, any>; path: string; expect: RegExp }> = [
        { name: "a Kafka rule enforced by Cilium 1.20", config: withPolicy({ ports: [9092], kafka: [{ role: "produce", topic: "empire" }] }), path: "mesh.policies[0].kafka", expect: /Cilium 1\.20 removed Kafka rules/ },
        { name: "a Kafka rule without ports", config: withPolicy({ kafka: [{ topic: "empire" }] }, "1.19.6"), path: "mesh.policies[0].kafka", expect: /list the Kafka brokers' ports/ },
        { name: "a policy from a cluster outside the mesh", config: withPolicy({ from: { cluster: "c9", labels: {} } }), path: "mesh.policies[0].from.cluster", expect: /not a mesh member/ },
        { name: "a policy to a cluster outside the mesh", config: withPolicy({ to: { cluster: "c9", labels: {} } }), path: "mesh.policies[0].to.cluster", expect: /or "\*" for every cluster/ },
    ];
    for (const f of failures) {
        it(`fails on ${f.name}`, () => {
            const issues = issuesOf(f.config).filter((i) => i.startsWith(`${f.path}: `));
            assert.ok(issues.some((i) => f.expect.test(i)), issuesOf(f.config).join("\n"));
        });
    }
    it("fails on two policies whose resource names meet", () => {
        const c = withPolicy({});
        c.mesh.policies.push({ ...c.mesh.policies[0], namespace: "default-to", name: "kafka" });
        assert.ok(issuesOf(c).some((i) => /^mesh\.policies\[1\]\.name: with namespace "default-to" gives the resource name of mesh\.policies\[0\]/.test(i)), issuesOf(c).join("\n"));
    });
    it("accepts a Kafka rule on Cilium 1.19 and an any-cluster policy on 1.20", () => {
        assert.deepEqual(issuesOf(withPolicy({ ports: [9092], kafka: [{ role: "produce", topic: "empire" }] }, "1.19.6")), []);
        assert.deepEqual(issuesOf(withPolicy({ to: { cluster: "*", labels: { app: "broker" } }, ports: [9092] })), []);
    });
    for (const version of supportedVersions("cilium")) {
        it(`the policies validate against the CiliumNetworkPolicy CRD of Cilium ${version} (any-cluster explicit; Kafka before 1.20 only)`, () => {
            const anyCluster = crossClusterPolicy({ name: "p", namespace: "default", from: { cluster: "c1", labels: { app: "a" } }, to: { cluster: "*", labels: { app: "b" } }, ports: [80] });
            const file = ciliumCrdFile("ciliumnetworkpolicies", version);
            assert.deepEqual(validateCustomResource(file, anyCluster), []);
            assert.deepEqual(celProblems(file, anyCluster), []);
            const to = (anyCluster.spec as any).egress[0].toEndpoints[0];
            assert.deepEqual(to.matchExpressions, [{ key: CLUSTER_LABEL, operator: "Exists" }], "says 'any cluster' explicitly");
            const kafka = crossClusterPolicy({ name: "p", namespace: "default", from: { cluster: "c1", labels: {} }, to: { cluster: "c2", labels: {} }, ports: [9092], kafka: [{ role: "produce", topic: "empire" }] });
            const kafkaErrors = validateCustomResource(file, kafka);
            if (version === "1.20.0") assert.notDeepEqual(kafkaErrors, [], "1.20 refuses a Kafka port rule");
            else assert.deepEqual(kafkaErrors, []);
        });
    }
    it("plans each policy in its from cluster, after that cluster's Cilium", async function () {
        this.timeout(120_000);
        const config = withPolicy({ to: { cluster: "*", labels: { app: "broker" } }, ports: [9092] });
        const { file, remove } = stackFile("meshpolicy", config);
        try {
            const run = await runPlan(["meshpolicy", "--config", file, "--json"]);
            assert.equal(run.code, 0, run.stderr);
            const plan = JSON.parse(run.stdout);
            const policies = plan.resources.filter((r: any) => r.type === "kubernetes:cilium.io/v2:CiliumNetworkPolicy");
            assert.deepEqual(policies.map((r: any) => r.name), ["mesh-c1-services-policy-default-to-kafka"]);
            assert.ok(policies[0].dependsOn.some((u: string) => u.endsWith("::c1-cilium-release")));
            assert.equal(policies[0].provider.endsWith("::c1-k8s") || String(policies[0].provider).includes("c1-k8s"), true);
        } finally {
            remove();
        }
    });
});

describe("mesh.serviceType ClusterIP", () => {
    const { clustermeshApiserverService, clustermeshCiliumValues, meshPlan } = require("../../components/mesh-plan") as typeof import("../../components/mesh-plan");
    const { validateCiliumValues, ciliumUnknownKeyPaths } = require("../support/schemas") as typeof import("../support/schemas");
    const clusterIpMesh = () => {
        const c = kindMesh();
        c.mesh.serviceType = "ClusterIP";
        c.clusters.forEach((cluster: any, i: number) => {
            delete cluster.loadBalancer;
            cluster.clustermesh = { apiserverIP: `10.${i + 1}1.0.20` };
        });
        return c;
    };
    it("accepts members with a fixed ClusterIP each", () => assert.deepEqual(issuesOf(clusterIpMesh()), []));
    const failures: Array<{ name: string; mutate: (c: Record<string, any>) => void; path: string; expect: RegExp }> = [
        { name: "a member without apiserverIP", mutate: (c) => delete c.clusters[1].clustermesh, path: "clusters[1].clustermesh.apiserverIP", expect: /required with mesh\.serviceType ClusterIP/ },
        { name: "an apiserverIP outside the service CIDR", mutate: (c) => (c.clusters[0].clustermesh.apiserverIP = "10.10.0.20"), path: "clusters[0].clustermesh.apiserverIP", expect: /not a usable ClusterIP of serviceCidr 10\.11\.0\.0\/16/ },
        { name: "the kubernetes Service's address", mutate: (c) => (c.clusters[0].clustermesh.apiserverIP = "10.11.0.1"), path: "clusters[0].clustermesh.apiserverIP", expect: /not a usable ClusterIP/ },
        {
            name: "a member on Cilium 1.18",
            mutate: (c) => Object.assign(c.clusters[0], { cilium: { ...c.clusters[0].cilium, version: "1.18.12" }, source: { kind: { apiServerPort: 6444, nodeImage: "kindest/node:v1.33.1" } } }),
            path: "clusters[0].cilium.version",
            expect: /only Cilium 1\.19 or newer/,
        },
        { name: "a NodePort key", mutate: (c) => (c.clusters[0].clustermesh.nodePort = 32379), path: "clusters[0].clustermesh.nodePort", expect: /only used with mesh\.serviceType NodePort \(it is ClusterIP\)/ },
    ];
    for (const f of failures) {
        it(`fails on ${f.name}`, () => {
            const config = clusterIpMesh();
            f.mutate(config);
            const issues = issuesOf(config);
            assert.ok(issues.some((i) => i.startsWith(`${f.path}: `) && f.expect.test(i)), issues.join("\n"));
        });
    }
    it("renders the chart's Service left out (externallyCreated) and Kubeloom's with the planned ClusterIP, which peers dial", () => {
        const plan = meshPlan({ members: [{ name: "c1", id: 1, apiserver: { type: "ClusterIP", address: "10.11.0.20" } }, { name: "c2", id: 2, apiserver: { type: "ClusterIP", address: "10.21.0.20" } }] });
        for (const version of ["1.19.6", "1.20.0"]) {
            const values = clustermeshCiliumValues(plan[0], { maxConnectedClusters: 255, ciliumVersion: version });
            assert.deepEqual((values.clustermesh as any).apiserver.service, { externallyCreated: true, type: "ClusterIP" });
            assert.deepEqual((values.clustermesh as any).config.clusters, [{ ips: ["10.21.0.20"], name: "c2", port: 2379 }]);
            assert.deepEqual(validateCiliumValues(values, version), []);
            assert.deepEqual(ciliumUnknownKeyPaths(values, version), []);
        }
        assert.throws(() => clustermeshCiliumValues(plan[0], { maxConnectedClusters: 255, ciliumVersion: "1.18.12" }), /needs Cilium 1\.19\.0 or newer/);
        const service = clustermeshApiserverService("10.11.0.20") as any;
        assert.equal(service.spec.clusterIP, "10.11.0.20");
        assert.deepEqual(service.spec.selector, { "k8s-app": "clustermesh-apiserver" });
    });
    it("plans and renders with no pre-flight error: the chart renders no clustermesh-apiserver Service, Kubeloom's has the ClusterIP", async function () {
        this.timeout(300_000);
        const { file, remove } = stackFile("meshcip", clusterIpMesh());
        try {
            const run = await runPlan(["meshcip", "--config", file, "--render", "--json"]);
            assert.equal(run.code, 0, run.stderr);
            const plan = JSON.parse(run.stdout);
            assert.deepEqual(plan.preflight.filter((f: any) => f.severity === "error"), []);
            const services = plan.resources.filter((r: any) => r.type === "kubernetes:core/v1:Service" && r.inputs.metadata?.name === "clustermesh-apiserver");
            assert.deepEqual(services.map((r: any) => r.inputs.spec.clusterIP).sort(), ["10.11.0.20", "10.21.0.20"]);
            const rendered = plan.resources.flatMap((r: any) => (r.rendered ?? []).filter((o: any) => o.kind === "Service" && o.metadata.name === "clustermesh-apiserver"));
            assert.deepEqual(rendered, [], "the chart's own Service is left out");
        } finally {
            remove();
        }
    });
});

describe("docs/cilium-features.md's example", () => {
    it("is accepted on the dev cluster with an LB-IPAM pool that holds the Gateway's address", () => {
        const { parse } = require("yaml") as typeof import("yaml");
        const readme = fs.readFileSync(path.join(__dirname, "../../docs/cilium-features.md"), "utf8");
        const block = /<!-- cilium-features-example -->\n```yaml\n([\s\S]*?)```\n<!-- \/cilium-features-example -->/.exec(readme);
        assert.ok(block, "the docs block is there");
        const example = parse(block[1]).cilium as Record<string, unknown>;
        const config = devConfig();
        Object.assign(cilium(config), example);
        config.clusters[0].loadBalancer = { cilium: { addresses: ["192.0.2.200-192.0.2.210"], devices: ["eth0"] } };
        assert.deepEqual(issuesOf(config), []);
        for (const key of ["encryption", "tunnelProtocol", "devices", "gatewayAPI"]) assert.ok(key in example, key);
    });
});
