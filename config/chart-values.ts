/**
 * The chart-values door of the config: `clusters[].cilium.values`, `clusters[].vclusters[].values` and
 * `clusters[].loadBalancer.metallb.values` (each optionally with a `valuesFile` merged under it). Here they are
 * found, their files read, and checked — against the keys Kubeloom owns (declared by the builders,
 * components/owned-values.ts) and, when the chart release can be obtained, against its values.yaml and
 * values.schema.json (lib/chart-values.ts). Every problem is a ConfigIssue at the whole key path.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { chartValuesProblems, ChartReference, ValuesPath } from "../lib/chart-values";
import { ChartValuesFiles } from "../lib/chart-files";
import { knownChartKeys } from "../lib/chart-known-keys";
import { compileValuesSchema } from "../lib/chart-schema-cache";
import { deepMerge, isPlainObject } from "../lib/values-util";
import { SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER } from "../lib/placeholders";
import { OWNED_VALUES, ValuesChart } from "../components/owned-values";
import { ConfigIssue, formatPath, StackConfig } from "./schema";

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

/** Obtains a chart release's values files, or undefined when it cannot be had here (offline, not mirrored). */
export type ChartValuesSource = (chart: ValuesChart, version: string) => ChartValuesFiles | undefined;

const references = new Map<string, ChartReference>();

function chartReference(chart: ValuesChart, version: string, files: ChartValuesFiles): ChartReference {
    const key = `${chart}@${version}`;
    let reference = references.get(key);
    if (!reference) {
        const defaults = parse(files.valuesYaml) as unknown;
        reference = {
            label: `${chart} ${version}`,
            defaults: isPlainObject(defaults) ? defaults : {},
            documented: knownChartKeys(files.valuesYaml, files.templatesText),
            subcharts: files.subcharts,
            schema: files.schemaJson === undefined ? undefined : (JSON.parse(files.schemaJson) as Record<string, unknown>),
        };
        references.set(key, reference);
    }
    return reference;
}

/** Whether the config value at a path inside some values is not known here: an offline placeholder. */
function isPlaceholder(value: unknown): boolean {
    return value === SECRET_PLACEHOLDER || value === UNKNOWN_PLACEHOLDER;
}

function valueAt(root: unknown, at: ValuesPath): unknown {
    let current = root;
    for (const part of at) current = isPlainObject(current) || Array.isArray(current) ? (current as Record<string | number, unknown>)[part] : undefined;
    return current;
}

/** The result of checking every release's values. */
export interface ChartValuesReport {
    readonly issues: ConfigIssue[];
    /** Releases whose values could not be checked against their chart: the chart (`cilium 1.20.0`) and the values key. */
    readonly unchecked: Array<{ readonly chart: string; readonly path: string }>;
}

/**
 * Checks every release's user values. Owned keys are refused always; the chart checks run where `source` yields the
 * chart release. `isSecret` says which config paths hold secrets: their values are never shown nor type-checked.
 */
export function checkChartValues(config: StackConfig, source: ChartValuesSource | undefined, isSecret: (configPath: readonly PropertyKey[]) => boolean = () => false): ChartValuesReport {
    const issues: ConfigIssue[] = [];
    const unchecked: Array<{ chart: string; path: string }> = [];
    for (const release of valuesReleases(config)) {
        const files = source?.(release.chart, release.version);
        const chart = files ? chartReference(release.chart, release.version, files) : undefined;
        if (!files) unchecked.push({ chart: `${release.chart} ${release.version}`, path: formatPath(release.path) });
        const problems = chartValuesProblems({
            user: release.values,
            owned: OWNED_VALUES[release.chart],
            typedKey: (use) => `${formatPath(release.owner)}.${use}`,
            chart,
            validate: files?.schemaJson === undefined ? undefined : compileValuesSchema(files.schemaJson),
            hidden: (at) => isPlaceholder(valueAt(release.values, at)) || isSecret([...release.path, ...at]),
        });
        for (const problem of problems) issues.push({ path: formatPath([...release.path, ...problem.path]), message: problem.message });
    }
    return { issues, unchecked };
}
