import { strict as assert } from "node:assert";
import { ciliumValues } from "../../components/cilium-values";
import {
    CLUSTERMESH_APISERVER_PORT,
    clustermeshCiliumValues,
    firstPoolAddress,
    meshPlan,
    MeshPlanEntry,
    MeshPlanMember,
    meshSummary,
    METALLB_IP_ANNOTATION,
    poolContains,
} from "../../components/mesh-plan";
import { deepMerge } from "../../lib/values-util";
import { supportedVersions } from "../../components/support-matrix";
import { at } from "../support/helpers";
import { assertKeysSorted, ciliumUnknownKeyPaths, formatSchemaErrors, validateCiliumValues } from "../support/schemas";

/** The /24 pool of LoadBalancer member i (1-based): 172.22.<i>.0/24. */
const poolOf = (i: number): string[] => [`172.22.${i}.0/24`];

/** n LoadBalancer members c1..cn, each on the first address of its own /24 pool (config/resolve.ts' default). */
function lbMembers(n: number): MeshPlanMember[] {
    return Array.from({ length: n }, (_, i) => ({ name: `c${i + 1}`, id: i + 1, apiserver: { type: "LoadBalancer", address: firstPoolAddress(poolOf(i + 1)) } }));
}

/** n NodePort members with node addresses 192.0.2.<i> on NodePorts 32379 + index (the resolved defaults). */
function nodePortMembers(n: number): MeshPlanMember[] {
    return Array.from({ length: n }, (_, i) => ({ name: `c${i + 1}`, id: i + 1, apiserver: { type: "NodePort", nodeAddress: `192.0.2.${i + 1}`, nodePort: 32379 + i } }));
}

function assertEveryOtherPeerOnce(plan: readonly MeshPlanEntry[]): void {
    const names = plan.map((e) => e.name);
    for (const entry of plan) {
        const peerNames = entry.peers.map((p) => p.name);
        assert.ok(!peerNames.includes(entry.name), `${entry.name} lists itself`);
        assert.deepEqual([...peerNames].sort(), names.filter((n) => n !== entry.name).sort(), `${entry.name} must list every other member exactly once`);
        assert.deepEqual(peerNames, [...peerNames].sort(), `${entry.name}: peers sorted by name`);
        for (const peer of entry.peers) {
            const target = plan.find((e) => e.name === peer.name)!;
            assert.equal(peer.address, target.apiserver.address, `${entry.name} dials ${peer.name} where its apiserver answers`);
            assert.equal(peer.port, target.apiserver.port);
            assert.equal(peer.id, target.id);
        }
    }
}

