import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { hostNamespaceLabelKey, hostPodLabelKey, hostPodSecurityLevel, MANAGED_BY_LABEL, podSecurityNamespaceLabels, safeConcatName, tenantCiliumNetworkPolicy, TenantNetworkPolicy, tenantPodSelector, VIRTUAL_NAMESPACE_LABEL } from "../../components/tenant-policy";
import { vclusterLine } from "../../components/support-matrix";
import { tenantIngressIsolation } from "../../components/tenant-fence";
import { parseStackConfig } from "../../config/parse";
import { PROJECT_DIR } from "../../lib/project";
import { ciliumCrdFile, validateCustomResource } from "../support/crd-schemas";
import { devConfig, ofType, planConfig } from "../support/helpers";
import { checkVoidedL7Rules } from "../../scripts/plan/preflight/l7-checks";

/** The Star Wars policy of seed 000 in the tenant's terms (the docs/tenants.md example). */
const deathstar: TenantNetworkPolicy = {
    name: "deathstar-landing",
    pods: { namespace: "default", labels: { org: "empire", class: "deathstar" } },
    ingress: [{ peer: { type: "pods", pods: { namespace: "default", labels: { org: "empire" } } }, ports: [{ port: 80, protocol: "TCP" }], http: [{ method: "POST", path: "/v1/request-landing" }] }],
    egress: [],
};

/** The tenant-policy example block of docs/tenants.md, as config. */
function readmeExample(): Record<string, any> {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "docs", "tenants.md"), "utf8");
    const block = /<!-- tenant-policy-example -->\n```yaml\n([\s\S]*?)```\n<!-- \/tenant-policy-example -->/.exec(readme);
    assert.ok(block, "docs/tenants.md has no tenant-policy-example block");
    return parse(block[1]) as Record<string, any>;
}

describe("tenant policy: the syncer's label translation", () => {
    it("matches the host label keys of vcluster's own tests (VClusterName \"suffix\")", () => {
        // v0.36.1 pkg/util/translate/translate_test.go (TestVirtualLabels, TestRecursiveLabelsMap)
        assert.equal(hostPodLabelKey("0.36", "suffix", "release"), "vcluster.loft.sh/label-suffix-x-a4d451ec23");
        assert.equal(hostPodLabelKey("0.36", "suffix", "vcluster.loft.sh/namespace"), "vcluster.loft.sh/label-suffix-x-101dcd4e86");
        assert.equal(hostPodLabelKey("0.36", "suffix", "vcluster.loft.sh/managed-by"), "vcluster.loft.sh/label-suffix-x-e5f1b28ab2");
        // v0.20.6 pkg/patches/patch_test.go ("rewrite label key"): myLabel, myLabel2
        assert.equal(hostPodLabelKey("0.20", "suffix", "myLabel"), "vcluster.loft.sh/label-suffix-x-cb4e76426f");
        assert.equal(hostPodLabelKey("0.20", "suffix", "myLabel2"), "vcluster.loft.sh/label-suffix-x-bae4a2c2e5");
    });

    it("0.20 hashes every key, 0.36 keeps all but the reserved ones", () => {
        assert.match(hostPodLabelKey("0.20", "galaxy", "org"), /^vcluster\.loft\.sh\/label-galaxy-x-[0-9a-f]{10}$/);
        assert.equal(hostPodLabelKey("0.36", "galaxy", "org"), "org");
        assert.equal(hostPodLabelKey("0.36", "galaxy", "app.kubernetes.io/name"), "app.kubernetes.io/name");
        assert.notEqual(hostPodLabelKey("0.36", "galaxy", "release"), "release");
        assert.match(hostNamespaceLabelKey("galaxy", "team"), /^vcluster\.loft\.sh\/ns-label-galaxy-x-[0-9a-f]{10}$/);
    });

    it("cuts names over 63 characters like SafeConcatName: 52 characters, '-', 10 hex digits", () => {
        const long = safeConcatName("vcluster.loft.sh/label", "a".repeat(40), "x", "0123456789");
        assert.equal(long.length, 63);
        assert.equal(long.slice(0, 52), `vcluster.loft.sh/label-${"a".repeat(29)}`);
        assert.equal(safeConcatName("a", "b"), "a-b");
    });

    it("knows the chart lines 0.20 and 0.36 only", () => {
        assert.equal(vclusterLine("0.20.6"), "0.20");
        assert.equal(vclusterLine("0.36.1"), "0.36");
        assert.equal(vclusterLine("0.21.0"), undefined);
    });

    it("scopes every selector to the tenant, and to a virtual namespace where given", () => {
        assert.deepEqual(tenantPodSelector("0.36", "galaxy", { labels: {} }), { [MANAGED_BY_LABEL]: "galaxy" });
        assert.deepEqual(tenantPodSelector("0.36", "galaxy", { namespace: "default", labels: { org: "empire" } }), { [MANAGED_BY_LABEL]: "galaxy", [VIRTUAL_NAMESPACE_LABEL]: "default", org: "empire" });
    });
});

