/**
 * config/change-rules.ts: the destructive changes Kubeloom refuses (and the ones `allowDestructive` lets through),
 * from a deployed shape to a parsed config. Pure and table-driven; plan:diff and `npm run up` run the same rules on
 * real plans and state (test/scripts/plan-diff-guard-rails.test.ts, test/scripts/stack-cli.test.ts).
 */
import { strict as assert } from "node:assert";
import { parseStackConfig } from "../../config/parse";
import { configOverrides, plannedShape, shapeChanges, StackShape } from "../../config/change-rules";
import { devConfig, haConfig } from "../support/fixtures";

const parse = (raw: Record<string, any>) => parseStackConfig(raw, { stackName: "dev" });
const changes = (deployed: StackShape, raw: Record<string, any>) => {
    const config = parse(raw);
    return shapeChanges(deployed, plannedShape(config), config.clusters.map((c) => c.name), configOverrides(config));
};
const DEV = plannedShape(parse(devConfig()));
const HA = plannedShape(parse(haConfig()));

describe("destructive-change rules (config/change-rules.ts)", () => {
    it("plannedShape: Cilium id, K3s CIDRs, server count and the first server's host", () => {
        assert.deepEqual(DEV, { dev: { ciliumId: 1, k3s: { podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16", servers: 1, first: { local: false, names: ["192.0.2.10"] }, secretsEncryption: false } } });
        assert.equal(HA.dev.k3s!.servers, 3);
    });

    it("allows no change, a new cluster, and 3 → 5 servers", () => {
        assert.deepEqual(changes(DEV, devConfig()), { refused: [], overridden: [], notes: [] });
        const two = devConfig();
        two.clusters.push({ ...structuredClone(two.clusters[0]), name: "two", id: 2, podCidr: "10.52.0.0/16", serviceCidr: "10.53.0.0/16", vclusters: [], source: { k3s: { host: "192.0.2.30", user: "ubuntu" } } });
        assert.deepEqual(changes(DEV, two).refused, []);
        const five = haConfig();
        five.clusters[0].source.k3s.servers.push({ host: "192.0.2.13" }, { host: "192.0.2.14" });
        assert.deepEqual(changes(HA, five).refused, []);
    });

    const cases: Array<{ name: string; deployed: StackShape; mutate: (raw: Record<string, any>) => void; base?: () => Record<string, any>; expectPath: string; expect: RegExp }> = [
        { name: "fails a K3s pod CIDR change", deployed: DEV, mutate: (r) => (r.clusters[0].podCidr = "10.50.0.0/16"), expectPath: "clusters[0].podCidr", expect: /K3s takes --cluster-cidr when the cluster is initialised/ },
        { name: "fails a K3s service CIDR change", deployed: DEV, mutate: (r) => (r.clusters[0].serviceCidr = "10.51.0.0/16"), expectPath: "clusters[0].serviceCidr", expect: /--service-cidr/ },
        { name: "fails a Cilium cluster id change", deployed: DEV, mutate: (r) => (r.clusters[0].id = 9), expectPath: "clusters[0].id", expect: /9 cannot replace the deployed Cilium cluster id 1/ },
        { name: "fails a rename (same Cilium id, new name)", deployed: DEV, mutate: (r) => (r.clusters[0].name = "prod"), expectPath: "clusters[0].name", expect: /"prod" cannot rename the deployed cluster "dev"/ },
        { name: "fails a moved first server", deployed: DEV, mutate: (r) => (r.clusters[0].source.k3s.host = "192.0.2.99"), expectPath: "clusters[0].source.k3s.host", expect: /"192\.0\.2\.99" cannot replace the first server/ },
        {
            name: "fails a first server dropped from the HA list",
            deployed: HA,
            base: haConfig,
            mutate: (r) => (r.clusters[0].source.k3s.servers = [{ host: "192.0.2.11" }, { host: "192.0.2.12" }, { host: "192.0.2.13" }]),
            expectPath: "clusters[0].source.k3s.servers[0].host",
            expect: /cannot replace the first server .* --cluster-init/,
        },
        {
            name: "fails 3 → 1 servers (etcd has no way back to SQLite)",
            deployed: HA,
            base: haConfig,
            mutate: (r) => {
                const k3s = r.clusters[0].source.k3s;
                delete k3s.servers;
                k3s.host = "192.0.2.10";
            },
            expectPath: "clusters[0].source.k3s.servers",
            expect: /no way back to SQLite/,
        },
        { name: "fails secretsEncryption turned on for a cluster started without it", deployed: DEV, mutate: (r) => (r.clusters[0].source.k3s.secretsEncryption = true), expectPath: "clusters[0].source.k3s.secretsEncryption", expect: /Starting K3s without encryption and enabling it at a later time is currently not supported/ },
        {
            name: "fails secretsEncryption turned off, with K3s's disable and reencrypt steps",
            deployed: { dev: { ...DEV.dev, k3s: { ...DEV.dev.k3s!, secretsEncryption: true } } },
            mutate: () => undefined,
            expectPath: "clusters[0].source.k3s.secretsEncryption",
            expect: /k3s secrets-encrypt disable.*k3s secrets-encrypt reencrypt/,
        },
    ];
    for (const { name, deployed, mutate, base, expectPath, expect } of cases) {
        it(name, () => {
            const raw = (base ?? devConfig)();
            mutate(raw);
            const report = changes(deployed, raw);
            assert.deepEqual(report.refused.map((r) => r.path), [expectPath]);
            assert.match(report.refused[0].message, expect);
            assert.match(report.refused[0].message, new RegExp(`set clusters\\[0\\]\\.allowDestructive: \\[`));
            assert.deepEqual(report.overridden, []);
        });
    }

    it("an allowDestructive key lets exactly that key through, listed as allowed; the schema refuses unknown keys", () => {
        const raw = devConfig();
        raw.clusters[0].podCidr = "10.50.0.0/16";
        raw.clusters[0].id = 9;
        raw.clusters[0].allowDestructive = ["podCidr"];
        const report = changes(DEV, raw);
        assert.deepEqual(report.refused.map((r) => r.path), ["clusters[0].id"]);
        assert.deepEqual(report.overridden.map((r) => r.path), ["clusters[0].podCidr"]);
        assert.match(report.overridden[0].message, /^allowed by clusters\[0\]\.allowDestructive \(podCidr\): /);
        raw.clusters[0].allowDestructive = ["everything"];
        assert.throws(() => parse(raw), /clusters\[0\]\.allowDestructive\[0\]/);
    });

    it("plans 1 → 3 servers with the same first server as K3s's documented ordered step, not a refusal", () => {
        const report = changes(DEV, haConfig());
        assert.deepEqual(report.refused, []);
        assert.equal(report.notes.length, 1);
        assert.match(report.notes[0], /^dev: 1 → 3 servers is K3s's documented conversion of a single SQLite server to embedded etcd/);
    });

    it("a first server on localhost stays only on localhost", () => {
        const local = devConfig();
        local.clusters[0].source.k3s = { host: "localhost" };
        const deployed = plannedShape(parse(local));
        assert.deepEqual(changes(deployed, local).refused, []);
        assert.deepEqual(changes(deployed, devConfig()).refused.map((r) => r.path), ["clusters[0].source.k3s.host"]);
    });
});