describe("meshPlan", () => {
    for (const n of [2, 3, 10]) {
        it(`gives each of ${n} LoadBalancer clusters every other cluster exactly once, never itself`, () => {
            const plan = meshPlan({ members: lbMembers(n) });
            assert.equal(plan.length, n);
            assertEveryOtherPeerOnce(plan);
            for (const entry of plan) {
                assert.equal(entry.apiserver.port, CLUSTERMESH_APISERVER_PORT);
                assert.ok(poolContains(poolOf(entry.id), entry.apiserver.address), "address inside the own pool");
                assert.deepEqual(entry.placement, { type: "LoadBalancer", address: entry.apiserver.address });
            }
        });

        it(`gives each of ${n} NodePort clusters its own NodePort and every other cluster once`, () => {
            const plan = meshPlan({ members: nodePortMembers(n) });
            assertEveryOtherPeerOnce(plan);
            const ports = plan.map((e) => e.apiserver.port);
            assert.equal(new Set(ports).size, n, "NodePorts are distinct");
            assert.deepEqual(ports, Array.from({ length: n }, (_, i) => 32379 + i));
            plan.forEach((e) => assert.equal(e.placement.type === "NodePort" && e.placement.nodePort, e.apiserver.port));
        });
    }

    it("dials each member where its placement says", () => {
        const lb = meshPlan({ members: [{ ...lbMembers(2)[0], apiserver: { type: "LoadBalancer", address: "172.22.1.77" } }, lbMembers(2)[1]] });
        assert.equal(lb[0].apiserver.address, "172.22.1.77");
        assert.equal(lb[1].peers[0].address, "172.22.1.77");
        const np = meshPlan({ members: [{ ...nodePortMembers(2)[0], apiserver: { type: "NodePort", nodeAddress: "192.0.2.1", nodePort: 30100 } }, nodePortMembers(2)[1]] });
        assert.deepEqual(np.map((e) => e.apiserver.port), [30100, 32380]);
    });

    it("takes the first pool address, skipping a CIDR's network address", () => {
        assert.equal(firstPoolAddress(["172.22.0.50-172.22.0.100"]), "172.22.0.50");
        assert.equal(firstPoolAddress(["172.22.0.0/24", "10.0.0.1-10.0.0.2"]), "172.22.0.1");
        assert.equal(firstPoolAddress(["172.22.0.9/32"]), "172.22.0.9");
    });

    it("changes only the existing clusters' peer lists when a third cluster is appended", () => {
        const two = meshPlan({ members: lbMembers(2) });
        const three = meshPlan({ members: lbMembers(3) });
        for (const before of two) {
            const after = three.find((e) => e.name === before.name)!;
            const { peers: peersBefore, ...ownBefore } = before;
            const { peers: peersAfter, ...ownAfter } = after;
            assert.deepEqual(ownAfter, ownBefore, `${before.name}: its own address and port stay`);
            assert.deepEqual(
                peersAfter.filter((p) => p.name !== "c3"),
                peersBefore,
                `${before.name}: the old peers stay as they were`,
            );
            assert.equal(peersAfter.filter((p) => p.name === "c3").length, 1);
        }
        const np2 = meshPlan({ members: nodePortMembers(2) });
        const np3 = meshPlan({ members: nodePortMembers(3) });
        np2.forEach((e, i) => assert.deepEqual(np3[i].apiserver, e.apiserver, "appending keeps the derived NodePorts"));
    });

    it("is deterministic: same input, byte-identical plan and values", () => {
        const render = () => JSON.stringify(meshPlan({ members: lbMembers(10) }).map((e) => clustermeshCiliumValues(e, { maxConnectedClusters: 255 })));
        assert.equal(render(), render());
        const shuffled = [...lbMembers(4)].reverse();
        const plan = meshPlan({ members: shuffled });
        plan.forEach((e) => assert.deepEqual(e.peers.map((p) => p.name), [...e.peers.map((p) => p.name)].sort()));
    });

    const failures: Array<{ name: string; input: Parameters<typeof meshPlan>[0]; expect: RegExp }> = [
        { name: "fails on duplicate names", input: { members: [lbMembers(2)[0], { ...lbMembers(2)[1], name: "c1" }] }, expect: /share the name c1/ },
        { name: "fails on duplicate ids", input: { members: [lbMembers(2)[0], { ...lbMembers(2)[1], id: 1 }] }, expect: /share the id 1/ },
        { name: "fails on members of mixed placement types", input: { members: [lbMembers(2)[0], nodePortMembers(2)[1]] }, expect: /mix clustermesh-apiserver types \(LoadBalancer, NodePort\)/ },
        { name: "fails on two members with one NodePort", input: { members: [nodePortMembers(2)[0], { ...nodePortMembers(2)[1], apiserver: { type: "NodePort", nodeAddress: "192.0.2.2", nodePort: 32379 } }] }, expect: /share the NodePort 32379/ },
    ];
    for (const failure of failures) {
        it(failure.name, () => assert.throws(() => meshPlan(failure.input), failure.expect));
    }

    it("summarises each entry without secrets", () => {
        const [entry] = meshPlan({ members: lbMembers(2) });
        assert.deepEqual(meshSummary(entry), {
            name: "c1",
            id: 1,
            serviceType: "LoadBalancer",
            apiserverAddress: "172.22.1.1",
            apiserverPort: 2379,
            peers: [{ name: "c2", address: "172.22.2.1", port: 2379 }],
        });
    });
});

