/**
 * plan:diff with rendered plans: the rendered objects' diff under a release, replacements marked apart from
 * updates, one-line security warnings and the head's pre-flight findings — on fixture plans, then on the real
 * program rendered through helm ($KUBELOOM_HELM).
 */
import { strict as assert } from "node:assert";
import type { OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import type { KubeObject } from "../../scripts/plan/render/objects";
import { diffPlans } from "../../scripts/diff/plan-diff";
import { renderMarkdown } from "../../scripts/diff/plan-diff-markdown";
import { planDiffReport } from "../../scripts/diff/plan-diff";
import { needRenderEnvironment } from "../support/artifacts";

const PREFIX = "urn:pulumi:dev::kubeloom::";
const PROVIDER = `${PREFIX}pulumi:providers:kubernetes::dev-k8s`;

function resource(qualifiedType: string, name: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> & { rendered?: KubeObject[] } = {}): PlannedResource {
    return { urn: `${PREFIX}${qualifiedType}::${name}`, type: qualifiedType.split("$").pop()!, name, parent: null, provider: PROVIDER, dependsOn: [], options: {}, read: false, inputs, ...extra };
}

const plan = (resources: PlannedResource[], extra: Record<string, unknown> = {}): OfflinePlan => ({ project: "kubeloom", stack: "dev", resources, outputs: {}, ...extra }) as OfflinePlan;

function ciliumObjects(target: string, image: string, args: string[]): KubeObject[] {
    return [
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cilium-config", namespace: "kube-system" }, data: { "cni-chaining-target": target, ipam: "cluster-pool" } },
        {
            apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "cilium", namespace: "kube-system" },
            spec: { template: { spec: { containers: [{ name: "cilium-agent", image, args }, { name: "sidecar", image: "x:1" }] } } },
        },
    ];
}

const cilium = (target: string, image: string, args: string[]) =>
    resource("kubernetes:helm.sh/v3:Release", "dev-cilium-release", { name: "cilium", chart: "cilium", namespace: "kube-system", values: { cni: { chainingTarget: target } } }, { rendered: ciliumObjects(target, image, args) });

describe("plan:diff of rendered releases", () => {
    it("shows which ConfigMap key, container image and argument changed, containers matched by name", () => {
        const base = plan([cilium("generic-veth", "cilium:v1.16.18", ["--config-dir=/tmp", "--debug"])]);
        const head = plan([cilium("cbr0", "cilium:v1.16.19", ["--config-dir=/tmp", "--new-flag", "--debug"])]);
        const diff = diffPlans({ stack: "dev", base, head });
        assert.equal(diff.rendered, true);
        const [release] = diff.components[0].resources;
        assert.deepEqual(release.rendered!.map((o) => [o.change, o.object]), [["change", "ConfigMap/kube-system/cilium-config"], ["change", "DaemonSet/kube-system/cilium"]]);
        assert.deepEqual(release.rendered![0].fields.map((f) => [f.path, f.before, f.after]), [["data.cni-chaining-target", "generic-veth", "cbr0"]]);
        const ds = release.rendered![1].fields;
        assert.deepEqual(ds.map((f) => f.path), ["spec.template.spec.containers[cilium-agent].args", "spec.template.spec.containers[cilium-agent].image"]);
        assert.equal(ds[0].summary, "+ --new-flag", "one inserted argument, not every later index");
        assert.equal(release.replace, undefined, "a values change upgrades the release in place");
        const markdown = renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diff]));
        assert.match(markdown, /\n<details><summary>dev-cilium-release: rendered objects 2 changed<\/summary>\n\n- `~` `ConfigMap\/kube-system\/cilium-config`\n {2}- `data\.cni-chaining-target`: `"generic-veth"` → `"cbr0"`\n[\s\S]*\n<\/details>\n/);
        assert.match(markdown, /`spec\.template\.spec\.containers\[cilium-agent\]\.image`: `"cilium:v1\.16\.18"` → `"cilium:v1\.16\.19"`/);
    });

    it("compares no objects when a side was planned without --render, and says so", () => {
        const { rendered: _r, ...plain } = cilium("a", "i", []) as PlannedResource & { rendered?: unknown };
        const diff = diffPlans({ stack: "dev", base: plan([{ ...plain, inputs: { ...plain.inputs, version: "1" } }]), head: plan([cilium("b", "i", [])]) });
        assert.equal(diff.rendered, false);
        assert.equal(diff.components[0].resources[0].rendered, undefined);
        assert.match(renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diff])), /Rendered objects were not compared: run with `--render`/);
    });
});

