/**
 * The platform diagram of one stack's change, for the plan-diff comment: the head's view drawn with the base's, so
 * what the change adds, removes, replaces or changes is marked (scripts/plan/platform-diagram.ts). Both views come
 * from the stack files, parsed with this checkout's config code; a base file it cannot parse (an older format) gives
 * the head's diagram unmarked, with a note. Pure: the stack files' texts are passed in.
 */
import { parseStackFile } from "../plan/stack-file";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { parseStackConfig } from "../../config/parse";
import { resourceNames } from "../../config/derived-names";
import { platformView, PlatformView } from "../plan/platform-view";
import { elementKeys, platformDiagram } from "../plan/platform-diagram";
import type { StackDiff } from "./plan-diff";

/** The diagram and, when the base could not be compared, why. */
export interface DiffDiagram {
    readonly mermaid: string;
    readonly note?: string;
}

function viewOf(text: string, project: string, stack: string): PlatformView {
    const config = parseStackConfig(rawConfigFromPulumi(parseStackFile(text, project).config), { stackName: stack });
    return platformView(config, stack);
}

/** Element keys of the diagram whose resources the diff replaces (a component's name says whose they are). */
export function replacedElements(diff: Pick<StackDiff, "components">, views: ReadonlyArray<PlatformView | null>): Set<string> {
    const owners = new Map<string, string>();
    for (const view of views) {
        for (const cluster of view?.clusters ?? []) {
            owners.set(resourceNames.k3sHost(cluster.name), elementKeys.cluster(cluster.name));
            owners.set(resourceNames.kindCluster(cluster.name), elementKeys.cluster(cluster.name));
            owners.set(resourceNames.provider(cluster.name), elementKeys.cluster(cluster.name));
            owners.set(resourceNames.cilium(cluster.name), elementKeys.cilium(cluster.name));
            for (const tenant of cluster.tenants) owners.set(resourceNames.vcluster(cluster.name, tenant.name), elementKeys.tenant(cluster.name, tenant.name));
        }
    }
    const replaced = new Set<string>();
    for (const component of diff.components) {
        const owner = owners.get(component.name);
        if (owner && component.resources.some((r) => (r.replace ?? []).length > 0)) replaced.add(owner);
    }
    return replaced;
}

/** The diagram of a stack's change; undefined when the head cannot be drawn (the plan would have failed first). */
export function diffDiagram(input: { readonly stack: string; readonly project: string; readonly baseText: string | null; readonly headText: string | null; readonly diff: Pick<StackDiff, "components"> }): DiffDiagram | undefined {
    let head: PlatformView | null = null;
    if (input.headText !== null) {
        try {
            head = viewOf(input.headText, input.project, input.stack);
        } catch {
            return undefined;
        }
    }
    let base: PlatformView | null | undefined = null;
    let note: string | undefined;
    if (input.baseText !== null) {
        try {
            base = viewOf(input.baseText, input.project, input.stack);
        } catch (error) {
            base = undefined;
            note = `the base's stack file does not parse with this change's config code (${(error as Error).message.split("\n")[0]}), so nothing is marked`;
        }
    }
    if (head === null && base == null) return undefined;
    const mermaid = platformDiagram({ head, base, replaced: replacedElements(input.diff, [head, base ?? null]) });
    return { mermaid, ...(note ? { note } : {}) };
}
