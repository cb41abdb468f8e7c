/**
 * The plan-diff comment at any size: embedded JSON/YAML strings diffed by key, label/annotation churn said once,
 * rendered objects collapsed per release, trimming in steps with a pointer to the full report — and, on the real
 * program rendered through helm, a Cilium 1.19 → 1.20 bump whose comment has no line over 500 characters.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import type { KubeObject } from "../../scripts/plan/render/objects";
import { diffPlans, planDiffReport } from "../../scripts/diff/plan-diff";
import { MAX_LINE, renderMarkdown, summariseChurn } from "../../scripts/diff/plan-diff-markdown";
import { diffRenderedObjects } from "../../scripts/diff/rendered-diff";
import { PROJECT_DIR } from "../../lib/project";
import { runPlan } from "../support/run-plan";

const PREFIX = "urn:pulumi:dev::kubeloom::";

function release(name: string, rendered: KubeObject[], version = "1"): PlannedResource & { rendered: KubeObject[] } {
    return {
        urn: `${PREFIX}kubeloom:index:CiliumInstall$kubernetes:helm.sh/v3:Release::${name}`,
        type: "kubernetes:helm.sh/v3:Release",
        name,
        parent: null,
        provider: null,
        dependsOn: [],
        options: {},
        read: false,
        inputs: { chart: "cilium", version },
        rendered,
    };
}

const plan = (resources: PlannedResource[]): OfflinePlan => ({ project: "kubeloom", stack: "dev", resources, outputs: {} });

const configMap = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "kube-system", labels }, data }) as KubeObject;

/** A one-line JSON document of `size` clusters, as Envoy's bootstrap ConfigMap holds it. */
function bootstrap(size: number, timeout: string): string {
    return JSON.stringify({ admin: { address: { pipe: { path: "/var/run/admin.sock" } } }, staticResources: { clusters: Array.from({ length: size }, (_, i) => ({ name: `cluster-${i}`, connectTimeout: i === 3 ? timeout : "2s", padding: "x".repeat(200) })) } });
}

