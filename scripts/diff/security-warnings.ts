/**
 * One-line warnings for security-relevant changes in a plan diff: tenant isolation off, a network policy removed
 * (the program's own or a chart's), Pod Security Admission loosened, a vCluster API newly exposed outside the
 * cluster, a quota removed, Cilium policy enforcement or transparent encryption turned off, chart values that weaken
 * isolation or visibility (WEAKENING_VALUES), and the Cluster Mesh policy scope that silently narrows on a 1.18 → 1.19+
 * upgrade. Pure: plan resources in, sentences out.
 */
import type { KubeObject } from "../plan/render/objects";
import type { PlannedResource } from "../plan/offline-plan";
import { objectRef } from "./rendered-diff";
import { INGRESS_ISOLATION_POLICY } from "../../components/tenant-fence";
import { compareVersions } from "../../components/support-matrix";
import { ENFORCE_LABEL, isPodSecurityLevel, podSecurityStrictness } from "../../lib/pod-security";
import { HELM_RELEASE_TYPE } from "../plan/resource-types";

const POLICY_KINDS = new Set(["NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"]);

/** A resource present on one side or both. */
export interface ResourcePair {
    readonly before?: PlannedResource & { readonly rendered?: KubeObject[] };
    readonly after?: PlannedResource & { readonly rendered?: KubeObject[] };
}

function get(value: unknown, path: string): unknown {
    let current = value;
    for (const key of path.split(".")) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<string, unknown>)[key];
    }
    return current;
}

function kindOfType(type: string): string {
    return type.split(":").pop() ?? type;
}

/** The enforce label's value, or undefined when the namespace has none (then nothing is enforced: privileged). */
function pssLabel(labels: unknown): string | undefined {
    const level = labels && typeof labels === "object" ? (labels as Record<string, unknown>)[ENFORCE_LABEL] : undefined;
    return typeof level === "string" ? level : undefined;
}

function pssWarning(where: string, beforeLabels: unknown, afterLabels: unknown): string[] {
    const before = pssLabel(beforeLabels);
    const after = pssLabel(afterLabels);
    // A missing label (or a value admission does not know) enforces nothing: as loose as privileged.
    const rank = (level: string | undefined) => (isPodSecurityLevel(level) ? podSecurityStrictness(level) : 0);
    if (rank(after) >= rank(before)) return [];
    return [`Pod Security loosened: ${where} enforce ${before} → ${after ?? "none (label removed)"}`];
}

/**
 * The first Cilium release whose `clustermesh.policyDefaultLocalCluster` defaults to true (values.yaml: false in
 * 1.18.12, true in 1.19.6 and 1.20.0): from it, a policy selector that names no cluster matches only the local one.
 */
export const POLICY_DEFAULT_LOCAL_CLUSTER_FROM = "1.19.0";

/** Warnings of a Cilium release's version step: the mesh policy scope that narrows without any config change. */
function ciliumUpgradeWarnings(resourceName: string, beforeVersion: unknown, afterVersion: unknown, afterValues: unknown): string[] {
    if (typeof beforeVersion !== "string" || typeof afterVersion !== "string") return [];
    const crosses = compareVersions(beforeVersion, POLICY_DEFAULT_LOCAL_CLUSTER_FROM) < 0 && compareVersions(afterVersion, POLICY_DEFAULT_LOCAL_CLUSTER_FROM) >= 0;
    const meshMember = get(afterValues, "clustermesh.useAPIServer") === true;
    if (!crosses || !meshMember || get(afterValues, "clustermesh.policyDefaultLocalCluster") !== undefined) return [];
    return [
        `policy scope narrowed: ${resourceName} Cilium ${beforeVersion} → ${afterVersion} turns clustermesh.policyDefaultLocalCluster on: a CiliumNetworkPolicy selector that names no cluster (io.cilium.k8s.policy.cluster) now matches only this cluster's endpoints, not the mesh's; name the clusters in such policies before upgrading`,
    ];
}

/**
 * Warnings for one release's values (vCluster isolation and exposure, Cilium enforcement and encryption). It reads the
 * chart keys in the plan, not the config or the builders (vcluster-values.ts, cilium-values.ts write them), on purpose:
 * the diff judges what would be applied, whatever produced it.
 */
