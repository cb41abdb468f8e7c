import { strict as assert } from "node:assert";
import { nodeModel } from "../../scripts/plan/preflight/preflight";
import { resolveCluster } from "../../config/resolved-cluster";
import { parseStackConfig } from "../../config/parse";
import {
    checkApiVersions, checkNames, checkNamespaces, checkNodePorts, checkPodSecurity, checkQuotas, checkScheduling, preflightCluster, unschedulableReason,
} from "../../scripts/plan/preflight/checks";
import type { ClusterModel, NodeModel, PlacedObject } from "../../scripts/plan/preflight/model";
import type { KubeObject } from "../../scripts/plan/render/objects";
import { needRenderEnvironment } from "../support/artifacts";

const CP = "node-role.kubernetes.io/control-plane";
const linux = (name: string, extra: Record<string, string> = {}) => ({ "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", ...extra });
const kindNodes: NodeModel[] = [
    { name: "cp", labels: linux("cp", { [CP]: "" }), taints: [{ key: CP, effect: "NoSchedule" }] },
    { name: "w1", labels: linux("w1"), taints: [] },
];
const cluster = (extra: Partial<ClusterModel> = {}): ClusterModel => ({ name: "c", kubeVersion: "1.28.13", extraApiVersions: [], nodes: kindNodes, ...extra });
const obj = (kind: string, name: string, namespace: string | undefined, rest: Record<string, unknown> = {}, apiVersion = "v1"): PlacedObject => ({
    object: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...rest } as KubeObject,
    namespace,
});
const deployment = (name: string, podSpec: Record<string, unknown>, labels: Record<string, string> = { app: name }, replicas = 1) =>
    obj("Deployment", name, "ns", { spec: { replicas, template: { metadata: { labels }, spec: { containers: [{ name: "c" }], ...podSpec } } } }, "apps/v1");
const nodePortService = (name: string, ns: string, nodePort: number, type = "NodePort") => obj("Service", name, ns, { spec: { type, ports: [{ port: 443, nodePort }] } });

