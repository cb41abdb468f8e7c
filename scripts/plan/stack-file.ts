/**
 * Reads a `Pulumi.<stack>.yaml` file into the flat config map the Pulumi runtime uses (`kubeloom:key` → string,
 * structured values as JSON text), without the CLI. `secure:` values cannot be decrypted offline: they become the
 * placeholder "[secret]" and their top-level key is listed as secret, as the CLI would list it.
 */
import * as fs from "fs";
import { isMap, isScalar, isSeq, parse, parseDocument, Scalar } from "yaml";
import { ConfigError, ConfigIssue, formatPath, suggestKey } from "../../config/config-error";
import { SECRET_PLACEHOLDER } from "../../lib/placeholders";

/** The flat config of one stack and which of its keys are secret. */
export interface StackFileConfig {
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
}


function isSecure(value: unknown): boolean {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces every nested `{ secure: ... }` with the placeholder; reports whether any was found. */
function replaceSecure(value: unknown): { value: unknown; secret: boolean } {
    if (isSecure(value)) return { value: SECRET_PLACEHOLDER, secret: true };
    if (Array.isArray(value)) {
        const items = value.map(replaceSecure);
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (value !== null && typeof value === "object") {
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const r = replaceSecure(v);
            out[k] = r.value;
            secret = secret || r.secret;
        }
        return { value: out, secret };
    }
    return { value, secret: false };
}

/**
 * Plain scalars whose meaning differs, or depends on the parser version, between YAML 1.1 and YAML 1.2.
 *
 * Assumption (no Pulumi CLI here to check): the CLI reads Pulumi.<stack>.yaml with Go gopkg.in/yaml.v3, which
 * keeps several YAML 1.1 resolutions (a leading-zero `010` is octal 8, `1_000` is 1000, and yaml.v2-era code
 * paths read `yes`/`on` as booleans), while this plan uses the `yaml` npm package with the YAML 1.2 core schema
 * (`010` is 10, `1_000` and `yes` are strings). Rather than guess which one a given CLI version applies, every
 * plain scalar in one of these classes is refused and the user writes the unambiguous form.
 */
const AMBIGUOUS_PLAIN_SCALARS: ReadonlyArray<{ readonly pattern: RegExp; readonly what: string }> = [
    { pattern: /^[-+]?0[0-9_]+(\.[0-9_]*)?$/, what: "a number with a leading zero" },
    { pattern: /^[-+]?0[oxb][0-9a-f_]*$/i, what: "an octal, hexadecimal or binary number" },
    { pattern: /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$/, what: "a sexagesimal (base 60) number" },
    { pattern: /^[-+.]?[0-9][0-9_.]*_[0-9_.]*([eE][-+]?[0-9]+)?$/, what: "a number with underscores" },
    { pattern: /^\+[0-9.]/, what: "a number with a plus sign" },
    { pattern: /^[-+]?(\.[0-9]+|[0-9]+\.)([eE][-+]?[0-9]+)?$/, what: "a number with a leading or trailing dot" },
    { pattern: /^[-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+$/, what: "a number in exponent notation" },
    { pattern: /^(y|n|yes|no|on|off)$/i, what: "a YAML 1.1 boolean" },
    { pattern: /^(~|null|Null|NULL)?$/, what: "a null" },
    { pattern: /^[-+]?\.(inf|nan)$/i, what: "an infinity or NaN" },
    { pattern: /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$/, what: "a timestamp" },
];

/** The reason a plain scalar's text is ambiguous between YAML 1.1 and 1.2, or undefined when it is not. */
export function ambiguousPlainScalar(source: string): string | undefined {
    return AMBIGUOUS_PLAIN_SCALARS.find((c) => c.pattern.test(source))?.what;
}

function yaml11Reading(source: string): string {
    try {
        const value: unknown = parse(source, { version: "1.1" });
        return value instanceof Date ? JSON.stringify(source) : value === null ? "null" : String(value);
    } catch {
        return JSON.stringify(source);
    }
}

/** Every ambiguous plain scalar under `key` (a `kubeloom:*` value node), with the key path and the fix. */
function ambiguousScalarIssues(node: unknown, path: PropertyKey[], issues: ConfigIssue[]): void {
    if (isMap(node)) {
        for (const pair of node.items) {
            const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
            if (pair.value === null) {
                issues.push({ path: formatPath([...path, key]), message: "has no value (an empty value is null in YAML, which the Pulumi CLI and the offline plan read differently); write a value or remove the key" });
                continue;
            }
            ambiguousScalarIssues(pair.value, [...path, key], issues);
        }
    } else if (isSeq(node)) {
        node.items.forEach((item, i) => ambiguousScalarIssues(item, [...path, i], issues));
    } else if (isScalar(node) && node.type === Scalar.PLAIN) {
        const source = (node as Scalar & { source?: string }).source ?? String(node.value);
        const what = ambiguousPlainScalar(source);
        if (source === "") {
            issues.push({ path: formatPath(path), message: "has no value (an empty value is null, which the Pulumi CLI and the offline plan read differently); write a value or remove the key" });
        } else if (what) {
            const v11 = yaml11Reading(source);
            const v12 = node.value === null ? "null" : String(node.value);
            const fix = v11 === JSON.stringify(source) || v11 === "null" ? `write ${JSON.stringify(source)} (quoted)` : `write ${v11} or ${JSON.stringify(source)}`;
            issues.push({
                path: formatPath(path),
                message: `${source} is ${what}, read differently by the Pulumi CLI (YAML 1.1: ${v11}) and the offline plan (YAML 1.2: ${v12}); ${fix}`,
            });
        }
    }
}

/** Parses stack-file text; keys without a namespace belong to `project`. Throws ConfigError on ambiguous scalars. */
export function parseStackFile(text: string, project: string): StackFileConfig {
    const document = parseDocument(text);
    if (document.errors.length > 0) throw document.errors[0];
    const issues: ConfigIssue[] = [];
    const configNode = isMap(document.contents) ? document.contents.get("config", true) : undefined;
    if (isMap(configNode)) {
        for (const pair of configNode.items) {
            const rawKey = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
            const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
            const namespace = key.slice(0, key.indexOf(":"));
            if (namespace !== project && suggestKey(namespace, [project]) === project) {
                issues.push({ path: rawKey, message: `has the namespace "${namespace}:", which this project never reads; write "${project}:${key.slice(namespace.length + 1)}"` });
                continue;
            }
            if (!key.startsWith(`${project}:`)) continue;
            const name = key.slice(project.length + 1);
            if (pair.value === null) {
                issues.push({ path: name, message: "has no value; write a value or remove the key" });
            } else if (name === "sourceKubeconfigs" && isMap(pair.value) && !isSecure(pair.value.toJSON())) {
                // The CLI marks the whole key secret when one entry is; a plaintext entry would deploy unencrypted.
                for (const entry of pair.value.items) {
                    const cluster = isScalar(entry.key) ? String(entry.key.value) : String(entry.key);
                    if (!(isMap(entry.value) && entry.value.has("secure"))) {
                        issues.push({ path: formatPath([name, cluster]), message: `is in plaintext (not shown); store it encrypted: \`pulumi config set --secret --path 'kubeloom:sourceKubeconfigs.${cluster}' "$(cat kubeconfig)"\`` });
                    }
                }
            } else if (!(isMap(pair.value) && pair.value.has("secure"))) {
                ambiguousScalarIssues(pair.value, [name], issues);
            }
        }
    }
    if (issues.length > 0) throw new ConfigError(issues);
    const doc = (document.toJS() ?? {}) as { config?: Record<string, unknown> };
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        throw new Error("the stack file is not a YAML mapping");
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [rawKey, rawValue] of Object.entries(doc.config ?? {})) {
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        const { value, secret } = key === `${project}:sourceKubeconfigs` && isSecure(rawValue) ? wholeSecretKubeconfigMap(doc.config ?? {}, project) : replaceSecure(rawValue);
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
        if (secret) secretKeys.push(key);
    }
    return { config, secretKeys: secretKeys.sort() };
}

/**
 * `sourceKubeconfigs` set as one encrypted value (`pulumi config set --secret kubeloom:sourceKubeconfigs '{"a": ...}'`)
 * rather than per entry: the CLI hands the program the decrypted JSON map, so it works at `up`. Offline its entries
 * cannot be read, so the plan assumes it holds one for every `source.kubeconfig` cluster without a path (`up` checks
 * that), each the secret placeholder, as a per-entry map would give.
 */
function wholeSecretKubeconfigMap(config: Record<string, unknown>, project: string): { value: Record<string, string>; secret: true } {
    const clusters = config[`${project}:clusters`] ?? config.clusters;
    const names = Array.isArray(clusters)
        ? clusters.flatMap((c) => {
              const cluster = c as { name?: unknown; source?: { kubeconfig?: { path?: unknown } } } | null;
              return cluster && typeof cluster.name === "string" && cluster.source?.kubeconfig && cluster.source.kubeconfig.path === undefined ? [cluster.name] : [];
          })
        : [];
    return { value: Object.fromEntries(names.sort().map((name) => [name, SECRET_PLACEHOLDER])), secret: true };
}

/** Reads and parses a stack file from disk. */
export function readStackFile(path: string, project: string): StackFileConfig {
    return parseStackFile(fs.readFileSync(path, "utf8"), project);
}

/**
 * A YAML syntax error of a stack file as a person fixes it: `file:line:col`, the parser's reason, the line before
 * and the line itself with a caret under the column — and for a duplicate key, where the key was first set too
 * (YAML refuses the second; the Pulumi CLI's parser does as well).
 */
export function yamlErrorMessage(file: string, text: string, error: unknown): string {
    const parseError = error as { code?: string; linePos?: Array<{ line: number; col: number }>; message?: string };
    const reason = String(parseError.message ?? error).split(/ at line \d+, column \d+:|\n/)[0];
    const at = parseError.linePos?.[0];
    if (!at) return `${file}: not valid YAML: ${reason}`;
    const lines = text.split("\n");
    const width = String(at.line).length;
    // A line that may carry credential material is not echoed (an error message can end up in a CI log).
    const shown = (line: string) => (/PRIVATE KEY|BEGIN |client-key|token|password|secure:|[A-Za-z0-9+/=]{60,}/i.test(line) ? "(not shown: it may hold a secret)" : line);
    const numbered = (n: number) => `  ${String(n).padStart(width)} | ${shown(lines[n - 1] ?? "")}`;
    const snippet = [...(at.line > 1 ? [numbered(at.line - 1)] : []), numbered(at.line), `  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, at.col - 1))}^`];
    let hint = "";
    if (parseError.code === "DUPLICATE_KEY") {
        // Where a line's key starts: after its indentation and any "- " of list items.
        const keyColumn = (line: string) => /^[\s-]*/.exec(line)![0].replace(/-(?=\s)/g, " ").length;
        const line = lines[at.line - 1] ?? "";
        const column = keyColumn(line);
        const name = /^\s*(?:-\s+)*([^:#]+?)\s*:/.exec(line)?.[1];
        for (let n = at.line - 1; name && n >= 1; n--) {
            const earlier = lines[n - 1];
            if (earlier.trim() === "" || earlier.trimStart().startsWith("#")) continue;
            if (keyColumn(earlier) < column) break;
            if (keyColumn(earlier) > column) continue;
            if (/^\s*(?:-\s+)*([^:#]+?)\s*:/.exec(earlier)?.[1] === name) {
                hint = `\n  ${name} is already set at line ${n}:\n${numbered(n)}\n  keep one of the two`;
                break;
            }
            // The first key of this list item: keys above it belong to another item.
            if (/^\s*-\s/.test(earlier)) break;
        }
    }
    return `${file}:${at.line}:${at.col}: not valid YAML: ${reason}\n${snippet.join("\n")}${hint}`;
}
