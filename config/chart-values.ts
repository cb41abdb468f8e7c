/**
 * The chart-values door of the config: `clusters[].cilium.values`, `clusters[].vclusters[].values` and
 * `clusters[].loadBalancer.metallb.values` (each optionally with a `valuesFile` merged under it): where they are and
 * their files read. The checks are in chart-values-check.ts, loaded only when a stack has values.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { deepMerge, isPlainObject } from "../lib/values-util";
import type { ValuesChart } from "../components/owned-values";
import { StackConfig } from "./schema";
import { ConfigIssue, formatPath } from "./config-error";

/** One release's user values and where they sit in the config. */
export interface ValuesRelease {
    readonly chart: ValuesChart;
    readonly version: string;
    /** Config path of the `values` key, e.g. ["clusters", 0, "cilium", "values"]. */
    readonly path: readonly PropertyKey[];
    /** Config path of the object holding `values`, from which an owned key's `use` is named. */
    readonly owner: readonly PropertyKey[];
    readonly values: Readonly<Record<string, unknown>>;
}

/** Every release with user values, in config order (Cilium, then MetalLB, then the vClusters of each cluster). */
export function valuesReleases(config: StackConfig): ValuesRelease[] {
    const releases: ValuesRelease[] = [];
    config.clusters.forEach((cluster, i) => {
        if (cluster.cilium.values && Object.keys(cluster.cilium.values).length > 0) {
            releases.push({ chart: "cilium", version: cluster.cilium.version, path: ["clusters", i, "cilium", "values"], owner: ["clusters", i], values: cluster.cilium.values });
        }
        const metallb = cluster.loadBalancer?.metallb;
        if (metallb?.values && Object.keys(metallb.values).length > 0) {
            releases.push({ chart: "metallb", version: metallb.version, path: ["clusters", i, "loadBalancer", "metallb", "values"], owner: ["clusters", i], values: metallb.values });
        }
        cluster.vclusters.forEach((vc, j) => {
            if (vc.values && Object.keys(vc.values).length > 0) {
                releases.push({ chart: "vcluster", version: vc.version, path: ["clusters", i, "vclusters", j, "values"], owner: ["clusters", i, "vclusters", j], values: vc.values });
            }
        });
    });
    return releases;
}

/** Reads a values file: a YAML map. `keyPath` names the config key in errors. */
export function readValuesFile(file: string, keyPath: string, baseDir: string): Record<string, unknown> {
    const resolved = path.resolve(baseDir, file);
    let text: string;
    try {
        text = fs.readFileSync(resolved, "utf8");
    } catch (error) {
        throw new ConfigFileError({ path: keyPath, message: `cannot read ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); give the path of a YAML file of chart values, relative to the project` });
    }
    let parsed: unknown;
    try {
        parsed = parse(text);
    } catch (error) {
        throw new ConfigFileError({ path: keyPath, message: `${JSON.stringify(file)} is not valid YAML (${(error as Error).message.split("\n")[0]})` });
    }
    if (parsed === null || parsed === undefined) return {};
    if (!isPlainObject(parsed)) throw new ConfigFileError({ path: keyPath, message: `${JSON.stringify(file)} must hold a YAML map of chart values` });
    return parsed;
}

/** A values file that cannot be used, as a config issue. */
export class ConfigFileError extends Error {
    constructor(readonly issue: ConfigIssue) {
        super(`${issue.path}: ${issue.message}`);
    }
}

/**
 * The config with every `valuesFile` read and merged under its `values` (the file first, the inline map over it,
 * as `helm -f file --set ...`), so everything downstream reads one `values` map per release.
 */
export function withValuesFiles(config: StackConfig, baseDir: string): StackConfig {
    const merged = (file: string | undefined, inline: Record<string, unknown> | undefined, at: readonly PropertyKey[]) =>
        file === undefined ? inline : deepMerge(readValuesFile(file, formatPath([...at, "valuesFile"]), baseDir), inline ?? {});
    return {
        ...config,
        clusters: config.clusters.map((cluster, i) => {
            const metallb = cluster.loadBalancer?.metallb;
            return {
                ...cluster,
                cilium: { ...cluster.cilium, values: merged(cluster.cilium.valuesFile, cluster.cilium.values, ["clusters", i, "cilium"]) },
                vclusters: cluster.vclusters.map((vc, j) => ({ ...vc, values: merged(vc.valuesFile, vc.values, ["clusters", i, "vclusters", j]) })),
                ...(cluster.loadBalancer && metallb ? { loadBalancer: { ...cluster.loadBalancer, metallb: { ...metallb, values: merged(metallb.valuesFile, metallb.values, ["clusters", i, "loadBalancer", "metallb"]) } } } : {}),
            };
        }),
    };
}

