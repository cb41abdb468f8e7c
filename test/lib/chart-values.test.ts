import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import {
    chartValuesProblems,
    ChartReference,
    isFreeFormMap,
    ownedValueProblems,
    ownedValues,
    schemaValueProblems,
    unknownValueProblems,
    ValuesProblem,
} from "../../lib/chart-values";
import { compileValuesSchema } from "../../lib/chart-schema-cache";
import { commentedValuesExamples, templateReadValues } from "../../lib/chart-known-keys";
import { chartFiles, chartReference, valuesChartReleases } from "../support/charts";
import { OWNED_VALUES } from "../../components/owned-values";

const paths = (problems: readonly ValuesProblem[]) => problems.map((p) => p.path.join("."));

describe("chart values engine (lib/chart-values.ts)", () => {
    const owned = ownedValues("demo", [
        { path: "cluster.name", use: "name" },
        { path: "ipam", use: "cilium.ipamMode" },
        { path: ["annotations", "example.com/owned"], use: "owner" },
    ]);
    const typedKey = (use: string) => `clusters[0].${use}`;

    it("fails an owned key at its path, naming the typed key, and any key below an owned map", () => {
        const problems = ownedValueProblems({ cluster: { name: "x", id: 3 }, ipam: { operator: { clusterPoolIPv4PodCIDRList: ["10.0.0.0/8"] } } }, owned, typedKey);
        assert.deepEqual(paths(problems), ["cluster.name", "ipam"]);
        assert.match(problems[0].message, /clusters\[0\]\.name/);
        assert.match(problems[1].message, /clusters\[0\]\.cilium\.ipamMode/);
    });

    it("fails a scalar, list or null that would replace a map holding an owned key", () => {
        for (const replacement of [null, "x", [1]]) {
            const problems = ownedValueProblems({ cluster: replacement }, owned, typedKey);
            assert.deepEqual(paths(problems), ["cluster"], JSON.stringify(replacement));
            assert.match(problems[0].message, /would replace cluster\.name/);
        }
    });

    it("leaves keys beside owned ones alone (segments hold dotted keys)", () => {
        assert.deepEqual(ownedValueProblems({ cluster: { id: 1 }, annotations: { "example.com/other": "y" } }, owned, typedKey), []);
        assert.deepEqual(paths(ownedValueProblems({ annotations: { "example.com/owned": "y" } }, owned, typedKey)), ["annotations.example.com/owned"]);
    });

    const reference: ChartReference = {
        label: "demo 1.0.0",
        defaults: { hubble: { relay: { enabled: false, replicas: 1 } }, podAnnotations: {}, nodeSelector: { "kubernetes.io/os": "linux" }, list: [{ a: 1 }] },
        documented: { loadBalancer: { algorithm: "maglev" } },
        subcharts: ["crds"],
        schema: {
            type: "object",
            $defs: { Extra: { type: "object", additionalProperties: { type: "string" } } },
            properties: { hubble: { type: "object", properties: { relay: { type: "object", properties: { replicas: { type: "integer" } } } } }, extra: { $ref: "#/$defs/Extra" }, strict: { type: "object", additionalProperties: false, properties: { on: { type: "boolean" } } } },
        },
    };

    it("fails a key the chart does not have, with the closest known key", () => {
        const problems = unknownValueProblems({ hubbel: {}, hubble: { relay: { replcas: 2 } }, nothingLikeIt: 1 }, reference);
        assert.deepEqual(paths(problems), ["hubbel", "hubble.relay.replcas", "nothingLikeIt"]);
        assert.match(problems[0].message, /did you mean "hubble"\?/);
        assert.match(problems[1].message, /did you mean "replicas"\?/);
        assert.doesNotMatch(problems[2].message, /did you mean/);
    });

    it("accepts keys below free-form maps, documented keys, subchart keys and list items", () => {
        const user = {
            podAnnotations: { "anything/at-all": "x" },
            nodeSelector: { "node-role.kubernetes.io/cilium": "true" },
            extra: { whatever: "x" },
            loadBalancer: { algorithm: "random" },
            crds: { anything: true },
            list: [{ notChecked: 1 }],
        };
        assert.deepEqual(unknownValueProblems(user, reference), []);
    });

    it("tells free-form maps from chart maps", () => {
        assert.equal(isFreeFormMap("x", {}, []), true, "a {} default");
        assert.equal(isFreeFormMap("x", { "kubernetes.io/os": "linux" }, []), true, "label keys");
        assert.equal(isFreeFormMap("podLabels", { a: "b" }, []), true, "a Kubernetes map field by name");
        assert.equal(isFreeFormMap("x", undefined, [{ type: "object", additionalProperties: { type: "string" } }]), true, "open additionalProperties");
        assert.equal(isFreeFormMap("x", { enabled: true }, [{ type: "object", properties: { enabled: {} } }]), false);
        assert.equal(isFreeFormMap("x", undefined, [{ type: "object", additionalProperties: false }]), false);
    });

    it("reports schema violations only at keys the user gave, with the value unless hidden", () => {
        const validate = compileValuesSchema(JSON.stringify(reference.schema), fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-schema-")));
        const user = { hubble: { relay: { replicas: "2" } }, strict: { on: "yes", off: 1 } };
        const merged = { ...reference.defaults, ...user, extra: 5 };
        const problems = schemaValueProblems(user, merged, validate);
        assert.deepEqual(paths(problems).sort(), ["hubble.relay.replicas", "strict.off", "strict.on"]);
        const replicas = problems.find((p) => p.path.join(".") === "hubble.relay.replicas")!;
        assert.equal(replicas.message, 'must be integer, got "2"');
        assert.deepEqual(schemaValueProblems(user, merged, validate, (at) => at.join(".") === "hubble.relay.replicas").map((p) => p.path.join(".")).sort(), ["strict.off", "strict.on"]);
    });

    it("reads the compiled schema back from the disk cache", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-schema-"));
        const text = JSON.stringify({ type: "object", properties: { n: { type: "integer" }, unique: { const: dir } } });
        compileValuesSchema(text, dir);
        const files = fs.readdirSync(dir);
        assert.equal(files.length, 1);
        assert.match(fs.readFileSync(path.join(dir, files[0]), "utf8"), /module\.exports/);
    });

    it("reports a path once, owned keys first", () => {
        const problems = chartValuesProblems({ user: { cluster: { name: 1 }, hubbel: 1 }, owned, typedKey, chart: reference });
        assert.deepEqual(paths(problems), ["cluster.name", "hubbel"]);
    });
});

