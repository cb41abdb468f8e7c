/**
 * Kubeloom's upstream artifacts (chart archives, CRD files, the K3s installer): the public API every layer and the
 * tests use. Each artifact is pinned in `artifacts.lock.json` and obtained by one store:
 *
 *   1. a local **mirror** folder, when configured, used as it is (an offline machine's copy of upstream);
 *   2. else the **user cache** (verified when written; a hit costs one sha256);
 *   3. else an **HTTPS download** (bounded connect and total time) verified against the lock, then cached.
 *
 * Environment (the mirror variables; `.ci/run` maps the workplace mirror onto them):
 *   - `KUBELOOM_CHARTS_DIR`     mirror of charts: `<chart>-<version>.tgz` or an unpacked `<chart>-<version>/`;
 *   - `KUBELOOM_CRDS_DIR`       mirror of CRDs: `<set>-<version>.<plural>.crd.yaml` (`KUBELOOM_SCHEMAS_DIR`, its
 *                               earlier name, is still read when `KUBELOOM_CRDS_DIR` is unset);
 *   - `KUBELOOM_K3S_INSTALLER`  mirror copy of the locked `install.sh` (a file);
 *   - `KUBELOOM_CACHE_DIR`      the cache folder, default `$XDG_CACHE_HOME/kubeloom` or `~/.cache/kubeloom`
 *                               (`~/Library/Caches/kubeloom` on macOS, `%LOCALAPPDATA%\kubeloom` on Windows);
 *   - `KUBELOOM_OFFLINE=1`      never download (mirror and cache only).
 *
 * Sync `locate*` never touches the network; async `obtain*` may download. A missing artifact is a value
 * (`{ ok: false, missingKind, reason, howToProvide }`) that tests turn into one skip line (a failure under CI=true,
 * see test/support/artifacts.ts); a digest mismatch is an ArtifactIntegrityError.
 *
 * Chart values schemas and default values are read from inside the chart (`readChartFile(chart,
 * "values.schema.json")`), never from a separate copy.
 */
import * as os from "node:os";
import * as path from "node:path";
import { projectArtifactLock } from "./lock";
import { ArtifactStore } from "./store";
import type { ArtifactFound, ArtifactRef, ArtifactResult, ArtifactStoreOptions } from "./store";

export { ARTIFACT_LOCK_FILE, parseArtifactLock, projectArtifactLock } from "./lock";
export type { ArtifactLock, LockedChart, LockedCrd, LockedK3sInstaller } from "./lock";
export { ArtifactIntegrityError, ArtifactStore, HOW_TO_PROVIDE, artifactName, gitBlobId, sha256Hex } from "./store";
export type { ArtifactFound, ArtifactMissing, ArtifactRef, ArtifactResult, ArtifactSource, ArtifactStoreOptions, MissingKind } from "./store";
export { DownloadError, download, probeNetwork } from "./download";
export type { DownloadOptions } from "./download";
export { readTar, readTarGz } from "./tar";

/** The standard per-user cache folder for Kubeloom's artifacts on this platform (before KUBELOOM_CACHE_DIR). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
    if (platform === "darwin") return path.join(home, "Library", "Caches", "kubeloom");
    if (platform === "win32") return path.join(env.LOCALAPPDATA || path.join(home, "AppData", "Local"), "kubeloom");
    return path.join(env.XDG_CACHE_HOME || path.join(home, ".cache"), "kubeloom");
}

/** Store options from the environment variables above (empty values count as unset). */
export function artifactStoreOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactStoreOptions {
    return {
        lock: projectArtifactLock(),
        chartsMirror: env.KUBELOOM_CHARTS_DIR || undefined,
        crdsMirror: env.KUBELOOM_CRDS_DIR || env.KUBELOOM_SCHEMAS_DIR || undefined,
        k3sInstallerMirror: env.KUBELOOM_K3S_INSTALLER || undefined,
        cacheDir: env.KUBELOOM_CACHE_DIR || defaultCacheDir(env),
        offline: env.KUBELOOM_OFFLINE === "1" || env.KUBELOOM_OFFLINE === "true",
    };
}

let defaultStore: ArtifactStore | undefined;

/** The process's store, configured from the environment on first use (one network probe per process). */
export function artifactStore(): ArtifactStore {
    defaultStore ??= new ArtifactStore(artifactStoreOptionsFromEnv());
    return defaultStore;
}

/** A chart release's archive (or mirrored directory): mirror or cache only. */
export function locateChart(chart: string, version: string): ArtifactResult {
    return artifactStore().locate({ kind: "chart", chart, version });
}

/** A chart release's archive: mirror, cache or verified download. */
export function obtainChart(chart: string, version: string): Promise<ArtifactResult> {
    return artifactStore().obtain({ kind: "chart", chart, version });
}

/** One CRD file of a set at a release (`crd`: the kind, "CiliumNetworkPolicy", or the plural): mirror or cache only. */
export function locateCrd(set: string, version: string, crd: string): ArtifactResult {
    return artifactStore().locate({ kind: "crd", set, version, crd });
}

/** One CRD file of a set at a release: mirror, cache or verified download. */
export function obtainCrd(set: string, version: string, crd: string): Promise<ArtifactResult> {
    return artifactStore().obtain({ kind: "crd", set, version, crd });
}

/** The locked K3s installer (install.sh): mirror or cache only. */
export function locateK3sInstaller(): ArtifactResult {
    return artifactStore().locate({ kind: "k3s-installer" });
}

/** The locked K3s installer: mirror, cache or verified download. */
export function obtainK3sInstaller(): Promise<ArtifactResult> {
    return artifactStore().obtain({ kind: "k3s-installer" });
}

/** A file inside an obtained chart, e.g. "values.schema.json" or "values.yaml" (undefined when the chart has none). */
export function readChartFile(chart: ArtifactFound, file: string): Buffer | undefined {
    return artifactStore().chartFile(chart, file);
}

/** Every locked artifact: obtain each (mirror, cache or download), one result per artifact, in lock order. */
export async function prefetchArtifacts(refs: readonly ArtifactRef[] = artifactStore().allRefs()): Promise<ArtifactResult[]> {
    const results: ArtifactResult[] = [];
    // One at a time: the first download decides "no network" for all of them, and the cache sees one writer per file.
    for (const ref of refs) results.push(await artifactStore().obtain(ref));
    return results;
}

/** Every locked artifact as the store would find it now, without the network. */
export function locateArtifacts(refs: readonly ArtifactRef[] = artifactStore().allRefs()): ArtifactResult[] {
    return refs.map((ref) => artifactStore().locate(ref));
}
