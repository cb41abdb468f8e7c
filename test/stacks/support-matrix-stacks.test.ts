/**
 * Every support-matrix entry on every shipped stack: each stack file (dev, mesh, chain) is rewritten to the newest
 * supported combination around one pinned release (components/support-matrix.ts, newestCombination), planned with
 * what `npm run plan -- --render` runs (planStack, renderPlan, preflightPlan — in this process, the CLI's own path is
 * covered by test/scripts/render.test.ts and the seed test below; helm and the locked charts, test/support/artifacts.ts) and checked:
 *   - the plan installs exactly the pinned versions;
 *   - every Helm release's values validate against that chart version's values.schema.json (Cilium: schema and key
 *     walk; vCluster: the strict 2020-12 schema; MetalLB: its values merged over the chart defaults, as Helm does);
 *   - every custom resource validates against its CRD at that version (and the CEL rule Cilium 1.20 adds). Custom
 *     resources of Cilium 1.20.0 are checked against the **1.20.0-pre.3** CRDs, the newest 1.20 tree readable offline
 *     (test/support/crd-schemas.ts);
 *   - every release renders objects and pre-flight reports no error.
 * An entry a stack cannot exercise is said so: vCluster releases only on dev (the only stack with tenants), MetalLB
 * releases only on mesh (the only stack with MetalLB). Cilium releases run on all three.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, parseDocument } from "yaml";
import { Combination, newestCombination, supportedVersions } from "../../components/support-matrix";
import { deepMerge } from "../../lib/values-util";
import { PROJECT_DIR } from "../../lib/project";
import { planStack, projectName } from "../../scripts/plan/plan-stack";
import { readStackFile } from "../../scripts/plan/stack-file";
import { renderPlan } from "../../scripts/plan/render/plan-render";
import { renderEnvironment } from "../../scripts/plan/render/helm";
import { preflightPlan } from "../../scripts/plan/preflight/preflight";
import { resolveClusters } from "../../config/resolved-cluster";
import { serializePlan } from "../../scripts/plan/offline-plan";
import { parseStackConfig } from "../../config/parse";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { ciliumCrdFile, metallbCrdFile, validateCustomResource, celProblems } from "../support/crd-schemas";
import { runPlan, PlanRun } from "../support/run-plan";
import { ciliumUnknownKeyPaths, formatSchemaErrors, validateCiliumValues, validateMetallbValues, validateVClusterValues } from "../support/schemas";
import { needChartFile, needRenderEnvironment } from "../support/artifacts";

type Uses = "vcluster" | "metallb";

interface Variant {
    readonly stack: string;
    /** What the variant pins, e.g. "cilium 1.17.18". */
    readonly pinned: string;
    readonly combination: Combination;
}

interface PlanResource {
    readonly type: string;
    readonly name: string;
    readonly provider?: string;
    readonly inputs: Record<string, any>;
    readonly rendered?: unknown[];
}

/** The raw `kubeloom:clusters` of a shipped stack file. */
function stackClusters(stack: string): Array<Record<string, any>> {
    const doc = parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    return doc.config["kubeloom:clusters"] as Array<Record<string, any>>;
}

/** Which optional charts a shipped stack installs. */
function usesOf(stack: string): Uses[] {
    const clusters = stackClusters(stack);
    const uses: Uses[] = [];
    if (clusters.some((c) => (c.vclusters ?? []).length > 0)) uses.push("vcluster");
    if (clusters.some((c) => c.loadBalancer?.metallb)) uses.push("metallb");
    return uses;
}

/** The variants of a stack: one per matrix release it can exercise, duplicates (same combination) merged. */
function variantsOf(stack: string): Variant[] {
    const uses = usesOf(stack);
    const pins: Array<{ pinned: string; pins: Record<string, string> }> = [
        ...supportedVersions("cilium").map((v) => ({ pinned: `cilium ${v}`, pins: { cilium: v } })),
        ...(uses.includes("vcluster") ? supportedVersions("vcluster").map((v) => ({ pinned: `vcluster ${v}`, pins: { vcluster: v } })) : []),
        ...(uses.includes("metallb") ? supportedVersions("metallb").map((v) => ({ pinned: `metallb ${v}`, pins: { metallb: v } })) : []),
    ];
    const byKey = new Map<string, Variant>();
    for (const { pinned, pins: p } of pins) {
        const combination = newestCombination(p, uses);
        assert.ok(combination, `${stack}: no supported combination with ${pinned}`);
        const key = JSON.stringify(combination);
        const seen = byKey.get(key);
        byKey.set(key, seen ? { ...seen, pinned: `${seen.pinned}, ${pinned}` } : { stack, pinned, combination });
    }
    return [...byKey.values()];
}

