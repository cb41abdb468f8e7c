/**
 * Pre-flight checks over the objects a stack would apply to one cluster (rendered chart objects and the objects
 * the program creates itself), and their one registry, PREFLIGHT_CHECKS: a new check is written here (or in its own
 * file beside ./cni-checks and ./l7-checks) and listed there, and preflightCluster runs it. Pure functions: objects
 * and a cluster model (./model) in, findings out.
 */
import type { KubeObject } from "../render/objects";
import { BUILTIN_NAMESPACES, ClusterModel, describe, finding, Finding, NodeModel, PlacedObject, PreflightCheck } from "./model";
import { checkCniChaining } from "./cni-checks";
import { checkVoidedL7Rules } from "./l7-checks";
import { versionParts } from "../../../components/support-matrix";
import { dns1123LabelProblem, dns1123SubdomainProblem, inNodePortRange, NODE_PORT_RANGE_TEXT } from "../../../lib/k8s-formats";
import { enforcedLevel, podSecurityViolations, PodSecuritySpec } from "../../../lib/pod-security";

/** Built-in group/versions: served from minor `since` up to (not including) minor `removedIn`. */
export const CORE_API_VERSIONS: ReadonlyArray<{ gv: string; since: number; removedIn?: number }> = [
    { gv: "v1", since: 0 },
    { gv: "apps/v1", since: 9 },
    { gv: "batch/v1", since: 0 },
    { gv: "batch/v1beta1", since: 8, removedIn: 25 },
    { gv: "policy/v1", since: 21 },
    { gv: "policy/v1beta1", since: 0, removedIn: 25 },
    { gv: "autoscaling/v1", since: 0 },
    { gv: "autoscaling/v2", since: 23 },
    { gv: "autoscaling/v2beta2", since: 12, removedIn: 26 },
    { gv: "networking.k8s.io/v1", since: 8 },
    { gv: "networking.k8s.io/v1beta1", since: 14, removedIn: 22 },
    { gv: "rbac.authorization.k8s.io/v1", since: 8 },
    { gv: "apiextensions.k8s.io/v1", since: 16 },
    { gv: "admissionregistration.k8s.io/v1", since: 16 },
    { gv: "coordination.k8s.io/v1", since: 14 },
    { gv: "discovery.k8s.io/v1", since: 21 },
    { gv: "discovery.k8s.io/v1beta1", since: 17, removedIn: 25 },
    { gv: "storage.k8s.io/v1", since: 6 },
    { gv: "scheduling.k8s.io/v1", since: 14 },
    { gv: "certificates.k8s.io/v1", since: 19 },
    { gv: "node.k8s.io/v1", since: 20 },
    { gv: "events.k8s.io/v1", since: 19 },
    { gv: "apiregistration.k8s.io/v1", since: 10 },
    { gv: "flowcontrol.apiserver.k8s.io/v1beta3", since: 26, removedIn: 32 },
    { gv: "flowcontrol.apiserver.k8s.io/v1", since: 29 },
];

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

/** apiVersion served by the cluster's Kubernetes version or by a CRD the stack installs. */
export function checkApiVersions(cluster: ClusterModel, objects: readonly PlacedObject[]): Finding[] {
    const minor = versionParts(cluster.kubeVersion)?.[1] ?? 0;
    const served = new Set([...CORE_API_VERSIONS.filter((e) => minor >= e.since && (e.removedIn === undefined || minor < e.removedIn)).map((e) => e.gv), ...cluster.extraApiVersions]);
    for (const { object } of objects) {
        if (object.kind !== "CustomResourceDefinition") continue;
        const spec = object.spec as { group?: string; versions?: Array<{ name?: string; served?: boolean }> } | undefined;
        for (const v of spec?.versions ?? []) if (spec?.group && v.name && v.served !== false) served.add(`${spec.group}/${v.name}`);
    }
    return objects
        .filter((p) => !served.has(p.object.apiVersion))
        .map((p) => finding(cluster, p, "api-version", `${p.object.apiVersion} ${p.object.kind} is not served by Kubernetes ${cluster.kubeVersion} nor by a CRD this stack installs`));
}

/** Kinds whose names must be DNS-1123 labels (≤ 63) rather than subdomains (≤ 253). */
const LABEL_NAMED_KINDS = new Set(["Namespace", "Service"]);
/** RBAC objects are named by path segment (`metallb:controller` is valid): anything but "." / ".." / "/" / "%". */
const PATH_SEGMENT_NAMED_KINDS = new Set(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);