describe("tenant policy: CiliumNetworkPolicy", () => {
    for (const line of ["0.20", "0.36"] as const) {
        it(`renders the Star Wars policy for ${line} in the tenant's terms, valid against the CNP CRD of every Cilium copy`, () => {
            const cnp = tenantCiliumNetworkPolicy(line, "galaxy", "vcluster-galaxy", deathstar) as any;
            assert.equal(cnp.metadata.name, "tenant-deathstar-landing");
            assert.equal(cnp.metadata.namespace, "vcluster-galaxy");
            const org = hostPodLabelKey(line, "galaxy", "org");
            assert.deepEqual(cnp.spec.endpointSelector.matchLabels, { [MANAGED_BY_LABEL]: "galaxy", [VIRTUAL_NAMESPACE_LABEL]: "default", [org]: "empire", [hostPodLabelKey(line, "galaxy", "class")]: "deathstar" });
            assert.deepEqual(cnp.spec.ingress, [
                {
                    fromEndpoints: [{ matchLabels: { [MANAGED_BY_LABEL]: "galaxy", [VIRTUAL_NAMESPACE_LABEL]: "default", [org]: "empire" } }],
                    toPorts: [{ ports: [{ port: "80", protocol: "TCP" }], rules: { http: [{ method: "POST", path: "/v1/request-landing" }] } }],
                },
            ]);
            assert.equal(cnp.spec.egress, undefined, "an ingress-only policy leaves egress alone");
            for (const cilium of ["1.16.19", "1.17.18", "1.18.12", "1.19.6"]) {
                const errors = validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", cilium), cnp);
                assert.deepEqual(errors, [], `${cilium}: ${JSON.stringify(errors)}`);
            }
        });
    }

    it("adds DNS to the tenant's CoreDNS through the DNS proxy to an egress policy (toFQDNs needs it)", () => {
        const policy: TenantNetworkPolicy = {
            name: "github",
            pods: { labels: { app: "ci" } },
            ingress: [],
            egress: [
                { peer: { type: "fqdns", fqdns: [{ matchName: "api.github.com" }] }, ports: [{ port: 443, protocol: "TCP" }] },
                { peer: { type: "entities", entities: ["kube-apiserver"] }, ports: [] },
            ],
        };
        const cnp = tenantCiliumNetworkPolicy("0.20", "ci", "vcluster-ci", policy) as any;
        assert.equal(cnp.spec.ingress, undefined);
        assert.deepEqual(cnp.spec.egress[0], { toFQDNs: [{ matchName: "api.github.com" }], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] });
        assert.deepEqual(cnp.spec.egress[1], { toEntities: ["kube-apiserver"] });
        const dns = cnp.spec.egress[2];
        assert.deepEqual(dns.toEndpoints, [{ matchLabels: { [MANAGED_BY_LABEL]: "ci", [VIRTUAL_NAMESPACE_LABEL]: "kube-system" } }]);
        assert.deepEqual(dns.toPorts[0].rules, { dns: [{ matchPattern: "*" }] });
        assert.deepEqual(validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", "1.16.19"), cnp), []);
    });

    it("the CRD validator can fail: a wrong port type and an unknown entity are rejected", () => {
        const cnp = tenantCiliumNetworkPolicy("0.20", "galaxy", "vcluster-galaxy", deathstar) as any;
        const badPort = structuredClone(cnp);
        badPort.spec.ingress[0].toPorts[0].ports[0].protocol = "ICMP";
        assert.notDeepEqual(validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", "1.16.19"), badPort), []);
        const badEntity = structuredClone(cnp);
        badEntity.spec.ingress = [{ fromEntities: ["galaxy-far-away"] }];
        assert.notDeepEqual(validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", "1.16.19"), badEntity), []);
    });
});

describe("tenant policy: ingress isolation", () => {
    it("without tenant ingress policies: one NetworkPolicy, ingress from the tenant's pods and control plane only", () => {
        const [policy, ...rest] = tenantIngressIsolation("0.20", "galaxy", "vcluster-galaxy", []) as any[];
        assert.equal(rest.length, 0);
        assert.equal(policy.kind, "NetworkPolicy");
        assert.equal(policy.metadata.namespace, "vcluster-galaxy");
        assert.deepEqual(policy.spec.podSelector, { matchExpressions: [{ key: MANAGED_BY_LABEL, operator: "In", values: ["galaxy"] }] });
        assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
        assert.deepEqual(policy.spec.ingress, [
            { from: [{ podSelector: { matchLabels: { [MANAGED_BY_LABEL]: "galaxy" } } }] },
            { from: [{ podSelector: { matchLabels: { release: "galaxy" } } }] },
        ]);
        assert.ok(!JSON.stringify(policy).includes("namespaceSelector"), "never opens to other namespaces");
    });

    it("leaves out exactly the pods a tenant ingress policy selects (one NotIn per selector term)", () => {
        const policies = tenantIngressIsolation("0.36", "galaxy", "vcluster-galaxy", [deathstar.pods]) as any[];
        assert.deepEqual(policies.map((p) => p.metadata.name), ["kubeloom-tenant-ingress", "kubeloom-tenant-ingress-1", "kubeloom-tenant-ingress-2"]);
        const selects = (labels: Record<string, string>) =>
            policies.some((p) => p.spec.podSelector.matchExpressions.every((e: any) => (e.operator === "In" ? e.values.includes(labels[e.key]) : !e.values.includes(labels[e.key]))));
        const pod = (labels: Record<string, string>) => ({ [MANAGED_BY_LABEL]: "galaxy", [VIRTUAL_NAMESPACE_LABEL]: "default", ...labels });
        assert.equal(selects(pod({ org: "empire", class: "deathstar" })), false, "the Death Star accepts only what its policy allows");
        assert.equal(selects(pod({ org: "empire", class: "tiefighter" })), true);
        assert.equal(selects(pod({ org: "alliance", class: "xwing" })), true);
        assert.equal(selects({ ...pod({ org: "empire", class: "deathstar" }), [VIRTUAL_NAMESPACE_LABEL]: "other" }), true);
        assert.equal(selects({ [MANAGED_BY_LABEL]: "other-tenant", org: "x" }), false);
    });

    it("a policy on every pod of the tenant leaves nothing to isolate by default", () => {
        assert.deepEqual(tenantIngressIsolation("0.20", "galaxy", "vcluster-galaxy", [{ labels: {} }]), []);
    });
});

describe("tenant policy: Pod Security labels", () => {
    it("enforces the tenant's level on the host, baseline for restricted (the control plane runs as root)", () => {
        assert.equal(hostPodSecurityLevel("baseline"), "baseline");
        assert.equal(hostPodSecurityLevel("privileged"), "privileged");
        assert.equal(hostPodSecurityLevel("restricted"), "baseline");
        assert.deepEqual(podSecurityNamespaceLabels("restricted"), {
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/audit-version": "latest",
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": "latest",
        });
    });
});

describe("tenant policy: the docs/tenants.md example planned", function () {
    this.timeout(30000);
    it("plans the Star Wars example into a CNP in vcluster-galaxy, valid against the stack's Cilium CNP CRD", async () => {
        const raw = devConfig();
        raw.clusters[0].vclusters = readmeExample().vclusters;
        const config = parseStackConfig(raw);
        const plan = await planConfig(raw);
        const cnps = ofType(plan, "kubernetes:cilium.io/v2:CiliumNetworkPolicy");
        assert.equal(cnps.length, 1);
        const cnp = cnps[0].inputs as any;
        assert.equal(cnp.metadata.namespace, "vcluster-galaxy");
        assert.deepEqual(cnp.spec.ingress[0].toPorts[0].rules.http, [{ method: "POST", path: "/v1/request-landing" }]);
        const errors = validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", config.clusters[0].cilium.version), { apiVersion: cnp.apiVersion, kind: cnp.kind, metadata: cnp.metadata, spec: cnp.spec });
        assert.deepEqual(errors, [], JSON.stringify(errors));
        // Isolated (the default) on vcluster 0.36: the chart's fence off, Kubeloom's fence and ingress isolation on,
        // and no NetworkPolicy admits the Death Star's pods at L3/L4 (which would void the HTTP rule).
        const release = plan.resources.find((r) => r.name === "dev-galaxy-release")!;
        assert.equal((release.inputs.values as any).policies.networkPolicy.enabled, false);
        const policies = ofType(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((r) => (r.inputs as any).metadata.namespace === "vcluster-galaxy");
        assert.deepEqual(policies.map((r) => (r.inputs as any).metadata.name).sort(), ["kubeloom-control-plane", "kubeloom-tenant-api", "kubeloom-tenant-dns", "kubeloom-tenant-egress", "kubeloom-tenant-ingress", "kubeloom-tenant-ingress-1", "kubeloom-tenant-ingress-2"]);
        const objects = [...policies, ...cnps].map((r) => ({ object: r.inputs as any, namespace: "vcluster-galaxy" }));
        assert.deepEqual(checkVoidedL7Rules({ name: "dev", kubeVersion: "1.36.0", extraApiVersions: [] }, objects), []);
    });
});
