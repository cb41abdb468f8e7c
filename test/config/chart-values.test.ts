import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { withValuesFiles } from "../../config/chart-values";
import { checkChartValues, ChartValuesSource } from "../../config/chart-values-check";
import { secureClusterPaths } from "../../config/load";
import { parseStackConfig } from "../../config/parse";
import { PROJECT_DIR } from "../../lib/project";
import { serializePlan } from "../../scripts/plan/offline-plan";
import { testChartSource } from "../support/charts";
import { needChart, needRenderEnvironment } from "../support/artifacts";
import { DEFAULT_VERSIONS } from "../../components/versions";
import { devConfig, planConfig } from "../support/helpers";
import { runPlan } from "../support/run-plan";

const source: ChartValuesSource = testChartSource;

/** Pulumi.mesh.yaml as a raw config (it has MetalLB on both clusters). */
function meshConfig(): Record<string, any> {
    const file = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.mesh.yaml"), "utf8")) as { config: Record<string, any> };
    return Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k.replace(/^kubeloom:/, ""), v]));
}

function issuesOf(raw: Record<string, any>, isSecret?: (at: readonly PropertyKey[]) => boolean): string[] {
    const config = parseStackConfig(raw);
    return checkChartValues(config, source, isSecret).issues.map((i) => `${i.path}: ${i.message}`);
}

interface ValuesCase {
    readonly name: string;
    readonly raw: () => Record<string, any>;
    readonly set: (raw: Record<string, any>) => void;
    readonly expect: RegExp;
}

