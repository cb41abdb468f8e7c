/**
 * The checks of the chart-values door: each release's user values against the keys Kubeloom owns (declared by the
 * builders, components/owned-values.ts) and, when the chart release can be obtained, against its values.yaml,
 * templates and values.schema.json (lib/chart-values.ts). Every problem is a ConfigIssue at the whole key path.
 * Loaded only for a stack with chart values, so a plan without them never pays for ajv or the chart reads.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { chartValuesProblems, ChartReference, ValuesPath } from "../lib/chart-values";
import { ChartValuesFiles, locateChartValuesFiles } from "../lib/chart-files";
import { knownChartKeys } from "../lib/chart-known-keys";
import { compileValuesSchema, schemaCacheDir } from "../lib/chart-schema-cache";
import { isPlainObject } from "../lib/values-util";
import { SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER } from "../lib/placeholders";
import { OWNED_VALUES, ValuesChart } from "../components/owned-values";
import { StackConfig } from "./schema";
import { ConfigIssue, formatPath } from "./config-error";
import { valuesReleases } from "./chart-values";

/** Obtains a chart release's values files, or undefined when it cannot be had here (offline, not mirrored). */
export type ChartValuesSource = (chart: ValuesChart, version: string) => ChartValuesFiles | undefined;

const references = new Map<string, ChartReference>();

function chartReference(chart: ValuesChart, version: string, files: ChartValuesFiles): ChartReference {
    const key = `${chart}@${version}`;
    let reference = references.get(key);
    if (!reference) {
        reference = cachedReference(files, () => {
            const defaults = parse(files.valuesYaml) as unknown;
            return {
                label: `${chart} ${version}`,
                defaults: isPlainObject(defaults) ? defaults : {},
                documented: knownChartKeys(files.valuesYaml, files.templatesText),
                subcharts: files.subcharts,
                schema: files.schemaJson === undefined ? undefined : (JSON.parse(files.schemaJson) as Record<string, unknown>),
            };
        });
        references.set(key, reference);
    }
    return reference;
}

/**
 * Parsing a chart's values.yaml and its commented examples takes longer than the rest of a small plan, so the
 * derived reference is kept as JSON beside the compiled schemas, under a hash of the files it comes from.
 */
function cachedReference(files: ChartValuesFiles, derive: () => ChartReference): ChartReference {
    const hash = createHash("sha256").update(`reference v1\0${files.valuesYaml}\0${files.templatesText}\0${files.schemaJson ?? ""}\0${files.subcharts.join(",")}`).digest("hex");
    const file = path.join(schemaCacheDir(), `reference-${hash}.json`);
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as ChartReference;
    } catch {
        // Not cached yet (or unreadable): derive it and try to keep it.
    }
    const reference = derive();
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(`${file}.${process.pid}`, JSON.stringify(reference));
        fs.renameSync(`${file}.${process.pid}`, file);
    } catch {
        // A read-only checkout derives it again next time.
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

/**
 * The default chart source: the artifact module's mirror or cache (lib/artifacts, `$KUBELOOM_CHARTS_DIR` and the
 * user cache), never the network — `plan --render` obtains the charts first (and may download them).
 */
export const defaultChartSource: ChartValuesSource = (chart, version) => locateChartValuesFiles(chart, version);