describe("preflight checks", () => {
    it("the registry: preflightCluster runs every check, the namespace and CNI checks reading the cluster model", () => {
        const model = cluster({
            nodes: undefined,
            createdNamespaces: ["made"],
            network: { cluster: "c", podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16" },
        });
        const ciliumConfig = obj("ConfigMap", "cilium-config", "kube-system", { data: { "cni-chaining-mode": "generic-veth", ipam: "kubernetes" } });
        const objects = [obj("ConfigMap", "a", "made"), obj("ConfigMap", "b", "missing"), nodePortService("s", "made", 29999), ciliumConfig];
        const findings = preflightCluster(model, objects);
        assert.deepEqual([...new Set(findings.map((f) => `${f.check} ${f.object}`))].sort(), [
            "cni-chaining ConfigMap/kube-system/cilium-config",
            "namespace ConfigMap/missing/b",
            "node-port Service/made/s",
            "scheduling -",
        ]);
        assert.deepEqual(preflightCluster(cluster({ nodes: undefined }), [ciliumConfig]).map((f) => f.check), ["scheduling"], "no network in the model: the CNI check is skipped");
    });

    it("api-version: removed and unknown group/versions fail, CRD-served ones pass", () => {
        const pdbBeta = obj("PodDisruptionBudget", "p", "ns", {}, "policy/v1beta1");
        assert.equal(checkApiVersions(cluster({ kubeVersion: "1.24.0" }), [pdbBeta]).length, 0);
        assert.match(checkApiVersions(cluster({ kubeVersion: "1.25.0" }), [pdbBeta])[0].message, /policy\/v1beta1 PodDisruptionBudget is not served by Kubernetes 1\.25\.0/);
        const sm = obj("ServiceMonitor", "m", "ns", {}, "monitoring.coreos.com/v1");
        assert.equal(checkApiVersions(cluster(), [sm]).length, 1, "fails without the CRD");
        assert.equal(checkApiVersions(cluster({ extraApiVersions: ["monitoring.coreos.com/v1"] }), [sm]).length, 0);
        const crd = obj("CustomResourceDefinition", "x", undefined, { spec: { group: "monitoring.coreos.com", versions: [{ name: "v1", served: true }] } }, "apiextensions.k8s.io/v1");
        assert.equal(checkApiVersions(cluster(), [crd, sm]).length, 0, "a rendered CRD serves its versions");
    });

    const nameCases: Array<{ name: string; placed: PlacedObject; errors: number }> = [
        { name: "valid subdomain", placed: obj("ConfigMap", "a.b-c", "ns"), errors: 0 },
        { name: "fails upper case", placed: obj("ConfigMap", "Bad", "ns"), errors: 1 },
        { name: "fails a dot in a Service name", placed: obj("Service", "a.b", "ns"), errors: 1 },
        { name: "fails a 64-character Service name", placed: obj("Service", "a".repeat(64), "ns"), errors: 1 },
        { name: "RBAC names may hold colons", placed: obj("ClusterRole", "metallb:controller", undefined, {}, "rbac.authorization.k8s.io/v1"), errors: 0 },
        { name: "fails an invalid namespace", placed: obj("ConfigMap", "a", "Bad_NS"), errors: 1 },
    ];
    for (const c of nameCases) it(`names: ${c.name}`, () => assert.equal(checkNames(cluster(), [c.placed]).length, c.errors));

    it("namespace: fails an object in a namespace nobody creates; created or built-in ones pass", () => {
        const objects = [obj("ConfigMap", "a", "kube-system"), obj("ConfigMap", "b", "made"), obj("Namespace", "ours", undefined), obj("ConfigMap", "c", "ours"), obj("ConfigMap", "d", "missing")];
        const findings = checkNamespaces(cluster(), objects, ["made"]);
        assert.deepEqual(findings.map((f) => f.object), ["ConfigMap/missing/d"]);
    });

    it("node-port: fails duplicates across namespaces and out-of-range ports; 0 means allocate", () => {
        const findings = checkNodePorts(cluster(), [nodePortService("a", "x", 31443), nodePortService("b", "y", 31443), nodePortService("c", "z", 29999), nodePortService("d", "z", 0)]);
        assert.deepEqual(findings.map((f) => f.object).sort(), ["Service/y/b", "Service/z/c"]);
    });

    it("resource-quota: fails services.nodeports 0 with a NodePort Service, passes when the quota allows it", () => {
        const quota = (hard: Record<string, unknown>) => obj("ResourceQuota", "q", "t", { spec: { hard } });
        const svc = nodePortService("vc", "t", 31443);
        assert.match(checkQuotas(cluster(), [quota({ "services.nodeports": 0 }), svc])[0].message, /services\.nodeports: .* need 1 but the quota allows 0/);
        assert.equal(checkQuotas(cluster(), [quota({ "services.nodeports": 1 }), svc]).length, 0);
        assert.equal(checkQuotas(cluster(), [quota({ "services.loadbalancers": 0 }), nodePortService("lb", "t", 0, "LoadBalancer")]).length, 1);
    });

    it("resource-quota: counts pods and takes requests/limits from the LimitRange defaults", () => {
        const d = { ...deployment("app", {}, { app: "a" }, 3), namespace: "t" };
        (d.object as { metadata: { namespace: string } }).metadata.namespace = "t";
        const limitRange = obj("LimitRange", "lr", "t", { spec: { limits: [{ type: "Container", default: { cpu: "500m", memory: "512Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } }] } });
        const quota = (hard: Record<string, unknown>) => obj("ResourceQuota", "q", "t", { spec: { hard } });
        assert.equal(checkQuotas(cluster(), [quota({ "count/pods": 2 }), d]).length, 1);
        assert.equal(checkQuotas(cluster(), [quota({ "requests.cpu": "300m", "limits.memory": "1536Mi" }), limitRange, d]).length, 0);
        assert.deepEqual(checkQuotas(cluster(), [quota({ "requests.cpu": "299m", "limits.memory": "1Gi" }), limitRange, d]).map((f) => f.message.split(":")[0]).sort(), ["limits.memory", "requests.cpu"]);
    });

    const scheduleCases: Array<{ name: string; pod: Record<string, unknown>; fits: string[] }> = [
        { name: "plain pod avoids the tainted control plane", pod: {}, fits: ["w1"] },
        { name: "toleration opens the control plane", pod: { tolerations: [{ key: CP, operator: "Exists", effect: "NoSchedule" }] }, fits: ["cp", "w1"] },
        { name: "nodeSelector", pod: { nodeSelector: { "kubernetes.io/hostname": "w1" } }, fits: ["w1"] },
        { name: "nodeSelector matching nothing", pod: { nodeSelector: { "kubeloom.io/cilium": "true" } }, fits: [] },
        { name: "affinity In", pod: { tolerations: [{ operator: "Exists" }], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["cp"] }] }] } } } }, fits: ["cp"] },
        { name: "affinity NotIn", pod: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "NotIn", values: ["w1"] }] }] } } } }, fits: [] },
        { name: "affinity Exists", pod: { tolerations: [{ operator: "Exists" }], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: CP, operator: "Exists" }] }] } } } }, fits: ["cp"] },
        { name: "affinity DoesNotExist", pod: { tolerations: [{ operator: "Exists" }], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: CP, operator: "DoesNotExist" }] }] } } } }, fits: ["w1"] },
        { name: "toleration with the wrong value", pod: { nodeSelector: { [CP]: "" }, tolerations: [{ key: CP, operator: "Equal", value: "x", effect: "NoSchedule" }] }, fits: [] },
    ];
    for (const c of scheduleCases) {
        it(`scheduling: ${c.name}`, () => {
            assert.deepEqual(kindNodes.filter((n) => unschedulableReason(c.pod as never, n) === undefined).map((n) => n.name), c.fits);
            assert.equal(checkScheduling(cluster(), [deployment("x", c.pod)]).some((f) => f.check === "scheduling"), c.fits.length === 0);
        });
    }

    it("scheduling: fails required pod affinity to an agent that can only run on tainted nodes (hubble-relay)", () => {
        const tainted: NodeModel[] = [{ name: "n1", labels: linux("n1", { "kubeloom.io/cilium": "true" }), taints: [{ key: "kubeloom.io/cilium", value: "true", effect: "NoSchedule" }] }, { name: "n2", labels: linux("n2"), taints: [] }];
        const onCilium = { nodeSelector: { "kubeloom.io/cilium": "true" }, tolerations: [{ key: "kubeloom.io/cilium", operator: "Equal", value: "true", effect: "NoSchedule" }] };
        const agent = { ...deployment("agent", onCilium, { "k8s-app": "cilium" }), object: { ...deployment("agent", onCilium, { "k8s-app": "cilium" }).object, kind: "DaemonSet" } };
        const affinity = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { "k8s-app": "cilium" } }, topologyKey: "kubernetes.io/hostname" }] } } };
        const findings = checkScheduling(cluster({ nodes: tainted }), [agent as PlacedObject, deployment("relay", affinity)]);
        assert.deepEqual(findings.map((f) => `${f.object} ${f.check}`), ["Deployment/ns/relay pod-affinity"]);
        assert.deepEqual(checkScheduling(cluster({ nodes: tainted }), [agent as PlacedObject, deployment("relay", { ...affinity, ...onCilium })]), []);
    });

    it("scheduling: fails two single-node workloads on the same hostPort", () => {
        const pin = (name: string) => deployment(name, { nodeSelector: { "kubernetes.io/hostname": "w1" }, containers: [{ name: "c", ports: [{ hostPort: 8080 }] }] });
        assert.deepEqual(checkScheduling(cluster(), [pin("a"), pin("b")]).map((f) => f.check), ["host-port"]);
    });

    it("scheduling: skipped with a note for existing clusters", () => {
        assert.deepEqual(checkScheduling(cluster({ nodes: undefined }), [deployment("x", { nodeSelector: { none: "x" } })]).map((f) => f.severity), ["info"]);
    });
});

