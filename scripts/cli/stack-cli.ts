/**
 * `npm run up|preview|destroy -- <stack> [--yes]`
 *
 * Runs `pulumi up` / `pulumi preview --diff` / `pulumi destroy` for Pulumi.<stack>.yaml through the Automation
 * API, streaming Pulumi's progress. The backend is the project's `.pulumi-state/` unless PULUMI_BACKEND_URL is
 * set, so no Pulumi Cloud account is needed to start. `destroy` asks for `--yes`.
 *
 * Before `up` and `preview`, the upgrade check (upgrade-check.ts): the stack's last `deployedVersions` output against
 * the stack file; a version step Kubeloom refuses (a Cilium or K3s minor skipped, a vCluster 0.20 tenant moved to
 * 0.36, a minor downgrade) stops here with its config key, before Pulumi runs.
 *
 * Exit codes: 0 done, 1 the Pulumi operation failed (its output says why), 2 usage or configuration problem found
 * before Pulumi ran (e.g. no passphrase, a refused upgrade step), 127 the Pulumi CLI is not installed. Problems are
 * one line on stderr (a refused upgrade: one line per key).
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { checkUpgradeSteps } from "./upgrade-check";
import { openStack, prepareBackend, pulumiErrorLine, requireCli } from "./automation";
import { CliError, CommandHelp, EXIT, parseCliArgs, runMain, stackHint } from "../common/cli";
import { PROJECT_DIR } from "../../lib/project";

const OPERATIONS = ["up", "preview", "destroy"] as const;
type Operation = (typeof OPERATIONS)[number];

const HELP: CommandHelp = {
    usage: "usage: npm run up|preview|destroy -- <stack> [--yes]",
    description: [
        "Runs `pulumi up`, `pulumi preview --diff` or `pulumi destroy` for Pulumi.<stack>.yaml through the Automation API,",
        "streaming Pulumi's progress. The backend is .pulumi-state/ unless PULUMI_BACKEND_URL is set. Before up and preview,",
        "the stack's deployed versions are checked against the stack file: a version step Kubeloom refuses stops here.",
    ].join("\n"),
    flags: [
        ["<stack>", "the stack (Pulumi.<stack>.yaml)"],
        ["--yes", "destroy: confirm deleting every resource of the stack"],
    ],
    environment: [
        ["PULUMI_CONFIG_PASSPHRASE", "encrypts the stack's secrets on a passphrase backend (or PULUMI_CONFIG_PASSPHRASE_FILE)"],
        ["PULUMI_BACKEND_URL", "the state backend (default: file://.pulumi-state in this project)"],
    ],
    exitCodes: [
        [EXIT.ok, "done"],
        [EXIT.failed, "the Pulumi operation failed (its output above says why)"],
        [EXIT.invalid, "found before Pulumi ran: bad arguments, no stack file, no passphrase, destroy without --yes, a refused upgrade step"],
        [EXIT.missingTool, "the Pulumi CLI is not installed"],
    ],
};
const USAGE = `${HELP.usage} (--help: flags and exit codes)`;

interface StackArgs {
    readonly operation: Operation;
    readonly stack: string;
    readonly yes: boolean;
}

function parseStackArgs(argv: readonly string[]): StackArgs {
    const [operation, ...rest] = argv;
    if (!OPERATIONS.includes(operation as Operation)) throw new CliError(`kubeloom: unknown operation "${operation ?? ""}"; ${USAGE}`, EXIT.invalid);
    const { values, positionals } = parseCliArgs<{ yes?: boolean }>(rest, { yes: { type: "boolean" } }, HELP, "kubeloom");
    if (positionals.length !== 1) throw new CliError(`kubeloom: name one stack; ${USAGE}`, EXIT.invalid);
    return { operation: operation as Operation, stack: positionals[0], yes: values.yes ?? false };
}

function projectName(projectDir: string): string {
    const name = (parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name?: unknown } | null)?.name;
    if (typeof name !== "string") throw new CliError("kubeloom: Pulumi.yaml has no project name", EXIT.invalid);
    return name;
}

async function main(): Promise<number> {
    const args = parseStackArgs(process.argv.slice(2));
    const projectDir = PROJECT_DIR;
    // The CLI check comes first: without the CLI nothing else matters, and its message must be the only line.
    const cli = requireCli(args.operation);
    if (args.operation !== "destroy" && !fs.existsSync(path.join(projectDir, `Pulumi.${args.stack}.yaml`))) {
        throw new CliError(`kubeloom: no Pulumi.${args.stack}.yaml: create the stack file first (see docs/environments.md)${stackHint(projectDir, args.stack)}`, EXIT.invalid);
    }
    if (args.operation === "destroy" && !args.yes) {
        throw new CliError(`kubeloom: destroy deletes every resource of stack ${args.stack}; run it again with --yes to confirm`, EXIT.invalid);
    }
    const backend = prepareBackend(projectDir, args.stack, (line) => process.stderr.write(`${line}\n`));
    let stack;
    try {
        stack = await openStack({ projectDir, stack: args.stack, cli, backend }, args.operation !== "destroy");
    } catch (error) {
        throw new CliError(`kubeloom: cannot open stack ${args.stack}: ${pulumiErrorLine(error)}`, 1);
    }
    if (args.operation !== "destroy") {
        checkUpgradeSteps({ projectDir, stack: args.stack, cli, backend }, projectName(projectDir), (line) => process.stderr.write(`${line}\n`));
    }
    const stream = { onOutput: (text: string) => process.stdout.write(text), onError: (text: string) => process.stderr.write(text) };
    try {
        if (args.operation === "up") await stack.up(stream);
        else if (args.operation === "preview") await stack.preview({ ...stream, diff: true });
        else await stack.destroy(stream);
    } catch (error) {
        // Pulumi's own output already streamed the reason; repeating its error text would print it twice.
        const code = (error as { commandResult?: { code?: number } }).commandResult?.code;
        throw new CliError(`kubeloom: pulumi ${args.operation} failed for stack ${args.stack}${code !== undefined ? ` (exit ${code})` : ""}`, 1);
    }
    return 0;
}

runMain("kubeloom", main);
