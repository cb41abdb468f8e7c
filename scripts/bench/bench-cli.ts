/**
 * `npm run bench [-- --quick] [--runs <n>] [--command-runs <n>] [--out <file>]`
 *
 * Times the offline plan at growing size — the real `dev` stack, 1/10/50/200 vClusters on one K3s cluster, and
 * 2/5/10/20 kind clusters in a full Cluster Mesh — two ways: in-process (planStack + serialisation in this
 * process, median of --runs after a warm-up) and as a whole command (the command `npm run plan` runs, spawned
 * with `--config <generated file> --out /dev/null`, median of --command-runs). Each is set against the floor:
 * the same measurement, same config, for a program that registers nothing (scripts/bench/bench-floor.ts); and the
 * shipped stacks plain beside `--render` (render cache cold and warm) when helm runs. Writes the
 * table, the machine facts and the targets to bench/results.md. Not a test: nothing here fails on a slow run.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { planStack } from "../plan/plan-stack";
import { serializePlan } from "../plan/offline-plan";
import { emptyProgram } from "./bench-floor";
import { benchStackFile, meshBenchConfig, vclusterBenchConfig } from "./bench-configs";
import { PROJECT_DIR } from "../../lib/project";
import { CommandHelp, formatHelp } from "../common/cli";
import { suggestKey } from "../../config/config-error";

const projectDir = PROJECT_DIR;

interface BenchArgs {
    readonly runs: number;
    readonly commandRuns: number;
    readonly out: string;
    readonly quick: boolean;
}

/** One benchmark case: a stack file and the family whose growth is checked for linearity. */
interface BenchCase {
    readonly label: string;
    readonly stack: string;
    readonly configFile: string;
    readonly family?: "vclusters" | "mesh";
}

interface Timing {
    readonly planMs: number;
    readonly floorMs: number;
}

interface CaseResult {
    readonly case: BenchCase;
    readonly resources: number;
    readonly inProcess: Timing;
    readonly command: Timing;
}

/** In-process runs continue past --runs until this much time went into a case (not with --quick)... */
const IN_PROCESS_BUDGET_MS = 2_000;
/** ...or this many runs were made. */
const MAX_IN_PROCESS_RUNS = 25;

const USAGE = "usage: npm run bench -- [--quick] [--runs <n>] [--command-runs <n>] [--out <file>]";

const HELP: CommandHelp = {
    usage: USAGE,
    description: "Times the offline plan at growing size against a floor (the same runtime, an empty program) and writes bench/results.md.",
    flags: [
        ["--quick", "fewer runs (about 1 minute instead of 3)"],
        ["--runs <n>", "in-process runs per case (default 5, --quick 2)"],
        ["--command-runs <n>", "whole-command runs per case (default 5, --quick 1)"],
        ["--out <file>", "write the results here (default bench/results.md)"],
    ],
    environment: [["KUBELOOM_HELM, KUBELOOM_CHARTS_DIR", "also time the shipped stacks with --render"]],
    exitCodes: [
        [0, "measured and written"],
        [1, "bad arguments or a failed measurement"],
    ],
};

