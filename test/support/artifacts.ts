/**
 * Upstream artifacts for tests, through the project's one artifact store (lib/artifacts): `needChart`,
 * `needChartFile`, `needCrd`, `needK3sInstaller`, `needHelm` return what a test needs, or skip the running test.
 * The run then ends with one line per missing kind saying how to provide it (test/support/artifact-hooks.ts), and
 * with CI=true that summary is a failure: a test skipped for want of an artifact must never hide one in CI.
 * Nothing here prints a stack trace for a missing artifact.
 */
import { execFileSync } from "node:child_process";
import { ArtifactFound, ArtifactMissing, HOW_TO_PROVIDE, MissingKind, locateChart, locateCrd, locateK3sInstaller, projectArtifactLock, readChartFile } from "../../lib/artifacts";

/** What a run skipped, per kind: how many tests, and the first reason seen. */
const skipped = new Map<MissingKind, { tests: Set<string>; reason: string; howToProvide: string }>();

/**
 * The test or hook mocha is running, so a helper called without a Mocha context can skip it: recorded by wrapping
 * Runnable#run once (mocha has no public "current runnable"; tests and hooks are both Runnables).
 */
let running: Mocha.Runnable | undefined;
{
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Runnable = require("mocha/lib/runnable") as { prototype: { run: (this: Mocha.Runnable, fn: (err?: unknown) => void) => void; __kubeloomTracked?: boolean } };
    if (!Runnable.prototype.__kubeloomTracked) {
        const run = Runnable.prototype.run;
        Runnable.prototype.run = function (this: Mocha.Runnable, fn: (err?: unknown) => void) {
            running = this;
            return run.call(this, (err?: unknown) => {
                if (running === this) running = undefined;
                fn(err);
            });
        };
        Runnable.prototype.__kubeloomTracked = true;
    }
}

/** Whether this run is CI (`CI=true`, as GitHub Actions and .ci/run set it). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
    return env.CI === "true" || env.CI === "1";
}

/** A missing artifact, stripped to what the summary needs. */
export type Missing = Pick<ArtifactMissing, "missingKind" | "reason" | "howToProvide"> & { readonly name: string };

/**
 * Records `missing` and skips: the given Mocha context (tests and hooks), else the running test or hook. Never returns.
 * Outside any test (a describe body) it throws one line instead.
 */
export function skipForMissing(missing: Missing, ctx?: Mocha.Context): never {
    const title = ctx?.currentTest?.fullTitle() ?? ctx?.test?.fullTitle() ?? running?.fullTitle() ?? missing.name;
    const entry = skipped.get(missing.missingKind) ?? { tests: new Set<string>(), reason: `${missing.name}: ${missing.reason}`, howToProvide: missing.howToProvide };
    entry.tests.add(title);
    skipped.set(missing.missingKind, entry);
    if (ctx) ctx.skip();
    // Runnable#skip marks the test (or hook: its suite's tests) pending and throws mocha's Pending, as this.skip() does.
    if (running) running.skip();
    throw new SkippedForMissingArtifact(missing);
}

/** Thrown to leave a test skipped for a missing artifact; its stack is its message (no trace in reports). */
export class SkippedForMissingArtifact extends Error {
    constructor(missing: Missing) {
        super(`${missing.name} is not obtainable: ${missing.reason}; ${missing.howToProvide}`);
        this.stack = this.message;
    }
}

/** One line per kind that made tests skip, e.g. "skipped 12 tests needing charts: …; provide: …". */
export function missingArtifactSummary(): string[] {
    return [...skipped.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, { tests, reason, howToProvide }]) => `skipped ${tests.size} test${tests.size === 1 ? "" : "s"} or hook${tests.size === 1 ? "" : "s"} needing ${kind} (${reason}); to provide: ${howToProvide}`);
}

function need(result: ReturnType<typeof locateChart>, ctx?: Mocha.Context): ArtifactFound {
    if (!result.ok) skipForMissing(result, ctx);
    return result;
}

/** A chart release (archive, or an unpacked mirror directory), or the test skips. */
export function needChart(chart: string, version: string, ctx?: Mocha.Context): ArtifactFound {
    return need(locateChart(chart, version), ctx);
}

/** A file inside a chart release ("values.schema.json", "values.yaml"), or the test skips; throws if the chart lacks it. */
export function needChartFile(chart: string, version: string, file: string, ctx?: Mocha.Context): Buffer {
    const found = needChart(chart, version, ctx);
    const content = readChartFile(found, file);
    if (!content) throw new Error(`${found.name} (${found.path}) has no ${file}`);
    return content;
}

/** A CRD file of a set at a release (`crd`: kind or plural), or the test skips. */
export function needCrd(set: string, version: string, crd: string, ctx?: Mocha.Context): ArtifactFound {
    return need(locateCrd(set, version, crd), ctx);
}

/** The locked K3s installer, or the test skips. */
export function needK3sInstaller(ctx?: Mocha.Context): ArtifactFound {
    return need(locateK3sInstaller(), ctx);
}

/** The helm binary ($KUBELOOM_HELM, else `helm` on PATH) when it runs, else the test skips. */
export function helmBinary(): string {
    return process.env.KUBELOOM_HELM || "helm";
}

let helmWorks: boolean | undefined;

/** The helm binary when it runs (checked once per run), or the test skips naming KUBELOOM_HELM. */
export function needHelm(ctx?: Mocha.Context): string {
    const helm = helmBinary();
    if (helmWorks === undefined) {
        try {
            execFileSync(helm, ["version", "--short"], { stdio: "ignore", timeout: 20_000 });
            helmWorks = true;
        } catch {
            helmWorks = false;
        }
    }
    if (!helmWorks) skipForMissing({ name: `helm (${helm})`, missingKind: "helm", reason: "does not run", howToProvide: HOW_TO_PROVIDE.helm }, ctx);
    return helm;
}

/**
 * What a test that renders needs: a helm that runs and every locked chart obtainable; else the test skips. The
 * result is a render environment using the process's artifact store (mirror variables, cache).
 */
export function needRenderEnvironment(ctx?: Mocha.Context): { readonly helm: string; readonly chartsDir: undefined } {
    const helm = needHelm(ctx);
    for (const chart of projectArtifactLock().charts) needChart(chart.chart, chart.version, ctx);
    return { helm, chartsDir: undefined };
}
