/**
 * Kubeconfig handling shared by the sources, the K3s read-back and the `kubeconfig` tool: picking one context with
 * the cluster and user it names, reducing a file to that context under a new name, and merging many into one.
 *
 * Merging a stack's `kubeconfigs` output (context name → kubeconfig YAML) into one kubeconfig with one context
 * per cluster and vCluster, as `vcluster connect` and k3sup do: every entry's context, cluster and user are all
 * renamed to the map key, so entries that each call everything `default` never collide.
 *
 * Pure: text in, text out. Error messages name entries and fields, never contents (a kubeconfig holds a key).
 */
import { SECRET_PLACEHOLDER } from "./placeholders";
import { quoteInput, UserInputError } from "./user-input";
import { parse, parseDocument, stringify } from "yaml";

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
    if (text.trim() === SECRET_PLACEHOLDER) {
        throw new KubeconfigMergeError(`${where}: the value is masked ("${SECRET_PLACEHOLDER}"); read the outputs with --show-secrets`);
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
    try {
        const picked = pickKubeconfigContext(doc as Record<string, unknown>);
        return { cluster: picked.cluster, user: picked.user, context: picked.context };
    } catch (error) {
        if (error instanceof KubeconfigContextError) throw new KubeconfigMergeError(`${where}: ${error.message}`);
        throw error;
    }
}

/** Why a kubeconfig has no usable context; the message is a phrase about the file, never its contents. */
export class KubeconfigContextError extends Error {
    constructor(
        readonly reason: "malformed" | "no-current-context" | "no-such-context" | "dangling-reference",
        message: string,
    ) {
        super(message);
        this.name = "KubeconfigContextError";
    }
}

/** One context of a kubeconfig with the cluster and user entries it names. */
export interface KubeconfigContext {
    readonly name: string;
    readonly context: Record<string, unknown>;
    readonly cluster: unknown;
    readonly user: unknown;
}

/**
 * Pure: the context `wanted` of a parsed kubeconfig — else its current-context, else its only context — with the
 * cluster and user it refers to. Throws a KubeconfigContextError naming what is missing.
 */
export function pickKubeconfigContext(config: Readonly<Record<string, unknown>>, wanted?: string): KubeconfigContext {
    const list = (field: string): Named[] => {
        const value = config[field] ?? [];
        if (!Array.isArray(value) || value.some((item) => item === null || typeof item !== "object" || typeof (item as Named).name !== "string")) {
            throw new KubeconfigContextError("malformed", `"${field}" must be a list of entries with a name`);
        }
        return value as Named[];
    };
    const contexts = list("contexts");
    const available = contexts.slice(0, 20).map((c) => quoteInput(c.name)).join(", ") + (contexts.length > 20 ? `, ... (${contexts.length} in all)` : "") || "none";
    const current = typeof config["current-context"] === "string" && config["current-context"] !== "" ? (config["current-context"] as string) : undefined;
    const name = wanted ?? current ?? (contexts.length === 1 ? contexts[0].name : undefined);
    if (name === undefined) throw new KubeconfigContextError("no-current-context", `it has no current-context and ${contexts.length} contexts (contexts: ${available})`);
    const chosen = contexts.find((c) => c.name === name);
    if (!chosen) throw new KubeconfigContextError("no-such-context", `it has no context ${quoteInput(name)} (contexts: ${available})`);
    const context = chosen.context;
    if (!context || typeof context !== "object" || Array.isArray(context)) throw new KubeconfigContextError("malformed", `its context ${quoteInput(name)} has no context fields`);
    const fields = context as Record<string, unknown>;
    const find = (field: "clusters" | "users", key: "cluster" | "user") => {
        const found = list(field).find((item) => item.name === fields[key]);
        if (!found || found[key] === undefined || found[key] === null || typeof found[key] !== "object") {
            throw new KubeconfigContextError("dangling-reference", `its context ${quoteInput(name)} names a ${key} ${quoteInput(fields[key])} the file does not define`);
        }
        return found[key];
    };
    return { name, context: fields, cluster: find("clusters", "cluster"), user: find("users", "user") };
}

/** Which context to keep from a kubeconfig and what to call it. */
export interface KubeconfigSelection {
    /** Context to keep. @default - the file's current-context (or its only context) */
    readonly context?: string;
    /** New name of the context, its cluster and its user. */
    readonly name: string;
    /** Where the kubeconfig came from, for error messages (a key path; never its contents). */
    readonly keyPath: string;
    /** The key that names `context`, blamed when the kubeconfig has no such context. @default - keyPath */
    readonly contextKeyPath?: string;
    /**
     * Return text that is not a kubeconfig at all unchanged instead of failing: during a preview it may be an
     * offline plan's "[secret]" placeholder or an unreadable file's marker. @default false
     */
    readonly passThroughUnparsable?: boolean;
}

/**
 * Pure: a kubeconfig reduced to one context with its cluster and user, all three renamed to `selection.name`,
 * current-context set. Keys sorted, so the same input gives the same text. Errors name the key path and context
 * names only — never contents, which hold credentials.
 */
export function selectKubeconfigContext(text: string, selection: KubeconfigSelection): string {
    const fail = (reason: string, keyPath = selection.keyPath): never => {
        throw new UserInputError(keyPath, `${reason}; contents not shown, a kubeconfig holds credentials`);
    };
    // prettyErrors off: the parser's messages would quote the offending line, which may be key data.
    const doc = parseDocument(text, { prettyErrors: false });
    const config: unknown = doc.errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
    if (config === null || typeof config !== "object" || Array.isArray(config) || !Array.isArray((config as Record<string, unknown>).contexts)) {
        if (selection.passThroughUnparsable) return text;
        return fail("it is not a kubeconfig (a YAML mapping with contexts, clusters and users)");
    }
    let picked: KubeconfigContext;
    try {
        picked = pickKubeconfigContext(config as Record<string, unknown>, selection.context);
    } catch (error) {
        if (!(error instanceof KubeconfigContextError)) throw error;
        if (error.reason === "no-such-context" && selection.contextKeyPath !== undefined) {
            return fail(`${quoteInput(selection.context)} is not a context of ${selection.keyPath}: ${error.message}`, selection.contextKeyPath ?? selection.keyPath);
        }
        return fail(error.reason === "no-current-context" ? `${error.message}; name one with source.kubeconfig.context` : error.message);
    }
    return singleContextKubeconfig(picked, selection.name);
}

/**
 * Pure: the kubeconfig text holding only `picked`, its context, cluster and user all named `name`, current-context
 * set — and the cluster's server replaced by `server` when given. Keys sorted, never folded, so the same input always
 * gives the same bytes. The one place a kubeconfig is (re)written: selection here, K3s's read-back in components.
 */
export function singleContextKubeconfig(picked: KubeconfigContext, name: string, server?: string): string {
    const cluster = server === undefined ? picked.cluster : { ...(picked.cluster as Record<string, unknown>), server };
    const selected = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster }],
        users: [{ name, user: picked.user }],
        contexts: [{ name, context: { ...picked.context, cluster: name, user: name } }],
        "current-context": name,
        preferences: {},
    };
    // lineWidth 0: never fold, so base64 data and the output's bytes do not depend on a wrap column.
    return stringify(selected, { sortMapEntries: true, lineWidth: 0 });
}
