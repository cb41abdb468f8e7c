/**
 * `npm run plan -- <stack> [--config <file>] [--json] [--out <file>] [--render] [--diagram]`
 *
 * Evaluates the real program for Pulumi.<stack>.yaml (or the given file) under Pulumi's mock runtime — no CLI,
 * network or cluster — and prints a short human summary (plan-summary.ts). The plan itself, deterministic JSON,
 * goes to stdout with --json (exactly what stdout carried before the summary existed) and to a file with --out
 * (then stdout stays empty unless --json or --diagram asks for it). --diagram prints the platform as a Mermaid
 * diagram instead of the summary. Invalid config: errors on stderr, exit 2, nothing written. Any other failure:
 * one message on stderr, exit 1.
 *
 * --render: renders every Helm release with `helm template` ($KUBELOOM_HELM, else `helm` on PATH; each chart a
 * local archive from lib/artifacts: the $KUBELOOM_CHARTS_DIR mirror, the cache, or a download verified against
 * artifacts.lock.json — never `--repo`) and adds the objects to its entry as `rendered`, then
 * pre-flights every cluster into `preflight`; any error finding: one line per finding on stderr, exit 3 (the plan
 * is still written).
 */
import * as fs from "fs";
import * as path from "path";
import { planStack } from "./plan-stack";
import { CliError, EXIT, parseCliArgs, runMain } from "../common/cli";
import { PLAN_HELP } from "./plan-cli-help";
import { serializePlan } from "./offline-plan";
import { PROJECT_DIR } from "../../lib/project";
import type { StackConfig } from "../../config/schema";
import { resolveClusters } from "../../config/resolved-cluster";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { parseStackConfig } from "../../config/parse";
import { readStackFile } from "./stack-file";
import { projectName } from "./plan-stack";
import { checkRenderEnvironment, renderPlan } from "./render/plan-render";
import { renderEnvironment } from "./render/helm";
import { declaredNamespaces, preflightPlan } from "./preflight/preflight";
import { valuesReleases, withValuesFiles } from "../../config/chart-values";
import { obtainChart } from "../../lib/artifacts";
import type { Finding } from "./preflight/model";
import { platformView } from "./platform-view";
import { planSummary } from "./plan-summary";
import { platformDiagram } from "./platform-diagram";

interface PlanArgs {
    stack: string;
    configFile?: string;
    out?: string;
    json: boolean;
    render: boolean;
    diagram: boolean;
}

function parsePlanArgs(argv: readonly string[]): PlanArgs {
    const { values, positionals } = parseCliArgs<{ config?: string; out?: string; json?: boolean; render?: boolean; diagram?: boolean }>(
        argv,
        { config: { type: "string" }, out: { type: "string" }, json: { type: "boolean" }, render: { type: "boolean" }, diagram: { type: "boolean" } },
        PLAN_HELP,
        "plan",
    );
    const usage = `${PLAN_HELP.usage} (--help: flags and exit codes)`;
    if (positionals.length !== 1) throw new CliError(`plan: expected one stack name${positionals.length > 1 ? `, got ${positionals.join(" ")}` : ""}; ${usage}`, EXIT.invalid);
    if (values.json && values.diagram) throw new CliError(`plan: --json and --diagram both print on stdout; pick one (--out <file> writes the JSON beside --diagram); ${usage}`, EXIT.invalid);
    return { stack: positionals[0], configFile: values.config, out: values.out, json: values.json ?? false, render: values.render ?? false, diagram: values.diagram ?? false };
}

async function main(): Promise<number> {
    const args = parsePlanArgs(process.argv.slice(2));
    const projectDir = PROJECT_DIR;
    const env = renderEnvironment();
    if (args.render) {
        try {
            checkRenderEnvironment(env);
        } catch (error) {
            throw new CliError((error as Error).message, EXIT.failed);
        }
    }
    let exitCode = 0;
    // --render always checks chart values: their charts are obtained first (mirror, cache or verified download), so
    // the program's check (which never downloads) finds them; one it still cannot find fails the plan.
    if (args.render) await obtainValuesCharts(projectDir, args);
    let plan = await planStack({ projectDir, stack: args.stack, configFile: args.configFile, requireChartCheck: args.render });
    // planStack has validated the stack file: parsing it again cannot fail. Parsed only when something reads it, so
    // `--out` alone does what it always did.
    let parsed: StackConfig | undefined;
    const config = () => (parsed ??= stackConfig(projectDir, args));
    let preflight: Finding[] | undefined;
    if (args.render) {
        plan = await renderPlan(plan, new Map(config().clusters.map((cluster) => [cluster.name, cluster])), env);
        preflight = preflightPlan(plan, resolveClusters(config()), { declaredNamespaces: declaredNamespaces(config()) });
        plan = { ...plan, preflight } as typeof plan;
        for (const f of preflight) process.stderr.write(`kubeloom preflight ${f.severity}: ${f.cluster} ${f.object} [${f.check}] ${f.message}\n`);
        if (preflight.some((f) => f.severity === "error")) exitCode = EXIT.preflight;
    }
    const text = serializePlan(plan);
    if (args.out) {
        fs.writeFileSync(args.out, text);
        process.stderr.write(`plan for ${args.stack}: ${plan.resources.length} resources → ${args.out}\n`);
    }
    // runMain exits only once stdout has drained: a plan piped to another program is never cut short.
    const view = () => platformView(config(), args.stack);
    if (args.json) process.stdout.write(text);
    else if (args.diagram) process.stdout.write(platformDiagram({ head: view() }));
    else if (!args.out) {
        const stackArgs = args.configFile ? `${args.stack} --config ${args.configFile}` : args.stack;
        process.stdout.write(planSummary({ view: view(), plan, preflight, stackArgs }));
    }
    return exitCode;
}

/** Obtains the chart of every release that has user values; an invalid config is left for planStack to report. */
async function obtainValuesCharts(projectDir: string, args: PlanArgs): Promise<void> {
    let releases: ReturnType<typeof valuesReleases>;
    try {
        const file = args.configFile ?? path.join(projectDir, `Pulumi.${args.stack}.yaml`);
        const stackFile = readStackFile(file, projectName(projectDir));
        releases = valuesReleases(withValuesFiles(parseStackConfig(rawConfigFromPulumi(stackFile.config), { stackName: args.stack }), projectDir));
    } catch {
        return;
    }
    const seen = new Set<string>();
    for (const release of releases) {
        const key = `${release.chart}@${release.version}`;
        if (seen.has(key)) continue;
        seen.add(key);
        await obtainChart(release.chart, release.version);
    }
}

/** The stack's config (which planStack has already validated). */
function stackConfig(projectDir: string, args: PlanArgs): StackConfig {
    const file = args.configFile ?? path.join(projectDir, `Pulumi.${args.stack}.yaml`);
    const stackFile = readStackFile(file, projectName(projectDir));
    return parseStackConfig(rawConfigFromPulumi(stackFile.config), { stackName: args.stack });
}

runMain("plan", main);
