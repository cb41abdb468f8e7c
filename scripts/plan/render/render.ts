/**
 * Renders Helm releases with `helm template`, a few at a time, caching each result on disk
 * (node_modules/.cache/kubeloom-render) under a key of everything that decides the output.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sortKeysDeep } from "../../../lib/values-util";
import { PROJECT_DIR } from "../../../lib/project";
import { chartLocation, ChartLocation, helmTemplateArgs, ReleaseToRender, RenderEnvironment } from "./helm";
import { KubeObject, parseManifests, redactSecrets, sortObjects } from "./objects";
import { substitutePlaceholders } from "./placeholders";

/** One render request: the release, its values (may hold plan placeholders) and the target cluster's API. */
export interface RenderRequest {
    readonly release: ReleaseToRender;
    readonly values: unknown;
    readonly kubeVersion: string;
    readonly apiVersions: readonly string[];
}

/** A rendered release: redacted, sorted objects and the value paths that were faked. */
export interface RenderResult {
    readonly objects: KubeObject[];
    readonly placeholders: string[];
    readonly cached: boolean;
}

/** On-disk cache: `$KUBELOOM_RENDER_CACHE_DIR` (the bench points it at a fresh folder for cold runs), else in node_modules. */
export const RENDER_CACHE_DIR = process.env.KUBELOOM_RENDER_CACHE_DIR || path.join(PROJECT_DIR, "node_modules", ".cache", "kubeloom-render");

function hashChart(location: ChartLocation, version: string): string {
    const hash = createHash("sha256").update(`${version}\0`);
    if (fs.statSync(location.local).isDirectory()) {
        const walk = (dir: string): void => {
            for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
                const full = path.join(dir, entry.name);
                if (entry.isDirectory()) walk(full);
                else if (entry.isFile()) hash.update(`${path.relative(location.local, full)}\0`).update(fs.readFileSync(full));
            }
        };
        walk(location.local);
    } else {
        hash.update(fs.readFileSync(location.local));
    }
    return hash.digest("hex");
}

/** The cache key: sha256 over chart bytes, release, namespace, values, kube and API versions. */
export function renderCacheKey(chartHash: string, request: RenderRequest, helm: string): string {
    const material = JSON.stringify(
        sortKeysDeep({
            chart: chartHash,
            helm,
            release: request.release.release,
            namespace: request.release.namespace,
            version: request.release.version,
            values: request.values ?? {},
            kubeVersion: request.kubeVersion,
            apiVersions: [...request.apiVersions].sort(),
        }),
    );
    return createHash("sha256").update(material).digest("hex");
}

function runHelm(helm: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(helm, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error) {
                const code = (error as NodeJS.ErrnoException).code;
                if (code === "ENOENT") {
                    reject(new Error(`no helm binary "${helm}": install helm or set KUBELOOM_HELM to one`));
                    return;
                }
                reject(new Error(String(stderr).trim().split("\n")[0] || error.message));
                return;
            }
            resolve(stdout);
        });
    });
}

/** Renders one release (or reads it from the cache). */
export async function renderRelease(request: RenderRequest, env: RenderEnvironment, cacheDir = RENDER_CACHE_DIR): Promise<RenderResult> {
    const location = await chartLocation(request.release, env.chartsDir);
    const { values, placeholders } = substitutePlaceholders(request.values ?? {});
    const key = renderCacheKey(hashChart(location, request.release.version), { ...request, values }, env.helm);
    const cacheFile = path.join(cacheDir, `${key}.json`);
    if (fs.existsSync(cacheFile)) {
        return { objects: JSON.parse(fs.readFileSync(cacheFile, "utf8")) as KubeObject[], placeholders, cached: true };
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-render-"));
    try {
        const valuesFile = path.join(tmp, "values.json");
        // JSON is YAML: the values reach helm exactly as typed, with no re-quoting.
        fs.writeFileSync(valuesFile, JSON.stringify(values), { mode: 0o600 });
        const stdout = await runHelm(env.helm, helmTemplateArgs(request.release, location, valuesFile, request.kubeVersion, request.apiVersions));
        const objects = sortObjects(redactSecrets(parseManifests(stdout))).map((o) => sortKeysDeep(o) as KubeObject);
        fs.mkdirSync(cacheDir, { recursive: true });
        fs.writeFileSync(`${cacheFile}.${process.pid}`, JSON.stringify(objects));
        fs.renameSync(`${cacheFile}.${process.pid}`, cacheFile);
        return { objects, placeholders, cached: false };
    } catch (error) {
        throw new Error(`helm template ${request.release.release} (${request.release.chart} ${request.release.version} from ${location.local}): ${(error as Error).message}`);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** Runs `work` over items with at most `limit` in flight; results keep the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const index = next++;
            results[index] = await work(items[index]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** Renders all requests, `concurrency` at a time (default 3). */
export function renderReleases(requests: readonly RenderRequest[], env: RenderEnvironment, options: { concurrency?: number; cacheDir?: string } = {}): Promise<RenderResult[]> {
    const concurrency = options.concurrency ?? 3;
    return mapBounded(requests, concurrency, (request) => renderRelease(request, env, options.cacheDir));
}
