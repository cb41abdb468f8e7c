import { strict as assert } from "node:assert";
import { vclusterConnectCommand } from "../../components/vcluster-values";
import { devConfig, named, planConfig } from "../support/helpers";

describe("tenants in a planned stack", function () {
    this.timeout(30000);

    it("a ClusterIP tenant's output says exactly how to reach its localhost:8443 endpoint", async () => {
        const raw = devConfig();
        raw.clusters[0].vclusters = [{ name: "vc-a", expose: "ClusterIP" }, { name: "vc-b", expose: "NodePort", nodePort: 31444 }];
        const plan = await planConfig(raw);
        const clusters = plan.outputs.clusters as Array<{ vclusters: Array<{ name: string; endpoint: string; connect: string | null; context: string }> }>;
        const [a, b] = clusters[0].vclusters;
        assert.equal(a.endpoint, "https://localhost:8443");
        assert.equal(a.connect, "kubectl --context dev -n vcluster-vc-a port-forward svc/vc-a 8443:443");
        assert.equal(b.connect, null, "a NodePort answers directly");
        assert.equal(vclusterConnectCommand({ type: "LoadBalancer" }, "dev", "x"), undefined);
    });

    it("labels the tenant namespace with its Pod Security level and plans the open-source build", async () => {
        const raw = devConfig();
        raw.clusters[0].vclusters = [{ name: "vc-a", expose: "NodePort", nodePort: 31443, podSecurityStandard: "restricted" }, { name: "vc-b", expose: "NodePort", nodePort: 31444, build: "pro", podSecurityStandard: "privileged" }];
        const plan = await planConfig(raw);
        const labels = (vc: string) => (named(plan, `dev-${vc}-namespace`).inputs as any).metadata.labels;
        assert.equal(labels("vc-a")["pod-security.kubernetes.io/enforce"], "baseline");
        assert.equal(labels("vc-a")["pod-security.kubernetes.io/warn"], "restricted");
        assert.equal(labels("vc-b")["pod-security.kubernetes.io/enforce"], "privileged");
        const values = (vc: string) => (named(plan, `dev-${vc}-release`).inputs as any).values;
        assert.equal(values("vc-a").policies.podSecurityStandard, "restricted");
        assert.equal(values("vc-a").controlPlane.statefulSet.image.repository, "loft-sh/vcluster-oss");
        assert.equal(values("vc-b").controlPlane.statefulSet.image.repository, "loft-sh/vcluster-pro");
    });

    it("isolate: false drops the tenant's fence and ingress isolation", async () => {
        const raw = devConfig();
        raw.clusters[0].vclusters[1].isolate = false;
        const plan = await planConfig(raw);
        const policies = plan.resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.name).sort();
        const fence = ["kubeloom-control-plane", "kubeloom-tenant-api", "kubeloom-tenant-dns", "kubeloom-tenant-egress", "kubeloom-tenant-ingress"];
        assert.deepEqual(policies, fence.map((p) => `dev-vc-a-${p}`));
    });
});
