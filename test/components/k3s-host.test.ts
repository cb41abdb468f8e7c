/**
 * K3sHost on its own in the Pulumi mock runtime (not through a stack plan): which resources it creates, their
 * inputs (scripts, connections, secrets), ordering, options and aliases, and its outputs.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { K3sHost, K3sHostArgs } from "../../components/K3sHost";
import {
    buildK3sAgentInstallScript,
    buildK3sServerInstallScript,
    buildK3sUninstallScript,
    buildReadKubeconfigScript,
} from "../../components/k3s-install-script";
import { OfflinePlan } from "../../scripts/plan/offline-plan";
import { LOCAL_API_ADDRESS } from "../../components/k3s-topology";
import { parseStackConfig } from "../../config/parse";
import { resolveCluster } from "../../config/resolved-cluster";
import { SECRET_PLACEHOLDER as SECRET } from "../../lib/placeholders";
import { fakeK3sKubeconfig, named, outputState, planComponents, planProgram, realisticMocks, recordingMocks } from "../support/helpers";

const REMOTE = "command:remote:Command";
const LOCAL = "command:local:Command";

const base: K3sHostArgs = {
    clusterName: "dev",
    servers: [{ host: "192.0.2.10", user: "ubuntu", port: 22 }],
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nK3S-HOST-TEST-KEY\n-----END OPENSSH PRIVATE KEY-----\n",
    version: "v1.28.13+k3s1",
    apiPort: 6443,
    podCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    disable: ["traefik", "servicelb", "metrics-server"],
    disableKubeProxy: true,
    tlsSans: ["k3s.example.test"],
    agents: [{ host: "192.0.2.21", user: "ubuntu", port: 22 }],
};

/** The server script K3sHost must send for `base`: the remote host appended to the certificate names. */
const serverScript = buildK3sServerInstallScript({
    version: base.version,
    podCidr: base.podCidr,
    serviceCidr: base.serviceCidr,
    disable: base.disable,
    disableKubeProxy: true,
    tlsSans: ["k3s.example.test", "192.0.2.10"],
    apiPort: 6443,
});

