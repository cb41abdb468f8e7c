/**
 * Field-level diff of plan values (resource inputs, options, stack outputs): deep, keys in sorted order, long
 * lists summarised, multi-line text diffed by line, and secrets compared only as the plan's placeholder, so a
 * secret never shows as more than "changed". Pure.
 */
import { parse as parseYaml } from "yaml";
import { SECRET_PLACEHOLDER } from "../../lib/placeholders";

/** Lists longer than this are summarised ("list of 40 items: 2 added, 1 removed") instead of diffed per index. */
export const LIST_DETAIL_LIMIT = 10;
/** At most this many changed lines of one multi-line text are kept. */
export const TEXT_LINES_LIMIT = 40;

/** Which part of a resource a field change is in. */
export type FieldSection = "inputs" | "options" | "provider" | "dependsOn" | "read" | "outputs";

/** One changed field. `before`/`after` are plan values (never secret: the plan holds placeholders only). */
export interface FieldChange {
    readonly section: FieldSection;
    /** Key path inside the section (`values.hubble.relay.enabled`, `tolerations[2]`); "" for the whole section. */
    readonly path: string;
    readonly kind: "added" | "removed" | "changed";
    /** True when either side is a secret: then neither value is given, only that it changed. */
    readonly secret?: true;
    readonly before?: unknown;
    readonly after?: unknown;
    /** For long lists and multi-line text: what changed, in words, instead of both values. */
    readonly summary?: string;
    /** For multi-line text: the changed lines, "- old" / "+ new" (at most TEXT_LINES_LIMIT). */
    readonly lines?: readonly string[];
}

/**
 * Deep diff of two plan values into `out`, keys in sorted order. Secrets compare only as placeholders, so a
 * secret shows as changed only when it appears, disappears or stops being secret — and then without values.
 */
export function diffValue(before: unknown, after: unknown, section: FieldSection, path: string, out: FieldChange[]): void {
    if (deepEqual(before, after)) return;
    if (before === undefined) {
        out.push(after === SECRET_PLACEHOLDER ? { section, path, kind: "added", secret: true } : { section, path, kind: "added", after });
        return;
    }
    if (after === undefined) {
        out.push(before === SECRET_PLACEHOLDER ? { section, path, kind: "removed", secret: true } : { section, path, kind: "removed", before });
        return;
    }
    if (before === SECRET_PLACEHOLDER || after === SECRET_PLACEHOLDER) {
        out.push({ section, path, kind: "changed", secret: true });
        return;
    }
    if (isPlainObject(before) && isPlainObject(after)) {
        for (const key of sortedUnion(Object.keys(before), Object.keys(after))) {
            diffValue(before[key], after[key], section, joinKey(path, key), out);
        }
        return;
    }
    if (Array.isArray(before) && Array.isArray(after)) {
        if (Math.max(before.length, after.length) > LIST_DETAIL_LIMIT) {
            out.push({ section, path, kind: "changed", summary: summariseList(before, after) });
        } else {
            const length = Math.max(before.length, after.length);
            for (let i = 0; i < length; i++) diffValue(before[i], after[i], section, `${path}[${i}]`, out);
        }
        return;
    }
    if (typeof before === "string" && typeof after === "string") {
        const embedded = embeddedDocuments(before, after, "json");
        if (embedded) {
            diffValue(embedded.before, embedded.after, section, embeddedPath(path, embedded.format), out);
            return;
        }
        if (before.includes("\n") || after.includes("\n")) {
            out.push({ section, path, kind: "changed", ...diffText(before, after) });
            return;
        }
    }
    out.push({ section, path, kind: "changed", before, after });
}

/**
 * Both strings as the documents they hold — JSON objects or arrays (`{…}`, `[…]`), and with `formats` "json+yaml"
 * also multi-line YAML mappings — or undefined when either is not one. A ConfigMap value holding a whole JSON
 * document is then diffed by key, not as one line of kilobytes.
 */
