import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    CILIUM_RELEASES,
    ciliumRelease,
    commonKubernetes,
    compareVersions,
    formatRange,
    K3S_DEFAULT,
    K3S_LINES,
    k3sLine,
    kindNodeKubernetes,
    KIND_NODE_DEFAULT,
    kubernetesMinors,
    MATRIX_DEFAULTS,
    METALLB_RELEASES,
    minorDistance,
    minorOf,
    newestCombination,
    nextRelease,
    supportedVersions,
    supportsKubernetes,
    VCLUSTER_RELEASES,
    vclusterRelease,
    vclusterLine,
    tenantFenceOwner,
    LBIPAM_MIN_CILIUM,
    supportsLbIpam,
    vclusterDistro,
} from "../../components/support-matrix";
import { projectArtifactLock } from "../../lib/artifacts";

describe("support matrix", () => {
    it("reads the minor of every version form Kubeloom meets", () => {
        const table: Array<[string, string | undefined]> = [
            ["1.16.19", "1.16"],
            ["v1.20.0", "1.20"],
            ["v1.36.4+k3s1", "1.36"],
            ["kindest/node:v1.36.1", "1.36"],
            ["kindest/node:v1.30.4@sha256:" + "a".repeat(64), "1.30"],
            ["0.36.1", "0.36"],
            ["1.34", "1.34"],
            ["latest", undefined],
        ];
        for (const [version, minor] of table) assert.equal(minorOf(version), minor, version);
    });

    it("names the next minor's release as the next upgrade step", () => {
        assert.equal(nextRelease("cilium", "1.16.19")?.version, "1.17.18");
        assert.equal(nextRelease("cilium", "1.16.10")?.version, "1.17.18");
        assert.equal(nextRelease("cilium", "1.19.6")?.version, "1.20.0");
        assert.equal(nextRelease("cilium", "1.20.0"), undefined);
        assert.equal(nextRelease("vcluster", "0.20.6")?.version, "0.36.1");
        assert.equal(nextRelease("metallb", "0.14.9")?.version, "0.16.1");
    });

    it("orders versions numerically and measures minor steps", () => {
        assert.equal(compareVersions("1.9.0", "1.10.0"), -1);
        assert.equal(compareVersions("1.20.0", "1.19.6"), 1);
        assert.equal(compareVersions("v1.36.4+k3s1", "1.36.4"), 0);
        assert.equal(minorDistance("1.16.19", "1.18.12"), 2);
        assert.equal(minorDistance("1.17.18", "1.16.19"), -1);
        assert.equal(minorDistance("0.20.6", "0.36.1"), 16);
        assert.equal(minorDistance("0.20.6", "1.0.0"), undefined);
    });

    it("lists each chart's releases oldest first, with the exact versions artifacts.lock.json pins", () => {
        for (const releases of [CILIUM_RELEASES, VCLUSTER_RELEASES, METALLB_RELEASES]) {
            const versions = releases.map((r) => r.version);
            assert.deepEqual(versions, [...versions].sort(compareVersions));
        }
        assert.deepEqual(supportedVersions("cilium"), ["1.16.19", "1.17.18", "1.18.12", "1.19.6", "1.20.0"]);
        assert.deepEqual(supportedVersions("vcluster"), ["0.20.6", "0.36.1"]);
        assert.deepEqual(supportedVersions("metallb"), ["0.14.9", "0.16.1"]);
        for (const component of ["cilium", "vcluster", "metallb"] as const) {
            const locked = projectArtifactLock().charts.filter((c) => c.chart === component).map((c) => c.version);
            assert.deepEqual(locked, supportedVersions(component), `artifacts.lock.json pins ${component} ${locked.join(", ")}; the support matrix lists ${supportedVersions(component).join(", ")}`);
        }
    });

    it("gives each release its Kubernetes range and refuses what lies outside it", () => {
        assert.equal(formatRange(ciliumRelease("1.20.0")!.kubernetes), "1.33–1.36");
        assert.equal(formatRange(ciliumRelease("1.16.19")!.kubernetes), "1.27–1.30");
        assert.equal(formatRange(ciliumRelease("1.19.6")!.kubernetes), "1.31–1.34");
        assert.equal(formatRange(vclusterRelease("0.36.1")!.kubernetes), "1.34–1.36");
        assert.equal(vclusterRelease("0.36.1")!.distro, "k8s");
        assert.equal(vclusterRelease("0.20.6")!.distro, "k3s");
        assert.ok(supportsKubernetes(ciliumRelease("1.20.0")!.kubernetes, "v1.36.4+k3s1"));
        assert.ok(!supportsKubernetes(ciliumRelease("1.20.0")!.kubernetes, "v1.32.1+k3s1"));
        assert.ok(!supportsKubernetes(ciliumRelease("1.20.0")!.kubernetes, "v1.37.2+k3s1"));
        assert.equal(ciliumRelease("1.20.1"), undefined, "an unsupported patch is not in the matrix");
        assert.equal(ciliumRelease("v1.19.6")?.version, "1.19.6");
        assert.deepEqual(kubernetesMinors({ min: "1.33", max: "1.36" }), ["1.33", "1.34", "1.35", "1.36"]);
    });

    it("accepts K3s and kind by Kubernetes line, 1.27 to 1.36 (what some Cilium supports)", () => {
        assert.deepEqual(K3S_LINES.map((l) => l.kubernetes), kubernetesMinors({ min: "1.27", max: "1.36" }));
        for (const line of K3S_LINES) assert.equal(k3sLine(line.example)?.kubernetes, line.kubernetes, line.example);
        assert.equal(k3sLine("v1.37.2+k3s1"), undefined);
        assert.equal(k3sLine("v1.26.15+k3s1"), undefined);
        assert.equal(kindNodeKubernetes("kindest/node:v1.36.1"), "1.36");
        assert.equal(kindNodeKubernetes("kindest/node:latest"), undefined);
        const union = new Set(CILIUM_RELEASES.flatMap((r) => kubernetesMinors(r.kubernetes)));
        assert.deepEqual([...union].sort(compareVersions), K3S_LINES.map((l) => l.kubernetes));
    });

    it("picks defaults that all support the default K3s line", () => {
        assert.equal(MATRIX_DEFAULTS.k3s, K3S_DEFAULT);
        assert.equal(MATRIX_DEFAULTS.kindNode, KIND_NODE_DEFAULT);
        const kube = minorOf(K3S_DEFAULT)!;
        assert.equal(kindNodeKubernetes(KIND_NODE_DEFAULT), kube, "kind and K3s defaults share a Kubernetes minor");
        const ranges = [ciliumRelease(MATRIX_DEFAULTS.cilium)!, vclusterRelease(MATRIX_DEFAULTS.vcluster)!, METALLB_RELEASES.find((r) => r.version === MATRIX_DEFAULTS.metallb)!].map((r) => r.kubernetes);
        assert.ok(commonKubernetes(ranges).includes(kube), `defaults do not share Kubernetes ${kube}`);
        // The newest: no newer release of each chart also supports the default line.
        for (const [releases, chosen] of [[CILIUM_RELEASES, MATRIX_DEFAULTS.cilium], [VCLUSTER_RELEASES, MATRIX_DEFAULTS.vcluster], [METALLB_RELEASES, MATRIX_DEFAULTS.metallb]] as const) {
            const newer = releases.filter((r) => compareVersions(r.version, chosen) > 0 && supportsKubernetes(r.kubernetes, kube));
            assert.deepEqual(newer, [], `a newer release than ${chosen} supports ${kube}`);
        }
    });
});

