/**
 * `npm run kubeconfig -- <stack> [--out <file>] [--context <name>] [--print]`
 * `pulumi stack output --json --show-secrets | npm run kubeconfig -- [<stack>] --stdin [--out <file>] ...`
 *
 * Turns the stack's `kubeconfigs` output into one kubeconfig file with a context per cluster and vCluster, written
 * with mode 0600 to `./kubeconfig-<stack>.yaml` (or --out). The outputs are read through the Automation API —
 * secrets revealed in memory only — or from `pulumi stack output` JSON on stdin. The kubeconfig is never printed
 * unless --print asks for it (then on stdout, and written only if --out is also given).
 *
 * Exit codes: 0 written, 1 reading the outputs failed, 2 usage or merge problem, 127 the Pulumi CLI is missing
 * (only without --stdin).
 */
import * as fs from "fs";
import * as path from "path";
import { openStack, prepareBackend, pulumiErrorLine, requireCli } from "./automation";
import { CliError, CommandHelp, EXIT, parseCliArgs, runMain } from "../common/cli";
import { KubeconfigMergeError, mergeKubeconfigs } from "../../lib/kubeconfig";
import { PROJECT_DIR } from "../../lib/project";
import { SECRET_PLACEHOLDER } from "../../lib/placeholders";

const HELP: CommandHelp = {
    usage: "usage: npm run kubeconfig -- <stack> [--out <file>] [--context <name>] [--stdin] [--print]",
    description: [
        "Turns the stack's `kubeconfigs` output into one kubeconfig file with a context per cluster and vCluster, written with",
        "mode 0600 to ./kubeconfig-<stack>.yaml. Reads the outputs through the Pulumi CLI, or `pulumi stack output --json",
        "--show-secrets` on stdin. The kubeconfig is never printed unless --print asks for it.",
    ].join("\n"),
    flags: [
        ["<stack>", "the stack whose outputs to read (optional with --stdin)"],
        ["--out <file>", "write here instead of ./kubeconfig-<stack>.yaml"],
        ["--context <name>", "the current-context of the file (default: the first cluster)"],
        ["--stdin", "read `pulumi stack output --json --show-secrets` from a pipe instead of the Pulumi CLI"],
        ["--print", "print the kubeconfig on stdout (then it is written only with --out)"],
    ],
    exitCodes: [
        [EXIT.ok, "written"],
        [EXIT.failed, "reading the outputs failed"],
        [EXIT.invalid, "bad arguments or contexts that cannot be merged"],
        [EXIT.missingTool, "the Pulumi CLI is not installed (without --stdin)"],
    ],
};
const USAGE = `${HELP.usage} (--help: flags and exit codes)`;

interface KubeconfigArgs {
    stack?: string;
    out?: string;
    context?: string;
    stdin: boolean;
    print: boolean;
}

function parseKubeconfigArgs(argv: readonly string[]): KubeconfigArgs {
    const { values, positionals } = parseCliArgs<{ out?: string; context?: string; stdin?: boolean; print?: boolean }>(
        argv,
        { out: { type: "string" }, context: { type: "string" }, stdin: { type: "boolean" }, print: { type: "boolean" } },
        HELP,
        "kubeloom",
    );
    const stdin = values.stdin ?? false;
    if (positionals.length > 1 || (positionals.length === 0 && !stdin)) throw new CliError(`kubeloom: name one stack; ${USAGE}`, EXIT.invalid);
    return { stack: positionals[0], out: values.out, context: values.context, stdin, print: values.print ?? false };
}

/** The `kubeconfigs` map from `pulumi stack output --json --show-secrets` text. */
function kubeconfigsFromJson(text: string): Record<string, string> {
    let outputs: unknown;
    try {
        outputs = JSON.parse(text);
    } catch {
        throw new CliError("kubeloom: stdin is not JSON; pipe in: pulumi stack output --json --show-secrets", EXIT.invalid);
    }
    const kubeconfigs = (outputs as Record<string, unknown> | null)?.kubeconfigs;
    if (kubeconfigs === SECRET_PLACEHOLDER) throw new CliError("kubeloom: the kubeconfigs output is masked; add --show-secrets to pulumi stack output", EXIT.invalid);
    if (kubeconfigs === null || typeof kubeconfigs !== "object" || Array.isArray(kubeconfigs)) {
        throw new CliError("kubeloom: the JSON has no kubeconfigs map; is this the output of a Kubeloom stack?", EXIT.invalid);
    }
    return kubeconfigs as Record<string, string>;
}

async function kubeconfigsFromStack(stack: string): Promise<Record<string, string>> {
    const projectDir = PROJECT_DIR;
    const cli = requireCli("kubeconfig");
    const backend = prepareBackend(projectDir, stack, (line) => process.stderr.write(`${line}\n`));
    let outputs;
    try {
        const opened = await openStack({ projectDir, stack, cli, backend }, false);
        outputs = await opened.outputs();
    } catch (error) {
        throw new CliError(`kubeloom: cannot read the outputs of stack ${stack}: ${pulumiErrorLine(error)}`, 1);
    }
    if (!outputs.kubeconfigs) throw new CliError(`kubeloom: stack ${stack} has no kubeconfigs output yet; run npm run up -- ${stack} first`, 1);
    return outputs.kubeconfigs.value as Record<string, string>;
}

/**
 * Writes a file only its owner can read: a new 0600 file renamed over the target, so a kubeconfig is never
 * readable by others even for a moment, whatever mode an existing file had.
 */
function writePrivateFile(file: string, text: string): void {
    const target = fs.existsSync(file) ? fs.realpathSync(file) : path.resolve(file);
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
    const fd = fs.openSync(temp, "wx", 0o600);
    try {
        fs.writeSync(fd, text);
        // The umask can only take bits away from 0600; fchmod makes it exactly 0600.
        fs.fchmodSync(fd, 0o600);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    try {
        fs.renameSync(temp, target);
    } catch (error) {
        fs.rmSync(temp, { force: true });
        throw error;
    }
    fs.chmodSync(target, 0o600);
}

async function main(): Promise<number> {
    const args = parseKubeconfigArgs(process.argv.slice(2));
    let kubeconfigs: Record<string, string>;
    if (args.stdin) {
        if (process.stdin.isTTY) throw new CliError("kubeloom: --stdin reads JSON from a pipe: pulumi stack output --json --show-secrets | npm run kubeconfig -- --stdin", EXIT.invalid);
        kubeconfigs = kubeconfigsFromJson(fs.readFileSync(0, "utf8"));
    } else {
        kubeconfigs = await kubeconfigsFromStack(args.stack!);
    }
    let merged;
    try {
        merged = mergeKubeconfigs(kubeconfigs, { currentContext: args.context });
    } catch (error) {
        if (error instanceof KubeconfigMergeError) throw new CliError(`kubeloom: ${error.message}`, EXIT.invalid);
        throw error;
    }
    if (args.print) process.stdout.write(merged.text);
    if (!args.print || args.out) {
        const out = args.out ?? `kubeconfig${args.stack ? `-${args.stack}` : ""}.yaml`;
        writePrivateFile(out, merged.text);
        process.stderr.write(
            `kubeloom: wrote ${merged.contexts.length} contexts (${merged.contexts.join(", ")}) to ${out} (mode 0600), current-context ${merged.currentContext}; use it with: export KUBECONFIG=${path.resolve(out)}\n`,
        );
    }
    return 0;
}

runMain("kubeloom", main);
