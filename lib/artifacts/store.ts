/**
 * The one place an upstream artifact is obtained: from a local mirror folder when one is configured (used as it is),
 * else from the user cache (one sha256 per hit), else by an HTTPS download verified against the lock and then cached.
 * A mismatch is an error naming the artifact, the expected and the received digest; nothing is cached then.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DownloadError, DownloadOptions, download, probeNetwork } from "./download";
import { ArtifactLock, LockedChart, LockedCrd } from "./lock";
import { readTarGz } from "./tar";

/** Which artifact: a chart release, one CRD of a CRD set, or the K3s installer. */
export type ArtifactRef =
    | { readonly kind: "chart"; readonly chart: string; readonly version: string }
    | { readonly kind: "crd"; readonly set: string; readonly version: string; readonly crd: string }
    | { readonly kind: "k3s-installer" };

/** What a skipped test is missing, one line per kind in a test run's summary. */
export type MissingKind = "charts" | "crds" | "k3s-installer" | "helm";

/** Where an obtained artifact came from. */
export type ArtifactSource = "mirror" | "cache" | "download";

/** An artifact on local disk. */
export interface ArtifactFound {
    readonly ok: true;
    readonly ref: ArtifactRef;
    /** Human name, e.g. "chart cilium 1.19.6", "crd cilium 1.19.4 CiliumNetworkPolicy", "k3s installer 0136cf25". */
    readonly name: string;
    /** The file (chart archive, CRD YAML, install.sh) or, for a chart mirrored unpacked, its directory. */
    readonly path: string;
    /** "archive" (.tgz), "directory" (an unpacked chart in a mirror) or "file". */
    readonly layout: "archive" | "directory" | "file";
    readonly source: ArtifactSource;
}

/** An artifact that is neither mirrored nor cached and cannot be downloaded now. */
export interface ArtifactMissing {
    readonly ok: false;
    readonly ref: ArtifactRef;
    readonly name: string;
    readonly missingKind: MissingKind;
    /** Why, in one line (e.g. "not in KUBELOOM_CHARTS_DIR or the cache; no network: …"). */
    readonly reason: string;
    /** How to provide it, in one line (the variable to set or the command to run). */
    readonly howToProvide: string;
}

/** The answer for one artifact. */
export type ArtifactResult = ArtifactFound | ArtifactMissing;

/** A downloaded or cached file whose digest is not the lock's: never used, never cached. */
export class ArtifactIntegrityError extends Error {
    constructor(
        readonly artifact: string,
        readonly expected: string,
        readonly received: string,
        readonly origin: string,
    ) {
        super(`${artifact}: digest mismatch for ${origin}: expected ${expected}, received ${received}; not cached`);
        this.name = "ArtifactIntegrityError";
    }
}

/** Where the store looks and how it downloads. */
export interface ArtifactStoreOptions {
    /** The lock every artifact is looked up in and verified against. */
    readonly lock: ArtifactLock;
    /** Mirror folder of charts (`<chart>-<version>.tgz` or `<chart>-<version>/`). @default - no chart mirror */
    readonly chartsMirror?: string;
    /** Mirror folder of CRD files (`<set>-<version>.<plural>.crd.yaml`). @default - no CRD mirror */
    readonly crdsMirror?: string;
    /** Mirror copy of the K3s installer (a file). @default - no installer mirror */
    readonly k3sInstallerMirror?: string;
    /** The user cache folder (created on first write). */
    readonly cacheDir: string;
    /** Never download (mirror and cache only). @default false */
    readonly offline?: boolean;
    /** Limits and trust for downloads. @default - download.ts defaults */
    readonly download?: DownloadOptions;
    /** Host:port the one network probe connects to. @default - the first download's host, port 443 */
    readonly probe?: { readonly host: string; readonly port: number };
}

