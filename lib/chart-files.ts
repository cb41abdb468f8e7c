/**
 * What the chart-values checks read from a chart release: its values.yaml, its values.schema.json, its templates
 * (which keys they read) and the names of its subcharts — from the chart the artifact module found (lib/artifacts:
 * a mirror, the cache; a `.tgz` or an unpacked directory).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ArtifactFound, locateChart, readTarGz } from "./artifacts";

/** The files of a chart release the values checks read (text, as in the chart). */
export interface ChartValuesFiles {
    /** values.yaml; every chart has one. */
    readonly valuesYaml: string;
    /** values.schema.json, when the chart ships one. */
    readonly schemaJson?: string;
    /** Names of the subcharts it bundles (`charts/<name>/`): keys under them are the subchart's values. */
    readonly subcharts: readonly string[];
    /** Every file under templates/, concatenated: which keys the templates read. */
    readonly templatesText: string;
}

/** The values files of a chart the artifact module found; undefined when it has no values.yaml. */
export function chartValuesFiles(found: ArtifactFound): ChartValuesFiles | undefined {
    const chart = found.ref.kind === "chart" ? found.ref.chart : undefined;
    if (chart === undefined) throw new Error(`${found.name} is not a chart`);
    // Relative paths inside the chart folder → content.
    const files = new Map<string, Buffer>();
    if (found.layout === "directory") {
        for (const [relative, content] of readTree(found.path, "")) files.set(relative, content);
    } else {
        for (const [name, content] of readTarGz(fs.readFileSync(found.path))) {
            if (name.startsWith(`${chart}/`)) files.set(name.slice(chart.length + 1), content);
        }
    }
    const valuesYaml = files.get("values.yaml")?.toString("utf8");
    if (valuesYaml === undefined) return undefined;
    const names = [...files.keys()].sort();
    const subcharts = [...new Set(names.filter((n) => n.startsWith("charts/")).map((n) => n.split("/")[1]).filter((n) => n && !n.endsWith(".tgz")))];
    const templatesText = names
        .filter((n) => n.startsWith("templates/"))
        .map((n) => files.get(n)!.toString("utf8"))
        .join("\n");
    return { valuesYaml, schemaJson: files.get("values.schema.json")?.toString("utf8"), subcharts, templatesText };
}

/** The values files of `<chart>-<version>` from the mirror or the cache (never the network), or undefined. */
export function locateChartValuesFiles(chart: string, version: string): ChartValuesFiles | undefined {
    const found = locateChart(chart, version.replace(/^v/, ""));
    return found.ok ? chartValuesFiles(found) : undefined;
}

/** Every file below `dir`, as [path relative to the chart, content], in name order. */
function readTree(dir: string, prefix: string): Array<[string, Buffer]> {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .flatMap((entry): Array<[string, Buffer]> => {
            const full = path.join(dir, entry.name);
            const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
            return entry.isDirectory() ? readTree(full, relative) : entry.isFile() ? [[relative, fs.readFileSync(full)]] : [];
        });
}
