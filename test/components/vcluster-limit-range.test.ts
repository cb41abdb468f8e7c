/** VCLUSTER_CHART_LIMIT_RANGE states each supported chart's own LimitRange defaults: read them from the chart archives. */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { VCLUSTER_CHART_LIMIT_RANGE } from "../../components/vcluster-values";
import { supportedVersions } from "../../components/support-matrix";
import { needChartFile } from "../support/artifacts";

describe("VCLUSTER_CHART_LIMIT_RANGE matches each chart's values.yaml", () => {
    it("lists every supported vcluster release", () => {
        assert.deepEqual(Object.keys(VCLUSTER_CHART_LIMIT_RANGE).sort(), [...supportedVersions("vcluster")].sort());
    });
    for (const version of supportedVersions("vcluster")) {
        it(`vcluster ${version}: policies.limitRange.default and defaultRequest`, function () {
            const values = parse(needChartFile("vcluster", version, "values.yaml", this).toString("utf8")) as { policies: { limitRange: { default: Record<string, unknown>; defaultRequest: Record<string, unknown> } } };
            const strings = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
            assert.deepEqual(VCLUSTER_CHART_LIMIT_RANGE[version].default, strings(values.policies.limitRange.default));
            assert.deepEqual(VCLUSTER_CHART_LIMIT_RANGE[version].defaultRequest, strings(values.policies.limitRange.defaultRequest));
        });
    }
});
