import { strict as assert } from "node:assert";
import * as path from "path";
import { parseStackConfig } from "../../config/parse";
import { clustermeshNodePort, meshMembers } from "../../config/resolve";
import { readStackFile } from "../../scripts/plan/stack-file";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { FailureCase, issuesOf } from "../support/fixtures";
import { PROJECT_DIR } from "../../lib/project";

/** A valid two-cluster kind mesh like Pulumi.mesh.yaml; tests mutate copies of it. */
function meshConfig(): Record<string, any> {
    const kindCluster = (n: number, pool: string) => ({
        name: `c${n}`,
        id: n,
        podCidr: `10.${n}0.0.0/16`,
        serviceCidr: `10.${n}1.0.0/16`,
        source: { kind: { apiServerPort: 6443 + n } },
        cilium: { kubeProxyReplacement: true, ipamMode: "kubernetes" },
        loadBalancer: { metallb: { addresses: [pool] } },
    });
    return {
        clusters: [kindCluster(1, "172.22.0.50-172.22.0.100"), kindCluster(2, "172.22.0.101-172.22.0.150")],
        mesh: { enabled: true, demo: true },
    };
}

const k3sCluster = (overrides: Record<string, unknown> = {}) => ({
    name: "c3",
    id: 3,
    podCidr: "10.30.0.0/16",
    serviceCidr: "10.31.0.0/16",
    source: { k3s: { host: "192.0.2.30", user: "ubuntu", sshPrivateKeyPath: "~/.ssh/id_ed25519" } },
    loadBalancer: { metallb: { addresses: ["172.22.1.0/24"] } },
    ...overrides,
});



