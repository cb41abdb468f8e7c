/**
 * The benchmark's floor: `bench-floor.ts <stack> --config <file> --out <file>` does what scripts/plan/plan-cli.ts does —
 * reads the stack file, sets the mocks and the config, runs a program inside runInPulumiStack, serialises and
 * writes the plan — but with a program that registers nothing. `npm run bench` spawns it with the same command
 * as `npm run plan`, so the difference between the two is the cost of Kubeloom's own program.
 */
import * as fs from "fs";
import { planStack, PlanFailure } from "../plan/plan-stack";
import { serializePlan } from "../plan/offline-plan";
import { PROJECT_DIR } from "../../lib/project";

/** A Pulumi program with no resources and no outputs. */
export async function emptyProgram(): Promise<Record<string, unknown>> {
    return {};
}

function option(argv: readonly string[], flag: string): string | undefined {
    const index = argv.indexOf(flag);
    return index === -1 ? undefined : argv[index + 1];
}

async function main(): Promise<number> {
    const argv = process.argv.slice(2);
    const stack = argv.find((arg, i) => !arg.startsWith("-") && !["--config", "--out"].includes(argv[i - 1]));
    if (!stack) throw new PlanFailure("usage: bench-floor.ts <stack> [--config <file>] [--out <file>]", 2);
    const out = option(argv, "--out");
    const plan = await planStack({ projectDir: PROJECT_DIR, stack, configFile: option(argv, "--config"), program: emptyProgram });
    const text = serializePlan(plan);
    if (out) {
        fs.writeFileSync(out, text);
        process.stderr.write(`floor plan for ${stack}: ${plan.resources.length} resources → ${out}\n`);
    } else {
        process.stdout.write(text);
    }
    return 0;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (error: unknown) => {
            process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(error instanceof PlanFailure ? error.exitCode : 1);
        },
    );
}