const cases: ValuesCase[] = [
    { name: "fails a typo in cilium.values with did-you-mean", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { hubbel: { enabled: true } }), expect: /^clusters\[0\]\.cilium\.values\.hubbel: is not a key of the cilium 1\.20\.0 chart .*did you mean "hubble"\?/ },
    { name: "fails an owned key in cilium.values, naming the typed key", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { kubeProxyReplacement: false }), expect: /^clusters\[0\]\.cilium\.values\.kubeProxyReplacement: is set by Kubeloom from clusters\[0\]\.cilium\.kubeProxyReplacement/ },
    { name: "fails a mesh-owned key in cilium.values", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { clustermesh: { useAPIServer: true } }), expect: /^clusters\[0\]\.cilium\.values\.clustermesh: is set by Kubeloom from clusters\[0\]\.clustermesh/ },
    { name: "fails an owned feature key in cilium.values (encryption.enabled), naming cilium.encryption", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { encryption: { enabled: true } }), expect: /^clusters\[0\]\.cilium\.values\.encryption\.enabled: is set by Kubeloom from clusters\[0\]\.cilium\.encryption; set that key instead/ },
    { name: "fails an owned Gateway API key in cilium.values, naming cilium.gatewayAPI", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { gatewayAPI: { enabled: true } }), expect: /^clusters\[0\]\.cilium\.values\.gatewayAPI\.enabled: is set by Kubeloom from clusters\[0\]\.cilium\.gatewayAPI;/ },
    { name: "fails an owned Hubble metrics key in cilium.values, naming cilium.hubble.metrics", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { hubble: { metrics: { enabled: ["dns"] } } }), expect: /^clusters\[0\]\.cilium\.values\.hubble\.metrics\.enabled: is set by Kubeloom from clusters\[0\]\.cilium\.hubble\.metrics;/ },
    { name: "fails an owned tunnel protocol in cilium.values, naming cilium.tunnelProtocol", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { tunnelProtocol: "geneve" }), expect: /^clusters\[0\]\.cilium\.values\.tunnelProtocol: is set by Kubeloom from clusters\[0\]\.cilium\.tunnelProtocol;/ },
    { name: "fails a tunnel port in cilium.values (the port registry reserves the protocol's default)", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { tunnelPort: 9999 }), expect: /^clusters\[0\]\.cilium\.values\.tunnelPort: is set by Kubeloom from clusters\[0\]\.cilium\.tunnelProtocol/ },
    { name: "fails a Hubble metrics port in cilium.values (the port registry reserves 9965)", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { hubble: { metrics: { port: 9100 } } }), expect: /^clusters\[0\]\.cilium\.values\.hubble\.metrics\.port: is set by Kubeloom from clusters\[0\]\.cilium\.hubble\.metrics/ },
    { name: "fails a schema-invalid value in cilium.values", raw: devConfig, set: (r) => (r.clusters[0].cilium.values = { hubble: { relay: { replicas: "2" } } }), expect: /^clusters\[0\]\.cilium\.values\.hubble\.relay\.replicas: must be integer, got "2"$/ },
    { name: "fails a typo in vclusters[].values with did-you-mean", raw: devConfig, set: (r) => (r.clusters[0].vclusters[1].values = { sync: { toHost: { ingresses: { enabeld: true } } } }), expect: /^clusters\[0\]\.vclusters\[1\]\.values\.sync\.toHost\.ingresses\.enabeld: is not a key of the vcluster 0\.36\.1 chart.*did you mean "enabled"\?/ },
    { name: "fails an owned key in vclusters[].values, naming the typed key", raw: devConfig, set: (r) => (r.clusters[0].vclusters[0].values = { policies: { podSecurityStandard: "privileged" } }), expect: /^clusters\[0\]\.vclusters\[0\]\.values\.policies\.podSecurityStandard: is set by Kubeloom from clusters\[0\]\.vclusters\[0\]\.podSecurityStandard/ },
    { name: "fails a schema-invalid value in vclusters[].values", raw: devConfig, set: (r) => (r.clusters[0].vclusters[0].values = { controlPlane: { statefulSet: { highAvailability: { replicas: "three" } } } }), expect: /^clusters\[0\]\.vclusters\[0\]\.values\.controlPlane\.statefulSet\.highAvailability\.replicas: must be integer, got "three"$/ },
    { name: "fails a typo in loadBalancer.metallb.values with did-you-mean", raw: meshConfig, set: (r) => (r.clusters[1].loadBalancer.metallb.values = { controler: { logLevel: "debug" } }), expect: /^clusters\[1\]\.loadBalancer\.metallb\.values\.controler: is not a key of the metallb 0\.16\.1 chart.*did you mean "controller"\?/ },
    { name: "fails an owned key in loadBalancer.metallb.values", raw: meshConfig, set: (r) => (r.clusters[0].loadBalancer.metallb.values = { speaker: { enabled: false } }), expect: /^clusters\[0\]\.loadBalancer\.metallb\.values\.speaker\.enabled: is set by Kubeloom from clusters\[0\]\.loadBalancer\.metallb/ },
    { name: "fails a schema-invalid value in loadBalancer.metallb.values", raw: meshConfig, set: (r) => (r.clusters[0].loadBalancer.metallb.values = { controller: { logLevel: "loud" } }), expect: /^clusters\[0\]\.loadBalancer\.metallb\.values\.controller\.logLevel: must be one of "all", "debug", "info", "warn", "error", "none", got "loud"$/ },
];