const failures: FailureCase[] = [
    { name: "fails on a one-cluster mesh", mutate: (c) => c.clusters.pop(), expectPath: "clusters", expectMessage: /at least two clusters \(got 1\)/ },
    { name: "fails on a one-cluster mesh chosen with mesh.clusters", mutate: (c) => (c.mesh.clusters = ["c1"]), expectPath: "mesh.clusters", expectMessage: /at least two/ },
    { name: "fails on overlapping pod CIDRs", mutate: (c) => (c.clusters[1].podCidr = "10.10.128.0/17"), expectPath: "clusters[1].podCidr", expectMessage: /overlaps clusters\[0\]\.podCidr/ },
    { name: "fails on a service CIDR overlapping another cluster's pod CIDR", mutate: (c) => (c.clusters[1].serviceCidr = "10.10.0.0/24"), expectPath: "clusters[1].serviceCidr", expectMessage: /overlaps clusters\[0\]\.podCidr/ },
    { name: "fails on duplicate ids", mutate: (c) => (c.clusters[1].id = 1), expectPath: "clusters[1].id", expectMessage: /already used/ },
    { name: "fails on overlapping MetalLB pools", mutate: (c) => (c.clusters[1].loadBalancer.metallb.addresses = ["172.22.0.90-172.22.0.120"]), expectPath: "clusters[1].loadBalancer.metallb.addresses[0]", expectMessage: /overlaps clusters\[0\]\.loadBalancer\.metallb\.addresses\[0\]/ },
    { name: "fails on an apiserverIP outside the cluster's pool", mutate: (c) => (c.clusters[0].clustermesh = { apiserverIP: "172.22.0.120" }), expectPath: "clusters[0].clustermesh.apiserverIP", expectMessage: /outside this cluster's MetalLB pool/ },
    {
        name: "fails on a LoadBalancer vCluster address outside the cluster's pool",
        mutate: (c) => (c.clusters[0].vclusters = [{ name: "lb", expose: "LoadBalancer", loadBalancerIP: "172.22.0.200" }]),
        expectPath: "clusters[0].vclusters[0].loadBalancerIP",
        expectMessage: /outside this cluster's MetalLB pool/,
    },
    { name: "fails on an id above 255 without maxConnectedClusters 511", mutate: (c) => (c.clusters[1].id = 300), expectPath: "clusters[1].id", expectMessage: /maxConnectedClusters: 511/ },
    { name: "fails on an id above 511", mutate: (c) => Object.assign(c.mesh, { maxConnectedClusters: 511 }) && (c.clusters[1].id = 512), expectPath: "clusters[1].id", expectMessage: /511/ },
    { name: "fails on a maxConnectedClusters other than 255 or 511", mutate: (c) => (c.mesh.maxConnectedClusters = 300), expectPath: "mesh.maxConnectedClusters" },
    { name: "fails on an unknown mesh cluster name", mutate: (c) => (c.mesh.clusters = ["c1", "c9"]), expectPath: "mesh.clusters[1]", expectMessage: /"c9" is not a cluster in this stack/ },
    { name: "fails on a mesh cluster listed twice", mutate: (c) => (c.mesh.clusters = ["c1", "c2", "c1"]), expectPath: "mesh.clusters[2]", expectMessage: /listed twice/ },
    { name: "fails on a LoadBalancer mesh member without MetalLB", mutate: (c) => delete c.clusters[1].loadBalancer, expectPath: "clusters[1].loadBalancer.metallb", expectMessage: /required with mesh.serviceType LoadBalancer/ },
    { name: "fails on a MetalLB entry that is not a range", mutate: (c) => (c.clusters[0].loadBalancer.metallb.addresses = ["172.22.0.50"]), expectPath: "clusters[0].loadBalancer.metallb.addresses[0]", expectMessage: /neither an IPv4 CIDR nor a range/ },
    { name: "fails on a MetalLB pool inside a pod CIDR", mutate: (c) => (c.clusters[1].loadBalancer.metallb.addresses = ["10.10.5.0/24"]), expectPath: "clusters[1].loadBalancer.metallb.addresses[0]", expectMessage: /overlaps clusters\[0\]\.podCidr/ },
    { name: "fails on a MetalLB version outside 0.14", mutate: (c) => (c.clusters[0].loadBalancer.metallb.version = "0.13.12"), expectPath: "clusters[0].loadBalancer.metallb.version", expectMessage: /0\.14/ },
    { name: "fails on a K3s member that re-enables servicelb next to MetalLB", mutate: (c) => c.clusters.push(k3sCluster({ source: { k3s: { ...k3sCluster().source.k3s, disable: ["traefik"] } } })), expectPath: "clusters[2].source.k3s.disable", expectMessage: /"servicelb"/ },
    { name: "fails on an apiserverIP with serviceType NodePort", mutate: (c) => Object.assign(c.mesh, { serviceType: "NodePort" }) && (c.clusters[0].clustermesh = { apiserverIP: "172.22.0.60" }), expectPath: "clusters[0].clustermesh.apiserverIP", expectMessage: /only used with mesh.serviceType LoadBalancer/ },
    { name: "fails on a nodePort with serviceType LoadBalancer", mutate: (c) => (c.clusters[0].clustermesh = { nodePort: 32000 }), expectPath: "clusters[0].clustermesh.nodePort", expectMessage: /only used with mesh.serviceType NodePort/ },
    { name: "fails on two NodePort members with one port", mutate: (c) => Object.assign(c.mesh, { serviceType: "NodePort" }) && (c.clusters[1].clustermesh = { nodePort: 32379 }), expectPath: "clusters[1].clustermesh.nodePort", expectMessage: /is also clusters\[0\]\.clustermesh\.nodePort .*cilium#24692/ },
    {
        name: "fails on a NodePort member whose node address is unknown",
        mutate: (c) => {
            c.mesh.serviceType = "NodePort";
            c.clusters[1].source = { kubeconfig: { path: "/tmp/kc" } };
            c.clusters[1].cilium = { kubeProxyReplacement: false };
        },
        expectPath: "clusters[1].clustermesh.nodeAddress",
        expectMessage: /does not know a node address/,
    },
    { name: "fails on a NodePort colliding with a vCluster's", mutate: (c) => Object.assign(c.mesh, { serviceType: "NodePort" }) && (c.clusters[0].vclusters = [{ name: "vc", expose: "NodePort", nodePort: 32379 }]), expectPath: "clusters[0].vclusters[0].nodePort", expectMessage: /also clusters\[0\]\.clustermesh\.nodePort \(the clustermesh-apiserver NodePort of c1, by default 32379/ },
    { name: "fails on an apiserverIP that a vCluster also requests", mutate: (c) => (c.clusters[0].clustermesh = { apiserverIP: "172.22.0.60" }) && (c.clusters[0].vclusters = [{ name: "vc", expose: "LoadBalancer", loadBalancerIP: "172.22.0.60" }]), expectPath: "clusters[0].clustermesh.apiserverIP", expectMessage: /also clusters\[0\]\.vclusters\[0\]\.loadBalancerIP/ },
    { name: "fails on MetalLB on a cluster outside the mesh", mutate: (c) => c.clusters.push(k3sCluster()) && (c.mesh.clusters = ["c1", "c2"]), expectPath: "clusters[2].loadBalancer.metallb", expectMessage: /only on mesh members/ },
    { name: "fails on notSharedIn naming a non-member", mutate: (c) => (c.mesh.globalServices = [{ name: "api", ports: [{ port: 80 }], selector: { app: "api" }, notSharedIn: ["c7"] }]), expectPath: "mesh.globalServices[0].notSharedIn[0]" },
    {
        name: "fails on a global service declared twice",
        mutate: (c) => (c.mesh.globalServices = [0, 1].map(() => ({ name: "api", ports: [{ port: 80 }], selector: { app: "api" } }))),
        expectPath: "mesh.globalServices[1].name",
        expectMessage: /declared twice/,
    },
    { name: "fails on a global service that is the demo's", mutate: (c) => (c.mesh.globalServices = [{ name: "rebel-base", namespace: "mesh-demo", ports: [{ port: 80 }], selector: { name: "rebel-base" } }]), expectPath: "mesh.globalServices[0].name", expectMessage: /demo/ },
    { name: "fails on verify without the demo", mutate: (c) => Object.assign(c.mesh, { demo: false, verify: true }), expectPath: "mesh.verify", expectMessage: /mesh.demo: true/ },
    { name: "fails on an unknown affinity", mutate: (c) => (c.mesh.globalServices = [{ name: "api", ports: [{ port: 80 }], selector: {}, affinity: "nearest" }]), expectPath: "mesh.globalServices[0].affinity" },
    { name: "fails on a typo in the mesh block", mutate: (c) => (c.mesh.serviceTyp = "NodePort"), expectPath: "mesh.serviceTyp", expectMessage: /did you mean "serviceType"/ },
];

describe("config: Cluster Mesh rules", () => {
    it("accepts the two-cluster kind mesh", () => {
        assert.deepEqual(issuesOf(meshConfig()), []);
    });

    it("accepts Pulumi.mesh.yaml as it is committed", () => {
        const file = readStackFile(path.join(PROJECT_DIR, "Pulumi.mesh.yaml"), "kubeloom");
        const config = parseStackConfig(rawConfigFromPulumi(file.config), { secretKeys: [] });
        assert.deepEqual(meshMembers(config).map((c) => c.name), ["c1", "c2"]);
        assert.equal(config.mesh?.demo, true);
        assert.equal(config.mesh?.verify, false);
        assert.deepEqual(file.secretKeys, [], "the kind mesh needs no secrets");
    });

    it("accepts a K3s member with the default disable list (servicelb off)", () => {
        const c = meshConfig();
        c.clusters.push(k3sCluster());
        assert.deepEqual(issuesOf(c), []);
    });

    it("derives distinct NodePorts in mesh order", () => {
        const c = meshConfig();
        c.mesh.serviceType = "NodePort";
        const config = parseStackConfig(c, { secretKeys: [] });
        assert.deepEqual(meshMembers(config).map((m, i) => clustermeshNodePort(m, i)), [32379, 32380]);
    });

    for (const failure of failures) {
        it(failure.name, () => {
            const c = meshConfig();
            failure.mutate(c);
            const issues = issuesOf(c);
            const hit = issues.find((issue) => issue.startsWith(`${failure.expectPath}: `));
            assert.ok(hit, `expected an issue at ${failure.expectPath}, got:\n${issues.join("\n")}`);
            if (failure.expectMessage) assert.match(hit, failure.expectMessage);
        });
    }

    it("ignores the mesh rules when the mesh is off", () => {
        const c = meshConfig();
        c.mesh = { enabled: false };
        c.clusters[1].podCidr = c.clusters[0].podCidr;
        assert.ok(!issuesOf(c).some((i) => i.includes("across the mesh")));
    });
});
