/**
 * `npm run plan -- <stack>`: the human summary by default (short, with what each cluster gets, the contexts and the
 * next command), the unchanged JSON with --json and --out, the diagram with --diagram, help with every flag and
 * exit code, "did you mean" for a flag or a stack, and the README's example kept true.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../../lib/project";
import { runPlan } from "../support/run-plan";
import { planStack } from "../../scripts/plan/plan-stack";
import { serializePlan } from "../../scripts/plan/offline-plan";
import { planSummary, TENANTS_SHOWN } from "../../scripts/plan/plan-summary";
import { platformView } from "../../scripts/plan/platform-view";
import { parseStackConfig } from "../../config/parse";
import { devConfig } from "../support/fixtures";
import { PLAN_HELP } from "../../scripts/plan/plan-cli-help";

describe("plan CLI: the summary, --json, --diagram and help", function () {
    this.timeout(120_000);
    let summary: Awaited<ReturnType<typeof runPlan>>;
    before(async () => {
        summary = await runPlan(["dev"]);
    });

    it("prints a summary of at most 60 lines for dev and exits 0", () => {
        assert.equal(summary.code, 0, summary.stderr);
        const lines = summary.stdout.trimEnd().split("\n");
        assert.ok(lines.length <= 60, `${lines.length} lines`);
        assert.throws(() => JSON.parse(summary.stdout), "stdout is the summary, not JSON");
        assert.match(summary.stdout, /^Kubeloom plan of stack dev: 1 cluster, \d+ resources/);
        assert.match(summary.stdout, /cluster dev \(id 1\) · K3s v1\.36\.4\+k3s1/);
        assert.match(summary.stdout, /Cilium +1\.20\.0 · kube-proxy replacement · tunnel routing/);
        assert.match(summary.stdout, /vc-a +vCluster 0\.36\.1 · NodePort https:\/\/192\.0\.2\.10:31443/);
        assert.match(summary.stdout, /contexts +dev, dev-vc-a, dev-vc-b/);
        assert.match(summary.stdout, /next:\n {2}npm run plan -- dev --render/);
    });

    it("agrees with the plan's own outputs on endpoints and contexts", async () => {
        const plan = await planStack({ projectDir: PROJECT_DIR, stack: "dev" });
        const clusters = plan.outputs.clusters as Array<{ apiEndpoint: string; vclusters: Array<{ endpoint: string; context: string }> }>;
        assert.match(summary.stdout, new RegExp(`API +${clusters[0].apiEndpoint.replace(/[.]/g, "\\.")}`));
        for (const vc of clusters[0].vclusters) {
            assert.ok(summary.stdout.includes(vc.endpoint), vc.endpoint);
            assert.ok(summary.stdout.includes(vc.context), vc.context);
        }
    });

    it("prints exactly the plan JSON with --json, the same bytes --out writes", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-plan-")), "dev.json");
        const [json, out] = await Promise.all([runPlan(["dev", "--json"]), runPlan(["dev", "--out", file])]);
        assert.equal(json.code, 0, json.stderr);
        assert.equal(out.code, 0, out.stderr);
        assert.equal(out.stdout, "", "--out leaves stdout empty, as before");
        const expected = serializePlan(await planStack({ projectDir: PROJECT_DIR, stack: "dev" }));
        assert.equal(json.stdout, expected);
        assert.equal(fs.readFileSync(file, "utf8"), expected);
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
    });

    it("prints the Mermaid diagram with --diagram", async () => {
        const run = await runPlan(["mesh", "--diagram"]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^flowchart LR\n/);
        assert.match(run.stdout, /<-\. "Cluster Mesh" \.->/);
    });

    it("keeps the README's example output true", () => {
        const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
        const block = /<!-- plan-summary-example -->\n```\n([\s\S]*?)```\n<!-- \/plan-summary-example -->/.exec(readme);
        assert.ok(block, "README.md has no plan-summary-example block");
        assert.ok(summary.stdout.startsWith(block[1]), `README.md's plan-summary-example is stale: replace it with the output of \`npm run plan -- dev\`:\n${summary.stdout}`);
    });

    it("shows pre-flight with --render, and the quick starts' expected lines are what mesh and chain print", async () => {
        const [mesh, chain] = await Promise.all([runPlan(["mesh"]), runPlan(["chain", "--render"])]);
        assert.equal(mesh.code, 0, mesh.stderr);
        assert.equal(chain.code, 0, chain.stderr);
        assert.match(chain.stdout, /^pre-flight {2}0 errors, 0 warnings, 1 note$/m);
        assert.doesNotMatch(chain.stdout, /--render {3}render the charts/, "no --render hint once rendered");
        const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
        for (const [run, line] of [
            [mesh, "mesh · Cilium Cluster Mesh of c1, c2 · apiservers by LoadBalancer"],
            [mesh, "c1 172.22.0.50:2379"],
            [chain, "1.20.0 · kube-proxy replacement · chained (generic-veth) · native routing · IPAM cluster-pool"],
            [chain, "pre-flight  0 errors, 0 warnings, 1 note"],
        ] as const) {
            assert.ok(readme.includes(`\`${line}\``), `README does not quote ${line}`);
            assert.ok(run.stdout.includes(line), `the summary does not print ${line}`);
        }
    });

    it("--help lists every flag and exit code", async () => {
        const run = await runPlan(["--help"]);
        assert.equal(run.code, 0);
        for (const flag of ["--config <file>", "--json", "--out <file>", "--render", "--diagram", "--help"]) assert.ok(run.stdout.includes(flag), flag);
        for (const [code] of PLAN_HELP.exitCodes) assert.match(run.stdout, new RegExp(`^ {2}${code} `, "m"));
    });

    const typos: Array<{ name: string; args: string[]; code: number; expect: RegExp }> = [
        { name: "fails on a misspelt flag, suggesting the flag", args: ["dev", "--rendr"], code: 2, expect: /Unknown option '--rendr' \(did you mean --render\?\)/ },
        { name: "fails on a misspelt stack, suggesting the stack", args: ["dve"], code: 1, expect: /no stack file Pulumi\.dve\.yaml.*\(did you mean "dev"\?\); stacks here: chain, dev, mesh/ },
        { name: "fails on --json with --diagram", args: ["dev", "--json", "--diagram"], code: 2, expect: /--json and --diagram both print on stdout/ },
    ];
    for (const t of typos) {
        it(t.name, async () => {
            const run = await runPlan(t.args);
            assert.equal(run.code, t.code, run.stderr);
            assert.equal(run.stdout, "");
            assert.match(run.stderr, t.expect);
        });
    }

    it("stays one screen for a stack with many tenants", async () => {
        const raw = devConfig();
        raw.clusters[0].vclusters = Array.from({ length: 200 }, (_, i) => ({ name: `t${i}`, version: "0.36.1" }));
        const view = platformView(parseStackConfig(raw, { stackName: "dev" }), "dev");
        const text = planSummary({ view, plan: { project: "kubeloom", stack: "dev", resources: [], outputs: {} }, stackArgs: "dev" });
        assert.ok(text.split("\n").length <= 60, text);
        assert.equal((text.match(/vCluster 0\.36\.1/g) ?? []).length, TENANTS_SHOWN);
        assert.match(text, /… and 192 more \(--json lists them all\)/);
    });
});
