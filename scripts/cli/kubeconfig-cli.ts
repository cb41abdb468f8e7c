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
import { EXIT_USAGE, openStack, prepareBackend, pulumiErrorLine, requireCli, runCli, StackCommandError } from "./automation";
import { KubeconfigMergeError, mergeKubeconfigs } from "../../lib/kubeconfig";
import { PROJECT_DIR } from "../../lib/project";

const USAGE = "usage: npm run kubeconfig -- <stack> [--out <file>] [--context <name>] [--stdin] [--print]";

interface KubeconfigArgs {
    stack?: string;
    out?: string;
    context?: string;
    stdin: boolean;
    print: boolean;
}

function parseArgs(argv: readonly string[]): KubeconfigArgs {
    const args: KubeconfigArgs = { stdin: false, print: false };
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--out" || arg === "--context") {
            const value = argv[++i];
            if (value === undefined || value.startsWith("--")) throw new StackCommandError(`kubeloom: ${arg} needs a value; ${USAGE}`, EXIT_USAGE);
            if (arg === "--out") args.out = value;
            else args.context = value;
        } else if (arg === "--stdin") args.stdin = true;
        else if (arg === "--print") args.print = true;
        else if (arg.startsWith("-")) throw new StackCommandError(`kubeloom: unknown option ${arg}; ${USAGE}`, EXIT_USAGE);
        else positional.push(arg);
    }
    if (positional.length > 1 || (positional.length === 0 && !args.stdin)) throw new StackCommandError(`kubeloom: name one stack; ${USAGE}`, EXIT_USAGE);
    args.stack = positional[0];
    return args;
}

/** The `kubeconfigs` map from `pulumi stack output --json --show-secrets` text. */
function kubeconfigsFromJson(text: string): Record<string, string> {
    let outputs: unknown;
    try {
        outputs = JSON.parse(text);
    } catch {
        throw new StackCommandError("kubeloom: stdin is not JSON; pipe in: pulumi stack output --json --show-secrets", EXIT_USAGE);
    }
    const kubeconfigs = (outputs as Record<string, unknown> | null)?.kubeconfigs;
    if (kubeconfigs === "[secret]") throw new StackCommandError("kubeloom: the kubeconfigs output is masked; add --show-secrets to pulumi stack output", EXIT_USAGE);
    if (kubeconfigs === null || typeof kubeconfigs !== "object" || Array.isArray(kubeconfigs)) {
        throw new StackCommandError("kubeloom: the JSON has no kubeconfigs map; is this the output of a Kubeloom stack?", EXIT_USAGE);
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
        throw new StackCommandError(`kubeloom: cannot read the outputs of stack ${stack}: ${pulumiErrorLine(error)}`, 1);
    }
    if (!outputs.kubeconfigs) throw new StackCommandError(`kubeloom: stack ${stack} has no kubeconfigs output yet; run npm run up -- ${stack} first`, 1);
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
    const args = parseArgs(process.argv.slice(2));
    let kubeconfigs: Record<string, string>;
    if (args.stdin) {
        if (process.stdin.isTTY) throw new StackCommandError("kubeloom: --stdin reads JSON from a pipe: pulumi stack output --json --show-secrets | npm run kubeconfig -- --stdin", EXIT_USAGE);
        kubeconfigs = kubeconfigsFromJson(fs.readFileSync(0, "utf8"));
    } else {
        kubeconfigs = await kubeconfigsFromStack(args.stack!);
    }
    let merged;
    try {
        merged = mergeKubeconfigs(kubeconfigs, { currentContext: args.context });
    } catch (error) {
        if (error instanceof KubeconfigMergeError) throw new StackCommandError(`kubeloom: ${error.message}`, EXIT_USAGE);
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

runCli(main);
