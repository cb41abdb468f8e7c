/**
 * The upgrade check of plan:diff: the versions the base commit deploys (its plan's `deployedVersions` output, by
 * the base's own code and defaults) against the ones the working tree deploys (the head plan's), through the one
 * rule module, config/upgrade-rules.ts. A refused step makes plan:diff exit 2 with the key named.
 */
import type { OfflinePlan } from "../plan/offline-plan";
import { ClusterOrder, DeployedVersions, parseDeployedVersions, versionStepIssues } from "../../config/upgrade-rules";
import type { ConfigIssue } from "../../config/config-error";
import { HELM_RELEASE_TYPE } from "../plan/resource-types";

/** Where a side's versions came from, for the log line. */
export type VersionSource = "output" | "resources" | "none";

/**
 * The versions a plan deploys: its `deployedVersions` output, else — for a base planned by a Kubeloom from before
 * that output existed — read from its resources by the names that Kubeloom gave them (`<cluster>-cilium-release`,
 * `<cluster>-<vc>-release`, `mesh-<cluster>-metallb-release`, the `INSTALL_K3S_VERSION` of `<cluster>-k3s-server`).
 */
export function planVersions(plan: OfflinePlan, where: string): { versions: DeployedVersions; source: VersionSource } {
    const fromOutput = parseDeployedVersions(plan.outputs?.deployedVersions, where);
    if (fromOutput) return { versions: fromOutput, source: "output" };
    const fromResources = versionsFromResources(plan);
    return { versions: fromResources, source: Object.keys(fromResources).length > 0 ? "resources" : "none" };
}

type Writable = Record<string, { k3s?: string; cilium?: string; metallb?: string; vclusters: Record<string, string> }>;

/** The fallback of planVersions: versions read from the resources of a plan without the output. */
export function versionsFromResources(plan: OfflinePlan): DeployedVersions {
    const result: Writable = {};
    const entry = (cluster: string) => (result[cluster] ??= { vclusters: {} });
    for (const resource of plan.resources) {
        const inputs = resource.inputs ?? {};
        const version = typeof inputs.version === "string" ? inputs.version : undefined;
        if (resource.type === HELM_RELEASE_TYPE && version) {
            const chart = inputs.chart;
            const cilium = /^(.+)-cilium-release$/.exec(resource.name);
            const metallb = /^mesh-(.+)-metallb-release$/.exec(resource.name);
            if (chart === "cilium" && cilium) entry(cilium[1]).cilium = version;
            else if (chart === "metallb" && metallb) entry(metallb[1]).metallb = version;
            else if (chart === "vcluster" && typeof inputs.name === "string" && resource.name.endsWith(`-${inputs.name}-release`)) {
                entry(resource.name.slice(0, -`-${inputs.name}-release`.length)).vclusters[inputs.name] = version;
            }
        }
        const server = /^(.+)-k3s-server$/.exec(resource.name);
        if (server && /^command:(remote|local):Command$/.test(resource.type) && typeof inputs.create === "string") {
            const k3s = /INSTALL_K3S_VERSION='([^']+)'/.exec(inputs.create);
            if (k3s) entry(server[1]).k3s = k3s[1];
        }
    }
    return result;
}

/** The refused steps of one stack, base plan → head plan, with the head stack file's cluster order for key paths. */
export function stackUpgradeIssues(input: { stack: string; baseRef: string; base: OfflinePlan | null; head: OfflinePlan | null; order: ClusterOrder }): {
    issues: ConfigIssue[];
    note?: string;
} {
    if (!input.base || !input.head) return { issues: [] };
    const base = planVersions(input.base, `base ${input.baseRef} plan of ${input.stack}`);
    const head = planVersions(input.head, `working-tree plan of ${input.stack}`);
    if (base.source === "none" || head.source === "none") {
        return { issues: [], note: `${input.stack}: no versions in the ${base.source === "none" ? `base ${input.baseRef}` : "working-tree"} plan; upgrade steps not checked` };
    }
    return { issues: versionStepIssues(base.versions, head.versions, input.order) };
}
