import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import { ClusterMesh, ClusterMeshMember } from "../../components/ClusterMesh";
import { MetalLB } from "../../components/MetalLB";
import { named, ofType, planProgram } from "../support/helpers";

const member = (n: number, provider: k8s.Provider): ClusterMeshMember => ({
    name: `c${n}`,
    id: n,
    provider,
    metallb: { addresses: [`172.22.${n}.10-172.22.${n}.20`] },
    apiserver: { type: "LoadBalancer", address: `172.22.${n}.10` },
});

describe("ClusterMesh component", () => {
    it("owns one CA and MetalLB per member, all parented to it with the member's provider", async () => {
        const plan = await planProgram(() => {
            const providers = [1, 2, 3].map((n) => new k8s.Provider(`p${n}`, { kubeconfig: "x" }));
            new ClusterMesh("m", { members: providers.map((p, i) => member(i + 1, p)) });
        });
        const mesh = named(plan, "m");
        for (const name of ["m-ca-key", "m-ca", "m-c1-metallb", "m-c2-metallb", "m-c3-metallb"]) {
            assert.equal(named(plan, name).parent, mesh.urn, `${name} is a child of the ClusterMesh`);
        }
        for (const n of [1, 2, 3]) {
            const release = named(plan, `m-c${n}-metallb-release`);
            assert.equal(release.provider?.split("::").pop(), `p${n}`);
        }
        assert.equal(ofType(plan, "tls:index/selfSignedCert:SelfSignedCert").length, 1);
    });

    it("fails on a one-cluster mesh before creating anything", async () => {
        await assert.rejects(
            planProgram(() => {
                new ClusterMesh("m", { members: [member(1, new k8s.Provider("p1", { kubeconfig: "x" }))] });
            }),
            /ClusterMesh m: a mesh needs at least two clusters, got 1/,
        );
    });

    it("fails on members of mixed placement types before creating anything", async () => {
        await assert.rejects(
            planProgram(() => {
                const p = new k8s.Provider("p", { kubeconfig: "x" });
                new ClusterMesh("m", { members: [member(1, p), { name: "c2", id: 2, provider: p, apiserver: { type: "NodePort", nodeAddress: "192.0.2.2", nodePort: 32380 } }] });
            }),
            /ClusterMesh m: mesh members mix clustermesh-apiserver types/,
        );
    });

    it("has MetalLB reserve each member's planned apiserver address", async () => {
        const plan = await planProgram(() => {
            const p = new k8s.Provider("p", { kubeconfig: "x" });
            new ClusterMesh("m", { members: [member(1, p), member(2, p)] });
        });
        // The reserved pool (autoAssign false) holds the planned address as a /32, so MetalLB never hands it out.
        const reserved = ofType(plan, "kubernetes:metallb.io/v1beta1:IPAddressPool").filter((r) => (r.inputs.spec as { autoAssign?: boolean }).autoAssign === false);
        assert.deepEqual(reserved.map((r) => (r.inputs.spec as { addresses: string[] }).addresses).sort(), [["172.22.1.10/32"], ["172.22.2.10/32"]]);
    });

    it("MetalLB refuses an empty pool", async () => {
        await assert.rejects(
            planProgram(() => {
                new MetalLB("lb", { provider: new k8s.Provider("p", { kubeconfig: "x" }), addresses: [] });
            }),
            /MetalLB lb: addresses is empty/,
        );
    });
});
