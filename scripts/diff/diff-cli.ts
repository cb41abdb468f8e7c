/**
 * `npm run plan:diff -- <stack>... | --all [--base <ref>] [--render] [--format markdown|json] [--out <file>]
 *   [--exit-zero] [--step-summary] [--project <dir>]`
 *
 * Plans each stack offline twice — at the base ref (in a temporary git worktree) and in the working tree — and
 * reports what changed: Markdown by default, the same data as JSON with `--format json`. Needs no Pulumi CLI and
 * no credentials, so it also runs for pull requests from forks. With `--render` both sides are planned with
 * `plan --render` (KUBELOOM_HELM / KUBELOOM_CHARTS_DIR as there), so each release's rendered objects are compared
 * and the head's pre-flight findings listed; a base whose plan has no --render is planned without it. Secrets never appear: the plans hold
 * placeholders, and `secure:` config is compared by ciphertext and reported only as changed / unchanged.
 *
 * Versions that cannot be reached from the base's in one step (a Cilium or K3s minor skipped, a vCluster 0.20 tenant
 * moved to 0.36, a minor downgrade; config/upgrade-rules.ts) are listed in the report and on stderr, each with its
 * config key, and make the exit code 2 whatever else changed: the base is what a deployment from it runs.
 *
 * Exit codes: 0 no changes, 1 changes (0 with --exit-zero, for CI jobs that only comment), 2 error or a refused
 * upgrade step (also with --exit-zero).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import type { OfflinePlan } from "../plan/offline-plan";
import { diffPlans, planDiffReport, PlanDiffReport, RefusedUpgrade, StackDiff } from "./plan-diff";
import { stackUpgradeIssues } from "./upgrade-steps";
import { stackShapeChanges } from "./deployed-shape";
import { parseStackFile } from "../plan/stack-file";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { clusterOrderFromRaw } from "../../config/upgrade-rules";
import { parseStackConfig } from "../../config/parse";
import { ConfigError } from "../../config/config-error";
import type { StackConfig } from "../../config/schema";
import { compareSecureConfig } from "./secure-config";
import { sortKeys } from "./value-diff";
import { renderMarkdown } from "./plan-diff-markdown";
import { diffDiagram } from "./diff-diagram";
import { BaseWorktree, fileAtCommit, PlanDiffError, repoLayout, resolveBaseRef, stacksAtCommit, stacksInDir } from "./base-worktree";
import { PROJECT_DIR } from "../../lib/project";
import { CommandHelp, EXIT, parseCliArgs, runMain } from "../common/cli";

const HELP: CommandHelp = {
    usage: "usage: npm run plan:diff -- <stack>... | --all [--base <git ref>] [--render] [--format markdown|json] [--out <file>] [--full-out <file>] [--exit-zero] [--step-summary] [--project <dir>]",
    description: [
        "Plans each stack offline twice — at the base ref (in a temporary git worktree) and in the working tree — and reports",
        "what changed: security warnings first, replacements marked, a Mermaid diagram of the platform with the change marked,",
        "rendered objects collapsed per release. Needs no Pulumi CLI and no credentials.",
    ].join("\n"),
    flags: [
        ["<stack>... | --all", "the stacks to compare (--all: every Pulumi.<stack>.yaml on either side)"],
        ["--base <git ref>", "compare against this ref (default: origin/main, else main, else HEAD)"],
        ["--render", "plan both sides with `plan --render`: compare rendered objects, list the head's pre-flight"],
        ["--format markdown|json", "the report's format (default markdown; json has every field)"],
        ["--out <file>", "write the report to <file> instead of stdout (Markdown trimmed to fit a PR comment)"],
        ["--full-out <file>", "also write the untrimmed Markdown report to <file> (the CI artifact a trimmed comment points to)"],
        ["--exit-zero", "exit 0 when there are changes (for jobs that only comment)"],
        ["--step-summary", "append the Markdown to $GITHUB_STEP_SUMMARY"],
        ["--project <dir>", "the project directory (default: this checkout)"],
    ],
    environment: [
        ["KUBELOOM_HELM, KUBELOOM_CHARTS_DIR", "--render: as for `npm run plan`"],
        ["GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID", "set by GitHub Actions: a trimmed comment links to the run's artifact"],
    ],
    exitCodes: [
        [EXIT.ok, "no changes (or changes with --exit-zero)"],
        [EXIT.failed, "changes found"],
        [EXIT.invalid, "an error, or an upgrade step Kubeloom refuses (also with --exit-zero)"],
    ],
};
const USAGE = `${HELP.usage} (--help: flags and exit codes)`;

interface DiffArgs {
    stacks: string[];
    all: boolean;
    render: boolean;
    base?: string;
    format: "markdown" | "json";
    out?: string;
    fullOut?: string;
    exitZero: boolean;
    stepSummary: boolean;
    project?: string;
}

function parseDiffArgs(argv: readonly string[]): DiffArgs {
    const { values, positionals } = parseCliArgs<{ all?: boolean; render?: boolean; base?: string; format?: string; out?: string; "full-out"?: string; project?: string; "exit-zero"?: boolean; "step-summary"?: boolean }>(
        argv,
        {
            all: { type: "boolean" },
            render: { type: "boolean" },
            base: { type: "string" },
            format: { type: "string" },
            out: { type: "string" },
            "full-out": { type: "string" },
            project: { type: "string" },
            "exit-zero": { type: "boolean" },
            "step-summary": { type: "boolean" },
        },
        HELP,
        "plan:diff",
    );
    const format = values.format ?? "markdown";
    if (format !== "markdown" && format !== "json") throw new PlanDiffError(`plan:diff: --format: "${format}" is not markdown or json`);
    const args: DiffArgs = {
        stacks: [...positionals],
        all: values.all ?? false,
        render: values.render ?? false,
        base: values.base,
        format,
        out: values.out,
        fullOut: values["full-out"],
        project: values.project,
        exitZero: values["exit-zero"] ?? false,
        stepSummary: values["step-summary"] ?? false,
    };
    if (args.all === (args.stacks.length > 0)) throw new PlanDiffError(`plan:diff: name the stacks or pass --all (not both)\n${USAGE}`);
    return args;
}

function projectName(projectDir: string): string {
    const file = path.join(projectDir, "Pulumi.yaml");
    if (!fs.existsSync(file)) throw new PlanDiffError(`no Pulumi.yaml in ${projectDir}`);
    const name = (parse(fs.readFileSync(file, "utf8")) as { name?: unknown } | null)?.name;
    if (typeof name !== "string") throw new PlanDiffError(`${file} has no project name`);
    return name;
}

/** Exit code of `npm run plan --render` when pre-flight found an error: the plan is still written (scripts/common/cli.ts). */
const PLAN_PREFLIGHT_EXIT = EXIT.preflight;