function valuesWarnings(name: string, chart: string, before: unknown, after: unknown): string[] {
    const warnings: string[] = [];
    const was = (path: string) => get(before, path);
    const now = (path: string) => get(after, path);
    if (chart === "vcluster") {
        if (was("policies.networkPolicy.enabled") === true && now("policies.networkPolicy.enabled") !== true) {
            warnings.push(`isolation off: vCluster ${name} no longer gets the host NetworkPolicies that fence the tenant in (policies.networkPolicy.enabled)`);
        }
        if (was("sync.toHost.networkPolicies.enabled") === true && now("sync.toHost.networkPolicies.enabled") !== true) {
            warnings.push(`isolation off: vCluster ${name}'s own NetworkPolicies are no longer synced to the host, so nothing enforces them (sync.toHost.networkPolicies.enabled)`);
        }
        const exposed = (type: unknown) => type === "NodePort" || type === "LoadBalancer";
        const before = was("controlPlane.service.spec.type");
        const after = now("controlPlane.service.spec.type");
        if (!exposed(before) && exposed(after)) warnings.push(`exposed: vCluster ${name}'s API server is now reachable outside the cluster (Service type ${String(after)})`);
    }
    if (chart === "cilium" && now("policyEnforcementMode") === "never" && was("policyEnforcementMode") !== "never") {
        warnings.push(`policy enforcement off: Cilium ${name} policyEnforcementMode never`);
    }
    if (chart === "cilium" && was("encryption.enabled") === true && now("encryption.enabled") !== true) {
        warnings.push(`encryption off: Cilium ${name} no longer encrypts pod traffic between nodes and clusters (encryption.type ${String(was("encryption.type"))} removed); it crosses the network in clear`);
    }
    return warnings;
}

/**
 * Chart values that weaken isolation or visibility, whoever sets them (a user's `values` most often): a warning when
 * a release's values newly match. Paths read in each chart's values.yaml (cilium 1.16.19–1.20.0, vcluster 0.20.6 and
 * 0.36.1); a path a release does not have never matches.
 */
export const WEAKENING_VALUES: ReadonlyArray<{ readonly chart: string; readonly path: string; readonly weak: (value: unknown) => boolean; readonly warning: string }> = [
    { chart: "cilium", path: "policyAuditMode", weak: (v) => v === true, warning: "policy enforcement off: policies are only logged, never enforced (policyAuditMode)" },
    { chart: "cilium", path: "hubble.tls.enabled", weak: (v) => v === false, warning: "Hubble TLS off: flow data between the agents and Relay travels in clear (hubble.tls.enabled)" },
    { chart: "cilium", path: "hubble.relay.enabled", weak: (v) => v === false, warning: "visibility: Hubble Relay off (hubble.relay.enabled)" },
    { chart: "cilium", path: "hostFirewall.enabled", weak: (v) => v === false, warning: "host firewall off: host policies are no longer enforced (hostFirewall.enabled)" },
    { chart: "vcluster", path: "sync.fromHost.nodes.enabled", weak: (v) => v === true, warning: "isolation weakened: the tenant sees the host's real nodes (sync.fromHost.nodes.enabled)" },
    { chart: "vcluster", path: "sync.fromHost.nodes.selector.all", weak: (v) => v === true, warning: "isolation weakened: every host node is synced into the tenant (sync.fromHost.nodes.selector.all)" },
    { chart: "vcluster", path: "sync.toHost.secrets.all", weak: (v) => v === true, warning: "secrets: every tenant Secret is copied to the host namespace, used or not (sync.toHost.secrets.all)" },
    { chart: "vcluster", path: "sync.fromHost.secrets.enabled", weak: (v) => v === true, warning: "secrets: host Secrets are synced into the tenant (sync.fromHost.secrets.enabled)" },
    { chart: "vcluster", path: "controlPlane.statefulSet.security.containerSecurityContext.privileged", weak: (v) => v === true, warning: "privileged: the vCluster control plane runs as a privileged container (controlPlane.statefulSet.security.containerSecurityContext.privileged)" },
    { chart: "vcluster", path: "controlPlane.statefulSet.security.containerSecurityContext.allowPrivilegeEscalation", weak: (v) => v === true, warning: "privileged: the vCluster control plane may escalate privileges (controlPlane.statefulSet.security.containerSecurityContext.allowPrivilegeEscalation)" },
];

