import { strict as assert } from "node:assert";
import { SECRET_KEYS } from "../../config/schema";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { parseStackConfig } from "../../config/parse";
import { meshMembers } from "../../config/resolve";
import { parseStackFile } from "../../scripts/plan/stack-file";
import {
    benchStackFile,
    MAX_BENCH_MESH_CLUSTERS,
    MAX_BENCH_VCLUSTERS,
    meshBenchConfig,
    vclusterBenchConfig,
} from "../../scripts/bench/bench-configs";
import { at, ofType, planConfig } from "../support/helpers";

const RELEASE = "kubernetes:helm.sh/v3:Release";

/** Validates a generated config the way the program does, with its secret keys set as secrets. */
function parse(raw: Record<string, unknown>) {
    return parseStackConfig(raw, { secretKeys: [...SECRET_KEYS].filter((key) => raw[key] !== undefined) });
}

describe("benchmark configs", () => {
    for (const count of [1, 10, 50, 200]) {
        it(`generates a valid stack with ${count} vCluster(s) on one K3s cluster, each on its own NodePort`, () => {
            const config = parse(vclusterBenchConfig(count));
            assert.equal(config.clusters.length, 1);
            assert.ok(config.clusters[0].source.k3s);
            const vclusters = config.clusters[0].vclusters;
            assert.equal(vclusters.length, count);
            assert.equal(new Set(vclusters.map((vc) => vc.name)).size, count);
            const ports = vclusters.map((vc) => vc.nodePort!);
            assert.ok(vclusters.every((vc) => vc.expose === "NodePort"));
            assert.equal(new Set(ports).size, count);
            assert.ok(ports.every((port) => port >= 30000 && port <= 32767));
        });
    }

    for (const count of [2, 5, 10, 20]) {
        it(`generates a valid ${count}-cluster kind mesh with LoadBalancer apiservers and the demo off`, () => {
            const config = parse(meshBenchConfig(count));
            assert.equal(config.clusters.length, count);
            assert.equal(meshMembers(config).length, count);
            assert.ok(config.clusters.every((c) => c.source.kind && c.loadBalancer?.metallb));
            assert.equal(config.mesh?.serviceType, "LoadBalancer");
            assert.equal(config.mesh?.demo, false);
        });
    }

    it("stays valid at the largest sizes the generators allow", () => {
        assert.equal(parse(vclusterBenchConfig(MAX_BENCH_VCLUSTERS)).clusters[0].vclusters.length, MAX_BENCH_VCLUSTERS);
        assert.equal(parse(meshBenchConfig(MAX_BENCH_MESH_CLUSTERS)).clusters.length, MAX_BENCH_MESH_CLUSTERS);
    });

    it("fails on sizes the generators cannot make valid", () => {
        assert.throws(() => vclusterBenchConfig(MAX_BENCH_VCLUSTERS + 1), /count must be an integer from 0 to 2768/);
        assert.throws(() => vclusterBenchConfig(1.5), RangeError);
        assert.throws(() => meshBenchConfig(1), /count must be an integer from 2/);
        assert.throws(() => meshBenchConfig(MAX_BENCH_MESH_CLUSTERS + 1), RangeError);
    });

    it("writes stack files whose secret keys are secure values, which read back to the same config", () => {
        const config = vclusterBenchConfig(3);
        const text = benchStackFile(config);
        assert.doesNotMatch(text, /\[secret\]/, "the secret placeholder is written as a secure: value");
        const stackFile = parseStackFile(text, "kubeloom");
        assert.deepEqual(stackFile.secretKeys, ["kubeloom:sshPrivateKey"]);
        const parsed = parseStackConfig(rawConfigFromPulumi(stackFile.config), { secretKeys: ["sshPrivateKey"] });
        assert.deepEqual(parsed, parse(config));
        assert.deepEqual(parseStackFile(benchStackFile(meshBenchConfig(2)), "kubeloom").secretKeys, []);
    });

    it("plans one vCluster release per generated vCluster", async () => {
        const plan = await planConfig(vclusterBenchConfig(3), { stack: "bench-vclusters-3" });
        const releases = ofType(plan, RELEASE);
        assert.deepEqual(
            releases.filter((r) => r.inputs.chart === "vcluster").map((r) => r.inputs.name).sort(),
            ["vc-0001", "vc-0002", "vc-0003"],
        );
        assert.equal(releases.filter((r) => r.inputs.chart === "cilium").length, 1);
    });

    it("plans a full mesh: every cluster's Cilium lists every other cluster as a peer", async () => {
        const plan = await planConfig(meshBenchConfig(3), { stack: "bench-mesh-3" });
        const cilium = ofType(plan, RELEASE).filter((r) => r.inputs.chart === "cilium");
        assert.equal(cilium.length, 3);
        for (const release of cilium) {
            const own = at(release.inputs.values, "cluster.name");
            const peers = (at(release.inputs.values, "clustermesh.config.clusters") as Array<{ name: string }>).map((p) => p.name).sort();
            assert.deepEqual(peers, ["m01", "m02", "m03"].filter((name) => name !== own));
        }
        assert.equal(ofType(plan, RELEASE).filter((r) => r.inputs.chart === "metallb").length, 3);
    });
});
