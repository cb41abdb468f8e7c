/**
 * What every `npm run` tool shares: strict argument parsing (node:util parseArgs), one error type that carries its
 * exit code, and one way to end the process that never cuts off what was written to stdout.
 *
 * Exit codes, the same in every tool:
 *   0    success (plan:diff: no changes)
 *   1    the operation ran and failed (Pulumi reported an error). plan:diff: changes found (unless --exit-zero), so
 *        every plan:diff failure exits 2
 *   2    nothing was attempted: bad arguments, an invalid stack config, a missing stack file, a refused destroy
 *   3    plan only: pre-flight found errors (the plan is still written)
 *   127  a tool the command needs (the Pulumi CLI) is not installed
 */
import { parseArgs, ParseArgsConfig } from "node:util";
import { boundText, UserInputError } from "../../lib/user-input";

/** The exit codes above, by meaning. */
export const EXIT = { ok: 0, failed: 1, invalid: 2, preflight: 3, missingTool: 127 } as const;

/** A one-line failure (already prefixed with the tool's name) and the exit code it ends the process with. */
export class CliError extends Error {
    constructor(message: string, readonly exitCode: number = EXIT.invalid) {
        super(message);
        this.name = "CliError";
    }
}

/** What `parseCliArgs` returns: the options by name and the positional arguments. */
export interface ParsedCli<Options> {
    readonly values: Options;
    readonly positionals: readonly string[];
}

/**
 * Strict parsing: an unknown option, a missing value or a value given to a flag is a CliError (exit 2) naming it,
 * followed by the usage line. `-h`/`--help` prints the usage and exits 0.
 */
export function parseCliArgs<Options>(argv: readonly string[], options: NonNullable<ParseArgsConfig["options"]>, usage: string, tool: string): ParsedCli<Options> {
    if (argv.includes("-h") || argv.includes("--help")) {
        process.stdout.write(`${usage}\n`);
        process.exit(EXIT.ok);
    }
    try {
        const parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
        return { values: parsed.values as Options, positionals: parsed.positionals };
    } catch (error) {
        // node's messages are one sentence naming the option ("Unknown option '--x'", "Option '--out <value>' argument missing").
        throw new CliError(`${tool}: ${(error as Error).message.split(/\.\s|\n/)[0]}; ${usage}`, EXIT.invalid);
    }
}

/**
 * Runs a tool's main and ends the process with its exit code once stdout has drained (a plain process.exit cuts
 * piped output at the pipe buffer). Any failure becomes one line on stderr — never a stack trace.
 */
export function runMain(tool: string, main: () => Promise<number>, options: { readonly unexpectedExitCode?: number } = {}): void {
    main().then(exitAfterDrain, (error: unknown) => {
        const failure = cliFailure(tool, error, options.unexpectedExitCode ?? EXIT.failed);
        process.stderr.write(`${boundText(failure.message)}\n`);
        exitAfterDrain(failure.exitCode);
    });
}

/**
 * The CliError a failure ends the tool with: a CliError as it is; a problem with the user's input (a config value,
 * a file a key names) exit 2 with its key path; anything else one line with the given code.
 */
export function cliFailure(tool: string, error: unknown, unexpectedExitCode: number): CliError {
    if (error instanceof CliError) return error;
    if (error instanceof UserInputError) return new CliError(`${tool}: ${error.message}`, EXIT.invalid);
    return new CliError(`${tool}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, unexpectedExitCode);
}

/**
 * Exits with `code` once everything written to stdout and stderr has been flushed. While a long write drains through
 * a slow pipe (CI), a late uncaught exception would end the process with 1 and the output cut at the pipe buffer;
 * the timer keeps the process alive until the flush callbacks run, and exitCode is set first for any other exit.
 */
export function exitAfterDrain(code: number): void {
    // The outcome is decided: a late rejection or exception (the Pulumi runtime re-raises a program's error after the
    // plan has reported it) must neither replace the exit code with 1 nor end the process before the output is out.
    const decided = () => undefined;
    process.on("uncaughtException", decided);
    process.on("unhandledRejection", decided);
    process.exitCode = code;
    const keepAlive = setInterval(() => undefined, 60_000);
    process.stdout.write("", () =>
        process.stderr.write("", () => {
            clearInterval(keepAlive);
            process.exit(code);
        }),
    );
}
