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
import * as fs from "node:fs";
import { parseArgs, ParseArgsConfig } from "node:util";
import { boundText, UserInputError } from "../../lib/user-input";
import { suggestKey } from "../../config/config-error";

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

/** What `--help` prints for a command: its usage line, what it does, each flag and each exit code. */
export interface CommandHelp {
    /** One line: `usage: npm run plan -- <stack> [...]`. */
    readonly usage: string;
    /** What the command does, a few lines. */
    readonly description: string;
    /** `[flag with its value, what it does]`, in the order a user needs them. */
    readonly flags: ReadonlyArray<readonly [string, string]>;
    /** `[code, meaning]`. */
    readonly exitCodes: ReadonlyArray<readonly [number, string]>;
    /** Environment variables the command reads: `[name, what for]`. */
    readonly environment?: ReadonlyArray<readonly [string, string]>;
}

/** The `--help` text of a command. */
export function formatHelp(help: CommandHelp): string {
    const table = (rows: ReadonlyArray<readonly [string | number, string]>) => {
        const width = Math.max(...rows.map(([name]) => String(name).length));
        return rows.map(([name, what]) => `  ${String(name).padEnd(width)}  ${what}`);
    };
    const lines = [help.usage, "", help.description, "", "flags:", ...table([...help.flags, ["-h, --help", "this text"]])];
    if (help.environment && help.environment.length > 0) lines.push("", "environment:", ...table(help.environment));
    lines.push("", "exit codes:", ...table(help.exitCodes));
    return `${lines.join("\n")}\n`;
}

/**
 * Strict parsing: an unknown option (with the closest known one, when it looks like a typo), a missing value or a
 * value given to a flag is a CliError (exit 2) naming it, followed by the usage line. `-h`/`--help` prints the help
 * (the whole CommandHelp, or the usage line) and exits 0.
 */
export function parseCliArgs<Options>(argv: readonly string[], options: NonNullable<ParseArgsConfig["options"]>, help: string | CommandHelp, tool: string): ParsedCli<Options> {
    const usage = typeof help === "string" ? help : `${help.usage} (--help: flags and exit codes)`;
    if (argv.includes("-h") || argv.includes("--help")) {
        process.stdout.write(typeof help === "string" ? `${help}\n` : formatHelp(help));
        process.exit(EXIT.ok);
    }
    try {
        const parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
        return { values: parsed.values as Options, positionals: parsed.positionals };
    } catch (error) {
        // node's messages are one sentence naming the option ("Unknown option '--x'", "Option '--out <value>' argument missing").
        const reason = (error as Error).message.split(/\.\s|\n/)[0];
        const unknown = /^Unknown option '(--?[^']+)'/.exec(reason)?.[1];
        const hint = unknown ? suggestKey(unknown.replace(/^-+/, "").split("=")[0], Object.keys(options)) : undefined;
        throw new CliError(`${tool}: ${reason}${hint ? ` (did you mean --${hint}?)` : ""}; ${usage}`, EXIT.invalid);
    }
}

/** The stacks of a project directory: the `<stack>` of every `Pulumi.<stack>.yaml`, sorted. */
export function stackNamesIn(projectDir: string): string[] {
    return fs
        .readdirSync(projectDir)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort();
}

/** ` (did you mean "dev"?)` when `stack` is a typo of an existing stack, and the list of stacks; for messages. */
export function stackHint(projectDir: string, stack: string): string {
    const stacks = stackNamesIn(projectDir);
    const closest = suggestKey(stack, stacks);
    return `${closest ? ` (did you mean "${closest}"?)` : ""}; stacks here: ${stacks.join(", ") || "none"}`;
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