/** metadata.name (and namespace) valid DNS-1123. */
export function checkNames(cluster: ClusterModel, objects: readonly PlacedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const placed of objects) {
        const name = String(placed.object.metadata?.name ?? "");
        const asLabel = LABEL_NAMED_KINDS.has(placed.object.kind);
        const valid = PATH_SEGMENT_NAMED_KINDS.has(placed.object.kind)
            ? name !== "" && name !== "." && name !== ".." && !/[/%]/.test(name)
            : (asLabel ? dns1123LabelProblem(name) : dns1123SubdomainProblem(name)) === undefined;
        if (!valid) findings.push(finding(cluster, placed, "name", `name "${name}" is not a valid DNS-1123 ${asLabel ? "label (≤ 63, [a-z0-9-])" : "subdomain (≤ 253, [a-z0-9-.])"}`));
        if (placed.namespace !== undefined && dns1123LabelProblem(placed.namespace) !== undefined) {
            findings.push(finding(cluster, placed, "name", `namespace "${placed.namespace}" is not a valid DNS-1123 label`));
        }
    }
    return findings;
}

/** Every namespaced object's namespace is created by the stack or built in. */
export function checkNamespaces(cluster: ClusterModel, objects: readonly PlacedObject[], createdNamespaces: readonly string[]): Finding[] {
    const known = new Set([...BUILTIN_NAMESPACES, ...createdNamespaces, ...objects.filter((p) => p.object.kind === "Namespace").map((p) => String(p.object.metadata.name))]);
    return objects
        .filter((p) => p.namespace !== undefined && !known.has(p.namespace))
        .map((p) => finding(cluster, p, "namespace", `namespace ${p.namespace} is neither created by this stack nor built in (for a global Service: set mesh.globalServices[].createNamespace: true to create it, or false to declare that it exists)`));
}

interface ServicePort { nodePort?: number; port?: number }
interface ServiceSpec { type?: string; ports?: ServicePort[] }

/**
 * NodePorts unique across the cluster and inside NODE_PORT_RANGE (30000–32767). On purpose beside the config's
 * port registry (config/port-registry.ts), which claims the NodePorts Kubeloom derives: this reads the rendered
 * Services, so ports a chart allocates itself are caught too.
 */
export function checkNodePorts(cluster: ClusterModel, objects: readonly PlacedObject[]): Finding[] {
    const findings: Finding[] = [];
    const owners = new Map<number, string>();
    for (const placed of objects) {
        if (placed.object.kind !== "Service") continue;
        const spec = placed.object.spec as ServiceSpec | undefined;
        if (spec?.type !== "NodePort" && spec?.type !== "LoadBalancer") continue;
        for (const port of spec.ports ?? []) {
            // 0 or absent: the API server allocates one.
            if (port.nodePort === undefined || port.nodePort === null || Number(port.nodePort) === 0) continue;
            const nodePort = Number(port.nodePort);
            if (!inNodePortRange(nodePort)) findings.push(finding(cluster, placed, "node-port", `nodePort ${nodePort} is outside the default range ${NODE_PORT_RANGE_TEXT}`));
            const owner = owners.get(nodePort);
            if (owner) findings.push(finding(cluster, placed, "node-port", `nodePort ${nodePort} is already used by ${owner}`));
            else owners.set(nodePort, describe(placed));
        }
    }
    return findings;
}

interface PodSpecLike {
    nodeSelector?: Record<string, string>;
    tolerations?: Array<{ key?: string; operator?: string; value?: string; effect?: string }>;
    affinity?: {
        nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: Array<{ matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }> } };
        podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: Array<{ labelSelector?: { matchLabels?: Record<string, string> }; topologyKey?: string }> };
    };
    containers?: Array<{ ports?: Array<{ hostPort?: number; protocol?: string }>; resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }>;
}

function podTemplate(object: KubeObject): { labels: Record<string, string>; spec: PodSpecLike; replicas: number } | undefined {
    if (!WORKLOAD_KINDS.has(object.kind)) return undefined;
    const spec = object.spec as { replicas?: number; template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpecLike } } | undefined;
    return { labels: spec?.template?.metadata?.labels ?? {}, spec: spec?.template?.spec ?? {}, replicas: object.kind === "DaemonSet" ? 1 : (spec?.replicas ?? 1) };
}