describe("plan:diff replacements", () => {
    const command = (name: string, trigger: string, parent = "kubeloom:index:K3sHost") =>
        resource(`${parent}$command:local:Command`, name, { create: "x", triggers: [trigger] }, { provider: null, options: { replaceOnChanges: ["triggers[*]"] } });

    it("marks command triggers, kind cluster config, renamed objects, a provider's new identity and random inputs as REPLACED, not updates", () => {
        const namespace = (name: string) => resource("kubeloom:index:VCluster$kubernetes:core/v1:Namespace", "dev-vc-a-namespace", { metadata: { name } }, { options: { deleteBeforeReplace: true } });
        const provider = (id: string) => resource("pulumi:providers:kubernetes", "dev-k8s", { kubeconfig: "[secret]", clusterIdentifier: id }, { provider: null });
        const untouched = resource("kubeloom:index:CiliumInstall$kubernetes:core/v1:ConfigMap", "dev-cm", { metadata: { name: "cm" }, data: { a: "1" } });
        const token = (length: number) => resource("kubeloom:index:K3sHost$random:index/randomPassword:RandomPassword", "dev-token", { length }, { provider: null });
        const update = (v: string) => resource("kubeloom:index:CiliumInstall$kubernetes:helm.sh/v3:Release", "dev-cilium-release", { name: "cilium", namespace: "kube-system", version: v });
        const base = plan([command("dev-verify", "a"), command("dev-kind-create", "cfg1", "kubeloom:index:KindCluster"), namespace("vcluster-vc-a"), provider("kubeloom/dev/dev"), untouched, token(32), update("1.16.18")]);
        const head = plan([command("dev-verify", "b"), command("dev-kind-create", "cfg2", "kubeloom:index:KindCluster"), namespace("vcluster-vc-b"), provider("kubeloom/dev/other"), untouched, token(48), update("1.16.19")]);
        const diff = diffPlans({ stack: "dev", base, head });
        const byName = new Map(diff.components.flatMap((c) => c.resources).map((r) => [r.name, r]));
        assert.match(byName.get("dev-verify")!.replace!.join(), /command triggers changed, the command runs again \(triggers\[0\]\)/);
        assert.match(byName.get("dev-kind-create")!.replace!.join(), /kind cluster config changed, the cluster is recreated/);
        assert.match(byName.get("dev-vc-a-namespace")!.replace!.join(), /metadata\.name changed: a Kubernetes object cannot be renamed/);
        assert.match(byName.get("dev-k8s")!.replace!.join(), /provider identity: clusterIdentifier changed/);
        assert.deepEqual(byName.get("dev-cm")!.fields, [], "unchanged itself");
        assert.match(byName.get("dev-cm")!.replace!.join(), /its provider is replaced \(clusterIdentifier changed\)/);
        assert.match(byName.get("dev-token")!.replace!.join(), /random resources are replaced on any input change \(length\)/);
        assert.match(byName.get("dev-cilium-release")!.replace!.join(), /its provider is replaced/, "everything on the replaced provider goes with it");
        assert.equal(diff.counts.replace, 7);
        assert.match(diff.headline, /\(7 replaced\)/);
        const markdown = renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diff]));
        assert.match(markdown, /- `\+-` \*\*dev-vc-a-namespace\*\* `kubernetes:core\/v1:Namespace` — \*\*REPLACED\*\*\n  - replaced: metadata\.name changed/);
    });

    it("keeps an in-place update an update", () => {
        const update = (v: string) => resource("kubernetes:helm.sh/v3:Release", "dev-cilium-release", { name: "cilium", namespace: "kube-system", version: v });
        const diff = diffPlans({ stack: "dev", base: plan([update("1.16.18")]), head: plan([update("1.16.19")]) });
        assert.equal(diff.components[0].resources[0].replace, undefined);
        assert.equal(diff.counts.replace, 0);
        assert.match(renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diff])), /- `~` \*\*dev-cilium-release\*\*/);
    });
});