describe("plan:diff comment at any size", () => {
    it("diffs a JSON document held in a ConfigMap key by key, not as one line of kilobytes", () => {
        const before = [configMap("envoy", { "bootstrap-config.json": bootstrap(40, "2s") })];
        const after = [configMap("envoy", { "bootstrap-config.json": bootstrap(40, "5s") })];
        const [change] = diffRenderedObjects(before, after)!;
        assert.deepEqual(change.fields.map((f) => [f.path, f.before, f.after]), [['data["bootstrap-config.json"] › (JSON) staticResources.clusters[cluster-3].connectTimeout', "2s", "5s"]]);
        const markdown = renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diffPlans({ stack: "dev", base: plan([release("r", before)]), head: plan([release("r", after)]) })]));
        assert.ok(markdown.split("\n").every((l) => l.length <= MAX_LINE));
        assert.match(markdown, /`data\["bootstrap-config\.json"\] › \(JSON\) staticResources\.clusters\[cluster-3\]\.connectTimeout`: `"2s"` → `"5s"`/);
    });

    it("diffs a multi-line YAML document by key, and keeps a script's line diff", () => {
        const yamlBefore = "kind: Config\nlimits:\n  cpu: 1\n  memory: 1Gi\n";
        const yamlAfter = "kind: Config\nlimits:\n  cpu: 2\n  memory: 1Gi\n";
        const [yamlChange] = diffRenderedObjects([configMap("c", { "config.yaml": yamlBefore })], [configMap("c", { "config.yaml": yamlAfter })])!;
        assert.deepEqual(yamlChange.fields.map((f) => [f.path, f.before, f.after]), [['data["config.yaml"] › (YAML) limits.cpu', 1, 2]]);
        const [script] = diffRenderedObjects([configMap("s", { "run.sh": "#!/bin/sh\nset -eu\necho a\n" })], [configMap("s", { "run.sh": "#!/bin/sh\nset -eu\necho b\n" })])!;
        assert.deepEqual(script.fields[0].lines, ["- echo a", "+ echo b"]);
    });

    it("says label and annotation churn shared by objects once, counting the objects that changed only there", () => {
        const objects = (chart: string, extra: string) => [
            configMap("a", { k: "1" }, { "helm.sh/chart": chart }),
            configMap("b", { k: extra }, { "helm.sh/chart": chart }),
            configMap("c", { k: "1" }, { "helm.sh/chart": chart, own: chart }),
        ];
        const changes = diffRenderedObjects(objects("cilium-1.19.6", "1"), objects("cilium-1.20.0", "2"))!;
        const { churn, remaining } = summariseChurn(changes);
        assert.deepEqual(churn, ['label/annotation churn: label `helm.sh/chart` `"cilium-1.19.6"` → `"cilium-1.20.0"` on 3 objects', "1 object changed only in the labels and annotations above"]);
        assert.deepEqual(remaining.map((o) => [o.object, o.fields.map((f) => f.path)]), [["ConfigMap/kube-system/b", ["data.k"]], ["ConfigMap/kube-system/c", ["metadata.labels.own"]]]);
    });

    it("collapses each release's rendered objects and trims in steps, pointing at the full report", () => {
        const many = (v: string) => Array.from({ length: 60 }, (_, i) => configMap(`cm-${i}`, { value: `${v}-${"y".repeat(100)}` }));
        const report = planDiffReport({ ref: "main", commit: null }, [diffPlans({ stack: "dev", base: plan([release("r1", many("a")), release("r2", many("a"))]), head: plan([release("r1", many("b"), "2"), release("r2", many("b"), "2")]) })]);
        const full = renderMarkdown(report, { maxChars: Number.POSITIVE_INFINITY });
        assert.equal((full.match(/<details><summary>r\d: rendered objects 60 changed<\/summary>/g) ?? []).length, 2);
        const pointer = "the `plan-diff` artifact of [this workflow run](https://github.example/o/r/actions/runs/7)";
        const objectsOnly = renderMarkdown(report, { maxChars: full.length - 1, fullReport: pointer });
        assert.match(objectsOnly, /trimmed to fit: rendered objects are listed without their fields\. The full report: the `plan-diff` artifact/);
        assert.match(objectsOnly, /- `~` `ConfigMap\/kube-system\/cm-7`\n- `~`/);
        const cut = renderMarkdown(report, { maxChars: 3000, fullReport: pointer });
        assert.ok(cut.length <= 3000);
        assert.match(cut, /report cut to fit a comment\. The full report: the `plan-diff` artifact/);
        assert.equal((cut.match(/<details>/g) ?? []).length, (cut.match(/<\/details>/g) ?? []).length, "every <details> is closed");
    });
});

describe("plan:diff comment of a real Cilium 1.19 → 1.20 bump (--render, helm)", function () {
    this.timeout(180_000);
    let markdown = "";
    before(async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-bump-"));
        try {
            // K3s 1.34: the newest line both Cilium 1.19.6 and 1.20.0 support.
            const head = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8").replace("version: v1.36.4+k3s1", "version: v1.34.4+k3s1");
            const base = head.replace(/(cilium:\n\s+version:) 1\.20\.0/, "$1 1.19.6");
            assert.notEqual(base, head, "Pulumi.dev.yaml no longer pins cilium.version 1.20.0 where this test expects it");
            fs.writeFileSync(path.join(dir, "base.yaml"), base);
            fs.writeFileSync(path.join(dir, "head.yaml"), head);
            const runs = await Promise.all(["base", "head"].map((side) => runPlan(["dev", "--config", path.join(dir, `${side}.yaml`), "--render", "--json"])));
            for (const run of runs) assert.equal(run.code, 0, run.stderr);
            const [basePlan, headPlan] = runs.map((run) => JSON.parse(run.stdout) as OfflinePlan);
            markdown = renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diffPlans({ stack: "dev", base: basePlan, head: headPlan })]));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("has no line over 500 characters", () => {
        const long = markdown.split("\n").filter((l) => l.length > MAX_LINE);
        assert.deepEqual(long.map((l) => `${l.length}: ${l.slice(0, 120)}…`), []);
    });

    it("collapses the release's objects, diffs the Envoy bootstrap by key and says the chart label churn once", () => {
        assert.match(markdown, /<details><summary>dev-cilium-release: rendered objects \d+ changed<\/summary>/);
        assert.match(markdown, /`data\["bootstrap-config\.json"\] › \(JSON\) /);
        assert.match(markdown, /label\/annotation churn: label `helm\.sh\/chart` [^\n]* on \d+ objects/);
        assert.ok(markdown.length < 15_000, `${markdown.length} characters`);
    });
});