describe("chart values in the config (config/chart-values.ts)", function () {
    this.timeout(60_000);

    for (const c of cases) {
        it(c.name, () => {
            const raw = c.raw();
            c.set(raw);
            const issues = issuesOf(raw);
            assert.equal(issues.length, 1, issues.join("\n"));
            assert.match(issues[0], c.expect);
        });
    }

    it("accepts what platform teams ask for on day one, in every chart", () => {
        const dev = devConfig();
        dev.clusters[0].cilium.values = { bpf: { masquerade: true }, bandwidthManager: { enabled: true }, resources: { limits: { memory: "1Gi" } }, podAnnotations: { "example.com/team": "net" }, hubble: { relay: { replicas: 2 } } }; // Hubble metrics are a typed key now (cilium.hubble.metrics), owned
        dev.clusters[0].vclusters[0].values = { sync: { toHost: { ingresses: { enabled: true } } }, controlPlane: { statefulSet: { persistence: { volumeClaim: { enabled: true, size: "10Gi" } }, highAvailability: { replicas: 3 } } } };
        assert.deepEqual(issuesOf(dev), []);
        const mesh = meshConfig();
        mesh.clusters[0].loadBalancer.metallb.values = { controller: { logLevel: "debug", nodeSelector: { "kubernetes.io/os": "linux" } }, speaker: { tolerateMaster: true } };
        assert.deepEqual(issuesOf(mesh), []);
    });

    it("checks the values against the release the config names: a key the new version dropped fails after a version change", () => {
        const raw = devConfig();
        raw.clusters[0].cilium.values = { highScaleIPcache: { enabled: false } };
        const parsed = parseStackConfig(raw);
        const at = (version: string) => checkChartValues({ ...parsed, clusters: [{ ...parsed.clusters[0], cilium: { ...parsed.clusters[0].cilium, version } }] }, source).issues.map((i) => `${i.path}: ${i.message}`);
        assert.deepEqual(at("1.16.19"), []);
        assert.match(at("1.20.0")[0], /^clusters\[0\]\.cilium\.values\.highScaleIPcache: is not a key of the cilium 1\.20\.0 chart/);
    });

    it("refuses unknown keys on the config side: values, valuesFile are the only new keys", () => {
        const raw = devConfig();
        raw.clusters[0].cilium.extraValues = {};
        assert.throws(() => parseStackConfig(raw), /clusters\[0\]\.cilium\.extraValues: is not a known key/);
    });

    it("checks only the owned keys when the chart cannot be obtained, and says which releases were not checked", () => {
        const raw = devConfig();
        raw.clusters[0].cilium.values = { hubbel: {}, cluster: { id: 9 } };
        const report = checkChartValues(parseStackConfig(raw), () => undefined);
        assert.deepEqual(report.issues.map((i) => i.path), ["clusters[0].cilium.values.cluster.id"]);
        assert.deepEqual(report.unchecked, [{ chart: "cilium 1.20.0", path: "clusters[0].cilium.values" }]);
    });

    it("never shows nor type-checks a secret value: the offline placeholder, or a path the stack file marks secure", () => {
        const raw = devConfig();
        raw.clusters[0].cilium.values = { hubble: { relay: { replicas: "[secret]" } }, operator: { podAnnotations: { token: "hunter2" } }, k8sClientRateLimit: undefined };
        delete raw.clusters[0].cilium.values.k8sClientRateLimit;
        assert.deepEqual(issuesOf(raw), []);
        raw.clusters[0].cilium.values = { hubble: { relay: { replicas: "hunter2" } } };
        const secret = issuesOf(raw, (at) => at.join(".") === "clusters.0.cilium.values.hubble.relay.replicas");
        assert.deepEqual(secret, []);
        assert.match(issuesOf(raw)[0], /got "hunter2"/, "the same value, not secret, is shown");
    });

    it("finds the secure leaves of a stack file's clusters key", () => {
        const text = stringify({ config: { "kubeloom:clusters": [{ name: "a", cilium: { values: { x: { secure: "v1:abc" }, y: [1, { secure: "v1:def" }] } } }], "kubeloom:sshPrivateKey": { secure: "v1:x" } } });
        assert.deepEqual(secureClusterPaths(text), [
            ["clusters", 0, "cilium", "values", "x"],
            ["clusters", 0, "cilium", "values", "y", 1],
        ]);
    });

    it("merges a values file under the inline values (maps merge, lists and scalars replace)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-values-"));
        fs.writeFileSync(path.join(dir, "cilium.yaml"), "bpf:\n  masquerade: false\n  hostLegacyRouting: true\nhubble:\n  metrics:\n    enabled: [dns, drop]\n");
        const raw = devConfig();
        raw.clusters[0].cilium.valuesFile = "cilium.yaml";
        raw.clusters[0].cilium.values = { bpf: { masquerade: true }, hubble: { metrics: { enabled: ["flow"] } } };
        const config = withValuesFiles(parseStackConfig(raw), dir);
        assert.deepEqual(config.clusters[0].cilium.values, { bpf: { masquerade: true, hostLegacyRouting: true }, hubble: { metrics: { enabled: ["flow"] } } });
        raw.clusters[0].cilium.valuesFile = "missing.yaml";
        assert.throws(() => withValuesFiles(parseStackConfig(raw), dir), /clusters\[0\]\.cilium\.valuesFile: cannot read "missing\.yaml" \(ENOENT\)/);
    });
});

