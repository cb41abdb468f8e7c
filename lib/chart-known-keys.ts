/**
 * Keys a chart knows besides the ones its parsed values.yaml and values.schema.json list: those its values.yaml
 * documents in comments and those its templates read. Both count as known to the values check (lib/chart-values.ts),
 * so a real key is never refused as a typo.
 *
 * The commented-out examples of a chart's values.yaml (`# podAnnotations:` / `#   foo: bar` under a key), as values
 * maps placed at the key they are written under. Charts document many keys their templates read only this way:
 * Cilium's values.yaml has `# policyAuditMode: false`, `# loadBalancer: algorithm: maglev`, `# nodeLabels:` and
 * dozens more that neither the parsed values.yaml nor values.schema.json (generated from it) lists. The values
 * check counts them as known keys, so a documented key is never refused as a typo.
 */
import { parse } from "yaml";
import { deepMerge, isPlainObject } from "./values-util";

/** One example: the values it amounts to, and the line it starts on. */
export interface ValuesExample {
    readonly line: number;
    readonly values: Record<string, unknown>;
}

const KEY_LINE = /^(\s*)("[^"]+"|'[^']+'|[A-Za-z0-9_.\/-]+):(\s|$)/;
/** Prose that happens to parse as `word: text` (references, notes), not an example of values. */
const PROSE_KEYS = /^(ref|refs|see|note|example|examples|default|warning|e\.g|i\.e|deprecated|format|type|description|link|docs?|https?|more info|values|options?)$/i;

function nest(path: readonly string[], value: Record<string, unknown>): Record<string, unknown> {
    return path.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), value);
}

/** The commented examples of values.yaml `text`, in file order. */
export function commentedValuesExamples(text: string): ValuesExample[] {
    const lines = text.split("\n");
    const stack: Array<{ indent: number; key: string }> = [];
    const examples: ValuesExample[] = [];
    let i = 0;
    while (i < lines.length) {
        const line = lines[i];
        const comment = /^(\s*)#(.*)$/.exec(line);
        if (!comment) {
            const key = KEY_LINE.exec(line);
            if (key && !line.trimStart().startsWith("-")) {
                const indent = key[1].length;
                while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop();
                stack.push({ indent, key: key[2].replace(/^["']|["']$/g, "") });
            }
            i++;
            continue;
        }
        // A block of comment lines at one '#' column.
        const column = comment[1].length;
        const start = i;
        const body: string[] = [];
        while (i < lines.length) {
            const c = /^(\s*)#(.*)$/.exec(lines[i]);
            if (!c || c[1].length !== column) break;
            body.push(c[2].startsWith(" ") ? c[2].slice(1) : c[2]);
            i++;
        }
        // Examples start at a key line; leading prose ("-- Enable ...") is dropped.
        const first = body.findIndex((b) => KEY_LINE.test(b) && !/^\s/.test(b));
        if (first < 0) continue;
        const snippet = body.slice(first);
        let parsed: unknown;
        try {
            parsed = parse(snippet.join("\n"));
        } catch {
            continue;
        }
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) continue;
        const keys = Object.keys(parsed);
        if (keys.length === 0 || keys.some((k) => !/^[a-z][A-Za-z0-9]*$/.test(k) || PROSE_KEYS.test(k))) continue;
        const parents = stack.filter((s) => s.indent < column).map((s) => s.key);
        examples.push({ line: start + 1, values: nest(parents, parsed as Record<string, unknown>) });
    }
    return examples;
}

/** Every example of values.yaml `text`, merged into one map of documented keys. */
export function documentedValues(text: string): Record<string, unknown> {
    return commentedValuesExamples(text).reduce<Record<string, unknown>>((all, example) => deepMerge(all, example.values), {});
}

/**
 * The keys templates read directly (`.Values.a.b.c`, `$.Values.a.b`), as a map with every read path present. Cilium's
 * templates read keys its values.yaml never mentions (`l2announcements.leaseDuration`, `prometheus.serviceMonitor.namespace`,
 * the removed `tunnel`, read only to fail with a migration message); the user may set them.
 */
export function templateReadValues(templatesText: string): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const match of templatesText.matchAll(/(?<![A-Za-z0-9_])\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        // `.Values.AsMap` is Helm's method on the values object, not a key.
        const parts = match[1].slice(1).split(".").filter((part, i) => !(i === 0 && part === "AsMap"));
        let node = values;
        parts.forEach((part, i) => {
            const next = node[part];
            if (i === parts.length - 1) {
                if (next === undefined) node[part] = true;
            } else {
                if (next === null || typeof next !== "object") node[part] = {};
                node = node[part] as Record<string, unknown>;
            }
        });
    }
    return values;
}

/** Every key a chart knows beyond its parsed values.yaml and schema: documented in comments or read by templates. */
export function knownChartKeys(valuesYaml: string, templatesText: string): Record<string, unknown> {
    return mergeKnown(documentedValues(valuesYaml), templateReadValues(templatesText)) as Record<string, unknown>;
}

/** Merges two maps of known keys: a map always wins over a leaf (a template reading `.Values.x` whole says nothing of x's keys). */
function mergeKnown(a: unknown, b: unknown): unknown {
    if (isPlainObject(a) && isPlainObject(b)) {
        const merged: Record<string, unknown> = { ...a };
        for (const [key, value] of Object.entries(b)) merged[key] = key in merged ? mergeKnown(merged[key], value) : value;
        return merged;
    }
    return isPlainObject(a) ? a : isPlainObject(b) ? b : a;
}