/**
 * Plans one stack in its own process (the Pulumi runtime holds one stack per process), with the plan script of
 * that checkout, so the base is planned by the base's code. `render`: with `--render`; a pre-flight error (exit 3)
 * still gives a plan, whose findings the report lists.
 */
function planInChild(side: string, projectDir: string, stack: string, outFile: string, render = false): Promise<OfflinePlan> {
    return new Promise((resolve, reject) => {
        // That checkout's own `npm run plan` (its package.json knows where its plan script lives).
        const child = spawn("npm", ["run", "--silent", "plan", "--", stack, "--out", outFile, ...(render ? ["--render"] : [])], {
            cwd: projectDir,
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", (error) => reject(new PlanDiffError(`${side}: cannot start the plan of ${stack}: ${error.message}`)));
        child.on("close", (code, signal) => {
            if (code !== 0 && !(render && code === PLAN_PREFLIGHT_EXIT && fs.existsSync(outFile))) {
                const detail = stderr.trim() ? `\n${stderr.trim()}` : "";
                reject(new PlanDiffError(`${side}: the offline plan of ${stack} failed (${signal ?? `exit ${code}`})${detail}`));
                return;
            }
            try {
                resolve(JSON.parse(fs.readFileSync(outFile, "utf8")) as OfflinePlan);
            } catch (error) {
                reject(new PlanDiffError(`${side}: the plan of ${stack} is not readable JSON (${(error as Error).message})`));
            }
        });
    });
}

/** Whether a checkout's plan CLI knows --render (older bases do not: their plan is compared without objects). */
function planSupportsRender(projectDir: string): boolean {
    const cli = path.join(projectDir, "scripts", "plan", "plan-cli.ts");
    return fs.existsSync(cli) && fs.readFileSync(cli, "utf8").includes("--render");
}

/** Whether a package.json text defines the `plan` npm script (the offline plan). */
function hasPlanScript(packageJson: string | null): boolean {
    if (packageJson === null) return false;
    try {
        const scripts = (JSON.parse(packageJson) as { scripts?: Record<string, unknown> }).scripts;
        return typeof scripts?.plan === "string";
    } catch {
        return false;
    }
}

/** Runs the jobs with at most `limit` at a time (each plan is a Node process); null jobs give null. */
async function runLimited<T>(jobs: ReadonlyArray<(() => Promise<T>) | null>, limit: number): Promise<Array<T | null>> {
    const results: Array<T | null> = jobs.map(() => null);
    let next = 0;
    const worker = async () => {
        while (next < jobs.length) {
            const index = next++;
            const job = jobs[index];
            if (job) results[index] = await job();
        }
    };
    await Promise.all(Array.from({ length: limit }, worker));
    return results;
}

/**
 * The head stack file, parsed as the program parses it. Its plan succeeded, so the real program found it valid; a
 * project whose `npm run plan` is not Kubeloom's (a test fixture) may not be, and then the guard rails are skipped
 * with a line saying so.
 */
function headStackConfig(text: string, project: string, stack: string, log: (line: string) => void): StackConfig | undefined {
    const file = parseStackFile(text, project);
    try {
        return parseStackConfig(rawConfigFromPulumi(file.config), { stackName: stack, secretKeys: file.secretKeys.map((key) => key.slice(key.indexOf(":") + 1)) });
    } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        log(`${stack}: the stack file is not a Kubeloom config this code reads; destructive changes not checked`);
        return undefined;
    }
}

async function main(): Promise<number> {
    const args = parseDiffArgs(process.argv.slice(2));
    const projectDir = path.resolve(args.project ?? PROJECT_DIR);
    const project = projectName(projectDir);
    const layout = repoLayout(projectDir);
    const base = resolveBaseRef(projectDir, args.base);
    const log = (line: string) => process.stderr.write(`plan:diff: ${line}\n`);

    const stacks = args.all ? [...new Set([...stacksInDir(projectDir), ...stacksAtCommit(projectDir, layout, base.commit)])].sort() : args.stacks;
    const sides = stacks.map((stack) => {
        const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
        const headText = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
        const baseText = fileAtCommit(projectDir, layout, base.commit, `Pulumi.${stack}.yaml`);
        if (headText === null && baseText === null) throw new PlanDiffError(`no Pulumi.${stack}.yaml in the working tree or at ${base.ref}`);
        return { stack, headText, baseText };
    });

    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-plans-"));
    let worktree: BaseWorktree | undefined;
    const cleanUp = () => {
        worktree?.remove();
        fs.rmSync(scratch, { recursive: true, force: true });
    };
    const onSignal = (signal: NodeJS.Signals) => {
        cleanUp();
        process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const diffs: StackDiff[] = [];
    const refused: RefusedUpgrade[] = [];
    const refusedChanges: RefusedUpgrade[] = [];
    const allowedChanges: RefusedUpgrade[] = [];
    const steps: Array<{ stack: string; note: string }> = [];
    try {
        if (sides.some((s) => s.baseText !== null)) {
            if (!hasPlanScript(fileAtCommit(projectDir, layout, base.commit, "package.json"))) {
                throw new PlanDiffError(`${base.ref} has no \`npm run plan\` script, so it cannot be planned offline; pass a newer --base`);
            }
            log(`checking out ${base.ref} (${base.commit.slice(0, 12)}) in a temporary worktree`);
            worktree = BaseWorktree.create(projectDir, layout, base.commit);
            worktree.installDependencies(projectDir, log);
        }
        const jobs = sides.flatMap(({ stack, headText, baseText }) => [
            baseText === null ? null : () => planInChild(`base ${base.ref}`, worktree!.projectDir, stack, path.join(scratch, `${stack}.base.json`), args.render && planSupportsRender(worktree!.projectDir)),
            headText === null ? null : () => planInChild("working tree", projectDir, stack, path.join(scratch, `${stack}.head.json`), args.render),
        ]);
        const plans = await runLimited(jobs, Math.max(1, Math.min(4, os.cpus().length)));
        sides.forEach(({ stack, headText, baseText }, i) => {
            const planned = diffPlans({ stack, base: plans[2 * i], head: plans[2 * i + 1], secrets: compareSecureConfig(baseText, headText, project) });
            const diagram = planned.changed ? diffDiagram({ stack, project, baseText, headText, diff: planned }) : undefined;
            const diff: StackDiff = diagram ? { ...planned, diagram } : planned;
            log(diff.changed ? diff.headline : `${diff.headline} (no changes)`);
            diffs.push(diff);
            // The head plan succeeded, so its stack file parses; only the cluster order (for key paths) is read here.
            const order = headText === null ? [] : clusterOrderFromRaw(rawConfigFromPulumi(parseStackFile(headText, project).config));
            const upgrade = stackUpgradeIssues({ stack, baseRef: base.ref, base: plans[2 * i], head: plans[2 * i + 1], order });
            if (upgrade.note) log(upgrade.note);
            refused.push(...upgrade.issues.map((issue) => ({ stack, ...issue })));
            const headConfig = headText === null || plans[2 * i + 1] === null ? undefined : headStackConfig(headText, project, stack, log);
            const guard = headConfig ? stackShapeChanges(plans[2 * i], headConfig) : { refused: [], overridden: [], notes: [] };
            refusedChanges.push(...guard.refused.map((issue) => ({ stack, ...issue })));
            allowedChanges.push(...guard.overridden.map((issue) => ({ stack, ...issue })));
            steps.push(...guard.notes.map((note) => ({ stack, note })));
        });
    } finally {
        cleanUp();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }

    const report: PlanDiffReport = planDiffReport({ ref: base.ref, commit: base.commit }, diffs, refused, { refusedChanges, allowedDestructiveChanges: allowedChanges, steps });
    const markdown = renderMarkdown(report, { fullReport: fullReportPointer(args) });
    if (args.fullOut) fs.writeFileSync(args.fullOut, renderMarkdown(report, { maxChars: Number.POSITIVE_INFINITY }));
    const text = args.format === "json" ? `${JSON.stringify(sortKeys(report), null, 2)}\n` : markdown;
    if (args.out) fs.writeFileSync(args.out, text);
    else process.stdout.write(text);
    if (args.stepSummary) {
        const summary = process.env.GITHUB_STEP_SUMMARY;
        if (summary) fs.appendFileSync(summary, markdown);
        else log("--step-summary: GITHUB_STEP_SUMMARY is not set; skipped");
    }
    if (refused.length > 0) {
        process.stderr.write(`plan:diff: upgrade steps refused (from ${base.ref}):\n${refused.map((r) => `  - Pulumi.${r.stack}.yaml: ${r.path}: ${r.message}`).join("\n")}\n`);
    }
    for (const allowed of allowedChanges) log(`destructive change allowed: Pulumi.${allowed.stack}.yaml: ${allowed.path}: ${allowed.message}`);
    if (refusedChanges.length > 0) {
        process.stderr.write(`plan:diff: destructive changes refused (from ${base.ref}):\n${refusedChanges.map((r) => `  - Pulumi.${r.stack}.yaml: ${r.path}: ${r.message}`).join("\n")}\n`);
    }
    if (refused.length > 0 || refusedChanges.length > 0) return EXIT.invalid;
    return report.changed && !args.exitZero ? 1 : 0;
}

/** Where a trimmed comment's reader finds the whole report: the CI run's artifact, else the local command. */
function fullReportPointer(args: DiffArgs): string | undefined {
    const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = process.env;
    if (server && repository && run && args.fullOut) return `the \`plan-diff\` artifact (${path.basename(args.fullOut)}) of [this workflow run](${server}/${repository}/actions/runs/${run})`;
    return undefined;
}

// 1 is "changes found" here, so an unexpected failure must not look like one.
runMain("plan:diff", main, { unexpectedExitCode: EXIT.invalid });
