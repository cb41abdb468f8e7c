/**
 * Diff of a Helm release's rendered objects (`rendered` in a `plan --render` plan) between base and head: which
 * objects appear, disappear or change, and in them which field — a ConfigMap key, a container's image or args.
 * Lists of named items (containers, env, volumes, ports) are matched by name, string lists (args, command) by
 * value, so one inserted argument shows as that argument, not as every later index changing. Pure.
 */
import type { KubeObject } from "../plan/render/objects";
import { compareText, diffValue, embeddedDocuments, embeddedPath, FieldChange, isPlainObject, joinKey, sortedUnion } from "./value-diff";

/** One rendered object that differs. */
export interface RenderedObjectChange {
    readonly change: "add" | "remove" | "change";
    /** `Kind/namespace/name` (or `Kind/name` for objects without a namespace). */
    readonly object: string;
    /** Field changes inside the object (section "inputs", paths from the object's root); empty for add/remove. */
    readonly fields: readonly FieldChange[];
}

/** `Kind/namespace/name`: how findings and the diff name an object. */
export function objectRef(object: KubeObject): string {
    const ns = object.metadata?.namespace;
    return ns ? `${object.kind}/${ns}/${object.metadata?.name}` : `${object.kind}/${object.metadata?.name}`;
}

/** True when every item is an object with a distinct string `name`: a list Kubernetes merges by name. */
function isNamedList(list: readonly unknown[]): list is Array<Record<string, unknown> & { name: string }> {
    if (list.length === 0) return false;
    const names = new Set<string>();
    for (const item of list) {
        if (!isPlainObject(item) || typeof item.name !== "string" || names.has(item.name)) return false;
        names.add(item.name);
    }
    return true;
}

/**
 * Diffs two values of a rendered object, matching named lists by name and string lists by value; a string that holds
 * a JSON or YAML document (a ConfigMap's `config.json`, an Envoy bootstrap) is diffed as that document.
 */
function diffRendered(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
    if (typeof before === "string" && typeof after === "string" && before !== after) {
        const embedded = embeddedDocuments(before, after, "json+yaml");
        if (embedded) {
            diffRendered(embedded.before, embedded.after, embeddedPath(path, embedded.format), out);
            return;
        }
    }
    if (isPlainObject(before) && isPlainObject(after)) {
        for (const key of sortedUnion(Object.keys(before), Object.keys(after))) {
            diffRendered(before[key], after[key], joinPath(path, key), out);
        }
        return;
    }
    if (Array.isArray(before) && Array.isArray(after)) {
        if (isNamedList(before) && isNamedList(after)) {
            const byName = (list: Array<{ name: string }>) => new Map(list.map((item) => [item.name, item]));
            const a = byName(before);
            const b = byName(after);
            for (const name of sortedUnion(a.keys(), b.keys())) diffRendered(a.get(name), b.get(name), `${path}[${name}]`, out);
            return;
        }
        if (before.every((item) => typeof item === "string") && after.every((item) => typeof item === "string")) {
            const removed = (before as string[]).filter((item) => !(after as string[]).includes(item));
            const added = (after as string[]).filter((item) => !(before as string[]).includes(item));
            if (removed.length === 0 && added.length === 0) {
                if (before.join("\0") !== after.join("\0")) out.push({ section: "inputs", path, kind: "changed", summary: "reordered" });
                return;
            }
            const parts = [...added.map((item) => `+ ${item}`), ...removed.map((item) => `- ${item}`)];
            out.push({ section: "inputs", path, kind: "changed", summary: parts.join(", ") });
            return;
        }
    }
    diffValue(before, after, "inputs", path, out);
}

/** `a.b`, `a["io.cilium/x"]`; named-list items are `containers[cilium-agent]`; inside an embedded document `… › (JSON) a`. */
function joinPath(path: string, key: string): string {
    return joinKey(path, key);
}

/**
 * The rendered objects that differ, sorted by object key; undefined unless both sides were rendered (a plan made
 * without --render has no objects to compare, which is not the same as "all objects removed").
 */
export function diffRenderedObjects(before: readonly KubeObject[] | undefined, after: readonly KubeObject[] | undefined): RenderedObjectChange[] | undefined {
    if (before === undefined || after === undefined) return undefined;
    const index = (objects: readonly KubeObject[] | undefined) => new Map((objects ?? []).map((o) => [objectRef(o), o]));
    const a = index(before);
    const b = index(after);
    const changes: RenderedObjectChange[] = [];
    for (const key of sortedUnion(a.keys(), b.keys())) {
        const x = a.get(key);
        const y = b.get(key);
        if (x && y) {
            const fields: FieldChange[] = [];
            diffRendered(x, y, "", fields);
            if (fields.length > 0) changes.push({ change: "change", object: key, fields });
        } else if (y) {
            changes.push({ change: "add", object: key, fields: [] });
        } else if (x) {
            changes.push({ change: "remove", object: key, fields: [] });
        }
    }
    return changes.sort((p, q) => compareText(p.object, q.object));
}
