/**
 * The artifact lock (`artifacts.lock.json` at the project root): every upstream file Kubeloom and its tests use,
 * pinned with the digest upstream publishes for it — Terraform's provider lock and Go's module sums for charts,
 * CRDs and the K3s installer. A test checks it against the support matrix (test/lib/artifact-lock.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../project";

/** Path of the lock file in the checkout. */
export const ARTIFACT_LOCK_FILE = path.join(PROJECT_DIR, "artifacts.lock.json");

/** A file inside a chart whose git blob id must match upstream's tree (for charts without a published digest). */
export interface LockedChartFile {
    /** Git blob id (`git hash-object`) of the file at the upstream tag. */
    readonly gitBlob: string;
}

/** One chart release. */
export interface LockedChart {
    /** Chart name, e.g. "cilium". */
    readonly chart: string;
    /** Exact chart version, e.g. "1.19.6". */
    readonly version: string;
    /** The Helm repository that publishes it. */
    readonly repository: string;
    /** The archive's download URL (https), as the repository's index.yaml lists it. */
    readonly url: string;
    /** sha256 of the published archive (the index.yaml `digest`); null when it could not be read, see `digestFrom`. */
    readonly sha256: string | null;
    /** Where the digest comes from, or why there is none and what is checked instead. */
    readonly digestFrom: string;
    /** Files inside the archive checked by git blob id when `sha256` is null (path relative to the chart root). */
    readonly verifyFiles?: Readonly<Record<string, LockedChartFile>>;
    /** A note on mirror copies of this chart that differ from the published bytes. */
    readonly mirrorNote?: string;
}

/** One CRD file of a CRD set (a project's CRDs at one release). */
export interface LockedCrd {
    /** The set, e.g. "cilium", "gateway-api", "metallb", "prometheus-operator". */
    readonly set: string;
    /** The release the file was read at, e.g. "1.19.4", "1.20.0-pre.3". */
    readonly version: string;
    /** The CRD's kind, e.g. "CiliumNetworkPolicy". */
    readonly kind: string;
    /** Its plural resource name, e.g. "ciliumnetworkpolicies". */
    readonly plural: string;
    /** File name in a mirror folder and in the cache: `<set>-<version>.<plural>.crd.yaml`. */
    readonly file: string;
    /** Upstream GitHub repository, e.g. "cilium/cilium". */
    readonly repository: string;
    /** The release tag, e.g. "v1.19.4". */
    readonly tag: string;
    /** The commit the tag points at. */
    readonly commit: string;
    /** Path of the file in the upstream tree. */
    readonly path: string;
    /** Download URL at the tag (https). */
    readonly url: string;
    /** Git blob id of the file at the tag. */
    readonly gitBlob: string;
    /** sha256 of the same bytes. */
    readonly sha256: string;
    /** Size in bytes. */
    readonly bytes: number;
    /** Where the digests come from. */
    readonly digestFrom: string;
}

/** The K3s installer (`install.sh`, the script behind get.k3s.io) at one commit. */
export interface LockedK3sInstaller {
    readonly repository: string;
    readonly commit: string;
    readonly path: string;
    readonly url: string;
    readonly sha256: string;
    readonly gitBlob: string;
    readonly digestFrom: string;
}

/** The whole lock. */
export interface ArtifactLock {
    readonly lockVersion: 1;
    readonly charts: readonly LockedChart[];
    readonly crds: readonly LockedCrd[];
    readonly k3sInstaller: LockedK3sInstaller;
}

const SHA256 = /^[0-9a-f]{64}$/;
const GIT_BLOB = /^[0-9a-f]{40}$/;

/** Parses and checks a lock document; throws naming the entry and field that is wrong. */
export function parseArtifactLock(text: string, source = ARTIFACT_LOCK_FILE): ArtifactLock {
    const lock = JSON.parse(text) as ArtifactLock;
    const fail = (where: string, what: string): never => {
        throw new Error(`${source}: ${where}: ${what}`);
    };
    if (lock.lockVersion !== 1) fail("lockVersion", `${JSON.stringify(lock.lockVersion)} is not 1`);
    const https = (where: string, url: string) => {
        if (!/^https:\/\//.test(url)) fail(where, `url ${JSON.stringify(url)} is not https`);
    };
    lock.charts.forEach((c, i) => {
        const where = `charts[${i}] (${c.chart} ${c.version})`;
        https(where, c.url);
        if (c.sha256 !== null && !SHA256.test(c.sha256)) fail(where, `sha256 ${JSON.stringify(c.sha256)} is not 64 hex digits`);
        if (c.sha256 === null && Object.keys(c.verifyFiles ?? {}).length === 0) fail(where, "has neither sha256 nor verifyFiles: nothing would verify a download");
        for (const [file, check] of Object.entries(c.verifyFiles ?? {})) if (!GIT_BLOB.test(check.gitBlob)) fail(where, `verifyFiles.${file}.gitBlob is not 40 hex digits`);
    });
    lock.crds.forEach((c, i) => {
        const where = `crds[${i}] (${c.file})`;
        https(where, c.url);
        if (!SHA256.test(c.sha256)) fail(where, "sha256 is not 64 hex digits");
        if (!GIT_BLOB.test(c.gitBlob)) fail(where, "gitBlob is not 40 hex digits");
        if (c.file !== `${c.set}-${c.version}.${c.plural}.crd.yaml`) fail(where, `file must be ${c.set}-${c.version}.${c.plural}.crd.yaml`);
    });
    https("k3sInstaller", lock.k3sInstaller.url);
    if (!SHA256.test(lock.k3sInstaller.sha256)) fail("k3sInstaller", "sha256 is not 64 hex digits");
    return lock;
}

let cached: ArtifactLock | undefined;

/** The project's lock, read once per process. */
export function projectArtifactLock(): ArtifactLock {
    cached ??= parseArtifactLock(fs.readFileSync(ARTIFACT_LOCK_FILE, "utf8"));
    return cached;
}