/** sha256 of bytes, hex. */
export function sha256Hex(bytes: Buffer): string {
    return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** Git blob id of bytes (`git hash-object`), hex. */
export function gitBlobId(bytes: Buffer): string {
    return crypto.createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** The human name of an artifact. */
export function artifactName(ref: ArtifactRef, lock?: ArtifactLock): string {
    switch (ref.kind) {
        case "chart":
            return `chart ${ref.chart} ${ref.version}`;
        case "crd":
            return `crd ${ref.set} ${ref.version} ${ref.crd}`;
        case "k3s-installer":
            return `k3s installer${lock ? ` ${lock.k3sInstaller.commit.slice(0, 8)}` : ""}`;
    }
}

type Resolved =
    | { readonly kind: "chart"; readonly ref: ArtifactRef & { kind: "chart" }; readonly entry: LockedChart; readonly cacheFile: string; readonly url: string; readonly sha256: string | null }
    | { readonly kind: "crd"; readonly ref: ArtifactRef & { kind: "crd" }; readonly entry: LockedCrd; readonly cacheFile: string; readonly url: string; readonly sha256: string }
    | { readonly kind: "k3s-installer"; readonly ref: ArtifactRef & { kind: "k3s-installer" }; readonly cacheFile: string; readonly url: string; readonly sha256: string };

const MISSING_KIND: Readonly<Record<ArtifactRef["kind"], MissingKind>> = { chart: "charts", crd: "crds", "k3s-installer": "k3s-installer" };

/** Obtains locked artifacts; one instance per configuration (the project's default one is in ./index.ts). */
export class ArtifactStore {
    private network: Promise<{ ok: boolean; reason: string }> | undefined;
    private readonly archives = new Map<string, Map<string, Buffer>>();
    /** Why `obtain` last found an artifact missing (e.g. "no network"), so a later `locate` can say so too. */
    private readonly lastMissing = new Map<string, ArtifactMissing>();

    constructor(readonly options: ArtifactStoreOptions) {}

    /** The lock entry for `ref`; throws when the lock has none (a version Kubeloom does not support). */
    private resolve(ref: ArtifactRef): Resolved {
        const { lock, cacheDir } = this.options;
        switch (ref.kind) {
            case "chart": {
                const entry = lock.charts.find((c) => c.chart === ref.chart && c.version === ref.version.replace(/^v/, ""));
                if (!entry) throw new Error(`${artifactName(ref)} is not in artifacts.lock.json (locked: ${lock.charts.filter((c) => c.chart === ref.chart).map((c) => c.version).join(", ") || "none"})`);
                return { kind: "chart", ref, entry, cacheFile: path.join(cacheDir, "charts", `${entry.chart}-${entry.version}.tgz`), url: entry.url, sha256: entry.sha256 };
            }
            case "crd": {
                const wanted = ref.crd.toLowerCase();
                const entry = lock.crds.find((c) => c.set === ref.set && c.version === ref.version.replace(/^v/, "") && (c.kind.toLowerCase() === wanted || c.plural === wanted));
                if (!entry) throw new Error(`${artifactName(ref)} is not in artifacts.lock.json`);
                return { kind: "crd", ref, entry, cacheFile: path.join(cacheDir, "crds", entry.file), url: entry.url, sha256: entry.sha256 };
            }
            case "k3s-installer":
                return { kind: "k3s-installer", ref, cacheFile: path.join(cacheDir, "k3s", `install-${lock.k3sInstaller.commit}.sh`), url: lock.k3sInstaller.url, sha256: lock.k3sInstaller.sha256 };
        }
    }

    /** The artifact's name with the lock's spelling (a CRD asked for by plural is named by its kind). */
    private nameOf(resolved: Resolved): string {
        return resolved.kind === "crd" ? artifactName({ ...resolved.ref, crd: resolved.entry.kind }) : artifactName(resolved.ref, this.options.lock);
    }

    private fromMirror(resolved: Resolved): ArtifactFound | undefined {
        const name = this.nameOf(resolved);
        const found = (file: string, layout: ArtifactFound["layout"]): ArtifactFound => ({ ok: true, ref: resolved.ref, name, path: file, layout, source: "mirror" });
        switch (resolved.kind) {
            case "chart": {
                const mirror = this.options.chartsMirror;
                if (!mirror) return undefined;
                const base = `${resolved.ref.chart}-${resolved.ref.version.replace(/^v/, "")}`;
                if (isFile(path.join(mirror, `${base}.tgz`))) return found(path.join(mirror, `${base}.tgz`), "archive");
                if (isDirectory(path.join(mirror, base))) return found(path.join(mirror, base), "directory");
                return undefined;
            }
            case "crd": {
                const mirror = this.options.crdsMirror;
                const file = mirror ? path.join(mirror, resolved.entry.file) : undefined;
                return file && isFile(file) ? found(file, "file") : undefined;
            }
            case "k3s-installer": {
                const file = this.options.k3sInstallerMirror;
                return file && isFile(file) ? found(file, "file") : undefined;
            }
        }
    }

    /** The digest a cached copy must have: the lock's, else the one recorded when a content-verified download was cached. */
    private expectedCacheDigest(resolved: Resolved): string | undefined {
        if (resolved.sha256) return resolved.sha256;
        try {
            return fs.readFileSync(`${resolved.cacheFile}.sha256`, "utf8").trim();
        } catch {
            return undefined;
        }
    }

    private fromCache(resolved: Resolved): ArtifactFound | undefined {
        let bytes: Buffer;
        try {
            bytes = fs.readFileSync(resolved.cacheFile);
        } catch {
            return undefined;
        }
        // A cache hit costs one hash: a file changed on disk since it was verified is not used (and is re-fetched).
        if (sha256Hex(bytes) !== this.expectedCacheDigest(resolved)) return undefined;
        return { ok: true, ref: resolved.ref, name: this.nameOf(resolved), path: resolved.cacheFile, layout: resolved.ref.kind === "chart" ? "archive" : "file", source: "cache" };
    }

    private missing(resolved: Resolved, reason: string): ArtifactMissing {
        const kind = MISSING_KIND[resolved.ref.kind];
        const missing: ArtifactMissing = { ok: false, ref: resolved.ref, name: this.nameOf(resolved), missingKind: kind, reason, howToProvide: HOW_TO_PROVIDE[kind] };
        this.lastMissing.set(missing.name, missing);
        return missing;
    }

    private where(ref: ArtifactRef): string {
        const mirror = ref.kind === "chart" ? this.options.chartsMirror : ref.kind === "crd" ? this.options.crdsMirror : this.options.k3sInstallerMirror;
        return `${mirror ? `not in the mirror ${mirror}` : "no mirror configured"}, not in the cache ${this.options.cacheDir}`;
    }

    /** Mirror or cache only, synchronously: never touches the network. */
    locate(ref: ArtifactRef): ArtifactResult {
        const resolved = this.resolve(ref);
        return this.fromMirror(resolved) ?? this.fromCache(resolved) ?? this.lastMissing.get(this.nameOf(resolved)) ?? this.missing(resolved, this.where(ref));
    }

    /** Mirror, else cache, else download + verify + cache. Throws ArtifactIntegrityError on a digest mismatch. */
    async obtain(ref: ArtifactRef): Promise<ArtifactResult> {
        const resolved = this.resolve(ref);
        const local = this.fromMirror(resolved) ?? this.fromCache(resolved);
        if (local) return local;
        if (this.options.offline) return this.missing(resolved, `${this.where(ref)}; downloads are off (KUBELOOM_OFFLINE)`);
        const network = await this.probe(resolved.url);
        if (!network.ok) return this.missing(resolved, `${this.where(ref)}; no network (${network.reason})`);
        let bytes: Buffer;
        try {
            bytes = await download(resolved.url, this.options.download);
        } catch (error) {
            if (error instanceof DownloadError) return this.missing(resolved, `${this.where(ref)}; download failed: ${error.message}`);
            throw error;
        }
        const received = sha256Hex(bytes);
        const name = this.nameOf(resolved);
        if (resolved.sha256 !== null) {
            if (received !== resolved.sha256) throw new ArtifactIntegrityError(name, `sha256 ${resolved.sha256}`, `sha256 ${received}`, resolved.url);
            if (resolved.kind === "crd") {
                const blob = gitBlobId(bytes);
                if (blob !== resolved.entry.gitBlob) throw new ArtifactIntegrityError(name, `git blob ${resolved.entry.gitBlob}`, `git blob ${blob}`, resolved.url);
            }
        } else if (resolved.kind === "chart") {
            this.verifyChartContents(resolved.entry, bytes, name, resolved.url);
        }
        writeAtomically(resolved.cacheFile, bytes);
        if (resolved.sha256 === null) writeAtomically(`${resolved.cacheFile}.sha256`, Buffer.from(`${received}\n`));
        return { ok: true, ref, name, path: resolved.cacheFile, layout: ref.kind === "chart" ? "archive" : "file", source: "download" };
    }

    /** For a chart without a published digest: its Chart.yaml names it at its version, and the listed files have upstream's git blobs. */
    private verifyChartContents(entry: LockedChart, bytes: Buffer, name: string, origin: string): void {
        let files: Map<string, Buffer>;
        try {
            files = readTarGz(bytes);
        } catch (error) {
            throw new ArtifactIntegrityError(name, "a chart archive", `unreadable bytes (${(error as Error).message})`, origin);
        }
        const chartYaml = files.get(`${entry.chart}/Chart.yaml`)?.toString("utf8") ?? "";
        const version = /^version:\s*["']?([^"'\s]+)/m.exec(chartYaml)?.[1];
        const chartName = /^name:\s*["']?([^"'\s]+)/m.exec(chartYaml)?.[1];
        if (chartName !== entry.chart || version !== entry.version) throw new ArtifactIntegrityError(name, `Chart.yaml ${entry.chart} ${entry.version}`, `Chart.yaml ${chartName ?? "?"} ${version ?? "?"}`, origin);
        for (const [file, check] of Object.entries(entry.verifyFiles ?? {})) {
            const content = files.get(`${entry.chart}/${file}`);
            const blob = content ? gitBlobId(content) : "no such file";
            if (blob !== check.gitBlob) throw new ArtifactIntegrityError(name, `${file} git blob ${check.gitBlob}`, `${file} git blob ${blob}`, origin);
        }
    }

    private probe(url: string): Promise<{ ok: boolean; reason: string }> {
        const target = this.options.probe ?? { host: new URL(url).hostname, port: Number(new URL(url).port) || 443 };
        this.network ??= probeNetwork(target.host, Math.min(this.options.download?.connectTimeoutMs ?? 5_000, 5_000), target.port);
        return this.network;
    }

    /** One file of a chart (path relative to the chart root, e.g. "values.schema.json"), or undefined when absent. */
    chartFile(chart: ArtifactFound, file: string): Buffer | undefined {
        if (chart.ref.kind !== "chart") throw new Error(`${chart.name} is not a chart`);
        if (chart.layout === "directory") {
            const full = path.join(chart.path, file);
            return isFile(full) ? fs.readFileSync(full) : undefined;
        }
        let files = this.archives.get(chart.path);
        if (!files) {
            files = readTarGz(fs.readFileSync(chart.path));
            this.archives.set(chart.path, files);
        }
        return files.get(`${chart.ref.chart}/${file}`);
    }

    /** Every locked artifact's ref. */
    allRefs(): ArtifactRef[] {
        const { lock } = this.options;
        return [
            ...lock.charts.map((c): ArtifactRef => ({ kind: "chart", chart: c.chart, version: c.version })),
            ...lock.crds.map((c): ArtifactRef => ({ kind: "crd", set: c.set, version: c.version, crd: c.kind })),
            { kind: "k3s-installer" },
        ];
    }
}

/** One line per kind: how to make an artifact obtainable. */
export const HOW_TO_PROVIDE: Readonly<Record<MissingKind, string>> = {
    charts: "set KUBELOOM_CHARTS_DIR to a folder of <chart>-<version>.tgz, or run `npm run artifacts -- prefetch` on a machine with network (fills the cache, KUBELOOM_CACHE_DIR)",
    crds: "set KUBELOOM_CRDS_DIR to a folder of <set>-<version>.<plural>.crd.yaml, or run `npm run artifacts -- prefetch` on a machine with network",
    "k3s-installer": "set KUBELOOM_K3S_INSTALLER to a copy of the locked install.sh, or run `npm run artifacts -- prefetch` on a machine with network",
    helm: "install Helm 3 (the version .github/workflows/pr.yml pins) or set KUBELOOM_HELM to a helm binary",
};

function isFile(file: string): boolean {
    try {
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

function isDirectory(dir: string): boolean {
    try {
        return fs.statSync(dir).isDirectory();
    } catch {
        return false;
    }
}

/** Writes via a unique temp file and rename, so two runs filling one cache never see half a file. */
function writeAtomically(file: string, bytes: Buffer): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.partial`;
    fs.writeFileSync(temp, bytes);
    fs.renameSync(temp, file);
}
