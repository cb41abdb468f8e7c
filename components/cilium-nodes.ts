/**
 * Pure builders for marking existing nodes as Cilium nodes: the labels (the agents' nodeSelector) and the taints
 * derived from the agents' tolerations, with the kubectl scripts that add and remove exactly those taints.
 */
import { DEFAULT_KUBECTL_TIMEOUT_SECONDS, kubectlPrologue, scriptPreamble, shellQuote } from "../lib/shell";

/** A node taint, as `kubectl taint` writes it. */
export interface NodeTaint {
    readonly key: string;
    /** @default - none: the taint is `key:effect` */
    readonly value?: string;
    readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** A toleration of the Cilium agents (the config's `cilium.tolerations`). */
export interface TolerationInput {
    readonly key?: string;
    readonly operator?: "Exists" | "Equal";
    readonly value?: string;
    readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/**
 * The taints to put on Cilium nodes: one per toleration that names both a key and an effect (`Equal` → key=value,
 * `Exists` → key without value). A toleration without key or effect tolerates a whole family of taints and names
 * none, so it yields nothing. Deduplicated, in toleration order. With no such toleration, nodes are only labelled.
 */
export function taintsFromTolerations(tolerations: readonly TolerationInput[]): NodeTaint[] {
    const taints: NodeTaint[] = [];
    for (const toleration of tolerations) {
        if (!toleration.key || !toleration.effect) continue;
        const value = toleration.operator === "Exists" ? undefined : toleration.value;
        const taint: NodeTaint = value === undefined || value === "" ? { key: toleration.key, effect: toleration.effect } : { key: toleration.key, value, effect: toleration.effect };
        if (!taints.some((t) => t.key === taint.key && t.effect === taint.effect)) taints.push(taint);
    }
    return taints;
}

/** `key=value:Effect` or `key:Effect`, the argument `kubectl taint` takes. */
export function taintArgument(taint: NodeTaint): string {
    return `${taint.key}${taint.value === undefined ? "" : `=${taint.value}`}:${taint.effect}`;
}

const cleanupKubeconfig = ['kubeconfig=""', 'cleanup() { [ -z "$kubeconfig" ] || rm -f "$kubeconfig"; }'];

/**
 * Adds the taints to one node (`kubectl taint --overwrite`: other taints are kept, an existing taint with the same
 * key and effect gets our value). The kubeconfig comes from the environment, as in the verify script.
 */
export function addTaintsScript(node: string, taints: readonly NodeTaint[]): string {
    const where = `cilium nodes: node ${node}`;
    return [
        ...cleanupKubeconfig,
        ...scriptPreamble(where),
        ...kubectlPrologue("kubectl is not installed on the machine running Pulumi; it is needed to taint the nodes in cilium.chaining.nodes"),
        `out=$(k taint node ${shellQuote(node)} ${taints.map((t) => shellQuote(taintArgument(t))).join(" ")} --overwrite 2>&1) || fail "kubectl taint failed (is the node name right?): $out"`,
        "",
    ].join("\n");
}

/** Upper bound of addTaintsScript with the production limits: one kubectl request (KUBELOOM_KUBECTL_TIMEOUT). Seconds. */
export const ADD_TAINTS_MAX_SECONDS = DEFAULT_KUBECTL_TIMEOUT_SECONDS;

/** Upper bound of removeTaintsScript for `taintCount` taints: one kubectl request each. Seconds. */
export function removeTaintsMaxSeconds(taintCount: number): number {
    return taintCount * DEFAULT_KUBECTL_TIMEOUT_SECONDS;
}

/**
 * Removes exactly these taints from one node (`kubectl taint key:Effect-`); a taint or node that is already gone is
 * not an error, anything else is. Only kubectl's own NotFound for this taint (`taint "k:E" not found`, kubectl
 * pkg/cmd/taint/utils.go) or for this node (`(NotFound): nodes "<node>" not found`) counts as gone: any other
 * "not found" (an exec credential plugin's "executable … not found", a missing CRD) is a failure.
 * A taint that existed with the same key and effect before Kubeloom added it is removed too: `kubectl taint`
 * keeps no history.
 */
export function removeTaintsScript(node: string, taints: readonly NodeTaint[]): string {
    const where = `cilium nodes: node ${node}`;
    const nodeGone = `*${shellQuote(`(NotFound): nodes "${node}" not found`)}*`;
    return [
        ...cleanupKubeconfig,
        ...scriptPreamble(where),
        ...kubectlPrologue("kubectl is not installed on the machine running Pulumi; it is needed to remove the taints Kubeloom added"),
        ...taints.flatMap((taint) => [
            `if ! out=$(k taint node ${shellQuote(node)} ${shellQuote(`${taint.key}:${taint.effect}-`)} 2>&1); then`,
            '  case "$out" in',
            `    *${shellQuote(`taint "${taint.key}:${taint.effect}" not found`)}*|${nodeGone}) ;;`,
            `    *) fail ${shellQuote(`cannot remove taint ${taint.key}:${taint.effect}:`)} "$out" ;;`,
            "  esac",
            "fi",
        ]),
        "",
    ].join("\n");
}
