/**
 * Pre-flight of a rendered plan: groups the objects by cluster (chart objects plus the program's own Kubernetes
 * objects), models each cluster (./model) from its resolved model (config/resolved-cluster.ts), and runs every check of the registry (./checks PREFLIGHT_CHECKS).
 */
import type { ResolvedCluster } from "../../../config/resolved-cluster";
import { taintsFromTolerations } from "../../../components/cilium-nodes";
import { assertNever } from "../../../lib/assert-never";
import type { OfflinePlan } from "../offline-plan";
import type { KubeObject } from "../render/objects";
import { HELM_RELEASE_API_VERSION, HELM_RELEASE_TYPE } from "../resource-types";
import { clusterOf, kubeVersionOf, RenderedResource, stackApiVersions } from "../render/plan-render";
import { CLUSTER_SCOPED_KINDS, ClusterModel, Finding, NodeModel, PlacedObject, sortFindings } from "./model";
import { preflightCluster } from "./checks";

const CONTROL_PLANE = "node-role.kubernetes.io/control-plane";

/** Labels the kubelet puts on every (Linux) node. */
function kubeletLabels(node: string): Record<string, string> {
    return { "kubernetes.io/hostname": node, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" };
}

/**
 * Nodes of a cluster as its resolved model knows them. Clusters Kubeloom creates: K3s servers (label
 * control-plane=true, no taint; the first named `<cluster>-server`, the others by host) and agents (named by host);
 * kind control-plane (tainted NoSchedule) and workers. Existing clusters (kubeconfig, stackReference): the
 * `cilium.chaining.nodes` Kubeloom labels and taints, plus one stand-in for every other node (untainted, kubelet
 * labels only), so workloads that must run on the Cilium nodes are checked against exactly those; without chaining
 * nodes, undefined (nothing is known, scheduling is skipped).
 */
export function nodeModel(cluster: ResolvedCluster): NodeModel[] | undefined {
    const name = cluster.config.name;
    switch (cluster.source.type) {
        case "k3s": {
            const { servers, agents } = requireField(cluster.k3sTopology, name, "k3sTopology");
            return [
                { name: `${name}-server`, labels: { [CONTROL_PLANE]: "true", ...kubeletLabels(`${name}-server`) }, taints: [] },
                ...servers.slice(1).map((s) => ({ name: s.host, labels: { [CONTROL_PLANE]: "true", ...kubeletLabels(s.host) }, taints: [] })),
                ...agents.map((agent) => ({ name: agent.host, labels: kubeletLabels(agent.host), taints: [] })),
            ];
        }
        case "kind": {
            const workerCount = requireField(cluster.kindWorkers, name, "kindWorkers");
            const workers = Array.from({ length: workerCount }, (_, i) => `${name}-worker${i === 0 ? "" : i + 1}`);
            // kind removes the control-plane taint when the control plane is the only node (kubernetes-sigs/kind
            // pkg/cluster/internal/create/actions/kubeadminit/init.go: "if we are only provisioning one node, remove
            // the control plane taint"), so a cluster without workers schedules everything there.
            const taints = workers.length === 0 ? [] : [{ key: CONTROL_PLANE, effect: "NoSchedule" }];
            return [
                { name: `${name}-control-plane`, labels: { [CONTROL_PLANE]: "", ...kubeletLabels(`${name}-control-plane`) }, taints },
                ...workers.map((worker) => ({ name: worker, labels: kubeletLabels(worker), taints: [] })),
            ];
        }
        case "kubeconfig":
        case "stackReference": {
            const { chaining, tolerations, nodeSelector } = cluster.cilium;
            if (!chaining || chaining.nodes.length === 0) return undefined;
            const taints = taintsFromTolerations(tolerations);
            const other = `${name}-any-other-node`;
            return [
                ...chaining.nodes.map((node) => ({ name: node, labels: { ...kubeletLabels(node), ...nodeSelector }, taints })),
                { name: other, labels: kubeletLabels(other), taints: [] },
            ];
        }
        default:
            return assertNever(cluster.source);
    }
}

/** A field resolveCluster sets for the cluster's source; missing means the model and this reader disagree. */
function requireField<T>(value: T | undefined, cluster: string, field: string): T {
    if (value === undefined) throw new Error(`pre-flight: cluster ${cluster} has no ${field} in its resolved model (internal error)`);
    return value;
}

function place(object: KubeObject, defaultNamespace: string | undefined): PlacedObject {
    if (CLUSTER_SCOPED_KINDS.has(object.kind)) return { object };
    return { object, namespace: object.metadata?.namespace ?? defaultNamespace ?? "default" };
}

/** What the config tells pre-flight beyond the clusters. */
export interface PreflightOptions {
    /**
     * Namespaces the user declares exist in every mesh cluster (a global Service with createNamespace: false), which
     * pre-flight must not report as missing. @default - none
     */
    readonly declaredNamespaces?: readonly string[];
}

/** The namespaces a config declares exist (config/shape/mesh.ts globalService.createNamespace: false). */
export function declaredNamespaces(config: { readonly mesh?: { readonly enabled: boolean; readonly globalServices: ReadonlyArray<{ readonly namespace: string; readonly createNamespace?: boolean }> } }): string[] {
    if (!config.mesh?.enabled) return [];
    return [...new Set(config.mesh.globalServices.filter((s) => s.createNamespace === false).map((s) => s.namespace))].sort();
}

/** Pre-flight findings for every cluster of a rendered plan (its clusters resolved: resolveClusters), sorted. */
export function preflightPlan(plan: OfflinePlan, clusters: readonly ResolvedCluster[], options: PreflightOptions = {}): Finding[] {
    const findings: Finding[] = [];
    const resources = plan.resources as RenderedResource[];
    const byName = [...clusters].sort((a, b) => (a.config.name < b.config.name ? -1 : a.config.name > b.config.name ? 1 : 0));
    for (const resolved of byName) {
        const name = resolved.config.name;
        const mine = resources.filter((r) => clusterOf(r) === name && !r.read);
        const objects: PlacedObject[] = [];
        // Namespaces the config declares exist (a global Service's createNamespace: false) count as created.
        const createdNamespaces: string[] = [...(options.declaredNamespaces ?? [])];
        for (const resource of mine) {
            if (resource.type === HELM_RELEASE_TYPE) {
                const namespace = String(resource.inputs.namespace ?? "default");
                if (resource.inputs.createNamespace === true) createdNamespaces.push(namespace);
                for (const object of resource.rendered ?? []) objects.push(place(object, namespace));
            } else if (typeof resource.inputs.apiVersion === "string" && typeof resource.inputs.kind === "string") {
                objects.push(place(resource.inputs as unknown as KubeObject, undefined));
            }
        }
        // A release installs into its namespace only if that exists: check it like an object's namespace.
        for (const resource of mine.filter((r) => r.type === HELM_RELEASE_TYPE)) {
            const ns = String(resource.inputs.namespace ?? "default");
            objects.push({ object: { apiVersion: HELM_RELEASE_API_VERSION, kind: "Release", metadata: { name: String(resource.inputs.name ?? resource.name), namespace: ns } }, namespace: ns });
        }
        const model: ClusterModel = {
            name,
            kubeVersion: kubeVersionOf(resolved.config),
            extraApiVersions: [...stackApiVersions(mine, name), HELM_RELEASE_API_VERSION],
            nodes: nodeModel(resolved),
            createdNamespaces,
            network: { cluster: name, podCidr: resolved.config.podCidr, serviceCidr: resolved.config.serviceCidr, primaryNetwork: resolved.ciliumInput.chaining?.target },
        };
        findings.push(...preflightCluster(model, objects));
    }
    return sortFindings(findings);
}
