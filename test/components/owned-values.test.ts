import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { ciliumValues, CiliumValuesInput, CHAINING_MODES } from "../../components/cilium-values";
import { vclusterValues, VClusterValuesInput } from "../../components/vcluster-values";
import { l2AnnouncementValues } from "../../components/cilium-lbipam";
import { coveringCidr, SEED_HUBBLE_METRICS } from "../../components/cilium-features";
import { clustermeshCiliumValues, EXTERNAL_APISERVER_SERVICE_FROM, meshPlan } from "../../components/mesh-plan";
import { OWNED_VALUES, ownedValuesMarkdown, ValuesChart } from "../../components/owned-values";
import { ownedPath } from "../../lib/chart-values";
import { isPlainObject } from "../../lib/values-util";
import { compareVersions, supportedVersions } from "../../components/support-matrix";
import { devConfig, K3S_CILIUM_VALUES_INPUT, kindMeshConfig } from "../support/fixtures";
import { planStack } from "../../scripts/plan/plan-stack";
import { PROJECT_DIR } from "../../lib/project";
import { parseStackConfig } from "../../config/parse";
import { composePlatform } from "../../stacks/platform";
import { runOfflinePlan } from "../../scripts/plan/offline-plan";
import { GATEWAY_API_RELEASES } from "../../components/gateway-api";
import { needCrd } from "../support/artifacts";

/** Every leaf path a values map writes (a list or scalar is a leaf; an empty map too). */
function leafPaths(values: unknown, at: string[] = []): string[][] {
    if (isPlainObject(values) && Object.keys(values).length > 0) return Object.entries(values).flatMap(([key, value]) => leafPaths(value, [...at, key]));
    return at.length === 0 ? [] : [at];
}

/** The written leaves no owned key of `chart` covers. */
function unowned(chart: ValuesChart, values: unknown): string[] {
    const owned = OWNED_VALUES[chart].keys.map(ownedPath);
    return leafPaths(values)
        .filter((leaf) => !owned.some((o) => o.length <= leaf.length && o.every((part, i) => leaf[i] === part)))
        .map((leaf) => leaf.join("."));
}

const ciliumBase: CiliumValuesInput = {
    ...K3S_CILIUM_VALUES_INPUT,
    hubble: { relay: true, ui: true, uiNodePort: 31235 },
    nodeSelector: { "kubeloom.io/cilium": "true" },
    tolerations: [{ key: "kubeloom.io/cilium", operator: "Exists", effect: "NoSchedule" }],
};

