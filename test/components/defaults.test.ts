/**
 * Defaults written once (components/defaults.ts): a key the config leaves out and a component argument left out
 * mean the same thing, because the schema and the component name the same constant.
 */
import { strict as assert } from "node:assert";
import {
    DEFAULT_CILIUM_WAIT_SECONDS,
    DEFAULT_KIND_WORKERS,
    DEFAULT_MAX_CONNECTED_CLUSTERS,
    DEFAULT_POD_SECURITY_STANDARD,
    DEFAULT_VCLUSTER_BUILD,
    DEFAULT_VCLUSTER_ISOLATE,
    DEFAULT_VCLUSTER_QUOTA,
    DEFAULT_MESH_SERVICE_TYPE,
    K3S_DEFAULT_API_PORT,
} from "../../components/defaults";
import { k3sServerFlags } from "../../components/k3s-install-script";
import { vclusterValues } from "../../components/vcluster-values";
import { parseStackConfig } from "../../config/parse";
import { devConfig } from "../support/fixtures";

describe("defaults written once", () => {
    const parsed = parseStackConfig(devConfig());
    const cluster = parsed.clusters[0];
    const vcluster = cluster.vclusters[0];

    it("the schema fills the vCluster, Cilium, kind and mesh defaults from components/defaults.ts", () => {
        assert.equal(vcluster.isolate, DEFAULT_VCLUSTER_ISOLATE);
        assert.equal(vcluster.podSecurityStandard, DEFAULT_POD_SECURITY_STANDARD);
        assert.equal(vcluster.build, DEFAULT_VCLUSTER_BUILD);
        assert.equal(vcluster.quota, DEFAULT_VCLUSTER_QUOTA);
        assert.equal(cluster.cilium.waitTimeoutSeconds, DEFAULT_CILIUM_WAIT_SECONDS);
        const kind = devConfig();
        kind.clusters[0].source = { kind: {} };
        kind.clusters[0].vclusters = [];
        assert.equal(parseStackConfig(kind).clusters[0].source.kind?.workers, DEFAULT_KIND_WORKERS);
        const mesh = devConfig();
        mesh.clusters[0].source = { kind: {} };
        mesh.clusters[0].vclusters = [];
        mesh.clusters.push({ ...structuredClone(mesh.clusters[0]), name: "two", id: 2, podCidr: "10.52.0.0/16", serviceCidr: "10.53.0.0/16" });
        mesh.mesh = { serviceType: "NodePort" };
        assert.equal(parseStackConfig(mesh).mesh?.maxConnectedClusters, DEFAULT_MAX_CONNECTED_CLUSTERS);
        delete mesh.mesh.serviceType;
        mesh.clusters.forEach((c: any, i: number) => (c.loadBalancer = { metallb: { addresses: [`172.22.${i}.0/24`] } }));
        assert.equal(parseStackConfig(mesh).mesh?.serviceType, DEFAULT_MESH_SERVICE_TYPE);
        assert.equal(cluster.source.k3s?.apiPort, K3S_DEFAULT_API_PORT);
    });

    it("the K3s install script passes --https-listen-port only for a port other than the schema's default", () => {
        const input = { version: "v1.28.13+k3s1", podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16", disable: [], disableKubeProxy: false, tlsSans: [] };
        assert.ok(!k3sServerFlags({ ...input, apiPort: cluster.source.k3s!.apiPort }).some((f) => f.startsWith("--https-listen-port")));
        assert.ok(k3sServerFlags({ ...input, apiPort: 7443 }).includes("--https-listen-port=7443"));
    });

    it("vclusterValues without the optional arguments renders what the parsed defaults render", () => {
        const base = { name: vcluster.name, contextName: "dev-vc-a", expose: { type: "NodePort" as const, nodePort: 31443, nodeAddress: "192.0.2.10" }, isolate: vcluster.isolate };
        const fromConfig = vclusterValues({ ...base, version: vcluster.version, podSecurityStandard: vcluster.podSecurityStandard, build: vcluster.build, quota: vcluster.quota });
        assert.deepEqual(vclusterValues(base), fromConfig);
    });
});