/** The stack file text with every cluster moved to the combination (secure values untouched). */
function variantText(stack: string, combination: Combination): string {
    const doc = parseDocument(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8"));
    const clusters = stackClusters(stack);
    clusters.forEach((cluster, i) => {
        const at = ["config", "kubeloom:clusters", i];
        const source = cluster.source ?? {};
        if (source.k3s) doc.setIn([...at, "source", "k3s", "version"], combination.k3s);
        if (source.kind) doc.setIn([...at, "source", "kind", "nodeImage"], combination.kindNode);
        for (const existing of ["kubeconfig", "stackReference"]) {
            if (source[existing]) doc.setIn([...at, "source", existing, "kubernetesVersion"], combination.kubernetes);
        }
        doc.setIn([...at, "cilium", "version"], combination.cilium);
        (cluster.vclusters ?? []).forEach((_: unknown, j: number) => doc.setIn([...at, "vclusters", j, "version"], combination.vcluster));
        if (cluster.loadBalancer?.metallb) doc.setIn([...at, "loadBalancer", "metallb", "version"], combination.metallb);
    });
    return doc.toString();
}

/**
 * The steps of `npm run plan -- <stack> --config <file> --render` (scripts/plan/plan-cli.ts) in this process: a child
 * process per variant costs a TypeScript start each, which on two cores made this suite several times slower.
 */
async function planAndRender(stack: string, file: string): Promise<PlanRun> {
    // Outside the try: a missing helm or chart skips the test (test/support/artifacts.ts), it is not a plan failure.
    const env = needRenderEnvironment();
    try {
        let plan = await planStack({ projectDir: PROJECT_DIR, stack, configFile: file });
        const stackFile = readStackFile(file, projectName(PROJECT_DIR));
        const config = parseStackConfig(rawConfigFromPulumi(stackFile.config), { stackName: stack });
        const clusters = new Map(config.clusters.map((cluster) => [cluster.name, cluster]));
        plan = await renderPlan(plan, clusters, env);
        plan = { ...plan, preflight: preflightPlan(plan, resolveClusters(config)) } as typeof plan;
        return { code: 0, stdout: serializePlan(plan), stderr: "" };
    } catch (error) {
        return { code: 1, stdout: "", stderr: String((error as Error)?.message ?? error) };
    }
}

/** The cluster a plan resource targets (its provider is `<cluster>-k8s`). */
function clusterOf(resource: PlanResource): string | undefined {
    const name = resource.provider?.split("::").pop();
    return name?.endsWith("-k8s") ? name.slice(0, -4) : undefined;
}

const metallbDefaults = new Map<string, unknown>();
/** The MetalLB chart's own values.yaml at a version (read inside the locked chart). */
function metallbChartValues(version: string): unknown {
    if (!metallbDefaults.has(version)) metallbDefaults.set(version, parse(needChartFile("metallb", version, "values.yaml").toString("utf8")));
    return metallbDefaults.get(version);
}

/** Every problem of one variant's plan; empty when it passes. */
function problemsOf(variant: Variant, run: PlanRun): string[] {
    if (run.code !== 0) return [`plan exited ${run.code}: ${run.stderr.trim().split("\n").slice(-5).join(" | ")}`];
    const plan = JSON.parse(run.stdout) as { resources: PlanResource[]; preflight: Array<{ severity: string; cluster: string; object: string; check: string; message: string }> };
    const { combination } = variant;
    const problems: string[] = [];
    const releases = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
    const expected: Record<string, string | undefined> = { cilium: combination.cilium, vcluster: combination.vcluster, metallb: combination.metallb };
    for (const release of releases) {
        const chart = String(release.inputs.chart);
        const version = String(release.inputs.version);
        if (version !== expected[chart]) problems.push(`${release.name}: ${chart} ${version}, expected ${expected[chart]}`);
        if ((release.rendered ?? []).length === 0) problems.push(`${release.name}: rendered nothing`);
        const values = release.inputs.values ?? {};
        const schemaErrors =
            chart === "cilium"
                ? validateCiliumValues(values, version)
                : chart === "vcluster"
                  ? validateVClusterValues(values, version)
                  : chart === "metallb"
                    ? validateMetallbValues(deepMerge(metallbChartValues(version) as Record<string, unknown>, values), version)
                    : [];
        if (schemaErrors.length > 0) problems.push(`${release.name}: ${chart} ${version} schema: ${formatSchemaErrors(schemaErrors)}`);
        if (chart === "cilium") {
            const unknown = ciliumUnknownKeyPaths(values, version);
            if (unknown.length > 0) problems.push(`${release.name}: keys not in the cilium ${version} schema: ${unknown.join(", ")}`);
        }
    }
    for (const chart of ["cilium", ...usesOf(variant.stack)]) {
        if (!releases.some((r) => r.inputs.chart === chart)) problems.push(`no ${chart} release in the plan`);
    }
    for (const resource of plan.resources.filter((r) => r.type === "kubernetes:apiextensions.k8s.io:CustomResource")) {
        const object = resource.inputs as { apiVersion: string; kind: string };
        const file =
            object.kind === "CiliumNetworkPolicy"
                ? ciliumCrdFile("ciliumnetworkpolicies", combination.cilium)
                : object.kind === "IPAddressPool"
                  ? metallbCrdFile("ipaddresspools", combination.metallb!)
                  : object.kind === "L2Advertisement"
                    ? metallbCrdFile("l2advertisements", combination.metallb!)
                    : undefined;
        if (!file) {
            problems.push(`${resource.name}: no CRD known for ${object.apiVersion} ${object.kind} (cluster ${clusterOf(resource)})`);
            continue;
        }
        const errors = validateCustomResource(file, object);
        if (errors.length > 0) problems.push(`${resource.name}: ${file}: ${formatSchemaErrors(errors)}`);
        for (const cel of celProblems(file, object)) problems.push(`${resource.name}: ${file}: ${cel}`);
    }
    for (const finding of plan.preflight.filter((f) => f.severity === "error")) {
        problems.push(`pre-flight ${finding.cluster} ${finding.object} [${finding.check}] ${finding.message}`);
    }
    return problems;
}

describe("support matrix on every shipped stack (schema, CRDs, render, pre-flight)", function () {
    // 16 plans with rendering, one after another (the mock runtime is per process); the render cache keeps reruns fast.
    this.timeout(240_000);
    const stacks = ["dev", "mesh", "chain"];
    const variants = stacks.flatMap(variantsOf);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-matrix-stacks-"));
    let runs: PlanRun[] = [];

    before(async () => {
        for (const [index, variant] of variants.entries()) {
            const file = path.join(scratch, `Pulumi.${variant.stack}.${index}.yaml`);
            fs.writeFileSync(file, variantText(variant.stack, variant.combination));
            runs.push(await planAndRender(variant.stack, file));
        }
    });
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("exercises every Cilium release on every stack, vCluster releases on dev and MetalLB releases on mesh", () => {
        for (const stack of stacks) {
            const pinned = variants.filter((v) => v.stack === stack).flatMap((v) => v.pinned.split(", "));
            for (const version of supportedVersions("cilium")) assert.ok(pinned.includes(`cilium ${version}`), `${stack}: cilium ${version}`);
        }
        assert.deepEqual(usesOf("dev"), ["vcluster"]);
        assert.deepEqual(usesOf("mesh"), ["metallb"]);
        assert.deepEqual(usesOf("chain"), []);
        const devVclusters = new Set(variants.filter((v) => v.stack === "dev").map((v) => v.combination.vcluster));
        assert.deepEqual([...devVclusters].sort(), supportedVersions("vcluster"));
        const meshMetallb = new Set(variants.filter((v) => v.stack === "mesh").map((v) => v.combination.metallb));
        assert.deepEqual([...meshMetallb].sort(), supportedVersions("metallb"));
    });

    for (const [index, variant] of variants.entries()) {
        const c = variant.combination;
        it(`${variant.stack} with ${variant.pinned}: Kubernetes ${c.kubernetes}, Cilium ${c.cilium}${c.vcluster && variant.stack === "dev" ? `, vCluster ${c.vcluster}` : ""}${variant.stack === "mesh" ? `, MetalLB ${c.metallb}` : ""}`, () => {
            const problems = problemsOf(variant, runs[index]);
            assert.deepEqual(problems, [], problems.join("\n"));
        });
    }
});

describe("the seeds' example stack (examples/Pulumi.seed.yaml)", function () {
    this.timeout(120_000);

    it("plans and renders the seeds' exact recipe with no pre-flight error: K3s v1.28.13+k3s1, Cilium 1.16.19, vCluster 0.20.6", async () => {
        const file = path.join(PROJECT_DIR, "examples", "Pulumi.seed.yaml");
        const run = await runPlan(["seed", "--config", file, "--render", "--json"]);
        const combination = { kubernetes: "1.28", cilium: "1.16.19", vcluster: "0.20.6", metallb: undefined, k3s: "v1.28.13+k3s1", kindNode: "" };
        const problems = problemsOf({ stack: "dev", pinned: "seed", combination }, run);
        assert.deepEqual(problems, [], problems.join("\n"));
        const plan = JSON.parse(run.stdout) as { resources: PlanResource[] };
        const server = plan.resources.find((r) => r.name === "dev-k3s-server");
        assert.match(String(server?.inputs.create), /INSTALL_K3S_VERSION='v1\.28\.13\+k3s1'/);
        const vcluster = plan.resources.find((r) => r.inputs.chart === "vcluster");
        assert.deepEqual(vcluster?.inputs.values.controlPlane.distro, { k3s: { enabled: true }, k8s: { enabled: false } });
    });
});