describe("support matrix: version facts", () => {
    it("states each vCluster release's chart line as its minor, and vclusterLine reads it from the matrix", () => {
        for (const release of VCLUSTER_RELEASES) {
            assert.equal(release.line, minorOf(release.version), release.version);
            assert.equal(vclusterLine(release.version), release.line);
            assert.equal(tenantFenceOwner(release.line), release.tenantFence);
        }
        assert.equal(vclusterLine("v0.20.6"), "0.20");
        assert.equal(vclusterLine("0.21.0"), undefined, "a line the matrix does not have");
    });

    it("gives the 0.20 fence to the chart and the 0.36 fence to Kubeloom (the chart's 0.36 ingress rule voids L7 rules)", () => {
        assert.equal(tenantFenceOwner("0.20"), "chart");
        assert.equal(tenantFenceOwner("0.36"), "kubeloom");
    });

    it("knows a vCluster version's distro outside the matrix: k3s before 0.33, k8s from it", () => {
        assert.equal(vclusterDistro("0.20.6"), "k3s");
        assert.equal(vclusterDistro("0.32.9"), "k3s");
        assert.equal(vclusterDistro("0.33.0"), "k8s");
        assert.equal(vclusterDistro("0.36.1"), "k8s");
    });

    it("has LB-IPAM from Cilium 1.18 (cilium.io/v2 pools) and for every newer release", () => {
        assert.equal(LBIPAM_MIN_CILIUM, "1.18");
        assert.deepEqual(CILIUM_RELEASES.filter((r) => supportsLbIpam(r.version)).map((r) => r.version), ["1.18.12", "1.19.6", "1.20.0"]);
        assert.equal(supportsLbIpam("v1.17.99"), false);
        assert.equal(supportsLbIpam("2.0.0"), true);
        assert.equal(supportsLbIpam("latest"), false);
    });
});

