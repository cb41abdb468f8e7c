/**
 * Pre-flight `l7-voided`: an HTTP rule of a tenant CiliumNetworkPolicy that a NetworkPolicy of the same namespace
 * voids (Cilium wildcards L7 rules for peers some rule allows at L3/L4). Checked on the vcluster charts' own
 * rendered policies and on Kubeloom's fence, for both supported lines.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { checkVoidedL7Rules } from "../../scripts/plan/preflight/l7-checks";
import { selectorMatches } from "../../config/l7-voiding";
import type { ClusterModel, PlacedObject } from "../../scripts/plan/preflight/model";
import type { KubeObject } from "../../scripts/plan/render/objects";
import { KubeManifest, tenantCiliumNetworkPolicy, TenantNetworkPolicy } from "../../components/tenant-policy";
import type { VClusterLine } from "../../components/support-matrix";
import { tenantFencePolicies, tenantHostPolicies } from "../../components/tenant-fence";
import { vclusterValues } from "../../components/vcluster-values";
import { renderRelease } from "../../scripts/plan/render/render";
import { needRenderEnvironment } from "../support/artifacts";

const cluster: ClusterModel = { name: "dev", kubeVersion: "1.36.0", extraApiVersions: [] };
const NS = "vcluster-galaxy";
const placed = (objects: readonly (KubeObject | KubeManifest)[]): PlacedObject[] => objects.map((object) => ({ object: object as KubeObject, namespace: (object.metadata.namespace as string | undefined) ?? NS }));

/** The Death Star policy of docs/tenants.md, plus an egress HTTP rule towards other pods of the tenant. */
const landing: TenantNetworkPolicy = {
    name: "deathstar-landing",
    pods: { namespace: "default", labels: { org: "empire", class: "deathstar" } },
    ingress: [{ peer: { type: "pods", pods: { namespace: "default", labels: { org: "empire" } } }, ports: [{ port: 80, protocol: "TCP" }], http: [{ method: "POST", path: "/v1/request-landing" }] }],
    egress: [],
};
const exhaust: TenantNetworkPolicy = {
    name: "exhaust-port",
    pods: { labels: { class: "deathstar" } },
    ingress: [],
    egress: [{ peer: { type: "pods", pods: { labels: { class: "exhaust-port" } } }, ports: [{ port: 8080, protocol: "TCP" }], http: [{ method: "GET" }] }],
};

async function chartPolicies(line: VClusterLine, chartFence: boolean): Promise<KubeObject[]> {
    const version = line === "0.20" ? "0.20.6" : "0.36.1";
    const values = vclusterValues({ name: "galaxy", version, contextName: "dev-galaxy", isolate: true, expose: { type: "ClusterIP" } }) as { policies: { networkPolicy: { enabled: boolean } } };
    values.policies.networkPolicy.enabled = chartFence;
    const env = needRenderEnvironment();
    const { objects } = await renderRelease({ release: { release: "galaxy", chart: "vcluster", version, namespace: NS }, values, kubeVersion: line === "0.20" ? "1.30.6" : "1.36.0", apiVersions: [] }, env);
    return objects.filter((o) => o.kind === "NetworkPolicy");
}

/** What Kubeloom creates for the isolated tenant (tenantHostPolicies, as VCluster does). */
function kubeloomObjects(line: VClusterLine, policies: readonly TenantNetworkPolicy[]): KubeManifest[] {
    const host = tenantHostPolicies(line, "galaxy", NS, true, policies, 6443);
    return [...host.networkPolicies, ...host.ciliumPolicies];
}

