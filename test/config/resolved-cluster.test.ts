import { strict as assert } from "node:assert";
import { parseStackConfig } from "../../config/parse";
import { apiEndpoint, createsCluster, nodeAddress, resolveCluster, resolvedLoadBalancer } from "../../config/resolved-cluster";
import { chainConfig } from "../support/helpers";
import { devConfig } from "../support/fixtures";

const existing = (cilium: Record<string, unknown>, source: Record<string, unknown> = { kubeconfig: { path: "/k" } }) =>
    parseStackConfig({ clusters: [{ name: "x", id: 1, podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16", source, cilium: { kubeProxyReplacement: false, ...cilium } }] }).clusters[0];

describe("resolved cluster model", () => {
    it("names whether Kubeloom creates the cluster, per source kind", () => {
        assert.deepEqual(
            (["k3s", "kind", "kubeconfig", "stackReference"] as const).map((type) => createsCluster(type)),
            [true, true, false, false],
        );
    });

    it("gives a K3s cluster's API endpoint from registrationAddress or the first server, on apiPort", () => {
        const dev = parseStackConfig(devConfig()).clusters[0];
        assert.deepEqual(apiEndpoint(dev), { type: "k3s", host: "192.0.2.10", port: 6443 });
        const raw = devConfig();
        Object.assign(raw.clusters[0].source.k3s, { registrationAddress: "k3s.example.test", apiPort: 7443 });
        assert.deepEqual(apiEndpoint(parseStackConfig(raw).clusters[0]), { type: "k3s", host: "k3s.example.test", port: 7443 });
    });

    it("gives an existing cluster's API endpoint only as host and port together, never a default port", () => {
        assert.deepEqual(apiEndpoint(existing({ k8sServiceHost: "192.0.2.20", k8sServicePort: 443 })), { type: "configured", host: "192.0.2.20", port: 443 });
        assert.deepEqual(apiEndpoint(existing({})), { type: "unknown" });
        assert.deepEqual(apiEndpoint(existing({ k8sServicePort: 443 })), { type: "unknown" });
    });

    it("derives the node address in one place: K3s first server, local server's registrationAddress, existing nodeAddress else API host", () => {
        assert.deepEqual(nodeAddress(parseStackConfig(devConfig()).clusters[0]), { type: "address", address: "192.0.2.10" });
        const local = devConfig();
        local.clusters[0].source.k3s = { host: "localhost" };
        assert.deepEqual(nodeAddress(parseStackConfig(local).clusters[0]), { type: "thisMachine" });
        assert.deepEqual(apiEndpoint(parseStackConfig(local).clusters[0]), { type: "k3s", host: "127.0.0.1", port: 6443 }, "a lone local server's API: 127.0.0.1, as K3sHost says");
        assert.deepEqual(nodeAddress(existing({ k8sServiceHost: "192.0.2.20", k8sServicePort: 6443 })), { type: "address", address: "192.0.2.20" });
        assert.deepEqual(nodeAddress(existing({ k8sServiceHost: "192.0.2.20", k8sServicePort: 6443 }, { kubeconfig: { path: "/k", nodeAddress: "192.0.2.30" } })), { type: "address", address: "192.0.2.30" });
        assert.deepEqual(nodeAddress(existing({})), { type: "unknown" });
    });

    it("resolves the load balancer as metallb | cilium | none with the pool's key", () => {
        assert.equal(resolvedLoadBalancer(existing({})).type, "none");
        const raw = devConfig();
        raw.clusters[0].loadBalancer = { cilium: { addresses: ["192.0.2.200/29"] } };
        const lb = resolvedLoadBalancer(parseStackConfig(raw).clusters[0]);
        assert.deepEqual(lb.type === "cilium" ? [lb.key, lb.addresses] : lb, ["loadBalancer.cilium.addresses", ["192.0.2.200/29"]]);
    });

    it("claims the LB-IPAM mesh apiserver address and each LoadBalancer vCluster's, apiserver first", () => {
        const clusters = [1, 2].map((n) => ({
            name: `c${n}`,
            id: n,
            podCidr: `10.${n}0.0.0/16`,
            serviceCidr: `10.${n}1.0.0/16`,
            source: { kind: { apiServerPort: 6443 + n } },
            loadBalancer: { cilium: { addresses: [`172.22.${n}.0/24`] } },
            vclusters: n === 1 ? [{ name: "t", expose: "LoadBalancer", loadBalancerIP: "172.22.1.9" }] : [],
        }));
        const config = parseStackConfig({ clusters, mesh: {} });
        const model = resolveCluster(config, 0);
        assert.deepEqual(model.claimedAddresses, ["172.22.1.1", "172.22.1.9"]);
        assert.equal(model.createdByKubeloom, true);
        assert.equal(model.loadBalancer.type, "cilium");
        assert.deepEqual(model.vclusters.map((v) => v.exposure), [{ type: "LoadBalancer", address: "172.22.1.9", provider: "cilium" }]);
    });

    it("resolves the shipped chain stack's existing cluster with its configured endpoint", () => {
        const config = parseStackConfig(chainConfig());
        const model = resolveCluster(config, 0);
        assert.equal(model.createdByKubeloom, false);
        assert.deepEqual(model.apiEndpoint, { type: "configured", host: "192.0.2.20", port: 6443 });
        assert.equal(model.k3sTopology, undefined);
        assert.equal(model.kindWorkers, undefined);
    });

    it("names a kind cluster's workers and a K3s cluster's topology, each only for its own source", () => {
        const kind = devConfig();
        kind.clusters[0].source = { kind: { workers: 3 } };
        kind.clusters[0].vclusters = [];
        const kindModel = resolveCluster(parseStackConfig(kind), 0);
        assert.deepEqual([kindModel.kindWorkers, kindModel.createdNodeCount, kindModel.k3sTopology], [3, 4, undefined]);
        const k3sModel = resolveCluster(parseStackConfig(devConfig()), 0);
        assert.equal(k3sModel.kindWorkers, undefined);
        assert.deepEqual(k3sModel.k3sTopology?.servers.map((s) => s.host), ["192.0.2.10"]);
    });
});