function parseArgs(argv: readonly string[]): BenchArgs {
    if (argv.includes("--help") || argv.includes("-h")) {
        process.stdout.write(formatHelp(HELP));
        process.exit(0);
    }
    const quick = argv.includes("--quick");
    const number = (flag: string, fallback: number): number => {
        const index = argv.indexOf(flag);
        if (index === -1) return fallback;
        const value = Number(argv[index + 1]);
        if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a whole number of runs\n${USAGE}`);
        return value;
    };
    const known = new Set(["--quick", "--runs", "--command-runs", "--out"]);
    argv.forEach((arg, i) => {
        if (arg.startsWith("-") && !known.has(arg)) {
            const hint = suggestKey(arg.replace(/^-+/, ""), [...known].map((k) => k.slice(2)));
            throw new Error(`unknown option ${arg}${hint ? ` (did you mean --${hint}?)` : ""}\n${USAGE}`);
        }
        if (!arg.startsWith("-") && !["--runs", "--command-runs", "--out"].includes(argv[i - 1])) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    });
    const outIndex = argv.indexOf("--out");
    if (outIndex !== -1 && !argv[outIndex + 1]) throw new Error(`--out needs a file name\n${USAGE}`);
    return {
        quick,
        runs: number("--runs", quick ? 2 : 5),
        commandRuns: number("--command-runs", quick ? 1 : 5),
        out: outIndex === -1 ? path.join(projectDir, "bench", "results.md") : path.resolve(argv[outIndex + 1]),
    };
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A clean heap before each timed run, when node runs with --expose-gc, so one run's garbage is not the next one's cost. */
function collectGarbage(): void {
    (globalThis as { gc?: () => void }).gc?.();
}

function writeCases(dir: string): BenchCase[] {
    const cases: BenchCase[] = [{ label: "dev (Pulumi.dev.yaml)", stack: "dev", configFile: path.join(projectDir, "Pulumi.dev.yaml") }];
    for (const count of [1, 10, 50, 200]) {
        const file = path.join(dir, `Pulumi.bench-vclusters-${count}.yaml`);
        fs.writeFileSync(file, benchStackFile(vclusterBenchConfig(count)));
        cases.push({ label: `${count} vCluster${count === 1 ? "" : "s"}, 1 K3s cluster`, stack: `bench-vclusters-${count}`, configFile: file, family: "vclusters" });
    }
    for (const count of [2, 5, 10, 20]) {
        const file = path.join(dir, `Pulumi.bench-mesh-${count}.yaml`);
        fs.writeFileSync(file, benchStackFile(meshBenchConfig(count)));
        cases.push({ label: `${count}-cluster kind mesh`, stack: `bench-mesh-${count}`, configFile: file, family: "mesh" });
    }
    return cases;
}

/** In-process: what scripts/plan/plan-cli.ts does before writing, with the real program or the empty one. */
async function planInProcess(benchCase: BenchCase, floor: boolean): Promise<{ ms: number; resources: number }> {
    collectGarbage();
    const start = performance.now();
    const plan = await planStack({ projectDir, stack: benchCase.stack, configFile: benchCase.configFile, program: floor ? emptyProgram : undefined });
    serializePlan(plan);
    return { ms: performance.now() - start, resources: plan.resources.length };
}

/** The command `npm run plan` runs (from package.json) and the same command with the floor script. */
function planCommands(): { plan: string; floor: string } {
    const scripts = (JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const plan = scripts.plan;
    if (!plan || !plan.includes("scripts/plan/plan-cli.ts")) {
        throw new Error(`package.json scripts.plan (${JSON.stringify(plan)}) does not run scripts/plan/plan-cli.ts; the bench cannot derive the floor command`);
    }
    return { plan, floor: plan.replace("scripts/plan/plan-cli.ts", "scripts/bench/bench-floor.ts") };
}

const shellQuote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/** Spawns `command` as npm would (shell, project dir, node_modules/.bin first on PATH); returns wall time and stderr. */
function timeCommand(command: string, args: readonly string[], extraEnv: Record<string, string> = {}): { ms: number; stderr: string } {
    const env = { ...process.env, ...extraEnv, PATH: `${path.join(projectDir, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}` };
    const line = `${command} ${args.map(shellQuote).join(" ")}`;
    const start = performance.now();
    const result = spawnSync("/bin/sh", ["-c", line], { cwd: projectDir, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const ms = performance.now() - start;
    if (result.status !== 0) throw new Error(`\`${line}\` failed (${result.signal ?? `exit ${result.status}`}):\n${result.stderr}`);
    return { ms, stderr: result.stderr };
}

function commandResources(stderr: string): number | undefined {
    const match = /: (\d+) resources →/.exec(stderr);
    return match ? Number(match[1]) : undefined;
}

async function measure(cases: readonly BenchCase[], args: BenchArgs, log: (line: string) => void): Promise<CaseResult[]> {
    // Warm-up: loads every module and fills the transpile cache, so the timed runs measure planning only.
    for (const benchCase of [cases[0], cases[cases.length - 1]]) {
        await planInProcess(benchCase, true);
        await planInProcess(benchCase, false);
    }
    const commands = planCommands();
    timeCommand(commands.floor, [cases[0].stack, "--config", cases[0].configFile, "--out", "/dev/null"]);
    const results: CaseResult[] = [];
    for (const benchCase of cases) {
        const inProcessPlan: number[] = [];
        const inProcessFloor: number[] = [];
        let resources = 0;
        // Floor and plan alternate, so a change in machine load hits both alike. Small cases are cheap: they get
        // more runs (until IN_PROCESS_BUDGET_MS is spent), which steadies the small end of the growth fit.
        const started = performance.now();
        for (let run = 0; run < args.runs || (!args.quick && run < MAX_IN_PROCESS_RUNS && performance.now() - started < IN_PROCESS_BUDGET_MS); run++) {
            inProcessFloor.push((await planInProcess(benchCase, true)).ms);
            const planned = await planInProcess(benchCase, false);
            inProcessPlan.push(planned.ms);
            resources = planned.resources;
        }
        const commandPlan: number[] = [];
        const commandFloor: number[] = [];
        const commandArgs = [benchCase.stack, "--config", benchCase.configFile, "--out", "/dev/null"];
        for (let run = 0; run < args.commandRuns; run++) {
            commandFloor.push(timeCommand(commands.floor, commandArgs).ms);
            const planned = timeCommand(commands.plan, commandArgs);
            const counted = commandResources(planned.stderr);
            if (counted !== undefined && counted !== resources) {
                throw new Error(`${benchCase.label}: the command planned ${counted} resources, in-process ${resources}`);
            }
            commandPlan.push(planned.ms);
        }
        const result: CaseResult = {
            case: benchCase,
            resources,
            inProcess: { planMs: median(inProcessPlan), floorMs: median(inProcessFloor) },
            command: { planMs: median(commandPlan), floorMs: median(commandFloor) },
        };
        log(
            `${benchCase.label.padEnd(32)} ${String(resources).padStart(5)} resources  in-process ${result.inProcess.planMs.toFixed(0).padStart(6)} ms (floor ${result.inProcess.floorMs.toFixed(0)})  command ${result.command.planMs.toFixed(0).padStart(6)} ms (floor ${result.command.floorMs.toFixed(0)})`,
        );
        results.push(result);
    }
    return results;
}

/** `npm run --silent plan -- <stack>` for every shipped stack, as the hook runs it (npm's own start included). */
function shippedStacks(): Array<{ stack: string; ms: number }> {
    const stacks = fs
        .readdirSync(projectDir)
        .map((file) => /^Pulumi\.([^.]+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
    const out = path.join(os.tmpdir(), `kubeloom-bench-hook-${process.pid}.json`);
    try {
        return stacks.map((stack) => ({ stack, ms: timeCommand("npm run --silent plan --", [stack, "--out", out]).ms }));
    } finally {
        fs.rmSync(out, { force: true });
    }
}

/** One shipped stack planned as a command without and with --render (render cache cold and warm). */
interface RenderedRow {
    readonly stack: string;
    readonly plainMs: number;
    readonly coldMs: number;
    readonly warmMs: number;
}

/**
 * The shipped stacks as the plan command, plain beside `--render`: cold (an empty render cache, every release
 * rendered by helm) and warm (every render from the cache). Runs alternate plain, cold, warm. Undefined when helm
 * (KUBELOOM_HELM, else `helm` on PATH) does not run.
 */
function renderedStacks(commandRuns: number, log: (line: string) => void): RenderedRow[] | undefined {
    const helm = process.env.KUBELOOM_HELM ?? "helm";
    if (spawnSync(helm, ["version", "--short"], { stdio: "ignore" }).status !== 0) {
        log(`bench: ${helm} does not run; rendered plans not measured (set KUBELOOM_HELM and KUBELOOM_CHARTS_DIR)`);
        return undefined;
    }
    const { plan } = planCommands();
    const warmCache = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-bench-render-"));
    try {
        return ["dev", "mesh", "chain"].map((stack) => {
            const args = [stack, "--out", "/dev/null"];
            timeCommand(plan, [...args, "--render"], { KUBELOOM_RENDER_CACHE_DIR: warmCache });
            const plain: number[] = [];
            const cold: number[] = [];
            const warm: number[] = [];
            for (let run = 0; run < commandRuns; run++) {
                plain.push(timeCommand(plan, args).ms);
                const coldCache = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-bench-render-"));
                try {
                    cold.push(timeCommand(plan, [...args, "--render"], { KUBELOOM_RENDER_CACHE_DIR: coldCache }).ms);
                } finally {
                    fs.rmSync(coldCache, { recursive: true, force: true });
                }
                warm.push(timeCommand(plan, [...args, "--render"], { KUBELOOM_RENDER_CACHE_DIR: warmCache }).ms);
            }
            const row = { stack, plainMs: median(plain), coldMs: median(cold), warmMs: median(warm) };
            log(`${`${stack} --render`.padEnd(32)} plain ${row.plainMs.toFixed(0)} ms  cold ${row.coldMs.toFixed(0)} ms  warm ${row.warmMs.toFixed(0)} ms`);
            return row;
        });
    } finally {
        fs.rmSync(warmCache, { recursive: true, force: true });
    }
}

interface LinearFit {
    /** ms per resource (least-squares slope). */
    readonly slope: number;
    readonly intercept: number;
    readonly r2: number;
    /** Marginal ms per resource of the largest step, divided by the slope fitted on the smaller cases. */
    readonly lastStepRatio: number;
}

function linearFit(points: ReadonlyArray<readonly [number, number]>): { slope: number; intercept: number; r2: number } {
    const n = points.length;
    const meanX = points.reduce((s, [x]) => s + x, 0) / n;
    const meanY = points.reduce((s, [, y]) => s + y, 0) / n;
    const sxx = points.reduce((s, [x]) => s + (x - meanX) ** 2, 0);
    const sxy = points.reduce((s, [x, y]) => s + (x - meanX) * (y - meanY), 0);
    const slope = sxy / sxx;
    const intercept = meanY - slope * meanX;
    const ssTotal = points.reduce((s, [, y]) => s + (y - meanY) ** 2, 0);
    const ssResidual = points.reduce((s, [x, y]) => s + (y - (intercept + slope * x)) ** 2, 0);
    return { slope, intercept, r2: ssTotal === 0 ? 1 : 1 - ssResidual / ssTotal };
}

function growth(results: readonly CaseResult[], pick: (r: CaseResult) => number): LinearFit {
    const points = results.map((r) => [r.resources, pick(r)] as const);
    const fit = linearFit(points);
    const [previous, last] = points.slice(-2);
    const smaller = linearFit(points.slice(0, -1));
    return { ...fit, lastStepRatio: (last[1] - previous[1]) / (last[0] - previous[0]) / smaller.slope };
}

/**
 * Linear (or better) when the largest step costs per added resource at most 1.5× what the smaller cases did:
 * quadratic work shows up there first. R² is reported, not judged: on a busy machine it mostly measures noise.
 */
const isLinear = (fit: LinearFit) => fit.lastStepRatio <= 1.5;

function growthVerdict(fit: LinearFit): string {
    return isLinear(fit) ? (fit.lastStepRatio < 0.67 ? "linear (the largest step was cheaper: noise or amortised cost)" : "linear") : "faster than linear";
}

const ms = (value: number) => value.toFixed(value < 10 ? 1 : 0);
const perResource = (value: number, resources: number) => (resources === 0 ? "–" : (value / resources).toFixed(2));
const ratio = (value: number, floor: number) => `${(value / floor).toFixed(value / floor < 10 ? 2 : 0)}×`;
const mark = (ok: boolean) => (ok ? "**met**" : "**not met**");

function report(results: readonly CaseResult[], hook: ReadonlyArray<{ stack: string; ms: number }>, rendered: readonly RenderedRow[] | undefined, args: BenchArgs, commands: { plan: string; floor: string }, startedAt: Date, wallMs: number): string {
    const cpus = os.cpus();
    const dev = results.find((r) => r.case.stack === "dev")!;
    const largest = (family: "vclusters" | "mesh") => results.filter((r) => r.case.family === family).slice(-1)[0];
    const lines: string[] = [];
    lines.push(
        "# Offline plan benchmark",
        "",
        `Written by \`npm run bench${args.quick ? " -- --quick" : ""}\` (scripts/bench/bench-cli.ts) on ${startedAt.toISOString()}; the whole run took ${(wallMs / 1000).toFixed(0)} s. Regenerate it with \`npm run bench\`; the numbers move with machine load, so compare runs from the same machine.`,
        "",
        "## Machine",
        "",
        `- CPU: ${cpus.length} core${cpus.length === 1 ? "" : "s"} (${cpus[0]?.model.trim() ?? "unknown"})`,
        `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`,
        `- Node ${process.version} on ${os.platform()} ${os.release()}`,
        "",
        "## Method",
        "",
        `- **In-process**: \`planStack\` (stack file → mocks and config → \`runOfflinePlan\` with the real program inside \`runInPulumiStack\` → plan resolution) plus \`serializePlan\`, in one process after a warm-up; median of ${args.quick ? `${args.runs} run${args.runs === 1 ? "" : "s"}` : `at least ${args.runs} runs (small cases get more, up to ${MAX_IN_PROCESS_RUNS}, until ${IN_PROCESS_BUDGET_MS / 1000} s went into the case)`}, a garbage collection before each. Plans run one after another (the Pulumi runtime holds one stack per process).`,
        `- **Whole command**: \`${commands.plan} <stack> --config <file> --out /dev/null\` (what \`npm run plan\` runs, without npm's own start), spawned from the project directory; median of ${args.commandRuns} run${args.commandRuns === 1 ? "" : "s"}.`,
        `- **Floor**: the same two measurements with the same stack file for a program that registers nothing (\`${commands.floor}\`: same stack-file reading, mocks, config, \`runInPulumiStack\` and serialisation). "× floor" is the plan's time divided by its case's floor.`,
        "- ms/resource is the case's total time divided by its resources. Floor and plan runs alternate, so load changes hit both.",
        "- vCluster cases: one K3s cluster, every vCluster exposed as a NodePort on its own port (30000 + i). Mesh cases: kind clusters, LoadBalancer apiservers through MetalLB, disjoint pod/service CIDRs and MetalLB pools, demo off (scripts/bench/bench-configs.ts).",
        "",
        "## Results",
        "",
        "| Case | Resources | In-process ms | floor ms | ms/resource | × floor | Command ms | floor ms | ms/resource | × floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const r of results) {
        lines.push(
            `| ${r.case.label} | ${r.resources} | ${ms(r.inProcess.planMs)} | ${ms(r.inProcess.floorMs)} | ${perResource(r.inProcess.planMs, r.resources)} | ${ratio(r.inProcess.planMs, r.inProcess.floorMs)} | ${ms(r.command.planMs)} | ${ms(r.command.floorMs)} | ${perResource(r.command.planMs, r.resources)} | ${ratio(r.command.planMs, r.command.floorMs)} |`,
        );
    }
    lines.push("", "## Growth", "", "Least-squares fit of time against resources per family, and the marginal cost of the largest step (ms per added resource) divided by the slope fitted on the smaller cases: about 1 for linear growth, well above 1 for quadratic work; the verdict allows up to 1.5. The in-process rows decide the target; the whole-command rows add the fixed start-up cost and its run-to-run noise, so they are shown, not judged.", "");
    lines.push("| Family | Measurement | Slope ms/resource | Intercept ms | R² | Largest step ÷ earlier slope | Growth |", "|---|---|---:|---:|---:|---:|---|");
    const fits: Array<{ family: string; fit: LinearFit }> = [];
    for (const family of ["vclusters", "mesh"] as const) {
        const members = results.filter((r) => r.case.family === family);
        for (const [name, pick] of [
            ["in-process", (r: CaseResult) => r.inProcess.planMs],
            ["whole command", (r: CaseResult) => r.command.planMs],
        ] as const) {
            const fit = growth(members, pick);
            if (name === "in-process") fits.push({ family, fit });
            lines.push(`| ${family === "vclusters" ? "vClusters (1, 10, 50, 200)" : "mesh (2, 5, 10, 20 clusters)"} | ${name} | ${fit.slope.toFixed(2)} | ${fit.intercept.toFixed(0)} | ${fit.r2.toFixed(4)} | ${fit.lastStepRatio.toFixed(2)} | ${name === "in-process" ? growthVerdict(fit) : "not judged (start-up cost and its noise included)"} |`);
        }
    }
    const vclusters = largest("vclusters");
    const mesh = largest("mesh");
    const devRatio = dev.command.planMs / dev.command.floorMs;
    const linear = fits.every(({ fit }) => isLinear(fit));
    lines.push(
        "",
        "## Targets",
        "",
        `- \`dev\` plan within 2× the floor (whole command, what a user waits for): ${ms(dev.command.planMs)} ms against a floor of ${ms(dev.command.floorMs)} ms = ${devRatio.toFixed(2)}× — ${mark(devRatio <= 2)}. In-process the floor is only the runtime's setup (${ms(dev.inProcess.floorMs)} ms, every module already loaded), so any program that registers resources is many floors (${ratio(dev.inProcess.planMs, dev.inProcess.floorMs)}); that ratio is reported, not targeted.`,
        `- 200 vClusters under 10 s: whole command ${(vclusters.command.planMs / 1000).toFixed(2)} s (${vclusters.resources} resources), in-process ${(vclusters.inProcess.planMs / 1000).toFixed(2)} s — ${mark(vclusters.command.planMs < 10_000)}.`,
        `- 20-cluster mesh under 10 s: whole command ${(mesh.command.planMs / 1000).toFixed(2)} s (${mesh.resources} resources), in-process ${(mesh.inProcess.planMs / 1000).toFixed(2)} s — ${mark(mesh.command.planMs < 10_000)}.`,
        `- Time growing linearly with resources (in-process: the largest step costs ≤ 1.5× per added resource what the smaller cases did): ${fits.map(({ family, fit }) => `${family} ${fit.slope.toFixed(2)} ms/resource, R² ${fit.r2.toFixed(3)}, step ratio ${fit.lastStepRatio.toFixed(2)}`).join("; ")} — ${mark(linear)}.`,
        "",
        "## Shipped stacks as the hook runs them",
        "",
        "`npm run --silent plan -- <stack> --out <file>`, npm's own start included, once each (the hook allows 8 s):",
        "",
        "| Stack | ms |",
        "|---|---:|",
        ...hook.map(({ stack, ms: time }) => `| ${stack} | ${time.toFixed(0)} |`),
        "",
        "## Rendered plans (`--render`)",
        "",
        ...renderedSection(rendered, args.commandRuns),
    );
    return lines.join("\n");
}

function renderedSection(rendered: readonly RenderedRow[] | undefined, commandRuns: number): string[] {
    if (!rendered) return ["Not measured: helm did not run (set `KUBELOOM_HELM` and `KUBELOOM_CHARTS_DIR`).", ""];
    const dev = rendered.find((r) => r.stack === "dev")!;
    const helm = process.env.KUBELOOM_HELM ?? "helm";
    return [
        `The plan command (\`${planCommands().plan} <stack> --out /dev/null\`) without and with \`--render\`, median of ${commandRuns} run${commandRuns === 1 ? "" : "s"} each, alternating; helm: \`${helm}\`${process.env.KUBELOOM_CHARTS_DIR ? `, charts from \`${process.env.KUBELOOM_CHARTS_DIR}\`` : ""}. **Cold**: an empty render cache (\`KUBELOOM_RENDER_CACHE_DIR\` a fresh folder), every release rendered by helm, at most 3 at a time. **Warm**: every render from the cache (the same values, chart and Kubernetes version as the run before).`,
        "",
        "| Stack | plain ms | --render cold ms | × plain | --render warm ms | × plain |",
        "|---|---:|---:|---:|---:|---:|",
        ...rendered.map((r) => `| ${r.stack} | ${r.plainMs.toFixed(0)} | ${r.coldMs.toFixed(0)} | ${(r.coldMs / r.plainMs).toFixed(2)}× | ${r.warmMs.toFixed(0)} | ${(r.warmMs / r.plainMs).toFixed(2)}× |`),
        "",
        `- Rendered \`dev\` within 2× the plain plan (whole command): cold ${(dev.coldMs / dev.plainMs).toFixed(2)}× — ${mark(dev.coldMs <= 2 * dev.plainMs)}; warm ${(dev.warmMs / dev.plainMs).toFixed(2)}× — ${mark(dev.warmMs <= 2 * dev.plainMs)}.`,
        "",
    ];
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const startedAt = new Date();
    const started = performance.now();
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-bench-"));
    try {
        const cases = writeCases(dir);
        log(`bench: ${args.runs} in-process and ${args.commandRuns} command run(s) per case${args.quick ? " (--quick)" : ""}; stack files in ${dir}`);
        const results = await measure(cases, args, log);
        log("bench: shipped stacks through npm run plan");
        const hook = shippedStacks();
        log("bench: shipped stacks with --render");
        const rendered = renderedStacks(args.commandRuns, log);
        const text = report(results, hook, rendered, args, planCommands(), startedAt, performance.now() - started);
        fs.mkdirSync(path.dirname(args.out), { recursive: true });
        fs.writeFileSync(args.out, text);
        log(`bench: wrote ${path.relative(process.cwd(), args.out) || args.out}`);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(
    () => process.exit(0),
    (error: unknown) => {
        process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    },
);
