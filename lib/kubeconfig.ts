/**
 * Merges a stack's `kubeconfigs` output (context name → kubeconfig YAML) into one kubeconfig with one context
 * per cluster and vCluster, as `vcluster connect` and k3sup do: every entry's context, cluster and user are all
 * renamed to the map key, so entries that each call everything `default` never collide.
 *
 * Pure: text in, text out. Error messages name entries and fields, never contents (a kubeconfig holds a key).
 */
import { parse, stringify } from "yaml";

/** A merge failure; the message names the entry and the problem, never kubeconfig contents. */
export class KubeconfigMergeError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "KubeconfigMergeError";
    }
}

/** Options for the merge. */
export interface MergeOptions {
    /** Context to make current; must be one of the entries. @default - the first context name in sorted order */
    readonly currentContext?: string;
}

/** The merged kubeconfig. */
export interface MergedKubeconfig {
    /** YAML text, keys in kubectl's order, ready to write with mode 0600. */
    readonly text: string;
    /** Context names, sorted. */
    readonly contexts: readonly string[];
    readonly currentContext: string;
}

interface Named {
    readonly name: string;
    readonly [field: string]: unknown;
}

/** Placeholder Pulumi prints for a secret output read without --show-secrets. */
const MASKED = "[secret]";

/**
 * Merges the entries. Accepts a map (the stack output) or pairs; fails on a masked or malformed entry, a name
 * used twice, or an unknown `currentContext` (listing the available ones).
 */
export function mergeKubeconfigs(entries: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>, options: MergeOptions = {}): MergedKubeconfig {
    const pairs = (Array.isArray(entries) ? [...entries] : Object.entries(entries)) as Array<readonly [string, string]>;
    if (pairs.length === 0) throw new KubeconfigMergeError("the kubeconfigs output is empty: the stack has no clusters yet (run npm run up first)");
    pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const seen = new Set<string>();
    const clusters: Named[] = [];
    const users: Named[] = [];
    const contexts: Named[] = [];
    for (const [name, text] of pairs) {
        if (!/^[^\s]+$/.test(name)) throw new KubeconfigMergeError(`kubeconfigs: ${JSON.stringify(name)} is not usable as a context name (empty or has spaces)`);
        // Context, cluster and user all take the entry's name, so one set catches every collision.
        if (seen.has(name)) throw new KubeconfigMergeError(`kubeconfigs["${name}"]: the name is used twice; context, cluster and user names must be unique`);
        seen.add(name);
        const entry = extractEntry(name, text);
        clusters.push({ name, cluster: entry.cluster });
        users.push({ name, user: entry.user });
        contexts.push({ name, context: { ...entry.context, cluster: name, user: name } });
    }
    const names = contexts.map((c) => c.name);
    const currentContext = options.currentContext ?? names[0];
    if (!names.includes(currentContext)) {
        throw new KubeconfigMergeError(`--context ${currentContext}: no such context (available: ${names.join(", ")})`);
    }
    // Top-level keys in the order kubectl writes them.
    const doc = { apiVersion: "v1", clusters, contexts, "current-context": currentContext, kind: "Config", preferences: {}, users };
    // lineWidth 0: never fold the long base64 certificate strings.
    return { text: stringify(doc, { lineWidth: 0 }), contexts: names, currentContext };
}

/** The cluster, user and context (fields) of the entry's current context (or its only context). */
function extractEntry(name: string, text: string): { cluster: unknown; user: unknown; context: Record<string, unknown> } {
    const where = `kubeconfigs["${name}"]`;
    if (typeof text !== "string") throw new KubeconfigMergeError(`${where}: expected kubeconfig YAML text, got ${text === null ? "null" : typeof text}`);
    if (text.trim() === MASKED) {
        throw new KubeconfigMergeError(`${where}: the value is masked ("${MASKED}"); read the outputs with --show-secrets`);
    }
    let doc: unknown;
    try {
        doc = parse(text);
    } catch (error) {
        // The parser's message quotes the offending line, which may be a key: give only the position.
        const line = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
        throw new KubeconfigMergeError(`${where}: not valid YAML${line ? ` (line ${line})` : ""}`);
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new KubeconfigMergeError(`${where}: not a kubeconfig (expected a YAML mapping)`);
    const config = doc as Record<string, unknown>;
    const list = (field: string): Named[] => {
        const value = config[field] ?? [];
        if (!Array.isArray(value) || value.some((item) => item === null || typeof item !== "object" || typeof (item as Named).name !== "string")) {
            throw new KubeconfigMergeError(`${where}: "${field}" must be a list of entries with a name`);
        }
        return value as Named[];
    };
    const contexts = list("contexts");
    const current = config["current-context"];
    let chosen: Named | undefined;
    if (typeof current === "string" && current !== "") {
        chosen = contexts.find((c) => c.name === current);
        if (!chosen) throw new KubeconfigMergeError(`${where}: current-context "${current}" is not among its contexts`);
    } else if (contexts.length === 1) {
        chosen = contexts[0];
    } else {
        throw new KubeconfigMergeError(`${where}: ${contexts.length} contexts and no current-context; cannot tell which one to use`);
    }
    const context = chosen.context as Record<string, unknown> | undefined;
    if (!context || typeof context !== "object") throw new KubeconfigMergeError(`${where}: context "${chosen.name}" has no context fields`);
    const find = (field: "clusters" | "users", ref: unknown, key: "cluster" | "user") => {
        const found = list(field).find((item) => item.name === ref);
        if (!found || found[key] === undefined) throw new KubeconfigMergeError(`${where}: context "${chosen!.name}" refers to ${key} "${String(ref)}", which is not in its ${field}`);
        return found[key];
    };
    return { cluster: find("clusters", context.cluster, "cluster"), user: find("users", context.user, "user"), context };
}
