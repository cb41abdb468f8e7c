import { strict as assert } from "node:assert";
import { OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import { planStack } from "../../scripts/plan/plan-stack";
import { dependsOnTransitively, devConfig, named, ofType, planConfig } from "../support/helpers";
import { PROJECT_DIR } from "../../lib/project";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const projectDir = PROJECT_DIR;

const release = (plan: OfflinePlan, chart: string): PlannedResource[] => ofType(plan, RELEASE).filter((r) => r.inputs.chart === chart);
const components = (plan: OfflinePlan) => plan.resources.filter((r) => r.type.startsWith("kubeloom:index:"));

describe("lifecycle safety", () => {
    describe("protect", () => {
        it("is off for dev and test stacks", async () => {
            const plan = await planConfig(devConfig(), { stack: "dev" });
            for (const c of components(plan)) assert.equal(c.options.protect, false, c.urn);
        });

        it("is on by default for any other stack", async () => {
            const plan = await planConfig(devConfig(), { stack: "prod" });
            for (const c of components(plan)) assert.equal(c.options.protect, true, c.urn);
        });

        it("follows clusters[i].protect when set", async () => {
            const raw = devConfig();
            raw.clusters[0].protect = false;
            const plan = await planConfig(raw, { stack: "prod" });
            for (const c of components(plan)) assert.equal(c.options.protect, false, c.urn);
        });
    });

    describe("fixed names delete before they replace", () => {
        it("for every Helm release (pinned release names) and vCluster namespace", async () => {
            for (const stack of ["dev", "mesh", "chain"]) {
                const plan = await planStack({ projectDir, stack });
                const releases = ofType(plan, RELEASE);
                assert.ok(releases.length > 0);
                for (const r of releases) {
                    assert.equal(typeof r.inputs.name, "string", `${r.urn}: release name pinned`);
                    assert.equal(r.options.deleteBeforeReplace, true, `${stack}: ${r.urn}`);
                }
                for (const ns of ofType(plan, "kubernetes:core/v1:Namespace").filter((n) => n.parent?.includes("VCluster"))) {
                    assert.equal(ns.options.deleteBeforeReplace, true, ns.urn);
                }
            }
        });
    });

    describe("destroy order: vClusters, then Cilium, then K3s", () => {
        it("follows from the creation dependencies (the engine deletes in reverse)", async () => {
            const plan = await planStack({ projectDir, stack: "dev" });
            const cilium = release(plan, "cilium")[0];
            const server = named(plan, "dev-k3s-server");
            assert.ok(dependsOnTransitively(plan, cilium, named(plan, "dev-k3s").urn, false), "Cilium waits for K3s");
            for (const vc of release(plan, "vcluster")) {
                assert.ok(dependsOnTransitively(plan, vc, cilium.urn, false), `${vc.name} waits for Cilium`);
            }
            assert.ok(!dependsOnTransitively(plan, server, cilium.urn), "K3s does not wait for Cilium");
        });

        it("puts mesh services and policies after their cluster's Cilium", async () => {
            const plan = await planStack({ projectDir, stack: "mesh" });
            const meshObjects = plan.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.parent?.includes("MeshServices") || r.parent?.includes("MeshDemo")));
            assert.ok(meshObjects.length > 0);
            for (const r of meshObjects) {
                const cluster = r.name.split("-")[1];
                const cilium = release(plan, "cilium").find((c) => c.name === `${cluster}-cilium-release`)!;
                assert.ok(dependsOnTransitively(plan, r, cilium.urn, false), `${r.name} waits for ${cilium.name}`);
            }
        });
    });

    describe("version bumps update in place", () => {
        // One step of each inside the support matrix: K3s 1.34 → 1.35 with Cilium 1.19.6 → 1.20.0 (both run on 1.34
        // and 1.35 is 1.20's); vCluster 0.36.1 is the only release for these hosts, so it stays.
        async function bumped(): Promise<[OfflinePlan, OfflinePlan]> {
            const raw = devConfig();
            raw.clusters[0].source.k3s.version = "v1.34.4+k3s1";
            raw.clusters[0].cilium.version = "1.19.6";
            const before = await planConfig(raw);
            raw.clusters[0].source.k3s.version = "v1.35.5+k3s1";
            raw.clusters[0].cilium.version = "1.20.0";
            return [before, await planConfig(raw)];
        }

        it("re-runs the K3s installer through update, with no replacement trigger, and keeps the token", async () => {
            const [before, after] = await bumped();
            const server = [named(before, "dev-k3s-server"), named(after, "dev-k3s-server")];
            assert.notEqual(server[0].inputs.create, server[1].inputs.create);
            assert.match(String(server[1].inputs.create), /INSTALL_K3S_VERSION='v1\.35\.5\+k3s1'/);
            for (const s of server) {
                assert.equal(s.inputs.update, s.inputs.create, "the changed script runs as an update");
                assert.equal(s.inputs.triggers, undefined, "triggers would replace (uninstall) the host");
                // @pulumi/command 1.x sets replaceOnChanges ["triggers[*]"] on every Command: inert while triggers is unset.
                assert.deepEqual(s.options.replaceOnChanges, ["triggers[*]"]);
            }
            assert.deepEqual(named(after, "dev-k3s-token").inputs, named(before, "dev-k3s-token").inputs, "the token never changes");
        });

        it("changes only the version of the same Helm releases", async () => {
            const [before, after] = await bumped();
            for (const chart of ["cilium", "vcluster"]) {
                const a = release(before, chart).map((r) => r.urn);
                assert.deepEqual(release(after, chart).map((r) => r.urn), a, `${chart}: same releases`);
            }
            const cilium = [release(before, "cilium")[0], release(after, "cilium")[0]];
            assert.deepEqual(cilium[1].inputs.values, cilium[0].inputs.values);
            assert.equal(cilium[1].inputs.version, "1.20.0");
            assert.equal(cilium[1].inputs.name, cilium[0].inputs.name);
        });

        it("keeps the mesh CA when Cilium is upgraded", async () => {
            const stack = await planStack({ projectDir, stack: "mesh" });
            const ca = named(stack, "mesh-ca");
            assert.ok(!JSON.stringify(ca.inputs).includes("1.16"), "the CA's inputs do not depend on any version");
            assert.equal(ca.inputs.validityPeriodHours, 87600);
        });
    });
});
