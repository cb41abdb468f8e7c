/**
 * The pure parts of the e2e run, checked where the run itself cannot happen: the throwaway stack's config built
 * from the real Pulumi.mesh.yaml, the demo's per-cluster expectations, answer parsing and the no-changes check.
 */
import { strict as assert } from "node:assert";
import * as path from "path";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { parseStackConfig } from "../../config/parse";
import { readStackFile, StackFileConfig } from "../../scripts/plan/stack-file";
import { rebelBaseResponse } from "../../components/mesh-demo";
import { answersProblem, clusterFromAnswer, demoExpectations, E2E_VCLUSTER, e2eStackConfig, e2eStackName, expectationSeen, NO_ANSWER, resourceChangesOtherThanSame } from "./harness";
import { PROJECT_DIR } from "../../lib/project";

const projectDir = PROJECT_DIR;
const meshFile = () => readStackFile(path.join(projectDir, "Pulumi.mesh.yaml"), "kubeloom");

function plainConfig(config: ReturnType<typeof e2eStackConfig>["config"]): Record<string, string> {
    return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, value.value]));
}

describe("e2e harness", () => {
    describe("e2eStackName", () => {
        it("is e2e-mesh-<random>, different per run", () => {
            assert.equal(e2eStackName(() => "abc123"), "e2e-mesh-abc123");
            assert.match(e2eStackName(), /^e2e-mesh-[0-9a-f]{6}$/);
            assert.notEqual(e2eStackName(), e2eStackName());
        });
    });

    describe("e2eStackConfig from Pulumi.mesh.yaml", () => {
        const built = () => e2eStackConfig(meshFile(), "e2e-mesh-abc123");

        it("keeps every kubeloom key, plaintext, and passes the program's validator", () => {
            const { config } = built();
            assert.deepEqual(Object.keys(config).sort(), Object.keys(meshFile().config).filter((k) => k.startsWith("kubeloom:")).sort());
            assert.ok(Object.values(config).every((v) => v.secret === false));
            const parsed = parseStackConfig(rawConfigFromPulumi(plainConfig(config)), { stackName: "e2e-mesh-abc123", secretKeys: [] });
            assert.deepEqual(parsed.mesh, parseStackConfig(rawConfigFromPulumi(meshFile().config)).mesh, "the mesh settings are copied unchanged");
        });

        it("adds a NodePort vCluster to the first cluster only and turns protect off everywhere", () => {
            const parsed = parseStackConfig(rawConfigFromPulumi(plainConfig(built().config)), { stackName: "e2e-mesh-abc123", secretKeys: [] });
            assert.deepEqual(
                parsed.clusters.map((c) => c.vclusters.map((vc) => [vc.name, vc.expose])),
                [[[E2E_VCLUSTER.name, "NodePort"]], []],
            );
            assert.deepEqual(parsed.clusters.map((c) => c.protect), [false, false]);
        });

        it("reports the clusters, the mesh order, the MetalLB pools and the vCluster's context", () => {
            const e2e = built();
            assert.deepEqual(e2e.clusterNames, ["c1", "c2"]);
            assert.deepEqual(e2e.meshClusterNames, ["c1", "c2"]);
            assert.deepEqual(e2e.metallbPools, ["172.22.0.50-172.22.0.100", "172.22.0.101-172.22.0.150"]);
            assert.equal(e2e.vclusterContext, "c1-e2e");
        });

        const variants: Array<{ name: string; change: (file: StackFileConfig) => StackFileConfig; error: RegExp }> = [
            { name: "fails on secret keys (they cannot be copied)", change: (f) => ({ ...f, secretKeys: ["kubeloom:sshPrivateKey"] }), error: /secret keys \(kubeloom:sshPrivateKey\)/ },
            {
                name: "fails without the demo",
                change: (f) => ({ ...f, config: { ...f.config, "kubeloom:mesh": JSON.stringify({ ...JSON.parse(f.config["kubeloom:mesh"]), demo: false }) } }),
                error: /mesh\.demo/,
            },
            {
                name: "fails when the config is invalid for the program",
                change: (f) => ({ ...f, config: { ...f.config, "kubeloom:mesh": JSON.stringify({ ...JSON.parse(f.config["kubeloom:mesh"]), sevriceType: "x" }) } }),
                error: /invalid Kubeloom config/,
            },
            { name: "fails without clusters", change: (f) => ({ ...f, config: {} }), error: /no kubeloom:clusters/ },
        ];
        for (const v of variants) {
            it(v.name, () => assert.throws(() => e2eStackConfig(v.change(meshFile()), "e2e-mesh-abc123"), v.error));
        }
    });

    describe("demoExpectations", () => {
        it("from the first mesh cluster only the second answers; from the others every cluster answers", () => {
            assert.deepEqual(demoExpectations(["c1", "c2"]), [
                { from: "c1", expect: ["c2"], forbid: ["c1"] },
                { from: "c2", expect: ["c1", "c2"], forbid: [] },
            ]);
        });
    });

    describe("answers", () => {
        it("reads the cluster from the demo's response page, and nothing from anything else", () => {
            assert.equal(clusterFromAnswer(rebelBaseResponse("c2")), "c2");
            for (const text of ["", "curl: (28) Connection timed out", "<html>502</html>", '{"Galaxy":"Alderaan"}', "null"]) {
                assert.equal(clusterFromAnswer(text), undefined, JSON.stringify(text));
            }
        });

        const fromC1 = { from: "c1", expect: ["c2"], forbid: ["c1"] };
        const fromC2 = { from: "c2", expect: ["c1", "c2"], forbid: [] };
        it("accepts the expected answers, requests dropped by the policy included", () => {
            assert.equal(answersProblem(fromC1, new Map([["c2", 11], [NO_ANSWER, 9]])), undefined);
            assert.equal(answersProblem(fromC2, new Map([["c1", 10], ["c2", 10]])), undefined);
            assert.equal(expectationSeen(fromC2, new Map([["c1", 1], ["c2", 1]])), true);
        });
        it("fails a forbidden cluster that answered, and an expected one that never did", () => {
            assert.match(answersProblem(fromC1, new Map([["c1", 1], ["c2", 19]]))!, /from c1: c1 answered although the demo policy denies it \(answers: c1 ×1, c2 ×19\)/);
            assert.match(answersProblem(fromC2, new Map([["c2", 20]]))!, /from c2: c1 never answered/);
            assert.match(answersProblem(fromC2, new Map())!, /answers: nothing/);
            assert.equal(expectationSeen(fromC2, new Map([["c2", 20]])), false);
        });
    });

    describe("resourceChangesOtherThanSame", () => {
        it("is empty when every resource is same", () => {
            assert.deepEqual(resourceChangesOtherThanSame({ same: 57 }), []);
            assert.deepEqual(resourceChangesOtherThanSame({ same: 57, update: 0 }), []);
            assert.deepEqual(resourceChangesOtherThanSame(undefined), []);
        });
        it("lists every other operation", () => {
            assert.deepEqual(resourceChangesOtherThanSame({ same: 50, update: 1, replace: 2 }), ["replace: 2", "update: 1"]);
        });
    });
});