describe("plan:diff security warnings and pre-flight findings", () => {
    const vc = (values: Record<string, unknown>, rendered: KubeObject[]) =>
        resource("kubeloom:index:VCluster$kubernetes:helm.sh/v3:Release", "dev-vc-a-release", { name: "vc-a", chart: "vcluster", namespace: "vcluster-vc-a", values }, { rendered });
    const netpol: KubeObject = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "vc-vc-a-workloads", namespace: "vcluster-vc-a" } };
    const quota: KubeObject = { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "vc-vc-a", namespace: "vcluster-vc-a" } };
    const isolated = { policies: { networkPolicy: { enabled: true } }, sync: { toHost: { networkPolicies: { enabled: true } } }, controlPlane: { service: { spec: { type: "ClusterIP" } } } };
    const open = { policies: { networkPolicy: { enabled: false } }, sync: { toHost: { networkPolicies: { enabled: true } } }, controlPlane: { service: { spec: { type: "NodePort" } } } };
    const ns = (labels: Record<string, string>) => resource("kubernetes:core/v1:Namespace", "dev-demo-ns", { metadata: { name: "demo", labels } });
    const cnp = resource("kubernetes:cilium.io/v2:CiliumNetworkPolicy", "dev-demo-policy", { metadata: { name: "x-wing", namespace: "mesh-demo" } });

    it("warns in one line each: isolation off, exposure, policies and quota removed, Pod Security loosened", () => {
        const base = plan([vc(isolated, [netpol, quota]), ns({ "pod-security.kubernetes.io/enforce": "restricted" }), cnp]);
        const head = plan([vc(open, []), ns({ "pod-security.kubernetes.io/enforce": "baseline" })]);
        const diff = diffPlans({ stack: "dev", base, head });
        assert.deepEqual(diff.warnings, [
            "Pod Security loosened: Namespace/demo enforce restricted → baseline",
            "exposed: vCluster vc-a's API server is now reachable outside the cluster (Service type NodePort)",
            "isolation off: vCluster vc-a no longer gets the host NetworkPolicies that fence the tenant in (policies.networkPolicy.enabled)",
            "policy removed: CiliumNetworkPolicy/mesh-demo/x-wing",
            "policy removed: NetworkPolicy/vcluster-vc-a/vc-vc-a-workloads (rendered by release vc-a)",
            "quota removed: ResourceQuota/vcluster-vc-a/vc-vc-a (rendered by release vc-a)",
        ]);
        assert.match(diff.headline, /6 security warnings/);
        const markdown = renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diff]));
        assert.match(markdown, /#### Security warnings\n\n- ⚠️ Pod Security loosened/);
        assert.equal(diffPlans({ stack: "dev", base: head, head: base }).warnings.length, 0, "tightening is no warning");
        const removed = diffPlans({ stack: "dev", base: plan([ns({ "pod-security.kubernetes.io/enforce": "baseline" })]), head: plan([ns({})]) });
        assert.deepEqual(removed.warnings, ["Pod Security loosened: Namespace/demo enforce baseline → none (label removed)"]);
    });

    it("warns in one line each for chart values that weaken isolation or visibility, on a changed or a new release", () => {
        const ciliumRelease = (values: Record<string, unknown>) => resource("kubernetes:helm.sh/v3:Release", "dev-cilium-release", { name: "cilium", chart: "cilium", namespace: "kube-system", values });
        const weak = { policyAuditMode: true, hubble: { tls: { enabled: false }, relay: { enabled: true } } };
        const changed = diffPlans({ stack: "dev", base: plan([ciliumRelease({ hubble: { relay: { enabled: true } } }), vc(isolated, [])]), head: plan([ciliumRelease(weak), vc({ ...isolated, sync: { ...isolated.sync, fromHost: { nodes: { enabled: true } } }, controlPlane: { ...isolated.controlPlane, statefulSet: { security: { containerSecurityContext: { privileged: true } } } } }, [])]) });
        assert.deepEqual(changed.warnings, [
            "Hubble TLS off: flow data between the agents and Relay travels in clear (hubble.tls.enabled): cilium release cilium",
            "isolation weakened: the tenant sees the host's real nodes (sync.fromHost.nodes.enabled): vcluster release vc-a",
            "policy enforcement off: policies are only logged, never enforced (policyAuditMode): cilium release cilium",
            "privileged: the vCluster control plane runs as a privileged container (controlPlane.statefulSet.security.containerSecurityContext.privileged): vcluster release vc-a",
        ]);
        const added = diffPlans({ stack: "dev", base: plan([]), head: plan([vc({ sync: { toHost: { secrets: { all: true } } } }, [])]) });
        assert.deepEqual(added.warnings, ["secrets: every tenant Secret is copied to the host namespace, used or not (sync.toHost.secrets.all): vcluster release vc-a"]);
        assert.deepEqual(diffPlans({ stack: "dev", base: plan([ciliumRelease(weak)]), head: plan([ciliumRelease({ hubble: { relay: { enabled: true } } })]) }).warnings, [], "turning them back is no warning");
    });

    it("lists the head plan's pre-flight findings (not info notes), also for a stack without changes", () => {
        const preflight = [
            { severity: "error", cluster: "chain", object: "ConfigMap/kube-system/cilium-config", check: "cni-chaining", message: "chaining mode generic-veth: ipam kubernetes …" },
            { severity: "info", cluster: "chain", object: "-", check: "scheduling", message: "skipped" },
        ];
        const same = [cnp];
        const diff = diffPlans({ stack: "chain", base: plan(same), head: plan(same, { preflight }) });
        assert.equal(diff.changed, false);
        assert.deepEqual(diff.preflight.map((f) => f.check), ["cni-chaining"]);
        assert.match(diff.headline, /1 pre-flight error/);
        const markdown = renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diff]));
        assert.match(markdown, /#### Pre-flight findings\n\n- \*\*error\*\* chain `ConfigMap\/kube-system\/cilium-config` \[cni-chaining\] chaining mode generic-veth: ipam kubernetes …/);
    });
});

