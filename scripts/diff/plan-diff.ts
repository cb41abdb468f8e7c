/**
 * Diffs two offline plans of one stack (base ref → working tree) by URN: resources added, removed and changed,
 * grouped by their top-level component, with a field-level diff of inputs (Helm values included), options,
 * provider and explicit dependencies; with rendered plans (`plan --render`) also each release's rendered objects;
 * which changes are replacements (replacements.ts), one-line security warnings (security-warnings.ts), the head's
 * pre-flight findings, stack outputs and the rotation of `secure:` config values.
 *
 * Pure: no I/O. The plans never hold secret values (they are "[secret]"), and secret config is compared through
 * `compareSecureConfig` (secure-config.ts), which only ever returns key paths and a status — so nothing this module returns can
 * carry a secret, whatever the caller prints.
 */
import type { OfflinePlan, PlannedResource } from "../plan/offline-plan";
import type { Finding } from "../plan/preflight/model";
import type { RenderedResource } from "../plan/render/plan-render";
import { diffRenderedObjects, RenderedObjectChange } from "./rendered-diff";
import { replacedProviders, replacementReasons } from "./replacements";
import type { SecretConfigChange } from "./secure-config";
import { ResourcePair, securityWarnings } from "./security-warnings";
import { compareText, diffValue, FieldChange, sortedUnion } from "./value-diff";

/** How a resource differs between base and head. */
export type ResourceChangeKind = "add" | "remove" | "change";

/** One resource that differs. Added and removed resources carry no fields. */
export interface ResourceChange {
    readonly change: ResourceChangeKind;
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Set when the resource is a read of an existing object (`Resource.get`), which Pulumi reads, never creates. */
    readonly read?: true;
    readonly fields: readonly FieldChange[];
    /** Set for a change Pulumi carries out as a replacement (delete + create): why. */
    readonly replace?: readonly string[];
    /** A release in two rendered plans: its rendered objects that differ. */
    readonly rendered?: readonly RenderedObjectChange[];
}

/** The changed resources under one top-level component (or a top-level resource on its own). */
export interface ComponentChanges {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly resources: readonly ResourceChange[];
}

/** Resource counts, as in `pulumi preview`'s summary. */
export interface ChangeCounts {
    readonly add: number;
    readonly change: number;
    readonly remove: number;
    /** How many of the changes are replacements. */
    readonly replace: number;
}

/** The whole report: every stack diffed against one base. This is the `--format json` document. */
export interface PlanDiffReport {
    /** The git ref the working tree was compared with, and the commit it resolved to. */
    readonly base: { readonly ref: string; readonly commit: string | null };
    readonly stacks: readonly StackDiff[];
    /** True when any stack changed. */
    readonly changed: boolean;
    /** Version steps from the base to this change that Kubeloom refuses (config/upgrade-rules.ts); plan:diff exits 2. */
    readonly refusedUpgrades: readonly RefusedUpgrade[];
    /** Destructive changes from the base that Kubeloom refuses (config/change-rules.ts); plan:diff exits 2. */
    readonly refusedChanges: readonly RefusedUpgrade[];
    /** Destructive changes the head config allows with `clusters[i].allowDestructive`: applied, and listed here. */
    readonly allowedDestructiveChanges: readonly RefusedUpgrade[];
    /** Ordered steps the change takes (e.g. 1 → 3 K3s servers), one sentence each. */
    readonly steps: ReadonlyArray<{ readonly stack: string; readonly note: string }>;
}

/** The guard-rail part of a report (config/change-rules.ts). */
export interface GuardRailFindings {
    readonly refusedChanges: readonly RefusedUpgrade[];
    readonly allowedDestructiveChanges: readonly RefusedUpgrade[];
    readonly steps: ReadonlyArray<{ readonly stack: string; readonly note: string }>;
}

/** One refused version step: the stack, the config key of the new version, and why (with the next step). */
export interface RefusedUpgrade {
    readonly stack: string;
    readonly path: string;
    readonly message: string;
}

/** Builds the report from per-stack diffs (sorted by stack name). */
export function planDiffReport(
    base: PlanDiffReport["base"],
    stacks: readonly StackDiff[],
    refusedUpgrades: readonly RefusedUpgrade[] = [],
    guardRails: GuardRailFindings = { refusedChanges: [], allowedDestructiveChanges: [], steps: [] },
): PlanDiffReport {
    const sorted = [...stacks].sort((a, b) => compareText(a.stack, b.stack));
    return { base, stacks: sorted, changed: sorted.some((s) => s.changed), refusedUpgrades, ...guardRails };
}

