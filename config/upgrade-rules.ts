/**
 * Upgrades that cannot skip: given the versions a stack has deployed (its `deployedVersions` output, or the base
 * commit's plan of it) and the versions a new config asks for, the steps Kubeloom refuses, each with the config key
 * to change, why, and the next step. Pure: plan:diff (scripts/diff) and `npm run up` (scripts/cli) both call
 * `upgradeIssues`, and exit 2 with its issues like any other config error.
 *
 * What is refused, and why:
 * - Cilium: a minor skip (1.16 → 1.18). Cilium's upgrade path is one minor at a time (its upgrade guide and the
 *   chart's `upgradeCompatibility` / `preflight.enabled` values are written for N → N+1; cilium chart 1.17.18
 *   values.yaml "upgradeCompatibility helps users upgrading ..."). The next step names the matrix's patch of N+1.
 * - K3s: a Kubernetes minor skip (v1.28 → v1.30). Kubernetes supports upgrading the control plane one minor at a time
 *   (version skew policy), and the K3s installer upgrades in place whatever version it is given.
 * - vCluster: a tenant deployed with the k3s distro (0.20) moved to a release without it (0.33 and later; the
 *   vcluster 0.36.1 chart's values.yaml has only `controlPlane.distro.k8s`). Upstream's automatic k3s → k8s
 *   migration runs only on 0.25–0.32, which are not in Kubeloom's support matrix (components/support-matrix.ts),
 *   so there is no in-place path Kubeloom can take: the tenant stays on 0.20, or a new tenant replaces it.
 * - Downgrades across minors (or majors), for every component: K3s and the charts migrate state forward on an
 *   upgrade (etcd/kine schema, CRD versions, Cilium's ConfigMap) and Kubeloom renders no downgrade procedure.
 *   A patch downgrade within a minor is allowed (same chart keys, no migration). MetalLB has no step rule beyond
 *   that: its supported releases (0.14.9, 0.16.1) are upgraded in place by Helm.
 *
 * Clusters and tenants are matched by name, not position: a cluster or vCluster that is new (or renamed) has no
 * deployed version and is never refused; a removed one is not checked.
 */
import { z } from "zod";
import { CILIUM_RELEASES, K3S_LINES, minorDistance, minorOf, vclusterDistro, versionParts } from "../components/support-matrix";
import { installsCilium, meshMembers } from "./resolve";
import { RESTORE_DOC } from "./change-rules";
import type { StackConfig } from "./schema";
import type { ConfigIssue } from "./config-error";
import { quoteInput } from "../lib/user-input";

/**
 * Set by `npm run up|preview` in the environment of the Pulumi run once the upgrade check passed
 * (scripts/cli/upgrade-check.ts); without it the program warns that nothing was checked (`pulumi up` run directly).
 */
export const UPGRADE_CHECKED_ENV = "KUBELOOM_UPGRADE_CHECKED";

/** The warning of a Pulumi run that did not come through the upgrade check, or undefined when it did. */
export function uncheckedUpgradeWarning(env: Readonly<Record<string, string | undefined>>, stack: string): string | undefined {
    if (env[UPGRADE_CHECKED_ENV] === "1") return undefined;
    return (
        `upgrade steps were not checked: this run did not come through \`npm run up\` / \`npm run preview\`, which compare the stack's ` +
        `deployedVersions output with the config first (a Cilium or K3s minor skipped, a vCluster 0.20 tenant moved to 0.36). ` +
        `Check with \`npm run preview -- ${stack}\` before this update goes on`
    );
}

/** The versions one cluster runs, as the `deployedVersions` stack output records them (absent: not managed here). */
export interface ClusterVersions {
    /** K3s release (`v1.28.13+k3s1`), for k3s sources. */
    readonly k3s?: string;
    /** Cilium chart version, when this stack installs Cilium. */
    readonly cilium?: string;
    /** MetalLB chart version, for mesh members with `loadBalancer.metallb`. */
    readonly metallb?: string;
    /** vCluster name → chart version, for the tenants this stack deploys on the cluster. */
    readonly vclusters: Readonly<Record<string, string>>;
}

/** Cluster name → versions: the `deployedVersions` stack output (non-secret). */
export type DeployedVersions = Readonly<Record<string, ClusterVersions>>;

const deployedVersionsSchema = z.record(
    z.string(),
    z.object({
        k3s: z.string().optional(),
        cilium: z.string().optional(),
        metallb: z.string().optional(),
        vclusters: z.record(z.string(), z.string()).default({}),
    }),
);

/**
 * Reads a `deployedVersions` value (from stack outputs or a plan file). Undefined when there is none; throws when
 * it is there but malformed — an unreadable record must not be taken as "nothing deployed".
 */