describe("chart values through the program (plan under mocks)", function () {
    this.timeout(120_000);
    it("puts the merged values into the Helm releases (maps merge over Kubeloom's, owned keys untouched)", async () => {
        const raw = devConfig();
        raw.clusters[0].cilium.values = { bpf: { masquerade: true }, hubble: { relay: { replicas: 2 } } };
        raw.clusters[0].vclusters[0].values = { sync: { toHost: { ingresses: { enabled: true } } } };
        const plan = await planConfig(raw);
        const cilium = plan.resources.find((r) => r.name === "dev-cilium-release")!;
        assert.deepEqual((cilium.inputs.values as any).bpf, { masquerade: true });
        assert.deepEqual((cilium.inputs.values as any).hubble.relay, { enabled: true, replicas: 2 });
        assert.equal((cilium.inputs.values as any).kubeProxyReplacement, true);
        const vc = plan.resources.find((r) => r.name === "dev-vc-a-release")!;
        assert.deepEqual((vc.inputs.values as any).sync.toHost, { ingresses: { enabled: true }, networkPolicies: { enabled: true } });
    });

    it("gives MetalLB's release the user's values (and keeps its manifest secret then); none without them", async () => {
        const without = await planConfig(meshConfig());
        const plain = without.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "metallb")!;
        assert.equal(plain.inputs.values, undefined, "no values key at all: the plan of a stack without values is unchanged");
        const raw = meshConfig();
        raw.clusters[0].loadBalancer.metallb.values = { controller: { logLevel: "debug" } };
        const plan = await planConfig(raw);
        const release = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "metallb" && r.name.includes(raw.clusters[0].name))!;
        assert.deepEqual(release.inputs.values, { controller: { logLevel: "debug" } });
        assert.deepEqual(release.options.additionalSecretOutputs, ["manifest"]);
    });

    it("keeps a secret inside values secret in the Helm release and never writes it into the plan", async () => {
        const MARKER = "VALUES-SECRET-MARKER-31c9";
        const raw = devConfig();
        raw.clusters[0].cilium.values = { hubble: { export: { static: { enabled: true, filePath: MARKER } } } };
        // The stack "values-secret" has no stack file: with kubeloom:clusters secret, every value is kept secret.
        const plan = await planConfig(raw, { stack: "values-secret", secretKeys: ["sshPrivateKey", "clusters"] });
        const text = serializePlan(plan);
        assert.ok(!text.includes(MARKER), "the secret value reached the plan");
        const cilium = plan.resources.find((r) => r.name === "dev-cilium-release")!;
        assert.equal((cilium.inputs.values as any).hubble.export.static.filePath, "[secret]");
        assert.equal((cilium.inputs.values as any).hubble.export.static.enabled, "[secret]", "fail closed: which leaf was secret is unknown without the stack file");
        assert.equal((cilium.inputs.values as any).hubble.relay.enabled, true, "Kubeloom's own values stay readable");
    });
});