describe("preflight: rendered vCluster with a quota (issue 11 known failure 1)", function () {
    this.timeout(30000);
    for (const expose of ["NodePort", "LoadBalancer"] as const) {
        it(`the chart's quota admits the vCluster's own ${expose} Service`, async () => {
            const { vclusterValues } = await import("../../components/vcluster-values");
            const { renderRelease } = await import("../../scripts/plan/render/render");
            const path = await import("node:path");
            const values = vclusterValues({
                name: "vc-q", contextName: "dev-vc-q", isolate: true,
                expose: expose === "NodePort" ? { type: "NodePort", nodePort: 31450, nodeAddress: "192.0.2.10" } : { type: "LoadBalancer", address: "192.0.2.200" },
                limitRange: { default: { cpu: "500m", memory: "512Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } },
            });
            const env = needRenderEnvironment();
            const { objects } = await renderRelease({ release: { release: "vc-q", chart: "vcluster", version: "0.20.6", namespace: "vcluster-vc-q" }, values, kubeVersion: "1.28.13", apiVersions: [] }, env);
            const placed = objects.map((object) => ({ object, namespace: object.metadata.namespace ?? "vcluster-vc-q" }));
            assert.ok(placed.some((p) => p.object.kind === "ResourceQuota"), "the quota renders");
            assert.deepEqual(checkQuotas(cluster(), placed), []);
        });
    }
});

describe("preflight: rendered Cilium on tainted chaining nodes (issue 11 known failure 2)", function () {
    this.timeout(30000);
    it("hubble-relay selects and tolerates the Cilium nodes, so it can join the agent there", async () => {
        const { ciliumValues } = await import("../../components/cilium-values");
        const { renderRelease } = await import("../../scripts/plan/render/render");
        const path = await import("node:path");
        const values = ciliumValues({
            clusterName: "chain", clusterId: 1, podCidr: "10.244.0.0/16", kubeProxyReplacement: { enabled: true, apiServerHost: "192.0.2.20", apiServerPort: 6443 },
            routingMode: "native", ipamMode: "cluster-pool", hubble: { relay: true, ui: false },
            nodeSelector: { "kubeloom.io/cilium": "true" },
            tolerations: [{ key: "kubeloom.io/cilium", operator: "Equal", value: "true", effect: "NoSchedule" }],
            operatorReplicas: 1, chaining: { mode: "generic-veth", target: "cbr0", routerCidr: "10.250.0.0/20" },
        } as never);
        const env = needRenderEnvironment();
        const { objects } = await renderRelease({ release: { release: "cilium", chart: "cilium", version: "1.16.19", namespace: "kube-system" }, values, kubeVersion: "1.30.0", apiVersions: [] }, env);
        const placed = objects.map((object) => ({ object, namespace: object.metadata.namespace ?? "kube-system" }));
        // chaining.nodes: the labelled, tainted Cilium node and an ordinary one.
        const nodes: NodeModel[] = [
            { name: "worker-1", labels: linux("worker-1", { "kubeloom.io/cilium": "true" }), taints: [{ key: "kubeloom.io/cilium", value: "true", effect: "NoSchedule" }] },
            { name: "worker-2", labels: linux("worker-2"), taints: [] },
        ];
        assert.ok(placed.some((p) => p.object.kind === "Deployment" && p.object.metadata.name === "hubble-relay"));
        assert.deepEqual(checkScheduling(cluster({ nodes }), placed).filter((f) => f.severity === "error"), []);
    });
});

describe("preflight: node model from the resolved cluster", () => {
    const existing = (nodes: string[]) =>
        resolveCluster(parseStackConfig(
            {
                clusters: [{
                    name: "chain", id: 1, podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12",
                    source: { kubeconfig: { path: "/dev/null" } },
                    cilium: {
                        k8sServiceHost: "192.0.2.20", k8sServicePort: 6443, nodeSelector: { "kubeloom.io/cilium": "true" },
                        tolerations: [{ key: "kubeloom.io/cilium", operator: "Equal", value: "true", effect: "NoSchedule" }],
                        chaining: { mode: "generic-veth", nodes, target: "cbr0", routerCidr: "10.250.0.0/20" },
                    },
                }],
            },
            { secretKeys: [] },
        ), 0);
    const created = (source: Record<string, unknown>) =>
        resolveCluster(parseStackConfig({ sshPrivateKey: "key", clusters: [{ name: "c", id: 1, podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16", source }] }, { secretKeys: ["sshPrivateKey"] }), 0);

    it("models a K3s cluster's servers and agents from its resolved topology", () => {
        const servers = ["192.0.2.10", "192.0.2.11", "192.0.2.12"].map((host) => ({ host }));
        const nodes = nodeModel(created({ k3s: { servers, registrationAddress: "k3s.example.test", user: "ubuntu", agents: [{ host: "192.0.2.20" }] } }))!;
        assert.deepEqual(nodes.map((n) => n.name), ["c-server", "192.0.2.11", "192.0.2.12", "192.0.2.20"]);
        assert.deepEqual(nodes.map((n) => n.labels[CP] ?? null), ["true", "true", "true", null]);
    });

    it("models a kind cluster's control plane (tainted) and its workers", () => {
        const nodes = nodeModel(created({ kind: { workers: 2 } }))!;
        assert.deepEqual(nodes.map((n) => n.name), ["c-control-plane", "c-worker", "c-worker2"]);
        assert.deepEqual(nodes[0].taints, [{ key: CP, effect: "NoSchedule" }]);
    });

    it("models an existing cluster's chaining nodes with Kubeloom's labels and taints, plus one stand-in for the rest", () => {
        const nodes = nodeModel(existing(["worker-1"]))!;
        assert.deepEqual(nodes.map((n) => n.name), ["worker-1", "chain-any-other-node"]);
        assert.equal(nodes[0].labels["kubeloom.io/cilium"], "true");
        assert.deepEqual(nodes[0].taints, [{ key: "kubeloom.io/cilium", value: "true", effect: "NoSchedule" }]);
        assert.deepEqual(nodes[1].taints, []);
        assert.equal(nodes[1].labels["kubeloom.io/cilium"], undefined);
    });

    it("knows no nodes of an existing cluster without chaining nodes (scheduling is skipped)", () => {
        assert.equal(nodeModel(existing([])), undefined);
    });
});

describe("preflight: pod-security", function () {
    this.timeout(30000);
    const namespace = (name: string, level: string): PlacedObject => ({ object: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "pod-security.kubernetes.io/enforce": level } } } as KubeObject });
    const inNs = (ns: string, name: string, podSpec: Record<string, unknown>) => ({ ...deployment(name, podSpec), namespace: ns });
    const table: Array<{ name: string; level: string; pod: Record<string, unknown>; rejected: RegExp | undefined }> = [
        { name: "baseline rejects a privileged container", level: "baseline", pod: { containers: [{ name: "c", securityContext: { privileged: true } }] }, rejected: /privileged/ },
        { name: "baseline rejects hostPath and hostNetwork", level: "baseline", pod: { hostNetwork: true, volumes: [{ name: "root", hostPath: { path: "/" } }] }, rejected: /hostNetwork.*hostPath volume root/ },
        { name: "baseline rejects SYS_ADMIN but not NET_BIND_SERVICE", level: "baseline", pod: { containers: [{ name: "c", securityContext: { capabilities: { add: ["NET_BIND_SERVICE", "SYS_ADMIN"] } } }] }, rejected: /capability SYS_ADMIN$/ },
        { name: "baseline admits a root container", level: "baseline", pod: { containers: [{ name: "c", securityContext: { runAsUser: 0 } }] }, rejected: undefined },
        { name: "restricted rejects a root container", level: "restricted", pod: { containers: [{ name: "c", securityContext: { runAsUser: 0 } }] }, rejected: /runAsNonRoot is not true.*runAsUser 0/ },
        {
            name: "restricted admits a hardened container",
            level: "restricted",
            pod: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: [{ name: "c", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }] },
            rejected: undefined,
        },
        { name: "privileged admits anything", level: "privileged", pod: { hostPID: true, containers: [{ name: "c", securityContext: { privileged: true } }] }, rejected: undefined },
    ];
    for (const c of table) {
        it(c.name, () => {
            const findings = checkPodSecurity(cluster(), [namespace("t", c.level), inNs("t", "w", c.pod)]);
            if (c.rejected === undefined) assert.deepEqual(findings, []);
            else {
                assert.equal(findings.length, 1);
                assert.match(findings[0].message, c.rejected);
            }
        });
    }

    it("ignores namespaces without an enforce label", () => {
        assert.deepEqual(checkPodSecurity(cluster(), [inNs("free", "w", { hostNetwork: true })]), []);
    });

    for (const [version, kubeVersion] of [["0.20.6", "1.28.13"], ["0.36.1", "1.36.4"]] as const) for (const tenant of ["baseline", "restricted", "privileged"] as const) {
        it(`the rendered vCluster ${version} passes its host namespace's enforced level (tenant ${tenant})`, async () => {
            const { vclusterValues } = await import("../../components/vcluster-values");
            const { podSecurityNamespaceLabels } = await import("../../components/tenant-policy");
            const { renderRelease } = await import("../../scripts/plan/render/render");
            const path = await import("node:path");
            const values = vclusterValues({ name: "vc-p", contextName: "dev-vc-p", version, isolate: true, podSecurityStandard: tenant, expose: { type: "NodePort", nodePort: 31450, nodeAddress: "192.0.2.10" } });
            const env = needRenderEnvironment();
            const { objects } = await renderRelease({ release: { release: "vc-p", chart: "vcluster", version, namespace: "vcluster-vc-p" }, values, kubeVersion, apiVersions: [] }, env);
            const placed = objects.map((object) => ({ object, namespace: object.metadata.namespace ?? "vcluster-vc-p" }));
            const labels = podSecurityNamespaceLabels(tenant);
            const ns = { object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "vcluster-vc-p", labels } } as KubeObject };
            assert.ok(placed.some((p) => p.object.kind === "StatefulSet"), "the control plane renders");
            assert.deepEqual(checkPodSecurity(cluster(), [ns, ...placed]), []);
            // Why a restricted tenant's host namespace enforces baseline: the chart's control plane runs as root.
            const strict = { object: { ...ns.object, metadata: { name: "vcluster-vc-p", labels: { ...labels, "pod-security.kubernetes.io/enforce": "restricted" } } } as KubeObject };
            assert.match(checkPodSecurity(cluster(), [strict, ...placed]).map((f) => f.message).join("\n"), /StatefulSet|runAsNonRoot|runAsUser 0/);
        });
    }
});

describe("preflight: false alarms (issue 25 class 11)", () => {
    const { declaredNamespaces } = require("../../scripts/plan/preflight/preflight") as typeof import("../../scripts/plan/preflight/preflight");
    const kind = (workers: number) =>
        resolveCluster(parseStackConfig({ clusters: [{ name: "k", id: 1, podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16", source: { kind: { workers } } }] }, { secretKeys: [] }), 0);
    it("a kind cluster without workers has an untainted control plane (kind removes the taint), so pods fit", () => {
        const nodes = nodeModel(kind(0))!;
        assert.deepEqual(nodes.map((n) => n.name), ["k-control-plane"]);
        assert.deepEqual(nodes[0].taints, []);
        assert.equal(unschedulableReason({ nodeSelector: {}, tolerations: [] } as never, nodes[0]), undefined);
    });
    it("a kind cluster with workers keeps the control-plane taint", () => {
        const nodes = nodeModel(kind(2))!;
        assert.deepEqual(nodes[0].taints, [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]);
    });
    it("a global Service's namespace declared to exist (createNamespace: false) is not reported", () => {
        const objects: PlacedObject[] = [{ object: { apiVersion: "v1", kind: "Service", metadata: { name: "api", namespace: "apps" } } as KubeObject, namespace: "apps" }];
        const cluster: ClusterModel = { name: "c1", kubeVersion: "1.36", extraApiVersions: [], nodes: undefined };
        assert.match(checkNamespaces(cluster, objects, [])[0].message, /createNamespace: true to create it, or false to declare that it exists/);
        const declared = declaredNamespaces({ mesh: { enabled: true, globalServices: [{ namespace: "apps", createNamespace: false }, { namespace: "web" }, { namespace: "made", createNamespace: true }] } });
        assert.deepEqual(declared, ["apps"]);
        assert.deepEqual(checkNamespaces(cluster, objects, declared), []);
    });
});
