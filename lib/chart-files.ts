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
}

/** Files of a ustar archive's top-level chart folder (`<chart>/<file>`), only those named in `wanted`. */
function readFromTarGz(archive: Buffer, chart: string, wanted: readonly string[]): Map<string, string> {
    const tar = gunzipSync(archive);
    const found = new Map<string, string>();
    let offset = 0;
    let longName: string | undefined;
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
        }
        offset += 512 + Math.ceil(size / 512) * 512;
    }
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
    } else {
        return undefined;
    }
    const valuesYaml = files.get("values.yaml");
    if (valuesYaml === undefined) return undefined;
    return { valuesYaml, schemaJson: files.get("values.schema.json") };
}