describe("owned values: every key a builder writes is declared owned by it", function () {
    this.timeout(120_000);

    it("ciliumValues, over routing, IPAM, KPR, Hubble and every chaining mode", () => {
        const inputs: CiliumValuesInput[] = [
            ciliumBase,
            { ...ciliumBase, kubeProxyReplacement: { enabled: false }, routingMode: "native", ipamMode: "cluster-pool" },
            ...CHAINING_MODES.map((mode): CiliumValuesInput => ({
                ...ciliumBase,
                kubeProxyReplacement: { enabled: false },
                routingMode: mode === "portmap" ? "tunnel" : "native",
                ipamMode: mode === "portmap" ? "kubernetes" : "cluster-pool",
                chaining: mode === "portmap" ? { mode } : { mode, routerCidr: "10.250.0.0/20", ...(mode === "aws-cni" ? {} : { target: "cbr0" }) },
            })),
        ];
        for (const input of inputs) assert.deepEqual(unowned("cilium", ciliumValues(input)), [], JSON.stringify(input.chaining ?? input.routingMode));
        assert.deepEqual(unowned("cilium", l2AnnouncementValues(["192.0.2.0/28"], ["eth0"])), []);
    });

    it("ciliumValues with each Cilium feature on (#23): encryption, Hubble metrics, tunnel protocol, devices, Gateway API, native routing in a mesh", () => {
        const native: CiliumValuesInput = { ...ciliumBase, routingMode: "native" };
        const inputs: Array<[string, CiliumValuesInput]> = [
            ["wireguard", { ...ciliumBase, encryption: { type: "wireguard", nodeEncryption: false } }],
            ["wireguard + node encryption", { ...ciliumBase, encryption: { type: "wireguard", nodeEncryption: true } }],
            ["ipsec", { ...ciliumBase, encryption: { type: "ipsec" } }],
            ["ipsec, native routing", { ...native, encryption: { type: "ipsec" } }],
            ["hubble metrics", { ...ciliumBase, hubble: { ...ciliumBase.hubble, metrics: { enabled: [...SEED_HUBBLE_METRICS] } } }],
            ["hubble metrics + serviceMonitor", { ...ciliumBase, hubble: { ...ciliumBase.hubble, metrics: { enabled: [...SEED_HUBBLE_METRICS], serviceMonitor: true } } }],
            ["tunnelProtocol geneve", { ...ciliumBase, tunnelProtocol: "geneve" }],
            ["tunnelProtocol vxlan", { ...ciliumBase, tunnelProtocol: "vxlan" }],
            ["devices", { ...ciliumBase, devices: ["eth0", "eth1"] }],
            ["gatewayAPI", { ...ciliumBase, gatewayAPI: { enabled: true } }],
            ["native routing in a mesh (covering CIDR)", { ...native, nativeRoutingCidr: coveringCidr(["10.42.0.0/16", "10.43.0.0/16"]) }],
            [
                "everything at once",
                {
                    ...ciliumBase,
                    encryption: { type: "wireguard", nodeEncryption: true },
                    hubble: { ...ciliumBase.hubble, metrics: { enabled: ["dns:query;ignoreAAAA", "drop", "http"], serviceMonitor: true } },
                    tunnelProtocol: "geneve",
                    devices: ["eth0"],
                    gatewayAPI: { enabled: true },
                },
            ],
        ];
        for (const [name, input] of inputs) assert.deepEqual(unowned("cilium", ciliumValues(input)), [], name);
    });

    it("the mesh fragment with mesh.serviceType ClusterIP (and the other placements), on every Cilium release that has it", () => {
        const placements = [
            [{ type: "ClusterIP" as const, address: "10.11.0.20" }, { type: "ClusterIP" as const, address: "10.21.0.20" }],
            [{ type: "NodePort" as const, nodeAddress: "192.0.2.10", nodePort: 32379 }, { type: "NodePort" as const, nodeAddress: "c2.example.net", nodePort: 32380 }],
            [{ type: "LoadBalancer" as const, address: "192.0.2.200" }, { type: "LoadBalancer" as const, address: "192.0.2.201" }],
        ];
        for (const ciliumVersion of supportedVersions("cilium").filter((v) => compareVersions(v, EXTERNAL_APISERVER_SERVICE_FROM) >= 0)) {
            for (const [a, b] of placements) {
                const plan = meshPlan({ members: [{ name: "c1", id: 1, apiserver: a }, { name: "c2", id: 2, apiserver: b }] });
                for (const entry of plan) assert.deepEqual(unowned("cilium", clustermeshCiliumValues(entry, { maxConnectedClusters: 255, ciliumVersion })), [], `${ciliumVersion} ${a.type}`);
            }
        }
    });

    it("vclusterValues, over every release, exposure, build and quota setting", () => {
        const base: VClusterValuesInput = { name: "vc-a", contextName: "dev-vc-a", expose: { type: "ClusterIP" }, isolate: true };
        for (const version of supportedVersions("vcluster")) {
            for (const expose of [{ type: "ClusterIP" as const }, { type: "NodePort" as const, nodePort: 31443, nodeAddress: "192.0.2.10" }, { type: "LoadBalancer" as const, address: "192.0.2.200" }]) {
                for (const extra of [{}, { quota: false }, { build: "pro" as const, resourceQuota: { pods: 5 }, limitRange: { default: { cpu: "1" } } }]) {
                    assert.deepEqual(unowned("vcluster", vclusterValues({ ...base, version, expose, ...extra })), [], `${version} ${expose.type} ${JSON.stringify(extra)}`);
                }
            }
        }
    });

    it("the releases of the shipped stacks (dev, mesh, chain) and the mesh on LB-IPAM: Cilium with its mesh and L2 fragments, vClusters", async () => {
        const releases: Array<{ chart: string; values: unknown }> = [];
        for (const stack of ["dev", "mesh", "chain"]) {
            const plan = await planStack({ projectDir: PROJECT_DIR, stack });
            for (const r of plan.resources) if (r.type === "kubernetes:helm.sh/v3:Release") releases.push({ chart: String(r.inputs.chart), values: r.inputs.values ?? {} });
        }
        const file = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.mesh.yaml"), "utf8")) as { config: Record<string, any> };
        const raw = Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k.replace(/^kubeloom:/, ""), v])) as Record<string, any>;
        for (const cluster of raw.clusters) cluster.loadBalancer = { cilium: { addresses: cluster.loadBalancer.metallb.addresses, devices: ["eth0"] } };
        const config = parseStackConfig(raw);
        const lbipam = await runOfflinePlan({
            project: "kubeloom",
            stack: "mesh-lbipam",
            config: {},
            secretKeys: [],
            program: async () => ({ clusters: composePlatform({ config, secrets: { sourceKubeconfigs: {} }, stackName: "mesh-lbipam" }).outputs.clusters }),
        });
        for (const r of lbipam.resources) if (r.type === "kubernetes:helm.sh/v3:Release") releases.push({ chart: String(r.inputs.chart), values: r.inputs.values ?? {} });
        assert.ok(releases.some((r) => r.chart === "cilium") && releases.some((r) => r.chart === "vcluster") && releases.some((r) => r.chart === "metallb"));
        for (const release of releases) assert.deepEqual(unowned(release.chart as ValuesChart, release.values), [], release.chart);
    });

    it("planned stacks with every Cilium feature on (#23): dev with WireGuard node encryption, metrics + ServiceMonitor, Geneve, devices, a Gateway; an IPsec mesh, native-routed, on ClusterIP", async function () {
        // The Gateway API CRDs are installed from the artifact lock: plan only where they can be obtained.
        for (const release of GATEWAY_API_RELEASES) for (const crd of release.crds) needCrd("gateway-api", release.version, crd.plural, this);
        const dev = devConfig();
        dev.clusters[0].loadBalancer = { cilium: { addresses: ["198.51.100.0/28"], devices: ["eth0"] } };
        Object.assign(dev.clusters[0].cilium, {
            encryption: { type: "wireguard", nodeEncryption: true },
            tunnelProtocol: "geneve",
            devices: ["eth0", "eth1"],
            gatewayAPI: { gateway: { address: "198.51.100.5" } },
        });
        Object.assign(dev.clusters[0].cilium.hubble, { metrics: [...SEED_HUBBLE_METRICS], serviceMonitor: true });
        const mesh = kindMeshConfig();
        mesh.mesh.serviceType = "ClusterIP";
        mesh.clusters.forEach((cluster: any, i: number) => {
            delete cluster.loadBalancer;
            cluster.clustermesh = { apiserverIP: `10.${i + 1}1.0.20` };
            cluster.cilium.routingMode = "native";
            cluster.cilium.encryption = { type: "ipsec" };
        });
        let ciliumReleases = 0;
        for (const [stack, raw] of [["dev-features", dev], ["mesh-features", mesh]] as const) {
            const config = parseStackConfig(raw);
            const plan = await runOfflinePlan({
                project: "kubeloom",
                stack,
                config: {},
                secretKeys: [],
                program: async () => ({ clusters: composePlatform({ config, secrets: { sourceKubeconfigs: {}, sshPrivateKey: pulumi.secret("offline-test-key") }, stackName: stack }).outputs.clusters }),
            });
            for (const r of plan.resources) {
                if (r.type !== "kubernetes:helm.sh/v3:Release") continue;
                const values = (r.inputs.values ?? {}) as Record<string, any>;
                if (r.inputs.chart === "cilium") {
                    ciliumReleases++;
                    // The features really are in the planned values (else this test would prove nothing).
                    assert.equal(values.encryption?.enabled, true, `${stack}: encryption planned`);
                    if (stack === "dev-features") assert.ok(values.gatewayAPI?.enabled && values.hubble?.metrics?.serviceMonitor?.enabled && values.tunnelProtocol === "geneve" && values.devices, `${stack}: features planned`);
                    else assert.equal(values.clustermesh?.apiserver?.service?.type, "ClusterIP", `${stack}: ClusterIP placement planned`);
                }
                assert.deepEqual(unowned(String(r.inputs.chart) as ValuesChart, values), [], `${stack} ${String(r.inputs.chart)}`);
            }
        }
        assert.equal(ciliumReleases, 3);
    });

    it("fails when a written key is not declared (the check itself can fail)", () => {
        assert.deepEqual(unowned("cilium", { ...ciliumValues(ciliumBase), bpf: { masquerade: true } }), ["bpf.masquerade"]);
    });
});

describe("README: owned keys table", () => {
    it("lists exactly the builders' owned-key declarations (owned keys table)", () => {
        const readmeFile = path.join(PROJECT_DIR, "docs", "chart-values.md");
        const readme = fs.readFileSync(readmeFile, "utf8");
        const begin = "<!-- owned-values:begin -->\n";
        const end = "\n<!-- owned-values:end -->";
        const start = readme.indexOf(begin);
        const stop = readme.indexOf(end);
        assert.ok(start >= 0 && stop > start, "docs/chart-values.md has no owned-values markers");
        const expected = ownedValuesMarkdown();
        if (process.env.KUBELOOM_UPDATE_README === "1") {
            fs.writeFileSync(readmeFile, `${readme.slice(0, start + begin.length)}${expected}${readme.slice(stop)}`);
            return;
        }
        assert.equal(readme.slice(start + begin.length, stop), expected, 'docs/chart-values.md\'s owned keys table is stale: run KUBELOOM_UPDATE_README=1 npx mocha -g "owned keys table"');
    });
});