/** Why a pod spec cannot run on a node, or undefined when it can (nodeSelector, required node affinity, taints). */
export function unschedulableReason(pod: PodSpecLike, node: NodeModel): string | undefined {
    for (const [key, value] of Object.entries(pod.nodeSelector ?? {})) {
        if (node.labels[key] !== value) return `nodeSelector ${key}=${value}`;
    }
    const terms = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (terms && terms.length > 0) {
        const matches = terms.some((term) =>
            (term.matchExpressions ?? []).every((e) => {
                const has = Object.prototype.hasOwnProperty.call(node.labels, e.key);
                switch (e.operator) {
                    case "In": return has && (e.values ?? []).includes(node.labels[e.key]);
                    case "NotIn": return !has || !(e.values ?? []).includes(node.labels[e.key]);
                    case "Exists": return has;
                    case "DoesNotExist": return !has;
                    default: return false;
                }
            }),
        );
        if (!matches) return "required node affinity";
    }
    for (const taint of node.taints) {
        if (taint.effect !== "NoSchedule" && taint.effect !== "NoExecute") continue;
        const tolerated = (pod.tolerations ?? []).some((t) => {
            if (t.effect && t.effect !== taint.effect) return false;
            if (t.operator === "Exists") return t.key === undefined || t.key === "" || t.key === taint.key;
            return t.key === taint.key && (t.value ?? "") === (taint.value ?? "");
        });
        if (!tolerated) return `taint ${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect}`;
    }
    return undefined;
}

/**
 * Every workload's pods fit some node; required pod affinity needs a node that also runs the target pods; host
 * ports do not collide between workloads that can only share nodes.
 */
export function checkScheduling(cluster: ClusterModel, objects: readonly PlacedObject[]): Finding[] {
    if (cluster.nodes === undefined) {
        return [{ severity: "info", cluster: cluster.name, object: "-", check: "scheduling", message: "existing cluster: its nodes are unknown offline, scheduling checks skipped" }];
    }
    const nodes = cluster.nodes;
    const workloads = objects.flatMap((placed) => {
        const pod = podTemplate(placed.object);
        if (!pod) return [];
        const fits = nodes.filter((node) => unschedulableReason(pod.spec, node) === undefined).map((n) => n.name);
        return [{ placed, pod, fits }];
    });
    const findings: Finding[] = [];
    for (const { placed, pod, fits } of workloads) {
        if (fits.length === 0) {
            const reasons = nodes.map((node) => `${node.name}: ${unschedulableReason(pod.spec, node)}`).join("; ");
            findings.push(finding(cluster, placed, "scheduling", `no node fits its pods (${reasons || "no nodes"}): they stay Pending`));
            continue;
        }
        for (const term of pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
            const selector = term.labelSelector?.matchLabels ?? {};
            const targets = workloads.filter((w) => w.placed.namespace === placed.namespace && Object.entries(selector).every(([k, v]) => w.pod.labels[k] === v));
            const together = targets.some((t) => t.fits.some((n) => fits.includes(n)));
            if (!together) {
                const selectorText = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(",");
                findings.push(finding(cluster, placed, "pod-affinity", `requires co-location with pods ${selectorText} but no node can run both: it stays Pending`));
            }
        }
    }
    // Host ports: a workload whose only candidate node is also the only candidate of another using the same port.
    const hostPorts = new Map<string, string>();
    for (const { placed, pod, fits } of workloads) {
        for (const container of pod.spec.containers ?? []) {
            for (const port of container.ports ?? []) {
                if (!port.hostPort) continue;
                for (const node of fits.length === 1 ? fits : []) {
                    const key = `${node}/${port.protocol ?? "TCP"}/${port.hostPort}`;
                    const owner = hostPorts.get(key);
                    if (owner && owner !== describe(placed)) findings.push(finding(cluster, placed, "host-port", `hostPort ${port.hostPort} on ${node} is also used by ${owner}`));
                    else hostPorts.set(key, describe(placed));
                }
            }
        }
    }
    return findings;
}

function quantity(value: unknown): number {
    const text = String(value ?? "0");
    const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(text);
    if (!match) return NaN;
    const units: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
    return Number(match[1]) * (units[match[2]] ?? NaN);
}

/**
 * ResourceQuota accounting per namespace: services.nodeports, services.loadbalancers, pods/count/pods and
 * requests./limits. cpu and memory (containers without a value take the namespace LimitRange's defaults).
 * Independent of the quota the vCluster builder asks for (vcluster-values.ts allows the tenant's own Service), on
 * purpose: it counts what is rendered.
 */
