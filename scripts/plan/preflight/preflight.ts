/**
 * Pre-flight of a rendered plan: groups the objects by cluster (chart objects plus the program's own Kubernetes
 * objects), models each cluster's nodes from the config, and runs the checks in ./checks.
 */
import type { ClusterConfig } from "../../../config/schema";
import type { OfflinePlan } from "../offline-plan";
import type { KubeObject } from "../render/objects";
import { clusterOf, HELM_RELEASE_TYPE, kubeVersionOf, RenderedResource, stackApiVersions } from "../render/plan-render";
import { CLUSTER_SCOPED_KINDS, ClusterModel, Finding, NodeModel, PlacedObject, preflightCluster, sortFindings } from "./checks";

const CONTROL_PLANE = "node-role.kubernetes.io/control-plane";

/** Labels the kubelet puts on every (Linux) node. */
function kubeletLabels(node: string): Record<string, string> {
    return { "kubernetes.io/hostname": node, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" };
}

/**
 * Nodes of a cluster Kubeloom creates: K3s server (label control-plane=true, no taint) and agents; kind
 * control-plane (tainted NoSchedule) and workers. undefined for existing clusters (kubeconfig, stackReference).
 */
export function nodeModel(cluster: ClusterConfig): NodeModel[] | undefined {
    const source = cluster.source as Record<string, Record<string, unknown> | undefined>;
    if (source.k3s) {
        const agents = (source.k3s.agents as unknown[] | undefined) ?? [];
        return [
            { name: `${cluster.name}-server`, labels: { [CONTROL_PLANE]: "true", ...kubeletLabels(`${cluster.name}-server`) }, taints: [] },
            ...agents.map((_, i) => ({ name: `${cluster.name}-agent-${i}`, labels: kubeletLabels(`${cluster.name}-agent-${i}`), taints: [] })),
        ];
    }
    if (source.kind) {
        const workers = Number(source.kind.workers ?? 0);
        return [
            { name: `${cluster.name}-control-plane`, labels: { [CONTROL_PLANE]: "", ...kubeletLabels(`${cluster.name}-control-plane`) }, taints: [{ key: CONTROL_PLANE, effect: "NoSchedule" }] },
            ...Array.from({ length: workers }, (_, i) => ({ name: `${cluster.name}-worker${i === 0 ? "" : i + 1}`, labels: kubeletLabels(`${cluster.name}-worker${i === 0 ? "" : i + 1}`), taints: [] })),
        ];
    }
    return undefined;
}

function place(object: KubeObject, defaultNamespace: string | undefined): PlacedObject {
    if (CLUSTER_SCOPED_KINDS.has(object.kind)) return { object };
    return { object, namespace: object.metadata?.namespace ?? defaultNamespace ?? "default" };
}

/** Pre-flight findings for every cluster of a rendered plan, sorted. */
export function preflightPlan(plan: OfflinePlan, clusters: ReadonlyMap<string, ClusterConfig>): Finding[] {
    const findings: Finding[] = [];
    const resources = plan.resources as RenderedResource[];
    for (const [name, config] of [...clusters.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const mine = resources.filter((r) => clusterOf(r) === name && !r.read);
        const objects: PlacedObject[] = [];
        const createdNamespaces: string[] = [];
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
            objects.push({ object: { apiVersion: "helm.sh/v3", kind: "Release", metadata: { name: String(resource.inputs.name ?? resource.name), namespace: ns } }, namespace: ns });
        }
        const model: ClusterModel = { name, kubeVersion: kubeVersionOf(config), extraApiVersions: [...stackApiVersions(mine, name), "helm.sh/v3"], nodes: nodeModel(config) };
        findings.push(...preflightCluster(model, objects, createdNamespaces));
    }
    return sortFindings(findings);
}