describe("chart values via `npm run plan` (must hold)", function () {
    this.timeout(240_000);

    it("exits 2 naming the full path of a typo, an owned key and a schema-invalid value in each chart's values", async function () {
        // The typo and schema checks need each chart release (else the plan checks owned keys only and says so).
        for (const chart of ["cilium", "vcluster", "metallb"] as const) needChart(chart, DEFAULT_VERSIONS[chart], this);
        const file = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.mesh.yaml"), "utf8")) as { config: Record<string, any> };
        const clusters = file.config["kubeloom:clusters"];
        clusters[0].cilium.values = { hubbel: {}, cluster: { name: "x" }, hubble: { relay: { replicas: "2" } } };
        clusters[0].loadBalancer.metallb.values = { controler: {}, speaker: { enabled: false }, controller: { logLevel: "loud" } };
        clusters[0].vclusters = [{ name: "t1", values: { syncc: {}, exportKubeConfig: { server: "x" }, controlPlane: { statefulSet: { highAvailability: { replicas: "three" } } } } }];
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-values-"));
        const stackFile = path.join(dir, "Pulumi.mesh.yaml");
        fs.writeFileSync(stackFile, stringify(file));
        const run = await runPlan(["mesh", "--config", stackFile]);
        assert.equal(run.code, 2, run.stderr);
        assert.equal(run.stdout, "");
        for (const expected of [
            "clusters[0].cilium.values.hubbel: is not a key",
            "clusters[0].cilium.values.cluster.name: is set by Kubeloom from clusters[0].name",
            'clusters[0].cilium.values.hubble.relay.replicas: must be integer, got "2"',
            "clusters[0].loadBalancer.metallb.values.controler: is not a key",
            "clusters[0].loadBalancer.metallb.values.speaker.enabled: is set by Kubeloom",
            "clusters[0].loadBalancer.metallb.values.controller.logLevel: must be one of",
            "clusters[0].vclusters[0].values.syncc: is not a key",
            "clusters[0].vclusters[0].values.exportKubeConfig: is set by Kubeloom",
            'clusters[0].vclusters[0].values.controlPlane.statefulSet.highAvailability.replicas: must be integer, got "three"',
        ]) {
            assert.ok(run.stderr.includes(expected), `missing: ${expected}\n${run.stderr}`);
        }
    });

    it("shows a valid value in the plan and in the rendered cilium-config (--render), and says once when values were not checked", async function () {
        needRenderEnvironment(this);
        const file = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, any> };
        file.config["kubeloom:clusters"][0].cilium.values = { bpf: { masquerade: true } };
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-values-"));
        const stackFile = path.join(dir, "Pulumi.dev.yaml");
        fs.writeFileSync(stackFile, stringify(file));
        const offline = await runPlan(["dev", "--config", stackFile], { KUBELOOM_CHARTS_DIR: "", KUBELOOM_CACHE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-empty-cache-")), KUBELOOM_OFFLINE: "1" });
        assert.equal(offline.code, 0, offline.stderr);
        assert.equal(offline.stderr.match(/chart values were not checked/g)?.length, 1, offline.stderr);
        assert.match(offline.stderr, /clusters\[0\]\.cilium\.values \(cilium 1\.20\.0\)/);
        const out = path.join(dir, "plan.json");
        const rendered = await runPlan(["dev", "--config", stackFile, "--render", "--out", out]);
        assert.equal(rendered.code, 0, rendered.stderr);
        assert.doesNotMatch(rendered.stderr, /not checked/);
        const plan = JSON.parse(fs.readFileSync(out, "utf8")) as { resources: Array<{ name: string; inputs: any; rendered?: any[] }> };
        const cilium = plan.resources.find((r) => r.name === "dev-cilium-release")!;
        assert.deepEqual((cilium.inputs.values as any).bpf, { masquerade: true });
        const config = cilium.rendered!.find((o) => o.kind === "ConfigMap" && o.metadata.name === "cilium-config");
        assert.equal(config.data["enable-bpf-masquerade"], "true");
    });
});
