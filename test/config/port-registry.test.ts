import { strict as assert } from "node:assert";
import * as fc from "fast-check";
import { Claim, hostKey, portRegistry, registryIssues, RESERVED_SERVER_PORTS } from "../../config/port-registry";
import { NODE_PORT_RANGE } from "../../lib/k8s-formats";
import { parseStackConfig } from "../../config/parse";
import { issuesOf } from "../support/fixtures";

/** Claims with a path each, in scopes and values drawn from small pools so that collisions are frequent. */
const claimArbitrary: fc.Arbitrary<Omit<Claim, "path"> & { key: number }> = fc.record({
    kind: fc.constantFrom("nodePort", "address", "host") as fc.Arbitrary<Claim["kind"]>,
    scope: fc.constantFrom("cluster 0", "cluster 1", "mesh", "stack"),
    value: fc.oneof(fc.integer({ min: 31440, max: 31446 }), fc.constantFrom("10.0.0.1", "10.0.0.2")),
    what: fc.constant("something"),
    explicit: fc.boolean(),
    cluster: fc.integer({ min: 0, max: 1 }),
    key: fc.nat(),
});

const claimLists = fc.array(claimArbitrary, { maxLength: 12 }).map((list) => list.map((c, i): Claim => ({ ...c, path: `k${i}` })));

describe("port registry: properties of registryIssues", () => {
    it("reports exactly one issue per claim after the first of each (kind, scope, value), naming the other key", () => {
        fc.assert(
            fc.property(claimLists, (claims) => {
                const issues = registryIssues(claims);
                const groups = new Map<string, Claim[]>();
                for (const c of claims) {
                    const key = `${c.kind}|${c.scope}|${c.value}`;
                    groups.set(key, [...(groups.get(key) ?? []), c]);
                }
                const expected = [...groups.values()].reduce((n, g) => n + g.length - 1, 0);
                assert.equal(issues.length, expected, JSON.stringify({ claims, issues }));
                for (const group of groups.values()) {
                    const [owner, ...rest] = group;
                    for (const later of rest) {
                        // Reported at the explicit key of the pair, and the message names the other one.
                        const reportAt = later.explicit || !owner.explicit ? later : owner;
                        const other = reportAt === later ? owner : later;
                        assert.ok(
                            issues.some((i) => i.path === reportAt.path && new RegExp(`also ${other.path}[ ;:]`).test(i.message)),
                            `no issue at ${reportAt.path} naming ${other.path}: ${JSON.stringify(issues)}`,
                        );
                    }
                }
            }),
            { numRuns: 500, seed: 20261202 },
        );
    });

    it("is independent of which claim of a pair is listed first, up to the key it reports at", () => {
        fc.assert(
            fc.property(claimLists, (claims) => {
                const pathsOf = (list: readonly Claim[]) => new Set(registryIssues(list).flatMap((i) => [i.path, ...(i.message.match(/k\d+/g) ?? [])]));
                const forward = pathsOf(claims);
                const backward = pathsOf([...claims].reverse());
                // Every key in a collision is named either way round.
                assert.deepEqual([...forward].sort(), [...backward].sort());
            }),
            { numRuns: 300, seed: 7 },
        );
    });

    it("flags every NodePort outside 30000-32767 and none inside", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 65535 }), (port) => {
                const issues = registryIssues([{ kind: "nodePort", scope: "cluster 0", value: port, path: "p", what: "x", explicit: false }]);
                assert.equal(issues.length, port < NODE_PORT_RANGE.first || port > NODE_PORT_RANGE.last ? 1 : 0);
            }),
            { numRuns: 300, seed: 3 },
        );
    });
});

/** Two kind clusters in a NodePort mesh, with vCluster and Hubble NodePorts picked from a small pool. */
const meshPorts = fc.record({
    vclusters: fc.array(fc.array(fc.option(fc.integer({ min: 31443, max: 31446 }), { nil: undefined }), { maxLength: 3 }), { minLength: 2, maxLength: 2 }),
    hubble: fc.array(fc.option(fc.constantFrom(31443, 31444, 32379, 32380), { nil: undefined }), { minLength: 2, maxLength: 2 }),
    mesh: fc.array(fc.option(fc.constantFrom(31444, 32379, 32380), { nil: undefined }), { minLength: 2, maxLength: 2 }),
    apiServerPorts: fc.array(fc.option(fc.constantFrom(6443, 6444), { nil: undefined }), { minLength: 2, maxLength: 2 }),
});

type MeshPorts = typeof meshPorts extends fc.Arbitrary<infer T> ? T : never;

function meshConfig(p: MeshPorts): Record<string, any> {
    return {
        clusters: [0, 1].map((i) => ({
            name: `c${i + 1}`,
            id: i + 1,
            podCidr: `10.${i + 1}0.0.0/16`,
            serviceCidr: `10.${i + 1}1.0.0/16`,
            source: { kind: p.apiServerPorts[i] === undefined ? {} : { apiServerPort: p.apiServerPorts[i] } },
            cilium: { hubble: { ui: true, ...(p.hubble[i] === undefined ? {} : { uiNodePort: p.hubble[i] }) } },
            clustermesh: p.mesh[i] === undefined ? undefined : { nodePort: p.mesh[i] },
            vclusters: p.vclusters[i].map((port, j) => ({ name: `t${j}`, expose: "NodePort", ...(port === undefined ? {} : { nodePort: port }) })),
        })),
        mesh: { serviceType: "NodePort" },
    };
}