/** The diff of one stack. */
export interface StackDiff {
    readonly stack: string;
    /** "absent" when the stack file does not exist on that side (new or deleted stack). */
    readonly base: "present" | "absent";
    readonly head: "present" | "absent";
    /** `dev: +1 ~2 -0`, with notes for secrets, outputs and new or deleted stacks. */
    readonly headline: string;
    readonly counts: ChangeCounts;
    /** True when anything differs: resources, outputs or secret config. */
    readonly changed: boolean;
    readonly components: readonly ComponentChanges[];
    readonly outputs: readonly FieldChange[];
    readonly secrets: readonly SecretConfigChange[];
    /** Security-relevant changes, one sentence each. */
    readonly warnings: readonly string[];
    /** The head plan's pre-flight findings (rendered plans only). */
    readonly preflight: readonly Finding[];
    /** True when both plans were rendered, so releases' rendered objects were compared. */
    readonly rendered: boolean;
    /** The platform as a Mermaid diagram with the change marked (scripts/diff/diff-diagram.ts), when it could be drawn. */
    readonly diagram?: { readonly mermaid: string; readonly note?: string };
}

/** What to diff for one stack. A missing plan means the stack file does not exist on that side. */
export interface StackDiffInput {
    readonly stack: string;
    readonly base: OfflinePlan | null;
    readonly head: OfflinePlan | null;
    /** From `compareSecureConfig` on the two stack files. */
    readonly secrets?: readonly SecretConfigChange[];
}

/** Diffs two plans of one stack. Deterministic: same input → same (deeply equal) result. */
export function diffPlans(input: StackDiffInput): StackDiff {
    const baseByUrn = indexPlan(input.base);
    const headByUrn = indexPlan(input.head);
    const changes: Array<{ change: ResourceChange; plan: Map<string, PlannedResource> }> = [];
    const urns = sortedUnion(baseByUrn.keys(), headByUrn.keys());
    const fieldsOf = new Map<string, FieldChange[]>();
    for (const urn of urns) {
        const before = baseByUrn.get(urn);
        const after = headByUrn.get(urn);
        if (before && after) fieldsOf.set(urn, diffResource(before, after));
    }
    const providers = replacedProviders(urns.flatMap((urn) => (fieldsOf.has(urn) ? [{ before: baseByUrn.get(urn)!, after: headByUrn.get(urn)!, fields: fieldsOf.get(urn)! }] : [])));
    for (const urn of urns) {
        const before = baseByUrn.get(urn);
        const after = headByUrn.get(urn);
        const identity = (r: PlannedResource) => ({ urn, type: r.type, name: r.name, ...(r.read ? { read: true as const } : {}) });
        if (before && after) {
            const fields = fieldsOf.get(urn)!;
            const rendered = diffRenderedObjects((before as RenderedResource).rendered, (after as RenderedResource).rendered);
            const replace = after.read ? [] : replacementReasons(before, after, fields, providers);
            if (fields.length > 0 || replace.length > 0 || (rendered && rendered.length > 0)) {
                const change: ResourceChange = {
                    change: "change",
                    ...identity(after),
                    fields,
                    ...(replace.length > 0 ? { replace } : {}),
                    ...(rendered && rendered.length > 0 ? { rendered } : {}),
                };
                changes.push({ change, plan: headByUrn });
            }
        } else if (after) {
            changes.push({ change: { change: "add", ...identity(after), fields: [] }, plan: headByUrn });
        } else if (before) {
            changes.push({ change: { change: "remove", ...identity(before), fields: [] }, plan: baseByUrn });
        }
    }
    const counts = {
        add: changes.filter((c) => c.change.change === "add").length,
        change: changes.filter((c) => c.change.change === "change").length,
        remove: changes.filter((c) => c.change.change === "remove").length,
        replace: changes.filter((c) => c.change.replace !== undefined).length,
    };
    const pairs: ResourcePair[] = urns.map((urn) => ({ before: baseByUrn.get(urn), after: headByUrn.get(urn) }));
    const rendered = Boolean(input.base?.resources.some((r) => (r as RenderedResource).rendered) && input.head?.resources.some((r) => (r as RenderedResource).rendered));
    const preflight = ((input.head as (OfflinePlan & { preflight?: Finding[] }) | null)?.preflight ?? []).filter((f) => f.severity !== "info");
    const outputs: FieldChange[] = [];
    diffValue(input.base?.outputs ?? {}, input.head?.outputs ?? {}, "outputs", "", outputs);
    const secrets = [...(input.secrets ?? [])].sort((a, b) => compareText(a.key, b.key));
    const partial = {
        stack: input.stack,
        base: input.base ? "present" : "absent",
        head: input.head ? "present" : "absent",
        counts,
        outputs,
        secrets,
        warnings: securityWarnings(pairs),
        preflight,
        rendered,
    } as const;
    return {
        ...partial,
        headline: headline(partial),
        changed: counts.add + counts.change + counts.remove > 0 || outputs.length > 0 || secrets.some((s) => s.status !== "unchanged"),
        components: groupByComponent(changes, baseByUrn, headByUrn),
    };
}

