/**
 * `npm run plan -- <stack> [--config <file>] [--out <file>]`
 *
 * Evaluates the real program for Pulumi.<stack>.yaml (or the given file) under Pulumi's mock runtime — no CLI,
 * network or cluster — and writes the plan JSON to stdout or --out. Invalid config: errors on stderr, exit 2,
 * nothing written. Any other failure: one message on stderr, exit 1.
 *
 * --render: renders every Helm release with `helm template` ($KUBELOOM_HELM, else `helm` on PATH; charts from
 * $KUBELOOM_CHARTS_DIR, else the release's repository) and adds the objects to its entry as `rendered`, then
 * pre-flights every cluster into `preflight`; any error finding: one line per finding on stderr, exit 3 (the plan
 * is still written).
 */
import * as fs from "fs";
import * as path from "path";
import { planStack, PlanFailure } from "./plan-stack";
import { serializePlan } from "./offline-plan";
import { PROJECT_DIR } from "../../lib/project";
import { rawConfigFromPulumi, ClusterConfig } from "../../config/schema";
import { parseStackConfig } from "../../config/parse";
import { readStackFile } from "./stack-file";
import { projectName } from "./plan-stack";
import { checkRenderEnvironment, renderPlan } from "./render/plan-render";
import { renderEnvironment } from "./render/helm";
import { preflightPlan } from "./preflight/preflight";

interface PlanArgs {
    stack: string;
    configFile?: string;
    out?: string;
    render?: boolean;
}

const USAGE = "usage: npm run plan -- <stack> [--config <Pulumi.stack.yaml>] [--out <plan.json>] [--render]";

function parseArgs(argv: readonly string[]): PlanArgs {
    const positional: string[] = [];
    const args: Partial<PlanArgs> = {};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--config" || arg === "--out") {
            const value = argv[++i];
            if (value === undefined) throw new PlanFailure(`${arg} needs a file name\n${USAGE}`, 64);
            if (arg === "--config") args.configFile = value;
            else args.out = value;
        } else if (arg === "--render") {
            args.render = true;
        } else if (arg === "-h" || arg === "--help") {
            process.stdout.write(`${USAGE}\n`);
            process.exit(0);
        } else if (arg.startsWith("-")) {
            throw new PlanFailure(`unknown option ${arg}\n${USAGE}`, 64);
        } else {
            positional.push(arg);
        }
    }
    if (positional.length !== 1) throw new PlanFailure(`expected one stack name\n${USAGE}`, 64);
    return { stack: positional[0], ...args };
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const projectDir = PROJECT_DIR;
    const env = renderEnvironment();
    if (args.render) {
        try {
            checkRenderEnvironment(env);
        } catch (error) {
            throw new PlanFailure((error as Error).message, 1);
        }
    }
    let exitCode = 0;
    let plan = await planStack({ projectDir, stack: args.stack, configFile: args.configFile });
    if (args.render) {
        const clusters = stackClusters(projectDir, args);
        plan = await renderPlan(plan, clusters, env);
        const preflight = preflightPlan(plan, clusters);
        plan = { ...plan, preflight } as typeof plan;
        for (const f of preflight) process.stderr.write(`kubeloom preflight ${f.severity}: ${f.cluster} ${f.object} [${f.check}] ${f.message}\n`);
        if (preflight.some((f) => f.severity === "error")) exitCode = 3;
    }
    const text = serializePlan(plan);
    if (args.out) {
        fs.writeFileSync(args.out, text);
        process.stderr.write(`plan for ${args.stack}: ${plan.resources.length} resources → ${args.out}\n`);
    } else {
        await writeStdout(text);
    }
    return exitCode;
}

/** The stack's clusters by name (the config planStack has already validated). */
function stackClusters(projectDir: string, args: PlanArgs): Map<string, ClusterConfig> {
    const file = args.configFile ?? path.join(projectDir, `Pulumi.${args.stack}.yaml`);
    const stackFile = readStackFile(file, projectName(projectDir));
    const config = parseStackConfig(rawConfigFromPulumi(stackFile.config), { stackName: args.stack });
    return new Map(config.clusters.map((cluster) => [cluster.name, cluster]));
}

/**
 * Writes to stdout and resolves once the data is handed to the OS: process.exit right after a write to a pipe
 * drops whatever is still buffered (plans piped to another program were cut at 64 KiB).
 */
function writeStdout(text: string): Promise<void> {
    return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        const failure = error instanceof PlanFailure ? error : new PlanFailure(error instanceof Error ? error.message : String(error), 1);
        process.stderr.write(`${failure.message}\n`);
        process.exit(failure.exitCode);
    },
);