describe("K3sHost component", function () {
    this.timeout(30_000);

    describe("a remote server with one agent (preview)", () => {
        let plan: OfflinePlan;
        before(async () => {
            plan = await planProgram(() => {
                new K3sHost("h", base);
            });
        });

        it("creates exactly the token, the server, the kubeconfig read, the agent and the roll steps of both nodes, each a direct child", () => {
            const host = named(plan, "h");
            assert.equal(host.type, "kubeloom:index:K3sHost");
            const children = plan.resources.filter((r) => r.parent === host.urn);
            assert.deepEqual(children.map((r) => `${r.type} ${r.name}`).sort(), [
                `${REMOTE} h-agent-192.0.2.21`,
                // Two nodes, so a version change rolls (k3s-rolling-upgrade.test.ts): drain / ready / node name per node.
                `${REMOTE} h-drain-192.0.2.10`,
                `${REMOTE} h-drain-192.0.2.21`,
                // Removal steps of every node but the first server: drain before its uninstall, Node object after.
                `${REMOTE} h-evict-192.0.2.21`,
                `${REMOTE} h-forget-192.0.2.21`,
                `${REMOTE} h-kubeconfig`,
                `${REMOTE} h-nodename-192.0.2.10`,
                `${REMOTE} h-nodename-192.0.2.21`,
                `${REMOTE} h-ready-192.0.2.10`,
                `${REMOTE} h-ready-192.0.2.21`,
                `${REMOTE} h-server`,
                "random:index/randomPassword:RandomPassword h-token",
            ]);
            assert.equal(plan.resources.length, 1 + children.length, "nothing outside the component");
        });

        it("server: the same install script on create and update, uninstall on delete, the token on stdin as a secret", () => {
            const server = named(plan, "h-server");
            assert.equal(server.inputs.create, serverScript);
            assert.equal(server.inputs.update, serverScript);
            assert.equal(server.inputs.delete, buildK3sUninstallScript("server"));
            assert.equal(server.inputs.stdin, SECRET);
            // @pulumi/command adds "connection" itself and makes the whole connection secret (its SDK wraps it).
            assert.deepEqual(server.options.additionalSecretOutputs, ["stdin", "connection"]);
            assert.equal(server.inputs.connection, SECRET);
            assert.equal(server.inputs.environment, undefined, "nothing in the environment (sshd drops it; the token goes on stdin)");
            assert.equal(server.inputs.triggers, undefined, "no triggers: a change re-runs the installer in place instead of replacing");
        });

        it("the token is a 48-character password without keepers, so nothing ever replaces it", () => {
            const token = named(plan, "h-token");
            assert.deepEqual(token.inputs, { length: 48, special: false });
        });

        it("kubeconfig read: after the server, stdout secret, re-read whenever the server script changes", () => {
            const server = named(plan, "h-server");
            const read = named(plan, "h-kubeconfig");
            assert.equal(read.inputs.create, buildReadKubeconfigScript());
            assert.deepEqual(read.inputs.triggers, [createHash("sha256").update(serverScript).digest("hex")]);
            assert.deepEqual(read.options.additionalSecretOutputs, ["stdout", "connection"]);
            assert.ok(read.dependsOn.includes(server.urn));
            assert.equal(read.inputs.stdin, undefined);
        });

        it("agent: joins the server's URL with the token on stdin, after the server, aliased to its index name", () => {
            const server = named(plan, "h-server");
            const token = named(plan, "h-token");
            const agent = named(plan, "h-agent-192.0.2.21");
            assert.equal(agent.inputs.create, buildK3sAgentInstallScript({ version: base.version, serverUrl: "https://192.0.2.10:6443" }));
            assert.equal(agent.inputs.update, agent.inputs.create);
            assert.equal(agent.inputs.delete, buildK3sUninstallScript("agent"));
            assert.equal(agent.inputs.stdin, SECRET);
            assert.equal(agent.inputs.connection, SECRET);
            assert.deepEqual(agent.options.additionalSecretOutputs, ["stdin", "connection"]);
            assert.deepEqual(agent.options.aliases, [{ name: "h-agent-0" }]);
            // Roll order: server drain → server → server ready → agent drain → agent.
            const [serverDrain, serverReady, agentDrain, agentForget, agentEvict] = ["h-drain-192.0.2.10", "h-ready-192.0.2.10", "h-drain-192.0.2.21", "h-forget-192.0.2.21", "h-evict-192.0.2.21"].map((n) => named(plan, n));
            assert.deepEqual(agent.dependsOn.sort(), [agentDrain.urn, agentForget.urn, token.urn].sort());
            // Removal order (Pulumi deletes dependents first): evict (drain) → the agent's uninstall → forget (Node object).
            assert.ok(agentEvict.dependsOn.includes(agent.urn));
            assert.ok(agentForget.dependsOn.includes(serverReady.urn));
            assert.ok(agentDrain.dependsOn.includes(serverReady.urn));
            assert.ok(serverReady.dependsOn.includes(server.urn));
            assert.deepEqual(server.dependsOn.sort(), [serverDrain.urn, token.urn].sort(), "the server waits only for its token and its drain");
            assert.deepEqual(serverDrain.dependsOn.filter((u) => !u.includes("-nodename-")), [], "the first drain waits for nothing but its node name");
        });
    });

    it("outputs: the kubeconfig rewritten to the host and renamed, secret; the token secret; host and port plain", async () => {
        const marker = "K3S-HOST-CLIENT-KEY";
        let host!: K3sHost;
        const plan = await planComponents(
            () => {
                host = new K3sHost("h", base);
                return { kubeconfig: host.kubeconfig, token: host.clusterToken, apiHost: host.apiServerHost, apiPort: host.apiServerPort };
            },
            { mocks: realisticMocks(marker), preview: false },
        );
        assert.deepEqual(plan.outputs, { kubeconfig: SECRET, token: SECRET, apiHost: "192.0.2.10", apiPort: 6443 });
        const kubeconfig = await outputState(host.kubeconfig);
        assert.equal(kubeconfig.secret, true);
        assert.match(kubeconfig.value, /server: https:\/\/192\.0\.2\.10:6443/);
        assert.match(kubeconfig.value, /current-context: dev/);
        assert.doesNotMatch(kubeconfig.value, /chatty|welcome/i, "the login shell's lines around the markers are dropped");
        assert.ok(kubeconfig.value.includes(Buffer.from(marker).toString("base64")), "the client key is the one read from the host");
        assert.notEqual(kubeconfig.value, fakeK3sKubeconfig(marker));
        assert.equal(host.nodeCount, 2);
    });

    it("a localhost server runs local commands with /bin/sh, no SSH connection, API at 127.0.0.1, no host SAN added", async () => {
        let host!: K3sHost;
        const plan = await planComponents(() => {
            host = new K3sHost("h", { ...base, servers: [{ host: "localhost", port: 22 }], sshPrivateKey: undefined, agents: [] });
            return { apiHost: host.apiServerHost };
        });
        const server = named(plan, "h-server");
        assert.equal(server.type, LOCAL);
        assert.deepEqual(server.inputs.interpreter, ["/bin/sh", "-c"]);
        assert.equal(server.inputs.connection, undefined);
        assert.equal(server.inputs.create, buildK3sServerInstallScript({ ...serverScriptInput(), tlsSans: ["k3s.example.test"] }));
        assert.equal(named(plan, "h-kubeconfig").type, LOCAL);
        assert.deepEqual(plan.outputs, { apiHost: "127.0.0.1" });
    });

    it("answers on the API host and node address the resolved model states for the same nodes (one rule: k3sAddresses)", async () => {
        const ubuntu = (host: string) => ({ host, user: "ubuntu", port: 22 });
        const topologies: Array<Pick<K3sHostArgs, "servers" | "agents" | "registrationAddress">> = [
            { servers: [ubuntu("192.0.2.10")], agents: [] },
            { servers: [ubuntu("192.0.2.10")], agents: [ubuntu("192.0.2.21")], registrationAddress: "k3s.example.test" },
            { servers: [{ host: "localhost", port: 22 }], agents: [] },
            { servers: [{ host: "localhost", port: 22 }], agents: [ubuntu("192.0.2.21")], registrationAddress: "192.0.2.5" },
            { servers: ["192.0.2.10", "192.0.2.11", "192.0.2.12"].map(ubuntu), agents: [], registrationAddress: "k3s.example.test" },
        ];
        for (const topology of topologies) {
            const plan = await planComponents(() => {
                const host = new K3sHost("h", { ...base, ...topology });
                return { apiHost: host.apiServerHost, nodeAddress: host.nodeAddress };
            });
            const config = parseStackConfig(
                {
                    sshPrivateKey: "key",
                    clusters: [{
                        name: "dev", id: 1, podCidr: base.podCidr, serviceCidr: base.serviceCidr,
                        source: { k3s: { servers: topology.servers.map((s) => ({ host: s.host, ...(s.user ? { user: s.user } : {}) })), agents: (topology.agents ?? []).map((a) => ({ host: a.host, user: a.user })), ...(topology.registrationAddress ? { registrationAddress: topology.registrationAddress } : {}) } },
                    }],
                },
                { secretKeys: ["sshPrivateKey"] },
            );
            const model = resolveCluster(config, 0);
            assert.equal(model.apiEndpoint.type, "k3s");
            const modelNode = model.nodeAddress.type === "address" ? model.nodeAddress.address : model.nodeAddress.type === "thisMachine" ? LOCAL_API_ADDRESS : undefined;
            assert.deepEqual(plan.outputs, { apiHost: model.apiEndpoint.type === "k3s" ? model.apiEndpoint.host : undefined, nodeAddress: modelNode }, JSON.stringify(topology));
        }
    });

    it("fails before creating anything on arguments it cannot use, naming each", async () => {
        await assert.rejects(
            planProgram(() => {
                new K3sHost("h", { ...base, servers: [{ host: "192.0.2.10", port: 0 }], agents: [{ host: "192.0.2.10", user: "", port: 22 }] });
            }),
            (error: Error) => {
                assert.match(error.message, /K3sHost "h": servers\[0\]\.user is required when host is not "localhost"/);
                assert.match(error.message, /servers\[0\]\.port must be an integer from 1 to 65535, got 0/);
                assert.match(error.message, /agents\[0\]\.host "192\.0\.2\.10" is already a node of this cluster/);
                assert.match(error.message, /agents\[0\]\.user is required/);
                return true;
            },
        );
    });

    it("every SSH connection reaches the provider secret, with its host, user, port and the key", async () => {
        const received: pulumi.runtime.MockResourceArgs[] = [];
        await planProgram(
            () => {
                new K3sHost("h", base);
            },
            { mocks: recordingMocks(realisticMocks(), received), preview: false },
        );
        const remote = () => received.filter((r) => r.type === REMOTE);
        // Registrations reach the mock monitor asynchronously; wait for the nine commands (bounded).
        for (const deadline = Date.now() + 5_000; remote().length < 9 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
        const connections = Object.fromEntries(remote().map((r) => [r.name, r.inputs.connection]));
        assert.deepEqual(Object.keys(connections).sort(), [
            "h-agent-192.0.2.21",
            "h-drain-192.0.2.10",
            "h-drain-192.0.2.21",
            "h-evict-192.0.2.21",
            "h-forget-192.0.2.21",
            "h-kubeconfig",
            "h-nodename-192.0.2.10",
            "h-nodename-192.0.2.21",
            "h-ready-192.0.2.10",
            "h-ready-192.0.2.21",
            "h-server",
        ]);
        // The agent and its node-name read run on the agent; every roll step runs on the first server.
        const onAgent = new Set(["h-agent-192.0.2.21", "h-nodename-192.0.2.21"]);
        for (const [name, connection] of Object.entries(connections)) {
            // Mocks receive secrets in Pulumi's wire form: { <secret signature>: <secret>, value }.
            assert.equal(connection[SECRET_SIG], SECRET_SIG_VALUE, `${name}: the connection is not secret`);
            const { host, user, port, privateKey } = connection.value;
            assert.deepEqual({ host, user, port }, { host: onAgent.has(name) ? "192.0.2.21" : "192.0.2.10", user: "ubuntu", port: 22 }, name);
            assert.equal(unwrapSecret(privateKey), base.sshPrivateKey);
        }
    });
});

/** Pulumi's wire-form secret signature, as mocks receive secret inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecret(value: any): unknown {
    return value && typeof value === "object" && value[SECRET_SIG] === SECRET_SIG_VALUE ? unwrapSecret(value.value) : value;
}

function serverScriptInput() {
    return { version: base.version, podCidr: base.podCidr, serviceCidr: base.serviceCidr, disable: base.disable, disableKubeProxy: true, tlsSans: [] as string[], apiPort: 6443 };
}
