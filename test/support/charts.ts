/**
 * The upstream chart releases of the support matrix as the values checks see them (values.yaml, values.schema.json,
 * templates), through the artifact module: a test skips (fails under CI=true) when a chart cannot be had.
 */
import { parse } from "yaml";
import { chartValuesFiles, ChartValuesFiles } from "../../lib/chart-files";
import { ChartReference } from "../../lib/chart-values";
import { knownChartKeys } from "../../lib/chart-known-keys";
import { supportedVersions } from "../../components/support-matrix";
import type { ValuesChart } from "../../components/owned-values";
import { needChart } from "./artifacts";
import type { ChartValuesSource } from "../../config/chart-values-check";

/** Every (chart, version) whose values a user may extend. */
export function valuesChartReleases(): Array<{ chart: ValuesChart; version: string }> {
    return (["cilium", "vcluster", "metallb"] as const).flatMap((chart) => supportedVersions(chart).map((version) => ({ chart, version })));
}

/** The values files of one release, or the running test skips. */
export function chartFiles(chart: string, version: string): ChartValuesFiles {
    const found = needChart(chart, version);
    const files = chartValuesFiles(found);
    if (!files) throw new Error(`${found.name} has no values.yaml`);
    return files;
}

/** A chart source for checkChartValues that skips the running test when a chart is missing. */
export const testChartSource: ChartValuesSource = (chart, version) => chartFiles(chart, version);

/** The reference the engine checks against. */
export function chartReference(chart: string, version: string): ChartReference {
    const files = chartFiles(chart, version);
    return {
        label: `${chart} ${version}`,
        defaults: parse(files.valuesYaml) as Record<string, unknown>,
        documented: knownChartKeys(files.valuesYaml, files.templatesText),
        subcharts: files.subcharts,
        schema: files.schemaJson === undefined ? undefined : (JSON.parse(files.schemaJson) as Record<string, unknown>),
    };
}