describe("preflight l7-voided: selectors", () => {
    const cases: Array<[string, Parameters<typeof selectorMatches>[0], Record<string, string>, boolean]> = [
        ["empty selects all", {}, { a: "1" }, true],
        ["matchLabels subset", { matchLabels: { a: "1" } }, { a: "1", b: "2" }, true],
        ["matchLabels needs the label", { matchLabels: { c: "3" } }, { a: "1" }, false],
        ["In", { matchExpressions: [{ key: "a", operator: "In", values: ["1", "2"] }] }, { a: "2" }, true],
        ["In without the key", { matchExpressions: [{ key: "a", operator: "In", values: ["1"] }] }, {}, false],
        ["NotIn without the key matches", { matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, {}, true],
        ["NotIn with the value", { matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, { a: "1" }, false],
        ["Exists", { matchExpressions: [{ key: "a", operator: "Exists" }] }, { a: "" }, true],
        ["DoesNotExist", { matchExpressions: [{ key: "a", operator: "DoesNotExist" }] }, { a: "" }, false],
    ];
    for (const [name, selector, labels, expected] of cases) it(name, () => assert.equal(selectorMatches(selector, labels), expected));
});

describe("preflight l7-voided: the tenant fence of each vcluster line", function () {
    this.timeout(60000);

    it("0.36: the chart's own workload policy voids the Death Star's HTTP rule (why Kubeloom turns it off)", async () => {
        const objects = placed([...(await chartPolicies("0.36", true)), tenantCiliumNetworkPolicy("0.36", "galaxy", NS, landing)]);
        const findings = checkVoidedL7Rules(cluster, objects);
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.equal(findings[0].object, "CiliumNetworkPolicy/vcluster-galaxy/tenant-deathstar-landing");
        assert.match(findings[0].message, /ingress\[0\] on TCP\/80 have no effect: NetworkPolicy\/vcluster-galaxy\/vc-work-galaxy ingress\[1\]/);
    });

    it("0.36: Kubeloom's fence (chart's off) leaves the HTTP rules of both directions in force", async () => {
        const chart = await chartPolicies("0.36", false);
        assert.deepEqual(chart, [], "the chart renders no NetworkPolicy with Kubeloom's values");
        assert.deepEqual(checkVoidedL7Rules(cluster, placed(kubeloomObjects("0.36", [landing, exhaust]))), []);
    });

    it("0.36: without leaving egress-policy pods out, Kubeloom's egress fence would void the egress HTTP rule", () => {
        const unfenced = [...tenantFencePolicies("0.36", "galaxy", NS, [], 6443), tenantCiliumNetworkPolicy("0.36", "galaxy", NS, exhaust)];
        const findings = checkVoidedL7Rules(cluster, placed(unfenced));
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.match(findings[0].message, /egress\[0\] on TCP\/8080 have no effect: NetworkPolicy\/vcluster-galaxy\/kubeloom-tenant-egress egress\[0\]/);
    });

    it("0.20: the chart's egress-only fence leaves ingress HTTP rules in force and voids egress ones to tenant pods", async () => {
        const chart = await chartPolicies("0.20", true);
        assert.deepEqual(chart.map((o) => o.metadata.name).sort(), ["vc-cp-galaxy", "vc-work-galaxy"]);
        assert.deepEqual(checkVoidedL7Rules(cluster, placed([...chart, ...kubeloomObjects("0.20", [landing])])), []);
        const findings = checkVoidedL7Rules(cluster, placed([...chart, ...kubeloomObjects("0.20", [exhaust])]));
        assert.deepEqual(findings.map((f) => f.message.replace(/ allows.*/, "")), ["the HTTP rules of egress[0] on TCP/8080 have no effect: NetworkPolicy/vcluster-galaxy/vc-work-galaxy egress[2]"]);
    });

    it("a second tenant policy allowing the same peers on the port at L4 voids the HTTP rule; on another port it does not", () => {
        const open80: TenantNetworkPolicy = { name: "open-80", pods: { labels: { class: "deathstar" } }, ingress: [{ peer: { type: "pods", pods: { labels: {} } }, ports: [{ port: 80, protocol: "TCP" }] }], egress: [] };
        const findings = checkVoidedL7Rules(cluster, placed(kubeloomObjects("0.36", [landing, open80])));
        assert.deepEqual(findings.map((f) => [f.object, f.message.replace(/ allows.*/, "")]), [
            ["CiliumNetworkPolicy/vcluster-galaxy/tenant-deathstar-landing", "the HTTP rules of ingress[0] on TCP/80 have no effect: CiliumNetworkPolicy/vcluster-galaxy/tenant-open-80 ingress[0]"],
        ]);
        const open81 = { ...open80, ingress: [{ ...open80.ingress[0], ports: [{ port: 81, protocol: "TCP" as const }] }] };
        assert.deepEqual(checkVoidedL7Rules(cluster, placed(kubeloomObjects("0.36", [landing, open81]))), []);
    });
});