/** `dev: +1 ~2 -0`, then in parentheses what the counts do not show. */
function headline(diff: Pick<StackDiff, "stack" | "base" | "head" | "counts" | "outputs" | "secrets" | "warnings" | "preflight">): string {
    const notes: string[] = [];
    if (diff.counts.replace > 0) notes.push(`${diff.counts.replace} replaced`);
    if (diff.base === "absent" && diff.head === "present") notes.push("new stack");
    if (diff.head === "absent" && diff.base === "present") notes.push("stack file deleted");
    for (const status of ["changed", "added", "removed"] as const) {
        const count = diff.secrets.filter((s) => s.status === status).length;
        if (count > 0) notes.push(`${count} secret${count === 1 ? "" : "s"} ${status}`);
    }
    if (diff.outputs.length > 0) notes.push("outputs changed");
    if (diff.warnings.length > 0) notes.push(`${diff.warnings.length} security warning${diff.warnings.length === 1 ? "" : "s"}`);
    const errors = diff.preflight.filter((f) => f.severity === "error").length;
    if (errors > 0) notes.push(`${errors} pre-flight error${errors === 1 ? "" : "s"}`);
    const { add, change, remove } = diff.counts;
    return `${diff.stack}: +${add} ~${change} -${remove}${notes.length ? ` (${notes.join(", ")})` : ""}`;
}

function indexPlan(plan: OfflinePlan | null): Map<string, PlannedResource> {
    const byUrn = new Map<string, PlannedResource>();
    for (const resource of plan?.resources ?? []) byUrn.set(resource.urn, resource);
    return byUrn;
}

function diffResource(before: PlannedResource, after: PlannedResource): FieldChange[] {
    const fields: FieldChange[] = [];
    diffValue(before.inputs ?? {}, after.inputs ?? {}, "inputs", "", fields);
    diffValue(before.options ?? {}, after.options ?? {}, "options", "", fields);
    if ((before.provider ?? null) !== (after.provider ?? null)) {
        fields.push({ section: "provider", path: "", kind: "changed", before: before.provider ?? null, after: after.provider ?? null });
    }
    const beforeDeps = new Set(before.dependsOn ?? []);
    const afterDeps = new Set(after.dependsOn ?? []);
    for (const urn of sortedUnion(beforeDeps, afterDeps)) {
        if (!beforeDeps.has(urn)) fields.push({ section: "dependsOn", path: "", kind: "added", after: urn });
        else if (!afterDeps.has(urn)) fields.push({ section: "dependsOn", path: "", kind: "removed", before: urn });
    }
    if (Boolean(before.read) !== Boolean(after.read)) {
        fields.push({ section: "read", path: "", kind: "changed", before: Boolean(before.read), after: Boolean(after.read) });
    }
    return fields;
}

function groupByComponent(
    changes: ReadonlyArray<{ change: ResourceChange; plan: Map<string, PlannedResource> }>,
    baseByUrn: Map<string, PlannedResource>,
    headByUrn: Map<string, PlannedResource>,
): ComponentChanges[] {
    const groups = new Map<string, { top: PlannedResource; members: Array<{ change: ResourceChange; depth: number }> }>();
    for (const { change, plan } of changes) {
        const { top, depth } = topLevel(change.urn, plan);
        const key = top.urn;
        const group = groups.get(key) ?? { top: headByUrn.get(key) ?? baseByUrn.get(key) ?? top, members: [] };
        group.members.push({ change, depth });
        groups.set(key, group);
    }
    return [...groups.values()]
        .sort((g, h) => compareText(g.top.name, h.top.name) || compareText(g.top.urn, h.top.urn))
        .map(({ top, members }) => ({
            urn: top.urn,
            type: top.type,
            name: top.name,
            resources: members.sort((m, n) => m.depth - n.depth || compareText(m.change.urn, n.change.urn)).map((m) => m.change),
        }));
}

/** The ancestor without a parent in the plan (the resource itself when top-level) and the resource's depth. */
function topLevel(urn: string, plan: Map<string, PlannedResource>): { top: PlannedResource; depth: number } {
    let current = plan.get(urn)!;
    let depth = 0;
    const seen = new Set<string>();
    while (current.parent && plan.has(current.parent) && !seen.has(current.parent)) {
        seen.add(current.urn);
        current = plan.get(current.parent)!;
        depth++;
    }
    return { top: current, depth };
}
