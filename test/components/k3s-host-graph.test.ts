/**
 * K3sHost as a resource graph: a server with agents plans the agents after the server, names each agent by its host,
 * and keeps the old index names as aliases, so removing the first agent replaces nothing else.
 */
import { strict as assert } from "node:assert";
import { dependsOnTransitively, devConfig, planConfig } from "../support/helpers";
import type { OfflinePlan } from "../../scripts/plan/offline-plan";

function withAgents(hosts: readonly string[]): Record<string, any> {
    const config = devConfig();
    config.clusters[0].source.k3s.agents = hosts.map((host) => ({ host }));
    return config;
}

const agentCommands = (plan: OfflinePlan) => plan.resources.filter((r) => r.type === "command:remote:Command" && r.name.includes("-agent-"));

describe("K3sHost graph (server + agents)", function () {
    this.timeout(60_000);

    it("plans every agent after the server, named by its host", async () => {
        const plan = await planConfig(withAgents(["192.0.2.21", "192.0.2.22"]));
        const server = plan.resources.find((r) => r.name === "dev-k3s-server");
        assert.ok(server, "no server command");
        const agents = agentCommands(plan);
        assert.deepEqual(agents.map((a) => a.name).sort(), ["dev-k3s-agent-192.0.2.21", "dev-k3s-agent-192.0.2.22"]);
        for (const agent of agents) assert.ok(dependsOnTransitively(plan, agent, server.urn, false), `${agent.name} does not wait for the server`);
    });

    it("keeps the index name as an alias, so stacks from the index-named release are not replaced", async () => {
        const plan = await planConfig(withAgents(["192.0.2.21", "192.0.2.22"]));
        const aliases = Object.fromEntries(agentCommands(plan).map((a) => [a.name, JSON.stringify(a.options.aliases)]));
        assert.match(aliases["dev-k3s-agent-192.0.2.21"], /dev-k3s-agent-0/);
        assert.match(aliases["dev-k3s-agent-192.0.2.22"], /dev-k3s-agent-1/);
    });

    it("removing the first agent leaves the other agent's URN and inputs unchanged", async () => {
        const before = await planConfig(withAgents(["192.0.2.21", "192.0.2.22"]));
        const after = await planConfig(withAgents(["192.0.2.22"]));
        const second = (plan: OfflinePlan) => agentCommands(plan).find((a) => a.name.endsWith("192.0.2.22"))!;
        assert.equal(second(after).urn, second(before).urn);
        assert.deepEqual(second(after).inputs, second(before).inputs);
        const urns = (plan: OfflinePlan) => plan.resources.map((r) => r.urn).filter((urn) => !urn.endsWith("192.0.2.21"));
        assert.deepEqual(urns(after), urns(before));
    });
});