export function checkQuotas(cluster: ClusterModel, objects: readonly PlacedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const quota of objects.filter((p) => p.object.kind === "ResourceQuota")) {
        const hard = ((quota.object.spec as { hard?: Record<string, unknown> } | undefined)?.hard ?? {}) as Record<string, unknown>;
        const inNamespace = objects.filter((p) => p.namespace === quota.namespace);
        const limitRange = inNamespace.find((p) => p.object.kind === "LimitRange");
        const containerLimits = ((limitRange?.object.spec as { limits?: Array<{ type?: string; default?: Record<string, unknown>; defaultRequest?: Record<string, unknown> }> } | undefined)?.limits ?? []).find((l) => l.type === "Container");
        const used: Record<string, number> = {};
        const add = (key: string, amount: number) => (used[key] = (used[key] ?? 0) + amount);
        for (const placed of inNamespace) {
            if (placed.object.kind === "Service") {
                const spec = placed.object.spec as ServiceSpec | undefined;
                if (spec?.type === "NodePort" || spec?.type === "LoadBalancer") add("services.nodeports", (spec.ports ?? []).length);
                if (spec?.type === "LoadBalancer") add("services.loadbalancers", 1);
                add("services", 1);
            }
            const pod = podTemplate(placed.object);
            if (!pod) continue;
            const replicas = placed.object.kind === "DaemonSet" ? (cluster.nodes?.length ?? 1) : pod.replicas;
            add("pods", replicas);
            add("count/pods", replicas);
            for (const container of pod.spec.containers ?? []) {
                for (const resource of ["cpu", "memory"]) {
                    const limit = container.resources?.limits?.[resource] ?? containerLimits?.default?.[resource];
                    const request = container.resources?.requests?.[resource] ?? containerLimits?.defaultRequest?.[resource] ?? limit;
                    if (request !== undefined) { add(`requests.${resource}`, quantity(request) * replicas); add(resource, quantity(request) * replicas); }
                    if (limit !== undefined) add(`limits.${resource}`, quantity(limit) * replicas);
                }
            }
        }
        for (const [key, limit] of Object.entries(hard)) {
            const usage = used[key];
            if (usage === undefined) continue;
            if (usage > quantity(limit) + 1e-9) {
                findings.push(finding(cluster, quota, "resource-quota", `${key}: the stack's objects in ${quota.namespace} need ${Number(usage.toPrecision(6))} but the quota allows ${String(limit)}: the API server rejects the excess`));
            }
        }
    }
    return findings;
}

/**
 * Pod Security admission: a workload in a namespace labelled pod-security.kubernetes.io/enforce (lib/pod-security.ts) whose pod template
 * violates that level never gets a pod (the API server rejects each one its controller creates).
 */
export function checkPodSecurity(cluster: ClusterModel, objects: readonly PlacedObject[]): Finding[] {
    const levels = new Map(objects.filter((p) => p.object.kind === "Namespace").map((p) => [String(p.object.metadata.name), enforcedLevel(p.object.metadata.labels)]));
    const findings: Finding[] = [];
    for (const placed of objects) {
        const level = placed.namespace !== undefined ? levels.get(placed.namespace) : undefined;
        if (level === undefined) continue;
        const spec = placed.object.kind === "Pod" ? (placed.object.spec as PodSecuritySpec | undefined) : (placed.object.spec as { template?: { spec?: PodSecuritySpec } } | undefined)?.template?.spec;
        if (!spec || !(WORKLOAD_KINDS.has(placed.object.kind) || placed.object.kind === "Pod" || placed.object.kind === "Job")) continue;
        const violations = podSecurityViolations(level, spec);
        if (violations.length > 0) {
            findings.push(finding(cluster, placed, "pod-security", `namespace ${placed.namespace} enforces Pod Security "${level}", which rejects its pods: ${violations.join("; ")}`));
        }
    }
    return findings;
}

/**
 * Every pre-flight check: the one list preflightCluster runs (findings are sorted afterwards, so the order here
 * does not matter). Checks that need more than the objects read it from the cluster model.
 */
export const PREFLIGHT_CHECKS: readonly PreflightCheck[] = [
    checkApiVersions,
    checkNames,
    (cluster, objects) => checkNamespaces(cluster, objects, cluster.createdNamespaces ?? []),
    checkNodePorts,
    checkQuotas,
    checkPodSecurity,
    checkScheduling,
    checkVoidedL7Rules,
    (cluster, objects) => (cluster.network ? checkCniChaining(cluster.network, objects) : []),
];

/** Runs every registered check for one cluster. */
export function preflightCluster(cluster: ClusterModel, objects: readonly PlacedObject[]): Finding[] {
    return PREFLIGHT_CHECKS.flatMap((check) => check(cluster, objects));
}
