/**
 * Pure pieces of a `helm template` call: which binary, where the chart is, and the argv (only flags real Helm 3
 * has, so real Helm and the offline stand-in in ../shared/tools/bin/helm take the same command line).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** One Helm release to render, as the plan records it. */
export interface ReleaseToRender {
    readonly release: string;
    readonly chart: string;
    readonly version: string;
    readonly namespace: string;
    /** Chart repository URL (repositoryOpts.repo), used when no local charts directory is configured. */
    readonly repo?: string;
}

/** Where the chart comes from: a local .tgz or directory, or a repository `helm template --repo` fetches from. */
export type ChartLocation = { readonly local: string } | { readonly repo: string; readonly chart: string };

/** What the render needs from the environment. */
export interface RenderEnvironment {
    /** The helm binary: $KUBELOOM_HELM, else `helm` on PATH. */
    readonly helm: string;
    /** $KUBELOOM_CHARTS_DIR: local charts as <chart>-<version>.tgz or <chart>-<version>/. */
    readonly chartsDir?: string;
}

/** Finds the chart: `<chartsDir>/<chart>-<version>.tgz`, then `<chart>-<version>/`, else the release's repository. */
export function chartLocation(release: ReleaseToRender, chartsDir: string | undefined): ChartLocation {
    if (chartsDir !== undefined) {
        const base = `${release.chart}-${release.version}`;
        for (const candidate of [path.join(chartsDir, `${base}.tgz`), path.join(chartsDir, base)]) {
            if (fs.existsSync(candidate)) return { local: candidate };
        }
        throw new Error(`KUBELOOM_CHARTS_DIR=${chartsDir} has no ${base}.tgz or ${base}/ for release ${release.release}`);
    }
    if (!release.repo) throw new Error(`release ${release.release} has no repositoryOpts.repo and KUBELOOM_CHARTS_DIR is not set`);
    return { repo: release.repo, chart: release.chart };
}

/** The argv (after the binary) of `helm template` for one release. */
export function helmTemplateArgs(
    release: ReleaseToRender,
    location: ChartLocation,
    valuesFile: string,
    kubeVersion: string,
    apiVersions: readonly string[],
): string[] {
    const chartArgs = "local" in location ? [location.local] : [location.chart, "--repo", location.repo];
    return [
        "template",
        release.release,
        ...chartArgs,
        "-n",
        release.namespace,
        "--version",
        release.version,
        "-f",
        valuesFile,
        "--kube-version",
        kubeVersion,
        ...[...apiVersions].sort().flatMap((gv) => ["-a", gv]),
        "--include-crds",
    ];
}

/** Reads the render environment from process env; the product has no default charts directory. */
export function renderEnvironment(env: NodeJS.ProcessEnv = process.env): RenderEnvironment {
    return { helm: env.KUBELOOM_HELM || "helm", chartsDir: env.KUBELOOM_CHARTS_DIR || undefined };
}
