/**
 * Rolling upgrade of a 3-server + 2-agent K3s cluster, read from the resource graph of the mock plan: every node
 * is drained before its installer re-runs and must be Ready on the new version after it, before the next node is
 * drained; servers go first, then agents, one at a time. A version change changes exactly the steps' `update`
 * scripts (which Pulumi then runs), never their `create`; a lone node has no roll at all.
 */
import { strict as assert } from "node:assert";
import { dependsOnTransitively, devConfig, haConfig, named, planConfig, realisticMocks } from "../support/helpers";
import type { OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import { diffPlans } from "../../scripts/diff/plan-diff";

/** The install order the roll must follow, by host, with each install command's name. */
const NODES = [
    { host: "192.0.2.10", install: "dev-k3s-server" },
    { host: "192.0.2.11", install: "dev-k3s-server-192.0.2.11" },
    { host: "192.0.2.12", install: "dev-k3s-server-192.0.2.12" },
    { host: "192.0.2.21", install: "dev-k3s-agent-192.0.2.21" },
    { host: "192.0.2.22", install: "dev-k3s-agent-192.0.2.22" },
];

function withVersion(version: string): Record<string, any> {
    const config = haConfig();
    config.clusters[0].source.k3s.version = version;
    return config;
}

describe("K3s rolling upgrade (3 servers + 2 agents)", function () {
    this.timeout(60_000);
    let oldPlan: OfflinePlan;
    let newPlan: OfflinePlan;
    before(async () => {
        oldPlan = await planConfig(withVersion("v1.35.5+k3s1"), { mocks: realisticMocks(), preview: false });
        newPlan = await planConfig(withVersion("v1.36.4+k3s1"), { mocks: realisticMocks(), preview: false });
    });
    const step = (plan: OfflinePlan, kind: "drain" | "ready", host: string) => named(plan, `dev-k3s-${kind}-${host}`);
    const direct = (r: PlannedResource, target: PlannedResource) => r.dependsOn.includes(target.urn);

    it("drains each node before its install and waits for it to be Ready after", () => {
        for (const { host, install } of NODES) {
            const node = named(newPlan, install);
            assert.ok(direct(node, step(newPlan, "drain", host)), `${install} does not wait for its drain`);
            assert.ok(direct(step(newPlan, "ready", host), node), `the ready step of ${host} does not wait for its install`);
        }
    });

    it("one node at a time in order, servers before agents: a node is drained only after the one before it is Ready", () => {
        for (let i = 1; i < NODES.length; i++) {
            const drain = step(newPlan, "drain", NODES[i].host);
            assert.ok(direct(drain, step(newPlan, "ready", NODES[i - 1].host)), `${NODES[i].host} is drained before ${NODES[i - 1].host} is Ready`);
        }
        // And never the other way round: no earlier node waits for a later one (the graph is one chain).
        for (let i = 0; i < NODES.length; i++) {
            for (let j = i + 1; j < NODES.length; j++) {
                const earlier = named(newPlan, NODES[i].install);
                assert.ok(!dependsOnTransitively(newPlan, earlier, named(newPlan, NODES[j].install).urn, false), `${NODES[i].install} waits for ${NODES[j].install}`);
            }
        }
        const agentInstalls = NODES.slice(3).map((n) => named(newPlan, n.install));
        for (const agent of agentInstalls) assert.ok(dependsOnTransitively(newPlan, agent, step(newPlan, "ready", "192.0.2.12").urn, false), `${agent.name} runs before the last server is Ready`);
    });

    it("a version change changes each step's update (so it runs), not its create; the steps name the node and the version", () => {
        for (const { host } of NODES) {
            const nodeName = `node-${host.replace(/\./g, "-")}`;
            for (const kind of ["drain", "ready"] as const) {
                const old = step(oldPlan, kind, host);
                const bumped = step(newPlan, kind, host);
                assert.equal(bumped.inputs.create, old.inputs.create, `${kind} ${host}: create changed`);
                assert.notEqual(bumped.inputs.update, old.inputs.update, `${kind} ${host}: update unchanged, so Pulumi would not run it`);
                assert.ok(String(bumped.inputs.update).includes(`node='${nodeName}'`), `${kind} ${host} is not about ${nodeName}`);
            }
            const drain = String(step(newPlan, "drain", host).inputs.update);
            assert.match(drain, / cordon "\$node"/);
            assert.match(drain, / drain "\$node" --ignore-daemonsets --delete-emptydir-data --force --timeout=/);
            const ready = String(step(newPlan, "ready", host).inputs.update);
            assert.match(ready, /want='v1\.36\.4\+k3s1 True'/);
            assert.match(ready, / uncordon "\$node"/);
            assert.ok(ready.indexOf("uncordon") > ready.indexOf("while :; do"), "uncordon only after the Ready wait");
        }
    });

    it("the install scripts change with the version, the roll's resources and their order do not", () => {
        for (const { install } of NODES) assert.notEqual(named(newPlan, install).inputs.create, named(oldPlan, install).inputs.create);
        const shape = (plan: OfflinePlan) => plan.resources.map((r) => `${r.urn} <- ${[...r.dependsOn].sort().join(",")}`).sort();
        assert.deepEqual(shape(newPlan), shape(oldPlan));
    });

    it("the replace-aware plan diff shows the bump as updates: only the read-only kubeconfig read is replaced", () => {
        const diff = diffPlans({ stack: "dev", base: oldPlan, head: newPlan });
        const changes = diff.components.flatMap((c) => c.resources);
        assert.deepEqual(changes.filter((r) => r.change !== "change").map((r) => r.name), [], "nothing added or removed");
        assert.deepEqual(changes.filter((r) => r.replace).map((r) => r.name), ["dev-k3s-kubeconfig"], JSON.stringify(changes.filter((r) => r.replace)));
        const updated = new Set(changes.map((r) => r.name));
        for (const { host, install } of NODES) {
            for (const name of [install, `dev-k3s-drain-${host}`, `dev-k3s-ready-${host}`]) assert.ok(updated.has(name), `${name} is not updated by the bump`);
        }
        assert.ok(!updated.has("dev-k8s") || !changes.find((r) => r.name === "dev-k8s")?.replace, "the provider is not replaced");
    });

    it("a lone server has no roll steps (nothing to drain to)", async () => {
        const plan = await planConfig(devConfig(), { mocks: realisticMocks(), preview: false });
        assert.deepEqual(plan.resources.filter((r) => /-(drain|ready|nodename)-/.test(r.name)).map((r) => r.name), []);
    });
});