describe("chart values against every chart release of the support matrix", function () {
    this.timeout(120_000);

    for (const { chart, version } of valuesChartReleases()) {
        describe(`${chart} ${version}`, () => {
            let ref: ChartReference;
            before(() => {
                ref = chartReference(chart, version);
            });

            it("accepts the chart's own values.yaml (every default key)", () => {
                assert.deepEqual(paths(unknownValueProblems(ref.defaults, ref)), []);
            });

            it("accepts every commented example of its values.yaml and every key its templates read", () => {
                const files = chartFiles(chart, version);
                const examples = commentedValuesExamples(files.valuesYaml);
                for (const example of examples) assert.deepEqual(paths(unknownValueProblems(example.values, ref)), [], `values.yaml line ${example.line}`);
                assert.deepEqual(paths(unknownValueProblems(templateReadValues(files.templatesText), ref)), []);
            });

            it("fails a misspelt top-level and nested key with a did-you-mean", () => {
                const [first] = Object.keys(ref.defaults).filter((k) => typeof ref.defaults[k] === "object" && ref.defaults[k] !== null && !Array.isArray(ref.defaults[k]) && Object.keys(ref.defaults[k] as object).some((c) => /^[a-z]+[A-Z]?[a-z]+$/.test(c) && c.length > 5)).sort();
                const nested = Object.keys(ref.defaults[first] as object).find((c) => /^[a-z]+[A-Z]?[a-z]+$/.test(c) && c.length > 5)!;
                const typo = `${nested.slice(0, 2)}${nested[3]}${nested[2]}${nested.slice(4)}`;
                const problems = unknownValueProblems({ [`${first}x`]: 1, [first]: { [typo]: 1 } }, ref);
                assert.deepEqual(paths(problems), [`${first}x`, `${first}.${typo}`]);
                assert.match(problems[1].message, new RegExp(`did you mean "${nested}"`));
            });

            it("owns no key the chart does not have (each owned key exists at this release, or is documented)", () => {
                for (const key of OWNED_VALUES[chart].keys) {
                    const segments = typeof key.path === "string" ? key.path.split(".") : key.path;
                    const user = segments.reduceRight<unknown>((inner, part) => ({ [part]: inner }), "x") as Record<string, unknown>;
                    const problems = unknownValueProblems(user, ref);
                    // The distro keys exist per line (k3s only on 0.20; k8s.image.tag only from the 0.3x line, 0.20's k8s
                    // distro has per-component images); nothing else may be unknown.
                    const dotted = segments.join(".");
                    const allowed = chart === "vcluster" && ((dotted.startsWith("controlPlane.distro.k3s.") && version !== "0.20.6") || (dotted === "controlPlane.distro.k8s.image.tag" && version === "0.20.6"));
                    if (!allowed) assert.deepEqual(paths(problems), [], `${segments.join(".")} at ${chart} ${version}`);
                }
            });
        });
    }

    it("accepts every value vcluster's own helm-unittest suites set (from the charts mirror's src/, when it has them)", function () {
        // The suites are not chart artifacts (the lock has none): they come only with a mirror that carries them.
        const chartsDir = process.env.KUBELOOM_CHARTS_DIR ?? "";
        const suites = chartsDir && fs.existsSync(path.join(chartsDir, "src")) ? fs.readdirSync(path.join(chartsDir, "src")).filter((d) => d.endsWith(".unittest")) : [];
        if (suites.length === 0) this.skip();
        let checked = 0;
        for (const suite of suites) {
            const version = suite.replace(/^vcluster-/, "").replace(/\.unittest$/, "");
            const ref = chartReference("vcluster", version);
            for (const file of fs.readdirSync(path.join(chartsDir, "src", suite)).filter((f) => f.endsWith("_test.yaml"))) {
                const doc = parse(fs.readFileSync(path.join(chartsDir, "src", suite, file), "utf8")) as { tests?: Array<{ it: string; set?: Record<string, unknown> }> };
                for (const test of doc.tests ?? []) {
                    if (!test.set) continue;
                    checked++;
                    assert.deepEqual(paths(unknownValueProblems(expandDotted(test.set), ref)), [], `${suite}/${file}: ${test.it}`);
                }
            }
        }
        assert.ok(checked > 50, `only ${checked} suites' values were checked`);
    });
});

/** helm-unittest `set:` accepts `a.b.c: value` as well as nested maps. */
function expandDotted(set: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(set)) {
        const parts = key.split(".");
        let node = out;
        parts.slice(0, -1).forEach((part) => {
            node[part] = typeof node[part] === "object" && node[part] !== null ? node[part] : {};
            node = node[part] as Record<string, unknown>;
        });
        node[parts[parts.length - 1]] = value;
    }
    return out;
}