describe("plan:diff on the real program, rendered through helm ($KUBELOOM_HELM)", function () {
    this.timeout(120_000);

    it("shows hubble-relay's objects going and warns that isolation is off, naming every policy removed (Kubeloom's fence on 0.36, the chart's on 0.20)", async () => {
        const path = await import("node:path");
        const { planConfig } = await import("../support/helpers");
        const { devConfig } = await import("../support/fixtures");
        const { parseStackConfig } = await import("../../config/parse");
        const { SECRET_KEYS } = await import("../../config/schema");
        const { renderPlan } = await import("../../scripts/plan/render/plan-render");
        const env = needRenderEnvironment();
        const rendered = async (raw: Record<string, any>) => {
            const clusters = new Map(parseStackConfig(raw, { secretKeys: [...SECRET_KEYS].filter((k) => raw[k] !== undefined) }).clusters.map((c) => [c.name, c]));
            return renderPlan(await planConfig(raw), clusters, env);
        };
        // vCluster 0.36 (the default): Kubeloom writes the fence, so isolation off removes Kubeloom's policies.
        const baseConfig = devConfig();
        const headConfig = devConfig();
        headConfig.clusters[0].cilium.hubble = { relay: false, ui: false };
        headConfig.clusters[0].vclusters[0].isolate = false;
        const diff = diffPlans({ stack: "dev", base: await rendered(baseConfig), head: await rendered(headConfig) });
        assert.equal(diff.rendered, true);
        const releases = new Map(diff.components.flatMap((c) => c.resources).map((r) => [r.name, r]));
        const cilium = releases.get("dev-cilium-release")!;
        assert.ok(cilium.rendered!.some((o) => o.change === "remove" && o.object === "Deployment/kube-system/hubble-relay"), JSON.stringify(cilium.rendered!.map((o) => o.object)));
        for (const policy of ["kubeloom-control-plane", "kubeloom-tenant-dns", "kubeloom-tenant-egress", "kubeloom-tenant-ingress"]) {
            assert.ok(diff.warnings.includes(`policy removed: NetworkPolicy/vcluster-vc-a/${policy}`), diff.warnings.join("\n"));
        }
        assert.ok(diff.warnings.includes("isolation off: vCluster vc-a no longer gets Kubeloom's host NetworkPolicies that fence the tenant in (isolate)"), diff.warnings.join("\n"));
        // Removing a whole tenant removes its policies too, but that is not "isolation off".
        const noVcA = devConfig();
        noVcA.clusters[0].vclusters = noVcA.clusters[0].vclusters.slice(1);
        const removal = diffPlans({ stack: "dev", base: await rendered(baseConfig), head: await rendered(noVcA) });
        assert.ok(removal.warnings.includes("policy removed: NetworkPolicy/vcluster-vc-a/kubeloom-tenant-ingress"), removal.warnings.join("\n"));
        assert.ok(!removal.warnings.some((w) => w.startsWith("isolation off")), removal.warnings.join("\n"));
        assert.equal(releases.get("dev-vc-b-release"), undefined, "vc-b is untouched");
        assert.equal(diff.counts.replace, 0, "values changes upgrade in place");

        // vCluster 0.20 (on a Kubernetes 1.30 host): the chart renders the egress fence, which the diff sees go.
        const on020 = (isolate: boolean) => {
            const raw = devConfig();
            raw.clusters[0].source.k3s.version = "v1.30.6+k3s1";
            raw.clusters[0].cilium.version = "1.18.12";
            for (const vc of raw.clusters[0].vclusters) vc.version = "0.20.6";
            raw.clusters[0].vclusters[0].isolate = isolate;
            return raw;
        };
        const old = diffPlans({ stack: "dev", base: await rendered(on020(true)), head: await rendered(on020(false)) });
        const vcA = new Map(old.components.flatMap((c) => c.resources).map((r) => [r.name, r])).get("dev-vc-a-release")!;
        const removedPolicies = vcA.rendered!.filter((o) => o.change === "remove" && o.object.startsWith("NetworkPolicy/")).map((o) => o.object);
        assert.deepEqual(removedPolicies.sort(), ["NetworkPolicy/vcluster-vc-a/vc-cp-vc-a", "NetworkPolicy/vcluster-vc-a/vc-work-vc-a"], "the 0.20 chart's tenant NetworkPolicies go");
        assert.ok(old.warnings.includes("isolation off: vCluster vc-a no longer gets the host NetworkPolicies that fence the tenant in (policies.networkPolicy.enabled)"), old.warnings.join("\n"));
        for (const object of removedPolicies) assert.ok(old.warnings.includes(`policy removed: ${object} (rendered by release vc-a)`));
        assert.ok(old.warnings.includes("policy removed: NetworkPolicy/vcluster-vc-a/kubeloom-tenant-ingress"), old.warnings.join("\n"));
        assert.ok(!old.warnings.some((w) => w.includes("kubeloom-tenant-egress")), "on 0.20 Kubeloom writes no egress fence");
    });
});