describe("support matrix combinations", () => {
    it("finds the newest combination around each pinned release, and none for impossible pins", () => {
        assert.deepEqual(newestCombination(), { kubernetes: "1.36", cilium: "1.20.0", vcluster: "0.36.1", metallb: "0.16.1", k3s: "v1.36.4+k3s1", kindNode: "kindest/node:v1.36.1" });
        assert.equal(newestCombination({ cilium: "1.16.19" })?.kubernetes, "1.30");
        assert.equal(newestCombination({ cilium: "1.16.19" })?.vcluster, "0.20.6");
        assert.equal(newestCombination({ cilium: "1.17.18" })?.kubernetes, "1.30", "with vClusters 1.17 must stay where 0.20.6 runs");
        assert.equal(newestCombination({ cilium: "1.17.18" }, [])?.kubernetes, "1.32", "without vClusters its newest line");
        assert.equal(newestCombination({ cilium: "1.19.6" })?.kubernetes, "1.34");
        assert.equal(newestCombination({ cilium: "1.16.19", vcluster: "0.36.1" }), undefined);
        assert.equal(newestCombination({ cilium: "1.20.0", kubernetes: "1.32" }), undefined);
        for (const release of [...CILIUM_RELEASES, ...VCLUSTER_RELEASES]) {
            const pins = CILIUM_RELEASES.includes(release) ? { cilium: release.version } : { vcluster: release.version };
            assert.ok(newestCombination(pins), `no combination with ${release.version}`);
        }
    });
});

describe("support matrix in docs/support-matrix.md", () => {
    it("lists every chart release with its Kubernetes range, and bolds exactly the defaults", () => {
        const readme = fs.readFileSync(path.join(__dirname, "../../docs/support-matrix.md"), "utf8");
        const rows = readme.split("\n").filter((line) => /^\| (Cilium|vCluster|MetalLB) \|/.test(line)).map((line) => line.split("|").map((cell) => cell.trim()));
        const listed = rows.map(([, component, release, kubernetes]) => ({ component, version: release.replace(/\*/g, ""), bold: release.startsWith("**"), kubernetes }));
        const expected = [
            ...CILIUM_RELEASES.map((r) => ({ component: "Cilium", version: r.version, bold: r.version === MATRIX_DEFAULTS.cilium, kubernetes: formatRange(r.kubernetes) })),
            ...VCLUSTER_RELEASES.map((r) => ({ component: "vCluster", version: r.version, bold: r.version === MATRIX_DEFAULTS.vcluster, kubernetes: `hosts ${formatRange(r.kubernetes)}` })),
            ...METALLB_RELEASES.map((r) => ({ component: "MetalLB", version: r.version, bold: r.version === MATRIX_DEFAULTS.metallb, kubernetes: `≥ ${r.kubernetes.min}` })),
        ];
        assert.deepEqual(listed, expected);
        assert.ok(readme.includes(`**${MATRIX_DEFAULTS.k3s}**`) && readme.includes(`**${MATRIX_DEFAULTS.kindNode.split(":")[1]}**`));
    });
});
