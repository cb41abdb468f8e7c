/**
 * `npm run ci:stacks -- [--changed-since <commit>] [--stack <name>]`
 *
 * Prints the stacks a CI job should run for as a JSON array, and writes `stacks=<json>` to $GITHUB_OUTPUT when
 * set (for a job matrix). `--stack` (manual dispatch) selects exactly that stack; `--changed-since` selects the
 * stacks changed since that commit (all of them when code changed, or when the commit is unknown, e.g. the first
 * push of a branch); neither selects every stack. Empty values count as not given. Exit 2 on errors.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { STACK_NAME, stacksToDeploy } from "./ci-stacks";
import { CliError, CommandHelp, EXIT, parseCliArgs, runMain } from "../common/cli";
import { stacksInDir } from "../diff/base-worktree";
import { PROJECT_DIR } from "../../lib/project";

const HELP: CommandHelp = {
    usage: "usage: npm run ci:stacks -- [--changed-since <commit>] [--stack <name>]",
    description: "Prints the stacks a CI job should run for as a JSON array (and writes stacks=<json> to $GITHUB_OUTPUT when set).",
    flags: [
        ["--changed-since <commit>", "the stacks changed since that commit (all of them when code changed or the commit is unknown)"],
        ["--stack <name>", "exactly that stack (manual dispatch)"],
    ],
    exitCodes: [
        [EXIT.ok, "printed"],
        [EXIT.invalid, "bad arguments, an unknown stack, a git failure"],
    ],
};

function fail(message: string): never {
    throw new CliError(`ci:stacks: ${message}`, EXIT.invalid);
}

function changedFiles(projectDir: string, since: string): string[] | undefined {
    if (/^0+$/.test(since)) return undefined;
    const known = spawnSync("git", ["cat-file", "-e", `${since}^{commit}`], { cwd: projectDir, stdio: "ignore" });
    if (known.status !== 0) return undefined;
    const diff = spawnSync("git", ["diff", "--name-only", "--relative", since, "HEAD"], { cwd: projectDir, encoding: "utf8" });
    if (diff.status !== 0) fail(`git diff ${since} HEAD failed: ${diff.stderr.trim()}`);
    return diff.stdout.split("\n").filter(Boolean);
}

async function main(): Promise<number> {
    const { values } = parseCliArgs<{ stack?: string; "changed-since"?: string }>(
        process.argv.slice(2),
        { stack: { type: "string" }, "changed-since": { type: "string" } },
        HELP,
        "ci:stacks",
    );
    const projectDir = PROJECT_DIR;
    const all = stacksInDir(projectDir);
    // Empty values count as not given: a workflow passes an unset input as "".
    const stack = values.stack?.trim() || undefined;
    const since = values["changed-since"]?.trim() || undefined;
    let stacks: string[];
    if (stack !== undefined) {
        if (!STACK_NAME.test(stack)) fail(`--stack "${stack}" is not a stack name (letters, digits, ".", "_", "-")`);
        if (!all.includes(stack)) fail(`--stack ${stack}: no Pulumi.${stack}.yaml (stacks: ${all.join(", ") || "none"})`);
        stacks = [stack];
    } else if (since !== undefined) {
        const files = changedFiles(projectDir, since);
        if (files === undefined) process.stderr.write(`ci:stacks: ${since} is not a known commit; selecting every stack\n`);
        stacks = files === undefined ? all : stacksToDeploy(files, all);
    } else {
        stacks = all;
    }
    const invalid = stacks.filter((s) => !STACK_NAME.test(s));
    if (invalid.length > 0) fail(`stack file names that are not stack names: ${invalid.join(", ")}`);
    const json = JSON.stringify(stacks);
    process.stdout.write(`${json}\n`);
    if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, `stacks=${json}\n`);
    return EXIT.ok;
}

runMain("ci:stacks", main);
