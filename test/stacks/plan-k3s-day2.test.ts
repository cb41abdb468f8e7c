/**
 * The K3s day-2 keys through the real program and the offline plan: node settings, secrets encryption, etcd
 * snapshots with an S3 copy, registries and a bastion each reach the plan — flags in the install scripts, files as
 * per-node commands whose content is `[secret]`, credentials nowhere in plain text — and the config rules refuse
 * what cannot work, each under its key.
 */
import { strict as assert } from "node:assert";
import { parseStackConfig } from "../../config/parse";
import { buildNodeFileScript, K3S_REGISTRIES_FILE } from "../../components/k3s-node-files";
import { SECRET_PLACEHOLDER as SECRET } from "../../lib/placeholders";
import { devConfig, haConfig } from "../support/fixtures";
import { named, planConfig } from "../support/helpers";

/** haConfig with every day-2 key set, and their secrets. */
function day2Config(): Record<string, any> {
    const config = haConfig();
    const k3s = config.clusters[0].source.k3s;
    k3s.labels = { "example.com/pool": "core" };
    k3s.taints = [{ key: "dedicated", value: "core", effect: "NoSchedule" }];
    k3s.extraArgs = ["--kubelet-arg=max-pods=150"];
    k3s.servers[0].nodeIp = "10.0.0.10";
    k3s.servers[0].externalIp = "203.0.113.10";
    k3s.agents[0].labels = { "example.com/pool": "edge" };
    k3s.secretsEncryption = true;
    k3s.etcdSnapshots = { schedule: "0 3 * * *", retention: 10, s3: { endpoint: "s3.example.com", bucket: "dev-backups", folder: "etcd" } };
    k3s.registries = { mirrors: { "docker.io": { endpoints: ["https://mirror.example.com"] } }, configs: { "mirror.example.com": { username: "puller" } } };
    k3s.bastion = { host: "203.0.113.1", user: "jump" };
    config.etcdS3Keys = { dev: { accessKey: "AKIA-PLAN-TEST", secretKey: "S3-PLAN-SECRET" } };
    config.registryPasswords = { dev: { "mirror.example.com": "REGISTRY-PLAN-SECRET" } };
    return config;
}

describe("K3s day-2 keys in the offline plan", function () {
    this.timeout(60_000);

    it("renders every key: flags per node, secrets encryption on every server, file commands with secret stdin", async () => {
        const plan = await planConfig(day2Config());
        const create = (name: string) => named(plan, name).inputs.create as string;
        assert.match(create("dev-k3s-server"), /--cluster-init --secrets-encryption --node-label=example\.com\/pool=core --node-taint=dedicated=core:NoSchedule --node-ip=10\.0\.0\.10 --node-external-ip=203\.0\.113\.10 --kubelet-arg=max-pods=150'/);
        assert.match(create("dev-k3s-server-192.0.2.11"), /--secrets-encryption --node-label=example\.com\/pool=core --node-taint=dedicated=core:NoSchedule --kubelet-arg=max-pods=150'/);
        assert.match(create("dev-k3s-agent-192.0.2.21"), /INSTALL_K3S_EXEC='agent --node-label=example\.com\/pool=edge --node-taint=dedicated=core:NoSchedule --kubelet-arg=max-pods=150'/);
        for (const host of ["192.0.2.10", "192.0.2.11", "192.0.2.12"]) assert.equal(named(plan, `dev-k3s-etcd-snapshots-${host}`).inputs.stdin, SECRET);
        for (const host of ["192.0.2.10", "192.0.2.21", "192.0.2.22"]) assert.equal(named(plan, `dev-k3s-registries-${host}`).inputs.stdin, SECRET);
        assert.equal(create("dev-k3s-registries-192.0.2.21"), buildNodeFileScript({ path: K3S_REGISTRIES_FILE, service: "k3s-agent", what: "registries.yaml" }));
        assert.ok(!plan.resources.some((r) => r.name.startsWith("dev-k3s-etcd-snapshots-192.0.2.2")), "agents run no etcd");
        assert.doesNotMatch(JSON.stringify(plan), /AKIA-PLAN-TEST|S3-PLAN-SECRET|REGISTRY-PLAN-SECRET/, "no credential in the plan");
    });

    it("leaves a config without the keys planned exactly as before (no new resources, same scripts)", async () => {
        const plain = await planConfig(haConfig());
        assert.ok(!plain.resources.some((r) => /-(registries|etcd-snapshots)-/.test(r.name)));
        assert.doesNotMatch(named(plain, "dev-k3s-server").inputs.create as string, /secrets-encryption|node-label/);
    });

    const rules: Array<{ name: string; mutate: (c: Record<string, any>) => void; expectPath: RegExp }> = [
        { name: "fails etcd snapshots on a lone SQLite server, saying what K3s offers instead", mutate: (c) => { const d = devConfig(); d.clusters[0].source.k3s.etcdSnapshots = { retention: 3 }; Object.assign(c, d); delete c.etcdS3Keys; delete c.registryPasswords; }, expectPath: /clusters\[0\]\.source\.k3s\.etcdSnapshots: needs embedded etcd .* copying \/var\/lib\/rancher\/k3s\/server\/db\// },
        { name: "fails S3 without the secret keys", mutate: (c) => delete c.etcdS3Keys, expectPath: /clusters\[0\]\.source\.k3s\.etcdSnapshots\.s3: needs its access keys as the secret kubeloom:etcdS3Keys\.dev/ },
        { name: "fails a registry username without its password", mutate: (c) => delete c.registryPasswords, expectPath: /clusters\[0\]\.source\.k3s\.registries\.configs\["mirror\.example\.com"\]\.username: needs the password/ },
        { name: "fails an extra flag Kubeloom derives, naming its key", mutate: (c) => c.clusters[0].source.k3s.servers[1].extraArgs = ["--node-ip=10.0.0.11"], expectPath: /clusters\[0\]\.source\.k3s\.servers\[1\]\.extraArgs\[0\]: .*--node-ip is derived by Kubeloom from nodeIp: set that key instead/ },
        { name: "fails a source-level nodeIp with servers", mutate: (c) => c.clusters[0].source.k3s.nodeIp = "10.0.0.1", expectPath: /clusters\[0\]\.source\.k3s\.nodeIp: names one node's address/ },
        { name: "fails a malformed cron schedule", mutate: (c) => c.clusters[0].source.k3s.etcdSnapshots.schedule = "daily", expectPath: /clusters\[0\]\.source\.k3s\.etcdSnapshots\.schedule: .*cron spec of 5 fields/ },
        { name: "fails a plaintext S3 key", mutate: () => undefined, expectPath: /etcdS3Keys: is set in plaintext/ },
    ];
    for (const { name, mutate, expectPath } of rules) {
        it(name, () => {
            const config = day2Config();
            mutate(config);
            const secretKeys = name.includes("plaintext") ? ["sshPrivateKey", "registryPasswords"] : ["sshPrivateKey", "etcdS3Keys", "registryPasswords"];
            assert.throws(() => parseStackConfig(config, { stackName: "dev", secretKeys }), expectPath);
        });
    }

    it("accepts the full day-2 config", () => {
        assert.doesNotThrow(() => parseStackConfig(day2Config(), { stackName: "dev", secretKeys: ["sshPrivateKey", "etcdS3Keys", "registryPasswords"] }));
    });
});