export function parseDeployedVersions(value: unknown, where: string): DeployedVersions | undefined {
    if (value === undefined || value === null) return undefined;
    const result = deployedVersionsSchema.safeParse(value);
    if (!result.success) {
        throw new Error(`${where}: deployedVersions is not a map of cluster name → { k3s?, cilium?, metallb?, vclusters } (${result.error.issues[0]?.message ?? "invalid"})`);
    }
    return result.data;
}

/**
 * The versions a valid config deploys, per cluster (defaults resolved by the schema). The stack's
 * `deployedVersions` output is this, published once the resources it describes were updated (stacks/platform.ts).
 */
export function plannedVersions(config: StackConfig): DeployedVersions {
    const metallbMembers = new Set(meshMembers(config).filter((c) => c.loadBalancer?.metallb).map((c) => c.name));
    const result: Record<string, ClusterVersions> = {};
    for (const cluster of config.clusters) {
        result[cluster.name] = {
            ...(cluster.source.k3s ? { k3s: cluster.source.k3s.version } : {}),
            ...(installsCilium(cluster) ? { cilium: cluster.cilium.version } : {}),
            ...(metallbMembers.has(cluster.name) ? { metallb: cluster.loadBalancer!.metallb!.version } : {}),
            vclusters: Object.fromEntries(cluster.vclusters.map((vc) => [vc.name, vc.version])),
        };
    }
    return result;
}

/** One version change of one component, with the config key that sets the new version. */
interface VersionStep {
    readonly component: "cilium" | "k3s" | "vcluster" | "metallb";
    /** Shown in messages: "Cilium", "K3s", "vCluster vc-a", "MetalLB". */
    readonly label: string;
    readonly key: string;
    readonly deployed: string;
    readonly requested: string;
}

/**
 * The order of clusters and their vClusters in the new config, by name: how a refusal finds its key path
 * (`clusters[0].vclusters[1].version`). From a parsed config (`clusterOrder`) or a raw stack file
 * (`clusterOrderFromRaw`, for plan:diff, whose versions come from the plans).
 */
export type ClusterOrder = ReadonlyArray<{ readonly name: string; readonly vclusters: readonly string[] }>;

/** The cluster order of a parsed config. */
export function clusterOrder(config: StackConfig): ClusterOrder {
    return config.clusters.map((c) => ({ name: c.name, vclusters: c.vclusters.map((vc) => vc.name) }));
}

/**
 * The cluster order of a raw `kubeloom:*` config (not validated: the plan that produced the versions has already
 * validated it). Entries without a string name are skipped; their versions are then reported under the name.
 */
export function clusterOrderFromRaw(raw: unknown): ClusterOrder {
    const clusters = (raw as { clusters?: unknown } | null)?.clusters;
    if (!Array.isArray(clusters)) return [];
    const nameOf = (item: unknown) => (item && typeof item === "object" && typeof (item as { name?: unknown }).name === "string" ? (item as { name: string }).name : undefined);
    return clusters.map((c) => ({
        name: nameOf(c) ?? "",
        vclusters: Array.isArray((c as { vclusters?: unknown })?.vclusters) ? ((c as { vclusters: unknown[] }).vclusters.map(nameOf).map((n) => n ?? "")) : [],
    }));
}

/** Every refused step of a valid config against what is deployed, each under its config key. */
export function upgradeIssues(deployed: DeployedVersions, config: StackConfig): ConfigIssue[] {
    return versionStepIssues(deployed, plannedVersions(config), clusterOrder(config));
}

/**
 * Every refused step from `deployed` to `requested` (both cluster name → versions), each under the config key of
 * the new version; `order` places the names in the new config.
 */
export function versionStepIssues(deployed: DeployedVersions, requested: DeployedVersions, order: ClusterOrder): ConfigIssue[] {
    const steps: VersionStep[] = [];
    for (const [name, after] of Object.entries(requested).sort(([a], [b]) => a.localeCompare(b))) {
        const before = deployed[name];
        if (!before) continue;
        const i = order.findIndex((c) => c.name === name);
        const at = i >= 0 ? `clusters[${i}]` : `clusters[name=${name}]`;
        const push = (component: VersionStep["component"], label: string, key: string, from: string | undefined, to: string | undefined) => {
            if (from !== undefined && to !== undefined && from !== to) steps.push({ component, label, key, deployed: from, requested: to });
        };
        push("k3s", "K3s", `${at}.source.k3s.version`, before.k3s, after.k3s);
        push("cilium", "Cilium", `${at}.cilium.version`, before.cilium, after.cilium);
        push("metallb", "MetalLB", `${at}.loadBalancer.metallb.version`, before.metallb, after.metallb);
        for (const [vc, version] of Object.entries(after.vclusters).sort(([a], [b]) => a.localeCompare(b))) {
            const j = i >= 0 ? order[i].vclusters.indexOf(vc) : -1;
            push("vcluster", `vCluster ${vc}`, `${at}.vclusters[${j >= 0 ? j : `name=${vc}`}].version`, before.vclusters[vc], version);
        }
    }
    const issues = steps.flatMap((step) => {
        const message = refusal(step);
        return message === undefined ? [] : [{ path: step.key, message }];
    });
    // Config order, like every other config error list.
    return issues.sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
}

