/**
 * `npm run plan -- <stack> [--config <file>] [--out <file>]`
 *
 * Evaluates the real program for Pulumi.<stack>.yaml (or the given file) under Pulumi's mock runtime — no CLI,
 * network or cluster — and writes the plan JSON to stdout or --out. Invalid config: errors on stderr, exit 2,
 * nothing written. Any other failure: one message on stderr, exit 1.
 */
import * as fs from "fs";
import * as path from "path";
import { planStack, PlanFailure } from "./plan-stack";
import { serializePlan } from "./offline-plan";
import { PROJECT_DIR } from "../../lib/project";

interface PlanArgs {
    stack: string;
    configFile?: string;
    out?: string;
}

const USAGE = "usage: npm run plan -- <stack> [--config <Pulumi.stack.yaml>] [--out <plan.json>]";

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
    const plan = await planStack({ projectDir, stack: args.stack, configFile: args.configFile });
    const text = serializePlan(plan);
    if (args.out) {
        fs.writeFileSync(args.out, text);
        process.stderr.write(`plan for ${args.stack}: ${plan.resources.length} resources → ${args.out}\n`);
    } else {
        process.stdout.write(text);
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        const failure = error instanceof PlanFailure ? error : new PlanFailure(error instanceof Error ? error.message : String(error), 1);
        process.stderr.write(`${failure.message}\n`);
        process.exit(failure.exitCode);
    },
);
