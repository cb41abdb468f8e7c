/**
 * Reads a chart release's values.yaml and values.schema.json from a local chart (`<dir>/<chart>-<version>.tgz` or
 * `<dir>/<chart>-<version>/`), the layout `helm pull` writes and `$KUBELOOM_CHARTS_DIR` holds. A chart that is not
 * there is `undefined`: the caller says that the values were not checked.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";

/** The two files of a chart release the values checks read (text, as in the chart). */
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

/** Keys of the subchart names and of the templates' text in the maps below (no file is called that). */
const SUBCHARTS = "\0subcharts";
const TEMPLATES = "\0templates";

/**
 * Files of a ustar archive's top-level chart folder (`<chart>/<file>`), only those named in `wanted`, plus the names
 * of its subcharts (`<chart>/charts/<name>/...`) under the key SUBCHARTS (newline-separated).
 */
function readFromTarGz(archive: Buffer, chart: string, wanted: readonly string[]): Map<string, string> {
    const tar = gunzipSync(archive);
    const found = new Map<string, string>();
    let offset = 0;
    let longName: string | undefined;
    const subcharts = new Set<string>();
    const templates: string[] = [];
    while (offset + 512 <= tar.length) {
        const header = tar.subarray(offset, offset + 512);
        if (header.every((byte) => byte === 0)) break;
        const field = (start: number, length: number) => header.subarray(start, start + length).toString("utf8").replace(/\0.*$/s, "");
        const size = parseInt(field(124, 12).trim() || "0", 8);
        const type = field(156, 1);
        const prefix = field(345, 155);
        let name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
        longName = undefined;
        const body = tar.subarray(offset + 512, offset + 512 + size);
        if (type === "L") {
            longName = body.toString("utf8").replace(/\0.*$/s, "");
        } else if (type === "0" || type === "") {
            name = name.replace(/^\.\//, "");
            const file = wanted.find((w) => name === `${chart}/${w}`);
            if (file) found.set(file, body.toString("utf8"));
            if (name.startsWith(`${chart}/templates/`)) templates.push(body.toString("utf8"));
            if (name.startsWith(`${chart}/charts/`)) {
                const subchart = name.slice(`${chart}/charts/`.length).split("/")[0];
                if (subchart && !subchart.endsWith(".tgz")) subcharts.add(subchart);
            }
        }
        offset += 512 + Math.ceil(size / 512) * 512;
    }
    found.set(SUBCHARTS, [...subcharts].sort().join("\n"));
    found.set(TEMPLATES, templates.join("\n"));
    return found;
}

/** The values files of `<chart>-<version>` under `chartsDir`, or undefined when that chart is not there. */
export function readChartValuesFiles(chartsDir: string, chart: string, version: string): ChartValuesFiles | undefined {
    const base = `${chart}-${version.replace(/^v/, "")}`;
    const archive = path.join(chartsDir, `${base}.tgz`);
    const folder = path.join(chartsDir, base);
    let files: Map<string, string>;
    if (fs.existsSync(archive)) {
        files = readFromTarGz(fs.readFileSync(archive), chart, ["values.yaml", "values.schema.json"]);
    } else if (fs.existsSync(path.join(folder, "values.yaml"))) {
        files = new Map();
        for (const name of ["values.yaml", "values.schema.json"]) {
            const file = path.join(folder, name);
            if (fs.existsSync(file)) files.set(name, fs.readFileSync(file, "utf8"));
        }
        const charts = path.join(folder, "charts");
        const subcharts = fs.existsSync(charts) ? fs.readdirSync(charts, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : [];
        files.set(SUBCHARTS, subcharts.sort().join("\n"));
        files.set(TEMPLATES, readTree(path.join(folder, "templates")).join("\n"));
    } else {
        return undefined;
    }
    const valuesYaml = files.get("values.yaml");
    if (valuesYaml === undefined) return undefined;
    const subcharts = (files.get(SUBCHARTS) ?? "").split("\n").filter((name) => name !== "");
    return { valuesYaml, schemaJson: files.get("values.schema.json"), subcharts, templatesText: files.get(TEMPLATES) ?? "" };
}

/** The text of every file below `dir`, in name order. */
function readTree(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .flatMap((entry) => {
            const full = path.join(dir, entry.name);
            return entry.isDirectory() ? readTree(full) : entry.isFile() ? [fs.readFileSync(full, "utf8")] : [];
        });
}