describe("clustermeshCiliumValues", () => {
    const base = ciliumValues({
        clusterName: "c1",
        clusterId: 1,
        podCidr: "10.10.0.0/16",
        kubeProxyReplacement: { enabled: true, apiServerHost: "c1-control-plane", apiServerPort: 6443 },
        routingMode: "tunnel",
        ipamMode: "kubernetes",
        hubble: { relay: true, ui: false },
        nodeSelector: {},
        tolerations: [],
        operatorReplicas: 1,
    });
    const caPlaceholder = { tls: { ca: { cert: Buffer.from("CERT").toString("base64"), key: Buffer.from("KEY").toString("base64") } } };

    // NodePort members dial each other by DNS name, so their values carry the server certificate's extra names.
    for (const ciliumVersion of supportedVersions("cilium")) {
        for (const serviceType of ["LoadBalancer", "NodePort"] as const) {
            it(`merged over the base values (${serviceType}) validates against the Cilium ${ciliumVersion} chart schema with no unknown keys`, () => {
                const members: MeshPlanMember[] =
                    serviceType === "LoadBalancer"
                        ? lbMembers(3)
                        : nodePortMembers(3).map((m) => ({ ...m, apiserver: { type: "NodePort", nodeAddress: `${m.name}.example.com`, nodePort: 32379 + m.id } }));
                const plan = meshPlan({ members });
                const fragment = clustermeshCiliumValues(plan[0], { maxConnectedClusters: 511, ciliumVersion });
                assertKeysSorted(fragment);
                const merged = deepMerge(deepMerge(base, fragment), caPlaceholder);
                assert.deepEqual(validateCiliumValues(merged, ciliumVersion), [], formatSchemaErrors(validateCiliumValues(merged, ciliumVersion)));
                assert.deepEqual(ciliumUnknownKeyPaths(merged, ciliumVersion), []);
                assert.equal(at(merged, "cluster.id"), 1, "the base values keep the identity");
            });
        }
    }

    it("puts the extra DNS names where each version's chart reads them, and keeps 1095-day certificates on 1.20", () => {
        const [entry] = meshPlan({
            members: [
                { name: "c1", id: 1, apiserver: { type: "NodePort", nodeAddress: "node1.example.com", nodePort: 32379 } },
                { name: "c2", id: 2, apiserver: { type: "NodePort", nodeAddress: "192.0.2.2", nodePort: 32380 } },
            ],
        });
        for (const ciliumVersion of ["1.16.19", "1.17.18", "1.18.12", "1.19.6"]) {
            const values = clustermeshCiliumValues(entry, { maxConnectedClusters: 255, ciliumVersion });
            assert.deepEqual(at(values, "clustermesh.apiserver.tls.server.extraDnsNames"), ["node1.example.com"], ciliumVersion);
            assert.deepEqual(at(values, "clustermesh.apiserver.tls.auto"), { enabled: true, method: "helm" }, `${ciliumVersion}: the chart default validity (1095)`);
        }
        const v120 = clustermeshCiliumValues(entry, { maxConnectedClusters: 255, ciliumVersion: "1.20.0" });
        assert.equal(at(v120, "clustermesh.apiserver.tls.server"), undefined, "1.20's schema has no tls.server");
        assert.deepEqual(at(v120, "clustermesh.apiserver.tls.auto"), { certValidityDuration: 1095, enabled: true, method: "helm", server: { extraDnsNames: ["node1.example.com"] } });
        assert.throws(() => clustermeshCiliumValues(entry, { maxConnectedClusters: 255, ciliumVersion: "1.21.0" }), /not in the support matrix/);
    });

    it("requests the LoadBalancer IP by MetalLB annotation only, never spec.loadBalancerIP", () => {
        const [entry] = meshPlan({ members: lbMembers(2) });
        const values = clustermeshCiliumValues(entry, { maxConnectedClusters: 255 });
        assert.equal(at(values, "clustermesh.apiserver.service.type"), "LoadBalancer");
        assert.deepEqual(at(values, "clustermesh.apiserver.service.annotations"), { [METALLB_IP_ANNOTATION]: "172.22.1.1" });
        assert.equal(at(values, "clustermesh.apiserver.service.loadBalancerIP"), undefined);
        assert.equal(at(values, "clustermesh.apiserver.service.nodePort"), undefined);
    });

    it("turns the cluster into a member: apiserver, config with explicit ports, no secret material", () => {
        const [entry] = meshPlan({ members: lbMembers(3) });
        const values = clustermeshCiliumValues(entry, { maxConnectedClusters: 255, ciliumVersion: "1.19.6" });
        assert.equal(at(values, "clustermesh.useAPIServer"), true);
        assert.equal(at(values, "clustermesh.maxConnectedClusters"), 255);
        assert.equal(at(values, "clustermesh.config.enabled"), true);
        assert.deepEqual(at(values, "clustermesh.config.clusters"), [
            { ips: ["172.22.2.1"], name: "c2", port: 2379 },
            { ips: ["172.22.3.1"], name: "c3", port: 2379 },
        ]);
        assert.deepEqual(at(values, "clustermesh.apiserver.tls.auto"), { enabled: true, method: "helm" });
        assert.equal(at(values, "tls"), undefined, "the CA is added separately, as a secret");
        assert.equal(at(values, "cluster"), undefined, "identity comes from the base values");
        assert.equal(at(values, "maxConnectedClusters"), undefined, "there is no top-level maxConnectedClusters");
    });

    it("sets the NodePort and dials peers by DNS name through address, certifying its own name", () => {
        const members: MeshPlanMember[] = [
            { name: "c1", id: 1, apiserver: { type: "NodePort", nodeAddress: "node1.example.com", nodePort: 32379 } },
            { name: "c2", id: 2, apiserver: { type: "NodePort", nodeAddress: "192.0.2.2", nodePort: 30500 } },
        ];
        const [first, second] = meshPlan({ members });
        const v1 = clustermeshCiliumValues(first, { maxConnectedClusters: 255, ciliumVersion: "1.19.6" });
        const v2 = clustermeshCiliumValues(second, { maxConnectedClusters: 255, ciliumVersion: "1.19.6" });
        assert.equal(at(v1, "clustermesh.apiserver.service.type"), "NodePort");
        assert.equal(at(v1, "clustermesh.apiserver.service.nodePort"), 32379);
        assert.deepEqual(at(v1, "clustermesh.apiserver.tls.server.extraDnsNames"), ["node1.example.com"]);
        assert.deepEqual(at(v1, "clustermesh.config.clusters"), [{ ips: ["192.0.2.2"], name: "c2", port: 30500 }]);
        assert.deepEqual(at(v2, "clustermesh.config.clusters"), [{ address: "node1.example.com", name: "c1", port: 32379 }]);
        assert.equal(at(v2, "clustermesh.apiserver.tls.server"), undefined);
    });
});
