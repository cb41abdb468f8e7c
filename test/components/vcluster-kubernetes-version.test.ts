import { strict as assert } from "node:assert";
import { vclusterKubernetesTag, vclusterKubernetesVersions, vclusterValues, VClusterValuesInput } from "../../components/vcluster-values";
import { supportedVersions } from "../../components/support-matrix";
import { formatSchemaErrors, validateVClusterValues } from "../support/schemas";
import { devConfig, issuesOf } from "../support/fixtures";
import { checkChartValues } from "../../config/chart-values-check";
import { parseStackConfig } from "../../config/parse";

const base: VClusterValuesInput = { name: "vc-a", contextName: "dev-vc-a", expose: { type: "ClusterIP" }, isolate: true };

describe("vclusters[].kubernetesVersion", () => {
    it("every release offers its chart default and a range of minors", () => {
        assert.deepEqual(vclusterKubernetesVersions("0.20.6"), ["1.27", "1.28", "1.29", "1.30"]);
        assert.deepEqual(vclusterKubernetesVersions("0.36.1"), ["1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36"]);
        for (const version of supportedVersions("vcluster")) assert.ok(vclusterKubernetesVersions(version).length > 0, version);
    });

    it("sets the k3s image tag on 0.20 and the k8s version on 0.36, valid against each release's schema", () => {
        const old = vclusterValues({ ...base, version: "0.20.6", kubernetesVersion: "1.29" });
        assert.deepEqual((old.controlPlane as any).distro, { k3s: { enabled: true, image: { tag: "v1.29.6-k3s1" } }, k8s: { enabled: false } });
        const now = vclusterValues({ ...base, version: "0.36.1", kubernetesVersion: "v1.35" });
        assert.deepEqual((now.controlPlane as any).distro, { k8s: { enabled: true, version: "v1.35.0" } });
        assert.equal(formatSchemaErrors(validateVClusterValues(old, "0.20.6")), "");
        assert.equal(formatSchemaErrors(validateVClusterValues(now, "0.36.1")), "");
        assert.deepEqual((vclusterValues({ ...base, version: "0.36.1" }).controlPlane as any).distro, { k8s: { enabled: true } }, "unset: the chart's default");
        assert.equal(vclusterKubernetesTag("0.20.6", "1.36"), undefined);
        assert.throws(() => vclusterValues({ ...base, version: "0.20.6", kubernetesVersion: "1.36" }), /Kubernetes 1\.36 is not offered by vcluster 0\.20\.6 \(1\.27, 1\.28, 1\.29, 1\.30\)/);
    });

    it("fails a minor the release's distro does not offer, at its key path", () => {
        const raw = devConfig();
        raw.clusters[0].vclusters[0].kubernetesVersion = "1.26";
        const issues = issuesOf(raw);
        assert.equal(issues.length, 1, issues.join("\n"));
        assert.match(issues[0], /^clusters\[0\]\.vclusters\[0\]\.kubernetesVersion: "1\.26" is not offered by vcluster 0\.36\.1's k8s distro: it offers 1\.30, 1\.31/);
        raw.clusters[0].vclusters[0].kubernetesVersion = "1.35";
        assert.deepEqual(issuesOf(raw), []);
        raw.clusters[0].vclusters[0].kubernetesVersion = "1.35.2";
        assert.match(issuesOf(raw)[0], /kubernetesVersion: .*must be a Kubernetes minor like "1\.35"/);
    });

    it("is never confused with the chart version: k8sVersion and kubeVersion are told kubernetesVersion", () => {
        for (const typo of ["k8sVersion", "kubeVersion", "k8s_version"]) {
            const raw = devConfig();
            raw.clusters[0].vclusters[0][typo] = "1.35";
            const [issue] = issuesOf(raw);
            assert.match(issue, new RegExp(`vclusters\\[0\\]\\.${typo}: is not a known key \\(did you mean "kubernetesVersion"\\?\\)`), issue);
        }
    });

    it("owns the distro's version keys in vclusters[].values", () => {
        const raw = devConfig();
        raw.clusters[0].vclusters[0].values = { controlPlane: { distro: { k8s: { version: "v1.35.0" } } } };
        const report = checkChartValues(parseStackConfig(raw), () => undefined);
        assert.deepEqual(report.issues.map((i) => i.path), ["clusters[0].vclusters[0].values.controlPlane.distro.k8s.version"]);
        assert.match(report.issues[0].message, /clusters\[0\]\.vclusters\[0\]\.kubernetesVersion/);
    });
});
