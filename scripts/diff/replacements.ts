/**
 * Which changed resources Pulumi will *replace* (delete and create) rather than update in place, and why: inputs the
 * resource's `replaceOnChanges` names (command triggers, e.g. a kind cluster's config), names a Kubernetes object
 * or Helm release cannot change in place, a provider whose identity changes (and with it everything it manages),
 * providers swapped, and the random/tls resources whose every input forces a new one. Pure.
 */
import type { PlannedResource } from "../plan/offline-plan";
import type { FieldChange } from "./value-diff";
import { HELM_RELEASE_TYPE } from "../plan/resource-types";

const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** Paths (inputs section) a Kubernetes object cannot change in place, per kind; any kind: its name and namespace. */
const IMMUTABLE_PATHS: ReadonlyArray<{ readonly kinds?: readonly string[]; readonly path: string; readonly why: string }> = [
    { path: "metadata.name", why: "a Kubernetes object cannot be renamed" },
    { path: "metadata.namespace", why: "a Kubernetes object cannot move to another namespace" },
    { kinds: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"], path: "spec.selector", why: "spec.selector is immutable" },
    { kinds: ["StatefulSet"], path: "spec.volumeClaimTemplates", why: "spec.volumeClaimTemplates is immutable" },
    { kinds: ["StatefulSet"], path: "spec.serviceName", why: "spec.serviceName is immutable" },
    { kinds: ["Service"], path: "spec.clusterIP", why: "spec.clusterIP is immutable" },
    { kinds: ["Job"], path: "spec.template", why: "a Job's pod template is immutable" },
];

/** True when `path` is `prefix` or lies under it (`a.b` under `a`, `a[0]` under `a`). */
function under(path: string, prefix: string): boolean {
    return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** A replaceOnChanges pattern (`triggers[*]`, `spec.*`) as a test on input paths. */
function patternMatcher(pattern: string): (path: string) => boolean {
    const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|\\]/g, "\\$&").replace(/\[\*\]/g, "\\[\\d+\\]").replace(/\*/g, "[^.]+")}($|[.[])`);
    return (path) => regex.test(path) || under(pattern.replace(/\[\*\]$/, ""), path);
}

/** The kind of a Kubernetes resource type token (`kubernetes:apps/v1:Deployment` → `Deployment`). */
function kindOf(type: string): string {
    return type.split(":").pop() ?? type;
}

/** Kubernetes providers whose identity changes, by URN, with the reason (their resources are replaced with them). */
export function replacedProviders(pairs: ReadonlyArray<{ before: PlannedResource; after: PlannedResource; fields: readonly FieldChange[] }>): Map<string, string> {
    const replaced = new Map<string, string>();
    for (const { after, fields } of pairs) {
        if (after.type !== K8S_PROVIDER) continue;
        // pulumi-kubernetes replaces a provider whose clusterIdentifier changes, and every resource it manages with it.
        if (fields.some((f) => f.section === "inputs" && under(f.path, "clusterIdentifier"))) replaced.set(after.urn, "clusterIdentifier changed");
    }
    return replaced;
}

/**
 * Why this changed resource will be replaced (empty: an update in place). `providers` is replacedProviders' result
 * for the same plans.
 */
export function replacementReasons(before: PlannedResource, after: PlannedResource, fields: readonly FieldChange[], providers: ReadonlyMap<string, string>): string[] {
    const reasons: string[] = [];
    const inputs = fields.filter((f) => f.section === "inputs");
    const patterns = (after.options?.replaceOnChanges as string[] | undefined) ?? [];
    for (const pattern of patterns) {
        const matches = patternMatcher(pattern);
        const hit = inputs.find((f) => matches(f.path));
        if (!hit) continue;
        if (after.type.startsWith("command:")) {
            const kind = after.urn.includes("KindCluster$") ? "kind cluster config changed, the cluster is recreated" : "command triggers changed, the command runs again";
            reasons.push(`${kind} (${hit.path})`);
        } else {
            reasons.push(`replaceOnChanges ${pattern} (${hit.path})`);
        }
    }
    if (after.type === HELM_RELEASE_TYPE) {
        for (const path of ["name", "namespace"]) {
            if (inputs.some((f) => f.path === path)) reasons.push(`release ${path} changed: Helm cannot rename or move a release`);
        }
    } else if (after.type.startsWith("kubernetes:") && after.type !== K8S_PROVIDER) {
        const kind = kindOf(after.type);
        for (const rule of IMMUTABLE_PATHS) {
            if (rule.kinds && !rule.kinds.includes(kind)) continue;
            if (inputs.some((f) => under(f.path, rule.path))) reasons.push(`${rule.path} changed: ${rule.why}`);
        }
    }
    if (after.type === K8S_PROVIDER && providers.has(after.urn)) reasons.push(`provider identity: ${providers.get(after.urn)}`);
    if (after.type.startsWith("random:") || after.type.startsWith("tls:")) {
        // Every input of the random and tls resources forces a new one (their providers mark them all RequiresReplace).
        if (inputs.length > 0) reasons.push(`${after.type.split(":")[0]} resources are replaced on any input change (${inputs[0].path || "inputs"})`);
    }
    if ((before.provider ?? null) !== (after.provider ?? null)) reasons.push("its provider changed");
    else if (after.provider && providers.has(after.provider)) reasons.push(`its provider is replaced (${providers.get(after.provider)})`);
    return [...new Set(reasons)];
}