/** Warnings for the weakening values a release's values newly have (a new release counts: nothing was there before). */
function weakeningWarnings(name: string, chart: string, before: unknown, after: unknown): string[] {
    return WEAKENING_VALUES.filter((w) => w.chart === chart && w.weak(get(after, w.path)) && !w.weak(get(before, w.path))).map((w) => `${w.warning}: ${chart} release ${name}`);
}

/** Warnings for the objects a release renders: policies and quotas removed, namespaces' Pod Security loosened. */
function renderedWarnings(release: string, before: readonly KubeObject[], after: readonly KubeObject[]): string[] {
    const warnings: string[] = [];
    const afterByKey = new Map(after.map((o) => [objectRef(o), o]));
    for (const object of before) {
        const key = objectRef(object);
        const now = afterByKey.get(key);
        if (!now && POLICY_KINDS.has(object.kind)) warnings.push(`policy removed: ${key} (rendered by release ${release})`);
        if (!now && object.kind === "ResourceQuota") warnings.push(`quota removed: ${key} (rendered by release ${release})`);
        if (now && object.kind === "Namespace") warnings.push(...pssWarning(key, get(object, "metadata.labels"), get(now, "metadata.labels")));
    }
    return warnings;
}

/** Every security warning of a stack diff, sorted and without repeats. */
export function securityWarnings(pairs: readonly ResourcePair[]): string[] {
    const warnings: string[] = [];
    for (const { before, after } of pairs) {
        const resource = after ?? before!;
        const kind = kindOfType(resource.type);
        if (before && !after && resource.type.startsWith("kubernetes:") && POLICY_KINDS.has(kind)) {
            const ns = get(before.inputs, "metadata.namespace");
            warnings.push(`policy removed: ${kind}/${ns ? `${String(ns)}/` : ""}${String(get(before.inputs, "metadata.name") ?? before.name)}`);
            // Every isolated tenant has this policy (both chart lines): it going while the tenant's release stays
            // means `isolate` was turned off, not that the tenant was removed.
            const release = kind === "NetworkPolicy" && get(before.inputs, "metadata.name") === INGRESS_ISOLATION_POLICY ? vclusterReleaseIn(pairs, ns) : undefined;
            if (release !== undefined) warnings.push(`isolation off: vCluster ${release} no longer gets Kubeloom's host NetworkPolicies that fence the tenant in (isolate)`);
        }
        if (before && after && kind === "Namespace" && resource.type.startsWith("kubernetes:")) {
            warnings.push(...pssWarning(`Namespace/${String(get(after.inputs, "metadata.name") ?? after.name)}`, get(before.inputs, "metadata.labels"), get(after.inputs, "metadata.labels")));
        }
        if (after && resource.type === HELM_RELEASE_TYPE) {
            warnings.push(...weakeningWarnings(String(after.inputs.name ?? after.name), String(after.inputs.chart), before?.inputs.values, after.inputs.values));
        }
        if (before && after && resource.type === HELM_RELEASE_TYPE) {
            const name = String(after.inputs.name ?? after.name);
            // Every cluster's Cilium release is called "cilium": the resource name says which cluster.
            const label = after.inputs.chart === "cilium" ? `${name} (${after.name})` : name;
            warnings.push(...valuesWarnings(label, String(after.inputs.chart), before.inputs.values, after.inputs.values));
            if (after.inputs.chart === "cilium") warnings.push(...ciliumUpgradeWarnings(after.name, before.inputs.version, after.inputs.version, after.inputs.values));
            if (before.rendered && after.rendered) warnings.push(...renderedWarnings(name, before.rendered, after.rendered));
        }
        if (before && !after && resource.type === HELM_RELEASE_TYPE && before.rendered) {
            for (const object of before.rendered.filter((o) => POLICY_KINDS.has(o.kind))) {
                warnings.push(`policy removed: ${objectRef(object)} (release ${String(before.inputs.name ?? before.name)} removed)`);
            }
        }
    }
    return [...new Set(warnings)].sort();
}

/** The name of the vCluster release that stays (after the change) in namespace `ns`, if any. */
function vclusterReleaseIn(pairs: readonly ResourcePair[], ns: unknown): string | undefined {
    const stays = pairs.find(({ before, after }) => before && after && after.type === HELM_RELEASE_TYPE && after.inputs.chart === "vcluster" && after.inputs.namespace === ns);
    return stays ? String(stays.after!.inputs.name ?? stays.after!.name) : undefined;
}
