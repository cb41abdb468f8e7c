/**
 * The upstream chart releases of the support matrix as the values checks see them (values.yaml, values.schema.json),
 * read from the charts mirror ($KUBELOOM_CHARTS_DIR, else ../shared/charts). Tests only.
 */
import * as path from "node:path";
import { parse } from "yaml";
import { sharedDir } from "../../lib/project";
import { ChartValuesFiles, readChartValuesFiles } from "../../lib/chart-files";
import { ChartReference } from "../../lib/chart-values";
import { knownChartKeys } from "../../lib/chart-known-keys";
import { supportedVersions } from "../../components/support-matrix";
import type { ValuesChart } from "../../components/owned-values";

/** The charts mirror the tests read. */
export const chartsDir = process.env.KUBELOOM_CHARTS_DIR ?? path.join(sharedDir(), "charts");

/** Every (chart, version) whose values a user may extend. */
export function valuesChartReleases(): Array<{ chart: ValuesChart; version: string }> {
    return (["cilium", "vcluster", "metallb"] as const).flatMap((chart) => supportedVersions(chart).map((version) => ({ chart, version })));
}

/** The values files of one release; fails the test when the mirror lacks it. */
export function chartFiles(chart: string, version: string): ChartValuesFiles {
    const files = readChartValuesFiles(chartsDir, chart, version);
    if (!files) throw new Error(`${chartsDir} has no ${chart}-${version} chart`);
    return files;
}

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
