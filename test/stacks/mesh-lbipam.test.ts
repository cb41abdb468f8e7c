/**
 * The mesh stack on Cilium LB-IPAM instead of MetalLB: Pulumi.mesh.yaml (Cilium 1.20.0) with `loadBalancer.cilium`
 * in place of `loadBalancer.metallb`, parsed by the real config layer, planned with the real composition, rendered
 * with the 1.20.0 chart and pre-flighted.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseStackConfig } from "../../config/parse";
import { crossFieldIssues } from "../../config/rules";
import type { StackConfig } from "../../config/schema";
import { composePlatform } from "../../stacks/platform";
import { runOfflinePlan } from "../../scripts/plan/offline-plan";
import { renderPlan, RenderedResource } from "../../scripts/plan/render/plan-render";
import { preflightPlan } from "../../scripts/plan/preflight/preflight";
import { resolveClusters } from "../../config/resolved-cluster";
import { PROJECT_DIR } from "../../lib/project";
import { ciliumCrdFile, validateCustomResource } from "../support/crd-schemas";
import { needRenderEnvironment } from "../support/artifacts";

/** Pulumi.mesh.yaml with each MetalLB pool turned into an LB-IPAM pool (devices eth0, kind's NIC), parsed for real. */
function meshOnLbipam(): StackConfig {
    const file = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.mesh.yaml"), "utf8")) as { config: Record<string, any> };
    const raw = Object.fromEntries(Object.entries(file.config).map(([k, v]) => [k.replace(/^kubeloom:/, ""), v])) as Record<string, any>;
    for (const cluster of raw.clusters) cluster.loadBalancer = { cilium: { addresses: cluster.loadBalancer.metallb.addresses, devices: ["eth0"] } };
    return parseStackConfig(raw);
}

describe("mesh stack on Cilium LB-IPAM", function () {
    this.timeout(120000);
    let config: StackConfig;
    let plan: Awaited<ReturnType<typeof runOfflinePlan>>;
    before(async () => {
        config = meshOnLbipam();
        plan = await runOfflinePlan({
            project: "kubeloom",
            stack: "mesh-lbipam",
            config: {},
            secretKeys: [],
            program: async () => {
                const { outputs, mesh } = composePlatform({ config, secrets: { sourceKubeconfigs: {} }, stackName: "mesh-lbipam" });
                return { kubeconfigs: outputs.kubeconfigs, clusters: outputs.clusters, ...(mesh ? { mesh: mesh.clusterMesh.summary } : {}) };
            },
        });
    });

    it("is a valid config; mixing MetalLB in is refused", () => {
        assert.deepEqual(crossFieldIssues(config), []);
        const mixed = { ...config, clusters: config.clusters.map((c, i) => (i === 0 ? { ...c, loadBalancer: { ...c.loadBalancer, metallb: { version: "0.14.9", addresses: ["172.22.1.0/28"] } } } : c)) };
        assert.ok(crossFieldIssues(mixed as StackConfig).some((i) => i.path === "clusters[0].loadBalancer" && /pick one/.test(i.message)));
    });

    it("plans LB-IPAM pools and an L2 policy per cluster, no MetalLB, valid against the CRDs of its Cilium release", () => {
        assert.ok(!plan.resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "metallb"), "no MetalLB");
        for (const cluster of ["c1", "c2"]) {
            const mine = plan.resources.filter((r) => r.name.startsWith(`${cluster}-lbipam-`) && r.inputs.kind !== undefined);
            const pools = mine.filter((r) => r.inputs.kind === "CiliumLoadBalancerIPPool");
            assert.deepEqual(pools.map((p) => (p.inputs as any).metadata.name).sort(), ["kubeloom", "kubeloom-reserved"]);
            const reserved = pools.find((p) => (p.inputs as any).metadata.name === "kubeloom-reserved")!;
            assert.deepEqual((reserved.inputs as any).spec.blocks, [{ cidr: cluster === "c1" ? "172.22.0.50/32" : "172.22.0.101/32" }]);
            for (const r of mine) {
                const object = { apiVersion: r.inputs.apiVersion as string, kind: r.inputs.kind as string, metadata: r.inputs.metadata, spec: r.inputs.spec };
                const crd = object.kind === "CiliumLoadBalancerIPPool" ? "ciliumloadbalancerippools" : "ciliuml2announcementpolicies";
                assert.deepEqual(validateCustomResource(ciliumCrdFile(crd, config.clusters[0].cilium.version), object), [], `${r.name}`);
            }
        }
    });

    it("each pool and the L2 policy wait, bounded, for their CRD to be Established, beside (not after) the Cilium release", () => {
        for (const cluster of ["c1", "c2"]) {
            const byName = new Map(plan.resources.map((r) => [r.name, r]));
            for (const [object, wait, crd] of [
                [`${cluster}-lbipam-kubeloom-pool`, `${cluster}-lbipam-pool-crd-wait`, "ciliumloadbalancerippools.cilium.io"],
                [`${cluster}-lbipam-kubeloom-l2`, `${cluster}-lbipam-l2-crd-wait`, "ciliuml2announcementpolicies.cilium.io"],
            ]) {
                const w = byName.get(wait)!;
                assert.ok(w, `${wait} planned`);
                assert.ok(byName.get(object)!.dependsOn.includes(w.urn), `${object} waits for ${wait}`);
                assert.match(String(w.inputs.create), new RegExp(`get crd '${crd.replace(/\./g, "\\.")}'`));
                assert.deepEqual(w.inputs.environment, { KUBELOOM_KUBECONFIG: "[secret]" });
                assert.ok(!w.dependsOn.includes(byName.get(`${cluster}-cilium-release`)!.urn), "waiting for the release would deadlock");
            }
        }
    });

    it("the clustermesh-apiserver requests its pre-planned address through lbipam.cilium.io/ips; L2 values set", () => {
        const release = plan.resources.find((r) => r.name === "c1-cilium-release")!;
        const values = release.inputs.values as any;
        assert.equal(release.inputs.version, "1.20.0");
        assert.deepEqual(values.clustermesh.apiserver.service.annotations, { "lbipam.cilium.io/ips": "172.22.0.50" });
        assert.deepEqual(values.clustermesh.apiserver.service.labels, { "kubeloom.io/lb-reserved": "true" });
        assert.deepEqual(values.l2announcements, { enabled: true });
        assert.deepEqual(values.devices, ["eth0"]);
        assert.equal(values.k8sClientRateLimit.qps, 10 + Math.ceil(51 / 5));
        assert.equal(values.clustermesh.config.clusters[0].ips[0], "172.22.0.101", "peers still dial the planned address");
    });

    it("renders with the Cilium 1.20.0 chart and passes pre-flight", async () => {
        const clusters = new Map(config.clusters.map((c) => [c.name, c]));
        const env = needRenderEnvironment();
        const rendered = await renderPlan(plan, clusters, env);
        const cilium = rendered.resources.find((r) => r.name === "c1-cilium-release") as RenderedResource;
        const service = cilium.rendered!.find((o) => o.kind === "Service" && o.metadata.name === "clustermesh-apiserver")!;
        assert.equal((service.metadata as any).annotations["lbipam.cilium.io/ips"], "172.22.0.50");
        const configMap = cilium.rendered!.find((o) => o.kind === "ConfigMap" && o.metadata.name === "cilium-config")!;
        assert.equal((configMap as any).data["enable-l2-announcements"], "true");
        const findings = preflightPlan(rendered, resolveClusters(config));
        assert.deepEqual(findings.filter((f) => f.severity === "error"), []);
    });
});
