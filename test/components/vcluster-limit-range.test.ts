/** VCLUSTER_CHART_LIMIT_RANGE states each supported chart's own LimitRange defaults: read them from the chart archives. */
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { VCLUSTER_CHART_LIMIT_RANGE } from "../../components/vcluster-values";
import { supportedVersions } from "../../components/support-matrix";
import { sharedDir } from "../../lib/project";

const chartsDir = process.env.KUBELOOM_CHARTS_DIR ?? path.join(sharedDir(), "charts");

describe("VCLUSTER_CHART_LIMIT_RANGE matches each chart's values.yaml", () => {
    it("lists every supported vcluster release", () => {
        assert.deepEqual(Object.keys(VCLUSTER_CHART_LIMIT_RANGE).sort(), [...supportedVersions("vcluster")].sort());
    });
    for (const version of supportedVersions("vcluster")) {
        it(`vcluster ${version}: policies.limitRange.default and defaultRequest`, () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-vc-chart-"));
            try {
                const untar = spawnSync("tar", ["xzf", path.join(chartsDir, `vcluster-${version}.tgz`), "-C", dir, "vcluster/values.yaml"], { encoding: "utf8" });
                assert.equal(untar.status, 0, untar.stderr);
                const values = parse(fs.readFileSync(path.join(dir, "vcluster", "values.yaml"), "utf8")) as { policies: { limitRange: { default: Record<string, unknown>; defaultRequest: Record<string, unknown> } } };
                const strings = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
                assert.deepEqual(VCLUSTER_CHART_LIMIT_RANGE[version].default, strings(values.policies.limitRange.default));
                assert.deepEqual(VCLUSTER_CHART_LIMIT_RANGE[version].defaultRequest, strings(values.policies.limitRange.defaultRequest));
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }
});