/** The oracle, written independently of the registry: every effective port, by scope. */
function expectedCollisions(p: MeshPorts): number {
    let collisions = 0;
    const count = (values: number[]) => values.length - new Set(values).size;
    const meshPortsOf = [0, 1].map((i) => p.mesh[i] ?? 32379 + i);
    for (const i of [0, 1]) {
        const ports = [...p.vclusters[i].map((port, j) => port ?? 31443 + j), ...(p.hubble[i] === undefined ? [] : [p.hubble[i]!]), meshPortsOf[i]];
        collisions += count(ports);
    }
    collisions += count(meshPortsOf);
    collisions += count(p.apiServerPorts.flatMap((x) => (x === undefined ? [] : [x as number])));
    return collisions;
}

describe("port registry: properties on whole configs", () => {
    it("accepts a mesh config exactly when every NodePort and kind API port is unique where it must be", () => {
        fc.assert(
            fc.property(meshPorts, (p) => {
                const issues = issuesOf(meshConfig(p));
                const collisions = issues.filter((i) => / is also /.test(i));
                assert.equal(collisions.length, expectedCollisions(p), `${JSON.stringify(p)}\n${issues.join("\n")}`);
                assert.equal(issues.length, collisions.length, issues.join("\n"));
            }),
            { numRuns: 300, seed: 20261202 },
        );
    });

    const hosts = ["192.0.2.10", "192.0.2.11", "node-a.example", "NODE-A.example", "localhost", "127.0.0.1"];
    it("accepts K3s clusters exactly when no host is a node of two clusters (or twice of one)", () => {
        fc.assert(
            fc.property(fc.array(fc.record({ host: fc.constantFrom(...hosts), agents: fc.array(fc.constantFrom(...hosts.slice(0, 4)), { maxLength: 2 }) }), { minLength: 1, maxLength: 3 }), (clusters) => {
                const config = {
                    clusters: clusters.map((c, i) => ({
                        name: `k${i}`,
                        id: i + 1,
                        podCidr: "10.42.0.0/16",
                        serviceCidr: "10.43.0.0/16",
                        source: {
                            k3s: {
                                host: c.host,
                                user: "ubuntu",
                                agents: c.agents.map((host) => ({ host })),
                                tlsSans: ["192.0.2.99"],
                                // A localhost (or 127.x: the same loopback) server with agents needs the address they join (a separate rule).
                                ...(hostKey(c.host) === "localhost" && c.agents.length > 0 ? { registrationAddress: `192.0.2.${200 + i}` } : {}),
                            },
                        },
                    })),
                    sshPrivateKey: "[secret]",
                };
                const all = clusters.flatMap((c) => [c.host, ...c.agents].map(hostKey));
                const issues = issuesOf(config);
                const hostIssues = issues.filter((i) => /\.host: /.test(i));
                assert.equal(hostIssues.length, all.length - new Set(all).size, `${JSON.stringify(clusters)}\n${issues.join("\n")}`);
                assert.equal(issues.length, hostIssues.length, issues.join("\n"));
            }),
            { numRuns: 300, seed: 11 },
        );
    });

    it("lists the shipped mesh stack's claims: derived clustermesh addresses and kind API ports", () => {
        const config = parseStackConfig({
            clusters: [1, 2].map((n) => ({ name: `c${n}`, id: n, podCidr: `10.${n}0.0.0/16`, serviceCidr: `10.${n}1.0.0/16`, source: { kind: { apiServerPort: 6443 + n } }, loadBalancer: { metallb: { addresses: [`172.22.${n}.0/24`] } } })),
            mesh: {},
        });
        const claims = portRegistry(config).map((c) => `${c.kind} ${c.scope} ${c.value} ${c.path} ${c.explicit}`);
        assert.deepEqual(claims, [
            "address cluster 0 172.22.1.1 clusters[0].clustermesh.apiserverIP false",
            "address mesh 172.22.1.1 clusters[0].clustermesh.apiserverIP false",
            "hostPort host localhost 6444 clusters[0].source.kind.apiServerPort true",
            "address cluster 1 172.22.2.1 clusters[1].clustermesh.apiserverIP false",
            "address mesh 172.22.2.1 clusters[1].clustermesh.apiserverIP false",
            "hostPort host localhost 6445 clusters[1].source.kind.apiServerPort true",
        ]);
    });

    it("fails on a vCluster loadBalancerIP equal to an LB-IPAM mesh member's derived clustermesh-apiserver address", () => {
        const clusters = [1, 2].map((n) => ({
            name: `c${n}`,
            id: n,
            podCidr: `10.${n}0.0.0/16`,
            serviceCidr: `10.${n}1.0.0/16`,
            source: { kind: { apiServerPort: 6443 + n } },
            loadBalancer: { cilium: { addresses: [`172.22.${n}.0/24`] } },
            vclusters: n === 1 ? [{ name: "t", expose: "LoadBalancer", loadBalancerIP: "172.22.1.1" }] : [],
        }));
        const issues = issuesOf({ clusters, mesh: {} });
        assert.ok(
            issues.some((i) => /^clusters\[0\]\.vclusters\[0\]\.loadBalancerIP: "172\.22\.1\.1" is also clusters\[0\]\.clustermesh\.apiserverIP .*loadBalancer\.cilium\.addresses\[0\]/.test(i)),
            issues.join("\n"),
        );
        // The same address elsewhere in the pool is fine.
        clusters[0].vclusters = [{ name: "t", expose: "LoadBalancer", loadBalancerIP: "172.22.1.9" }];
        assert.deepEqual(issuesOf({ clusters, mesh: {} }), []);
    });

    it("reserves K3s's and Cilium's own TCP ports on a K3s server, and the server's SSH port", () => {
        const config = parseStackConfig({ clusters: [{ name: "dev", id: 1, podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16", source: { k3s: { host: "192.0.2.10", user: "u" } } }], sshPrivateKey: "k" });
        const ports = portRegistry(config).filter((c) => c.kind === "hostPort").map((c) => c.value);
        assert.deepEqual(ports, [...RESERVED_SERVER_PORTS.map((r) => r.port), 6443, 22]);
        assert.ok(!ports.slice(0, RESERVED_SERVER_PORTS.length).includes(6443), "6443 is the API port itself, not reserved");
    });

    it("treats localhost, 127.0.0.0/8 and case variants as one host", () => {
        assert.equal(hostKey("LOCALHOST"), "localhost");
        assert.equal(hostKey("127.1.2.3"), "localhost");
        assert.equal(hostKey("Node-A.Example."), "node-a.example");
        assert.equal(hostKey("192.0.2.10"), "192.0.2.10");
    });
});

describe("derived names: property on whole plans", () => {
    const { planConfig } = require("../support/helpers") as typeof import("../support/helpers");
    const { ConfigError } = require("../../config/config-error") as typeof import("../../config/config-error");
    // Names from a pool where "<cluster>-<vcluster>" and "mesh-<cluster>-verify" / "<cluster>-cilium-verify" meet.
    const clusterNames = ["a", "a-b", "a-b-c", "mesh-x", "x-cilium", "x"];
    const vclusterNames = ["b", "b-c", "c", "vc", "cilium"];
    const arbitrary = fc.record({
        clusters: fc.uniqueArray(fc.constantFrom(...clusterNames), { minLength: 2, maxLength: 3 }),
        vclusters: fc.array(fc.uniqueArray(fc.constantFrom(...vclusterNames), { maxLength: 2 }), { minLength: 3, maxLength: 3 }),
        verify: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        meshVerify: fc.boolean(),
    });

    it("a config either fails with key paths or plans with no shared URN and one context per cluster and vCluster", async function () {
        // Each accepted case is a whole offline plan (~0.5 s, more on a loaded machine).
        this.timeout(300_000);
        await fc.assert(
            fc.asyncProperty(arbitrary, async (p) => {
                const raw = {
                    clusters: p.clusters.map((name, i) => ({
                        name,
                        id: i + 1,
                        podCidr: `10.${i + 1}0.0.0/16`,
                        serviceCidr: `10.${i + 1}1.0.0/16`,
                        source: { kind: {} },
                        cilium: { verify: p.verify[i] },
                        loadBalancer: { metallb: { addresses: [`172.22.${i + 1}.0/24`] } },
                        vclusters: p.vclusters[i].map((vc) => ({ name: vc })),
                    })),
                    mesh: { demo: true, verify: p.meshVerify },
                };
                let configError = false;
                try {
                    parseStackConfig(raw);
                } catch (error) {
                    assert.ok(error instanceof ConfigError);
                    configError = true;
                }
                const contexts = [...p.clusters, ...p.clusters.flatMap((c, i) => p.vclusters[i].map((vc) => `${c}-${vc}`))];
                const verifyNames = [...p.clusters.filter((_, i) => p.verify[i]).map((c) => `${c}-cilium-verify`), ...(p.meshVerify ? p.clusters.map((c) => `mesh-${c}-verify`) : [])];
                const vclusterUrns = p.clusters.flatMap((c, i) => p.vclusters[i].map((vc) => `${c}-${vc}`));
                const collides = (names: string[]) => new Set(names).size !== names.length;
                // The oracle: the config is refused exactly when a derived name repeats.
                assert.equal(configError, collides(contexts) || collides(verifyNames) || collides(vclusterUrns), JSON.stringify(p));
                if (configError) return;
                const plan = await planConfig(raw);
                const urns = plan.resources.map((r) => r.urn);
                assert.equal(new Set(urns).size, urns.length);
            }),
            { numRuns: 40, seed: 20261202 },
        );
    });
});
