/**
 * A highly available K3s cluster as the plan shows it: 3 embedded-etcd servers behind a registration address and 2
 * agents. The first server initialises etcd, the others join it with the same token through the registration
 * address, which is in every server's certificate, in the agents' K3S_URL, in the kubeconfig and Cilium's
 * k8sServiceHost.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { at, dependsOnTransitively, devConfig, haConfig, named, ofType, planConfig, realisticMocks } from "../support/helpers";
import type { OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";

const SERVERS = ["192.0.2.10", "192.0.2.11", "192.0.2.12"];
const AGENTS = ["192.0.2.21", "192.0.2.22"];
const VIP = "k3s.example.com";

const script = (r: PlannedResource) => String(r.inputs.create);
const execFlags = (r: PlannedResource) => /INSTALL_K3S_EXEC='([^']*)'/.exec(script(r))?.[1].split(" ") ?? [];

describe("K3s HA plan (3 servers + 2 agents)", function () {
    this.timeout(60_000);
    let plan: OfflinePlan;
    before(async () => {
        plan = await planConfig(haConfig(), { mocks: realisticMocks(), preview: false });
    });
    const servers = () => [named(plan, "dev-k3s-server"), named(plan, "dev-k3s-server-192.0.2.11"), named(plan, "dev-k3s-server-192.0.2.12")];

    it("the first server initialises embedded etcd, the others join through the registration address", () => {
        const [first, second, third] = servers().map(execFlags);
        assert.equal(first[0], "server");
        assert.ok(first.includes("--cluster-init"), first.join(" "));
        assert.ok(!first.some((f) => f.startsWith("--server")), first.join(" "));
        for (const joining of [second, third]) {
            assert.equal(joining[0], "server");
            assert.ok(joining.includes(`--server=https://${VIP}:6443`), joining.join(" "));
            assert.ok(!joining.includes("--cluster-init"), joining.join(" "));
        }
    });

    it("every server has the same critical flags and token file, and its own host and the registration address as SANs", () => {
        const flags = servers().map(execFlags);
        const critical = (f: string[]) => f.filter((x) => !x.startsWith("--tls-san") && x !== "--cluster-init" && !x.startsWith("--server"));
        assert.deepEqual(critical(flags[1]), critical(flags[0]));
        assert.deepEqual(critical(flags[2]), critical(flags[0]));
        flags.forEach((f, i) => {
            assert.ok(f.includes(`--tls-san=${VIP}`), `server ${i}: ${f.join(" ")}`);
            assert.ok(f.includes(`--tls-san=${SERVERS[i]}`), `server ${i}: ${f.join(" ")}`);
            assert.ok(f.includes("--token-file=/etc/rancher/k3s/kubeloom-token"), `server ${i}`);
        });
    });

    it("servers and agents all get the one cluster token, as a secret on stdin", () => {
        assert.equal(ofType(plan, "random:index/randomPassword:RandomPassword").length, 1, "one token for the whole cluster");
        const token = named(plan, "dev-k3s-token");
        const nodes = [...servers(), ...AGENTS.map((h) => named(plan, `dev-k3s-agent-${h}`))];
        for (const node of nodes) {
            assert.ok(node.dependsOn.includes(token.urn), `${node.name} does not take the token`);
            assert.equal(node.inputs.stdin, "[secret]", node.name);
        }
    });

    it("servers install one after another, agents after the last server", () => {
        const [first, second, third] = servers();
        const waits = (r: PlannedResource, target: PlannedResource) => dependsOnTransitively(plan, r, target.urn, false);
        assert.ok(waits(second, first), "second server waits for the first");
        assert.ok(waits(third, second), "third server waits for the second");
        assert.ok(!waits(first, third), "the first server waits for nobody");
        for (const host of AGENTS) assert.ok(waits(named(plan, `dev-k3s-agent-${host}`), third), `agent ${host} waits for the last server`);
    });

    it("agents join through the registration address", () => {
        for (const host of AGENTS) {
            const agent = script(named(plan, `dev-k3s-agent-${host}`));
            assert.match(agent, new RegExp(`K3S_URL='https://${VIP.replace(/\./g, "\\.")}:6443'`));
        }
    });

    it("Cilium's k8sServiceHost and the kubeconfig use the registration address; NodePorts the first server", async () => {
        const cilium = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => r.name === "dev-cilium-release")!;
        const values = cilium.inputs.values;
        assert.equal(at(values, "k8sServiceHost"), VIP);
        assert.equal(at(values, "k8sServicePort"), 6443);
        const kubeconfigs = plan.rawOutputs?.kubeconfigs as pulumi.Output<Record<string, string>>;
        const exported = parse(await new Promise<Record<string, string>>((resolve) => kubeconfigs.apply(resolve)).then((k) => k.dev));
        assert.equal(exported.clusters[0].cluster.server, `https://${VIP}:6443`);
        const vc = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => r.name === "dev-vc-a-release")!;
        assert.match(JSON.stringify(vc.inputs.values), /https:\/\/192\.0\.2\.10:31443/);
    });

    it("the kubeconfig is read from the first server, after it is installed, again whenever its install changes", () => {
        const read = named(plan, "dev-k3s-kubeconfig");
        const first = named(plan, "dev-k3s-server");
        assert.ok(read.dependsOn.includes(first.urn));
        assert.deepEqual(read.inputs.triggers, [createHash("sha256").update(script(first)).digest("hex")]);
    });
});

describe("K3s localhost server with agents", function () {
    this.timeout(60_000);

    it("agents, Cilium and the kubeconfig use registrationAddress, never 127.0.0.1", async () => {
        const config = devConfig();
        Object.assign(config.clusters[0].source.k3s, { host: "localhost", registrationAddress: "192.0.2.5", agents: [{ host: "192.0.2.21" }] });
        const plan = await planConfig(config, { mocks: realisticMocks(), preview: false });
        const server = named(plan, "dev-k3s-server");
        assert.equal(server.type, "command:local:Command");
        assert.ok(execFlags(server).includes("--tls-san=192.0.2.5"), execFlags(server).join(" "));
        assert.match(script(named(plan, "dev-k3s-agent-192.0.2.21")), /K3S_URL='https:\/\/192\.0\.2\.5:6443'/);
        const cilium = ofType(plan, "kubernetes:helm.sh/v3:Release").find((r) => r.name === "dev-cilium-release")!;
        assert.equal(at(cilium.inputs.values, "k8sServiceHost"), "192.0.2.5");
        const kubeconfigs = plan.rawOutputs?.kubeconfigs as pulumi.Output<Record<string, string>>;
        const exported = parse(await new Promise<Record<string, string>>((resolve) => kubeconfigs.apply(resolve)).then((k) => k.dev));
        assert.equal(exported.clusters[0].cluster.server, "https://192.0.2.5:6443");
    });
});
