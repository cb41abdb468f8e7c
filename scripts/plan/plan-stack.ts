/**
 * Plans one stack of this project offline: reads Pulumi.yaml and the stack file, runs the program under mocks,
 * and turns every failure into one clear message (config errors keep their key paths; nothing else leaks).
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { runOfflinePlan, OfflinePlan } from "./offline-plan";
import { readStackFile, yamlErrorMessage } from "./stack-file";
import { CliError, stackHint } from "../common/cli";
import { ConfigError } from "../../config/config-error";
import { boundText, UserInputError } from "../../lib/user-input";

/** A planning failure with the exit code the CLI uses (scripts/common/cli.ts: 2 invalid config or usage, 1 other). */
export class PlanFailure extends CliError {
    constructor(message: string, exitCode: number) {
        super(message, exitCode);
        this.name = "PlanFailure";
    }
}

/** Which stack to plan. */
export interface PlanStackInput {
    /** Directory holding Pulumi.yaml. */
    readonly projectDir: string;
    readonly stack: string;
    /** Stack file to use instead of Pulumi.<stack>.yaml. */
    readonly configFile?: string;
    /** The program to evaluate. @default - the Kubeloom program (stacks/program.ts); the benchmark passes an empty one */
    readonly program?: () => Promise<Record<string, unknown>>;
    /** Refuse chart values that cannot be checked against their chart (`--render` always checks). @default false */
    readonly requireChartCheck?: boolean;
}

/** Reads the project name from Pulumi.yaml. */
export function projectName(projectDir: string): string {
    const doc = parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name?: string };
    if (!doc?.name) throw new PlanFailure("Pulumi.yaml has no project name", 1);
    return doc.name;
}

/** A file as messages name it: relative to the working directory when inside it, else as given. */
function displayPath(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative && !relative.startsWith("..") ? relative : file;
}

/** Plans the stack; throws PlanFailure with exit code 2 on invalid config. */
export async function planStack(input: PlanStackInput): Promise<OfflinePlan> {
    const project = projectName(input.projectDir);
    const file = input.configFile ?? path.join(input.projectDir, `Pulumi.${input.stack}.yaml`);
    if (!fs.existsSync(file)) {
        const hint = input.configFile === undefined ? stackHint(input.projectDir, input.stack) : "";
        throw new PlanFailure(`no stack file ${path.relative(process.cwd(), file) || file}: create it or pass --config <file>${hint}`, 1);
    }
    let stackFile;
    try {
        stackFile = readStackFile(file, project);
    } catch (error) {
        if (error instanceof ConfigError) throw new PlanFailure(`${file}: ${error.message}`, 2);
        throw new PlanFailure(yamlErrorMessage(displayPath(file), fs.readFileSync(file, "utf8"), error), 2);
    }
    // Imported lazily so that the mocks are set before any module reads the runtime.
    const kubeloomProgram = input.program ? undefined : (await import("../../stacks/program")).kubeloomProgram;
    const program = input.program ?? ((() => kubeloomProgram!({ requireChartCheck: input.requireChartCheck })) as unknown as () => Promise<Record<string, unknown>>);
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", onRejection);
    const stackTraceLimit = Error.stackTraceLimit;
    // The SDK formats a stack trace for every promise it creates (runtime/debuggable.js `debuggablePromise`, used
    // only for its promise-leak report), some twenty per resource: half the time of a 200-vCluster plan. A plan
    // reports messages, never stacks, so none are kept while it runs (KUBELOOM_STACK_TRACES=1 keeps them for
    // debugging). Resource source positions are unaffected: the SDK lifts the limit itself to read them.
    if (!process.env.KUBELOOM_STACK_TRACES) Error.stackTraceLimit = 0;
    try {
        const plan = await runOfflinePlan({
            project,
            stack: input.stack,
            config: stackFile.config,
            secretKeys: stackFile.secretKeys,
            program,
        });
        // Let callbacks scheduled by the last resolutions run, so their failures are not lost.
        await new Promise((resolve) => setImmediate(resolve));
        if (rejections.length > 0) throw rejections[0];
        return plan;
    } catch (error) {
        if (error instanceof pulumi.RunError || (error as Error)?.name === "RunError") {
            throw new PlanFailure((error as Error).message, 2);
        }
        if (error instanceof PlanFailure) throw error;
        // A file a key names (missing, too big, without the context named): the user's input, exit 2, under its key.
        if (error instanceof UserInputError) throw new PlanFailure(error.message, 2);
        throw new PlanFailure(boundText(`plan failed: ${error instanceof Error ? error.message : String(error)}`), 1);
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
        process.off("unhandledRejection", onRejection);
    }
}