/** Why a step is refused, or undefined when it is allowed. One switch: each component's rule is here. */
function refusal(step: VersionStep): string | undefined {
    const distance = minorDistance(step.deployed, step.requested);
    const head = `${quoteInput(step.requested)} cannot be applied to the deployed ${step.label} ${step.deployed}`;
    if (distance === undefined) {
        return `${head}: a change of major version (or an unreadable version) has no in-place path; keep ${step.deployed}`;
    }
    if (distance < 0) {
        return `${head}: a downgrade to an older minor is not supported (${downgradeReason(step.component)}); keep ${minorOf(step.deployed)}.x (a patch downgrade within it is allowed), or restore a snapshot taken before the upgrade (${RESTORE_DOC})`;
    }
    switch (step.component) {
        case "cilium":
            return distance > 1 ? `${head}: it skips ${skipped(step.deployed, distance)}, and Cilium is upgraded one minor at a time (the upgrade guide and the chart's upgradeCompatibility setting cover N → N+1 only). ${nextStep(step, nextCiliumPatch(step.deployed))}` : undefined;
        case "k3s":
            return distance > 1 ? `${head}: it skips Kubernetes ${skipped(step.deployed, distance)}, and Kubernetes upgrades one minor at a time (K3s follows the Kubernetes version skew policy). ${nextStep(step, nextK3sLine(step.deployed))}` : undefined;
        case "vcluster":
            return vclusterRefusal(step, head);
        case "metallb":
            return undefined;
    }
}

function downgradeReason(component: VersionStep["component"]): string {
    switch (component) {
        case "k3s":
            return "Kubernetes migrates its stored objects forward on an upgrade and has no downgrade";
        case "cilium":
            return "Cilium's datapath, CRDs and ConfigMap move forward on an upgrade and Kubeloom renders no downgrade procedure";
        case "vcluster":
            return "the tenant's control plane and its data store move forward on an upgrade";
        case "metallb":
            return "its CRDs move forward on an upgrade";
    }
}

/** "1.17" for 1.16 → 1.18; "1.17–1.19" for 1.16 → 1.20. */
function skipped(deployed: string, distance: number): string {
    const [major, minor] = versionParts(deployed) ?? [0, 0];
    const first = `${major}.${minor + 1}`;
    return distance === 2 ? first : `${first}–${major}.${minor + distance - 1}`;
}

function nextStep(step: VersionStep, next: { version: string; note: string } | undefined): string {
    const [major, minor] = versionParts(step.deployed) ?? [0, 0];
    const line = `${major}.${minor + 1}`;
    if (!next) return `Upgrade to ${line}.x first; no ${line} release is in Kubeloom's support matrix, so keep ${step.deployed}.`;
    return `Upgrade to ${line}.x first: set ${step.key}: ${next.version} (${next.note}), run \`npm run up\`, then set ${step.requested}.`;
}

/** The matrix's Cilium release of the minor after `deployed`. */
function nextCiliumPatch(deployed: string): { version: string; note: string } | undefined {
    const release = CILIUM_RELEASES.find((r) => minorDistance(deployed, r.version) === 1);
    return release && { version: release.version, note: "the matrix's release of that minor" };
}

/** The matrix's K3s line after the deployed one (an example release of it; any patch of the line is accepted). */
function nextK3sLine(deployed: string): { version: string; note: string } | undefined {
    const line = K3S_LINES.find((l) => minorDistance(deployed, l.example) === 1);
    return line && { version: line.example, note: `or any v${line.kubernetes}.x+k3sN` };
}

function vclusterRefusal(step: VersionStep, head: string): string | undefined {
    if (vclusterDistro(step.deployed) === "k3s" && vclusterDistro(step.requested) === "k8s") {
        return (
            `${head}: the tenant runs the k3s distro, which vCluster ${step.requested} no longer has (deprecated in 0.25, removed in 0.33), ` +
            "and upstream migrates k3s → k8s automatically only on 0.25–0.32, which are not in Kubeloom's support matrix. " +
            `Keep ${step.deployed} for this tenant; or add a new tenant (a new name) with version ${step.requested}, move the workloads to it, ` +
            "then remove this one (docs/upgrades.md, vCluster)"
        );
    }
    return undefined;
}
