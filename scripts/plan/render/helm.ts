/**
 * Pieces of a `helm template` call: which binary, where the chart is, and the argv (only flags real Helm 3 has, so
 * real Helm and an offline stand-in take the same command line). Charts are always local, verified archives from
 * the artifact store (lib/artifacts: mirror, cache, or a download checked against artifacts.lock.json); nothing is
 * rendered with `--repo`, which would fetch a chart nothing verifies.
 */
import { ArtifactStore, artifactStore, artifactStoreOptionsFromEnv } from "../../../lib/artifacts";

/** One Helm release to render, as the plan records it. */
export interface ReleaseToRender {
    readonly release: string;
    readonly chart: string;
    readonly version: string;
    readonly namespace: string;
    /** Chart repository URL (repositoryOpts.repo), for messages; the chart itself always comes from the artifact store. */
    readonly repo?: string;
}

/** Where the chart is on disk: a .tgz (cache or mirror) or an unpacked directory (mirror). */
export type ChartLocation = { readonly local: string };

/** What the render needs from the environment. */
export interface RenderEnvironment {
    /** The helm binary: $KUBELOOM_HELM, else `helm` on PATH. */
    readonly helm: string;
    /** $KUBELOOM_CHARTS_DIR: a mirror of charts as <chart>-<version>.tgz or <chart>-<version>/. @default - none: cache, else download */
    readonly chartsDir?: string;
}

const stores = new Map<string, ArtifactStore>();

/** The artifact store a render uses: the process's, or one whose chart mirror is `chartsDir`. */
function storeFor(chartsDir: string | undefined): ArtifactStore {
    if (chartsDir === undefined || chartsDir === artifactStore().options.chartsMirror) return artifactStore();
    let store = stores.get(chartsDir);
    if (!store) {
        store = new ArtifactStore({ ...artifactStoreOptionsFromEnv(), chartsMirror: chartsDir });
        stores.set(chartsDir, store);
    }
    return store;
}

/**
 * The release's chart on disk: from the mirror (`chartsDir`, else $KUBELOOM_CHARTS_DIR), the cache, or a verified
 * download. Fails with one line naming the chart, why it is not obtainable and how to provide it; a version
 * missing from artifacts.lock.json is an error too (Kubeloom renders only locked charts).
 */
export async function chartLocation(release: ReleaseToRender, chartsDir: string | undefined): Promise<ChartLocation> {
    const store = storeFor(chartsDir);
    const result = await store.obtain({ kind: "chart", chart: release.chart, version: release.version });
    if (!result.ok) throw new Error(`release ${release.release}: ${result.name} is not obtainable (${result.reason}); ${result.howToProvide}`);
    return { local: result.path };
}

/** The argv (after the binary) of `helm template` for one release. */
export function helmTemplateArgs(
    release: ReleaseToRender,
    location: ChartLocation,
    valuesFile: string,
    kubeVersion: string,
    apiVersions: readonly string[],
): string[] {
    return [
        "template",
        release.release,
        location.local,
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