export function embeddedDocuments(before: string, after: string, formats: "json" | "json+yaml"): { before: unknown; after: unknown; format: "JSON" | "YAML" } | undefined {
    const read = (text: string): { value: unknown; format: "JSON" | "YAML" } | undefined => {
        const trimmed = text.trim();
        if (/^[[{]/.test(trimmed)) {
            try {
                const value: unknown = JSON.parse(trimmed);
                if (value !== null && typeof value === "object") return { value, format: "JSON" };
            } catch {
                // not JSON: maybe YAML flow style, read below
            }
        }
        if (formats === "json+yaml" && trimmed.includes("\n") && /^[\w"'.-][^\n]*:(\s|$)/m.test(trimmed)) {
            try {
                const value: unknown = parseYaml(trimmed);
                if (isPlainObject(value) && Object.keys(value).length > 0) return { value, format: "YAML" };
            } catch {
                return undefined;
            }
        }
        return undefined;
    };
    const a = read(before);
    const b = read(after);
    if (!a || !b || a.format !== b.format || Array.isArray(a.value) !== Array.isArray(b.value)) return undefined;
    return { before: a.value, after: b.value, format: a.format };
}

/** The path of a field inside an embedded document: `data["config.json"] › (JSON) staticResources`. */
export function embeddedPath(path: string, format: "JSON" | "YAML"): string {
    return `${path} › (${format})`;
}

/** "list of 40 items: 2 added, 1 removed" — items compared as whole values, order ignored unless only it changed. */
export function summariseList(before: readonly unknown[], after: readonly unknown[]): string {
    const remaining = new Map<string, number>();
    for (const item of before) remaining.set(canonical(item), (remaining.get(canonical(item)) ?? 0) + 1);
    let added = 0;
    for (const item of after) {
        const key = canonical(item);
        const count = remaining.get(key) ?? 0;
        if (count > 0) remaining.set(key, count - 1);
        else added++;
    }
    const removed = [...remaining.values()].reduce((sum, n) => sum + n, 0);
    const parts = [];
    if (added > 0) parts.push(`${added} added`);
    if (removed > 0) parts.push(`${removed} removed`);
    // An object item edited in place counts as one removed and one added: items have no identity to match on.
    return `list of ${after.length} item${after.length === 1 ? "" : "s"}: ${parts.length ? parts.join(", ") : "reordered"}`;
}

/** Line diff of two texts (scripts, embedded YAML): a summary and the changed lines. */
export function diffText(before: string, after: string): { summary: string; lines: string[] } {
    const a = before.split("\n");
    const b = after.split("\n");
    const ops = lineDiff(a, b);
    const added = ops.filter((op) => op.startsWith("+")).length;
    const removed = ops.filter((op) => op.startsWith("-")).length;
    const kept = ops.slice(0, TEXT_LINES_LIMIT);
    if (ops.length > TEXT_LINES_LIMIT) kept.push(`… ${ops.length - TEXT_LINES_LIMIT} more changed lines`);
    return { summary: `text of ${b.length} lines: ${added} added, ${removed} removed`, lines: kept };
}

/** Changed lines ("- x", "+ y") by longest common subsequence; falls back to whole-text replacement when huge. */
function lineDiff(a: readonly string[], b: readonly string[]): string[] {
    // Trim the common prefix and suffix first: scripts usually change in one place.
    let start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start++;
    let endA = a.length;
    let endB = b.length;
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
        endA--;
        endB--;
    }
    const x = a.slice(start, endA);
    const y = b.slice(start, endB);
    if (x.length * y.length > 1_000_000) return [...x.map((l) => `- ${l}`), ...y.map((l) => `+ ${l}`)];
    const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
    for (let i = x.length - 1; i >= 0; i--) {
        for (let j = y.length - 1; j >= 0; j--) {
            lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
        }
    }
    const ops: string[] = [];
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
        if (i < x.length && j < y.length && x[i] === y[j]) {
            i++;
            j++;
        } else if (i < x.length && (j === y.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
            // Removals before additions, as unified diffs show a replaced line.
            ops.push(`- ${x[i++]}`);
        } else {
            ops.push(`+ ${y[j++]}`);
        }
    }
    return ops;
}

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `a.b`, or `a["io.cilium/x"]` for keys that are not plain names; inside an embedded document `… › (JSON) a`. */
export function joinKey(path: string, key: string): string {
    if (path.endsWith(")") && / › \((JSON|YAML)\)$/.test(path)) return `${path} ${/^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`}`;
    if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path ? `${path}.${key}` : key;
    return `${path}[${JSON.stringify(key)}]`;
}

/** Structural equality of plan values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
    return a === b || canonical(a) === canonical(b);
}

/** JSON with sorted keys: equal values give equal text. */
export function canonical(value: unknown): string {
    return JSON.stringify(sortKeys(value)) ?? "undefined";
}

/** A copy with object keys sorted at every level. */
export function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (isPlainObject(value)) {
        return Object.fromEntries(
            Object.keys(value)
                .sort(compareText)
                .map((key) => [key, sortKeys(value[key])]),
        );
    }
    return value;
}

/** Code-unit order, independent of locale: the order of sorted plan keys. */
export function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** The union of two sets of strings, sorted. */
export function sortedUnion(a: Iterable<string>, b: Iterable<string>): string[] {
    return [...new Set([...a, ...b])].sort(compareText);
}
