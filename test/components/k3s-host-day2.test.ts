/**
 * K3sHost's day-2 arguments in the mock runtime: per-node settings in each node's own script, secrets encryption on
 * every server, registries.yaml and the etcd snapshot drop-in as per-node file commands whose content (with the
 * credentials) travels only as secret stdin, written before each node's installer and chained node by node, and
 * the bastion as every SSH connection's `proxy`.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { K3sHost, K3sHostArgs } from "../../components/K3sHost";
import { buildNodeFileRemoveScript, buildNodeFileScript, K3S_ETCD_SNAPSHOT_DROPIN, K3S_REGISTRIES_FILE } from "../../components/k3s-node-files";
import { SECRET_PLACEHOLDER as SECRET } from "../../lib/placeholders";
import { dependsOnTransitively, named, planProgram, realisticMocks, recordingMocks } from "../support/helpers";

const REMOTE = "command:remote:Command";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nDAY2-TEST-KEY\n-----END OPENSSH PRIVATE KEY-----\n";
const args: K3sHostArgs = {
    clusterName: "ha",
    servers: ["192.0.2.10", "192.0.2.11", "192.0.2.12"].map((host, i) => ({ host, user: "ubuntu", port: 22, ...(i === 0 ? { settings: { nodeIp: "10.0.0.10", labels: { role: "first" } } } : {}) })),
    registrationAddress: "k3s.example.com",
    sshPrivateKey: KEY,
    version: "v1.36.4+k3s1",
    apiPort: 6443,
    podCidr: "10.42.0.0/16",
    serviceCidr: "10.43.0.0/16",
    disable: [],
    disableKubeProxy: true,
    tlsSans: [],
    agents: [{ host: "192.0.2.21", user: "ubuntu", port: 22, settings: { taints: [{ key: "edge", effect: "NoSchedule" }] } }],
    secretsEncryption: true,
    etcdSnapshots: { schedule: "0 3 * * *", retention: 7, s3: { endpoint: "s3.example.com", bucket: "backups", accessKey: pulumi.secret("AKIA-DAY2"), secretKey: pulumi.secret("S3-DAY2-SECRET") } },
    registries: { mirrors: { "docker.io": { endpoints: ["https://mirror.example.com"] } }, configs: { "mirror.example.com": { auth: { username: "puller", password: pulumi.secret("REGISTRY-DAY2-SECRET") } } } },
    bastion: { host: "203.0.113.1", user: "jump", port: 2222 },
};

describe("K3sHost day-2 settings", function () {
    this.timeout(30_000);

    it("renders node settings per node and --secrets-encryption on every server", async () => {
        const plan = await planProgram(() => void new K3sHost("h", args));
        const create = (name: string) => named(plan, name).inputs.create as string;
        assert.match(create("h-server"), /--cluster-init --secrets-encryption --node-label=role=first --node-ip=10\.0\.0\.10'/);
        assert.match(create("h-server-192.0.2.11"), /--server=https:\/\/k3s\.example\.com:6443 --secrets-encryption'/);
        assert.match(create("h-agent-192.0.2.21"), /INSTALL_K3S_EXEC='agent --node-taint=edge:NoSchedule'/);
    });

    it("writes registries.yaml on every node and the etcd drop-in on servers, before the installer, with secret stdin", async () => {
        const plan = await planProgram(() => void new K3sHost("h", args));
        const files = plan.resources.filter((r) => /-(registries|etcd-snapshots)-/.test(r.name)).map((r) => r.name).sort();
        assert.deepEqual(files, [
            "h-etcd-snapshots-192.0.2.10",
            "h-etcd-snapshots-192.0.2.11",
            "h-etcd-snapshots-192.0.2.12",
            "h-registries-192.0.2.10",
            "h-registries-192.0.2.11",
            "h-registries-192.0.2.12",
            "h-registries-192.0.2.21",
        ]);
        assert.equal(named(plan, "h-registries-192.0.2.21").inputs.create, buildNodeFileScript({ path: K3S_REGISTRIES_FILE, service: "k3s-agent", what: "registries.yaml" }));
        assert.equal(named(plan, "h-etcd-snapshots-192.0.2.10").inputs.create, buildNodeFileScript({ path: K3S_ETCD_SNAPSHOT_DROPIN, service: "k3s", what: "the etcd snapshot settings" }));
        for (const name of files) assert.equal(named(plan, name).inputs.stdin, SECRET, `${name}: stdin is [secret] in the plan`);
        // Taking the key out of the config takes the file off the node.
        assert.equal(named(plan, "h-registries-192.0.2.21").inputs.delete, buildNodeFileRemoveScript({ path: K3S_REGISTRIES_FILE, service: "k3s-agent", what: "registries.yaml" }));
        assert.ok(dependsOnTransitively(plan, named(plan, "h-server"), named(plan, "h-etcd-snapshots-192.0.2.10").urn, false), "the first server's installer waits for its drop-in");
        assert.ok(dependsOnTransitively(plan, named(plan, "h-agent-192.0.2.21"), named(plan, "h-registries-192.0.2.21").urn, false));
        // One node at a time: the second server's files wait for the first server to be installed.
        assert.ok(dependsOnTransitively(plan, named(plan, "h-registries-192.0.2.11"), named(plan, "h-server").urn, false));
        assert.doesNotMatch(JSON.stringify(plan), /REGISTRY-DAY2-SECRET|S3-DAY2-SECRET|AKIA-DAY2/);
    });

    it("hands the credentials to the provider only inside secret stdin, and every SSH connection goes through the bastion", async () => {
        const received: pulumi.runtime.MockResourceArgs[] = [];
        await planProgram(() => void new K3sHost("h", args), { mocks: recordingMocks(realisticMocks(), received), preview: false });
        const remote = () => received.filter((r) => r.type === REMOTE);
        for (const deadline = Date.now() + 5_000; remote().length < 20 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
        const registries = remote().find((r) => r.name === "h-registries-192.0.2.10")!;
        assert.equal(registries.inputs.stdin[SECRET_SIG], SECRET_SIG_VALUE, "registries.yaml travels as a secret");
        assert.match(registries.inputs.stdin.value, /password: REGISTRY-DAY2-SECRET/);
        const dropIn = remote().find((r) => r.name === "h-etcd-snapshots-192.0.2.10")!;
        assert.match(dropIn.inputs.stdin.value, /etcd-s3-secret-key: S3-DAY2-SECRET/);
        for (const command of remote()) {
            assert.doesNotMatch(command.inputs.create, /SECRET|AKIA/, `${command.name}: no credential in the script`);
            const proxy = command.inputs.connection.value.proxy;
            assert.deepEqual({ host: proxy.host, user: proxy.user, port: proxy.port }, { host: "203.0.113.1", user: "jump", port: 2222 }, command.name);
            assert.equal(unwrapSecret(proxy.privateKey), KEY, `${command.name}: the jump host uses the nodes' key by default`);
        }
    });

    it("refuses etcd snapshots on a lone (SQLite) server and a bastion for a localhost server", () => {
        assert.throws(() => new K3sHost("one", { ...args, servers: [args.servers[0]], registrationAddress: undefined, agents: [] }), /etcdSnapshots need embedded etcd, i\.e\. 3 or 5 servers/);
        assert.throws(() => new K3sHost("local", { ...args, servers: [{ host: "localhost", port: 22 }], registrationAddress: undefined, agents: [], etcdSnapshots: undefined }), /bastion cannot be used with a "localhost" server/);
    });
});

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
function unwrapSecret(value: any): unknown {
    return value && typeof value === "object" && value[SECRET_SIG] === SECRET_SIG_VALUE ? unwrapSecret(value.value) : value;
}