describe("plan:diff warnings of Cilium features", () => {
    const ciliumRelease = (version: string, values: Record<string, unknown>) =>
        resource("kubeloom:index:CiliumInstall$kubernetes:helm.sh/v3:Release", "c1-cilium-release", { name: "cilium", chart: "cilium", namespace: "kube-system", version, values });
    const meshValues = { clustermesh: { useAPIServer: true } };

    it("warns when transparent encryption is turned off, not when it is turned on or kept", () => {
        const on = ciliumRelease("1.20.0", { encryption: { enabled: true, type: "wireguard", nodeEncryption: false } });
        const off = ciliumRelease("1.20.0", {});
        assert.deepEqual(diffPlans({ stack: "mesh", base: plan([on]), head: plan([off]) }).warnings, [
            "encryption off: Cilium cilium (c1-cilium-release) no longer encrypts pod traffic between nodes and clusters (encryption.type wireguard removed); it crosses the network in clear",
        ]);
        assert.deepEqual(diffPlans({ stack: "mesh", base: plan([off]), head: plan([on]) }).warnings, []);
        const ipsec = ciliumRelease("1.20.0", { encryption: { enabled: true, type: "ipsec" } });
        assert.deepEqual(diffPlans({ stack: "mesh", base: plan([on]), head: plan([ipsec]) }).warnings, [], "switching method keeps it on");
    });

    it("warns about the policy-default flip on a 1.18 → 1.19+ upgrade of a mesh member only", () => {
        const step = (from: string, to: string, values: Record<string, unknown>) => diffPlans({ stack: "mesh", base: plan([ciliumRelease(from, values)]), head: plan([ciliumRelease(to, values)]) }).warnings;
        const [warning] = step("1.18.12", "1.19.6", meshValues);
        assert.match(warning, /^policy scope narrowed: c1-cilium-release Cilium 1\.18\.12 → 1\.19\.6 turns clustermesh\.policyDefaultLocalCluster on/);
        assert.equal(step("1.18.12", "1.20.0", meshValues).length, 1);
        assert.deepEqual(step("1.19.6", "1.20.0", meshValues), [], "already on both sides");
        assert.deepEqual(step("1.18.12", "1.19.6", {}), [], "not a mesh member");
        assert.deepEqual(step("1.18.12", "1.19.6", { clustermesh: { useAPIServer: true, policyDefaultLocalCluster: false } }), [], "stated explicitly");
    });
});
