/**
 * Config errors: the key-path issue type, the error that carries them, and the formatting of zod's issues into
 * messages that name the key, the value received (never a secret) and what is allowed, with typo hints.
 */
import type { z } from "zod";
import { suggestKey } from "../lib/did-you-mean";
import { looksLikePastedSecret } from "./shape/fields";
import { boundText, quoteInput } from "../lib/user-input";
import { SECRET_KEYS, stackConfigSchema } from "./schema";

/** One validation problem: the key path (`clusters[1].podCidr`) and a message saying what is allowed. */
export interface ConfigIssue {
    readonly path: string;
    readonly message: string;
}

/** Thrown when the stack config is invalid; carries every issue, never a secret value. */
export class ConfigError extends Error {
    constructor(readonly issues: readonly ConfigIssue[]) {
        // Bounded whatever the input: each line cut (values are already quoted short; this is the backstop), and at
        // most MAX_LISTED_ISSUES listed, so a hostile config never produces megabytes of errors.
        const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `  - ${boundText(`${i.path}: ${i.message}`, MAX_ISSUE_CHARS)}`);
        if (issues.length > MAX_LISTED_ISSUES) listed.push(`  ... and ${issues.length - MAX_LISTED_ISSUES} more issues; fix these first`);
        super(`invalid Kubeloom config:\n${listed.join("\n")}`);
        this.name = "ConfigError";
    }
}

/** Issues listed in a ConfigError's message (all are kept in `issues`). */
export const MAX_LISTED_ISSUES = 50;
/** Longest line of a ConfigError's message. */
export const MAX_ISSUE_CHARS = 1000;

/** Longest map key shown in a key path: a label key's prefix and name fit (253 + 1 + 63). */
const KEY_QUOTE_MAX = 320;

/** Formats a zod path as `clusters[1].source.k3s.host`; keys that are not short identifiers are quoted with quoteInput. */
export function formatPath(path: readonly PropertyKey[]): string {
    return path.reduce<string>((text, key) => {
        if (typeof key === "number") {
            return `${text}[${key}]`;
        }
        const name = String(key);
        // Keys that are not plain identifiers (an empty key, "kubeloom.io/cilium") are quoted so the path stays unambiguous.
        if (!/^[A-Za-z_$][\w$-]{0,62}$/.test(name)) {
            return `${text}[${quoteInput(name, KEY_QUOTE_MAX)}]`;
        }
        return text ? `${text}.${name}` : name;
    }, "");
}

// "Did you mean": one implementation (lib/did-you-mean.ts) for config keys and chart values keys alike.
export { suggestKey };

/** The keys a strict object schema accepts at `path` in the stack schema, for typo hints. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
    let schema: unknown = stackConfigSchema;
    for (const key of path) {
        schema = unwrap(schema);
        const def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown } }).def;
        if (!def) return [];
        if (def.type === "object" && def.shape && typeof key === "string") {
            schema = def.shape[key];
        } else if (def.type === "array" && typeof key === "number") {
            schema = def.element;
        } else {
            return [];
        }
    }
    const def = (unwrap(schema) as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
    return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: unknown): unknown {
    let current = schema as { def?: { type?: string; innerType?: unknown; in?: unknown; schema?: unknown } };
    for (let guard = 0; guard < 10 && current?.def; guard++) {
        const def = current.def;
        const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
        if (!inner) break;
        current = inner as typeof current;
    }
    return current;
}

function describeReceived(value: unknown): string {
    if (value === undefined) return "nothing";
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "an object";
    if (typeof value === "string") return `the string ${quoteInput(value)}`;
    return `${typeof value} ${quoteInput(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let current = root as Record<PropertyKey, unknown> | undefined;
    for (const key of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = current[key] as Record<PropertyKey, unknown> | undefined;
    }
    return current;
}

function isSecretPath(path: readonly PropertyKey[]): boolean {
    return typeof path[0] === "string" && (SECRET_KEYS as readonly string[]).includes(path[0]);
}

/** Turns zod issues into key-path issues with a fix, never echoing secret values. */
export function toConfigIssues(error: z.ZodError, raw: unknown): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    for (const issue of error.issues) {
        const where = [...issue.path];
        if (issue.code === "unrecognized_keys") {
            const known = knownKeysAt(where);
            for (const key of issue.keys) {
                const hint = suggestKey(key, known);
                issues.push({
                    path: formatPath([...where, key]),
                    message: `is not a known key${hint ? ` (did you mean ${quoteInput(hint)}?)` : ""}; allowed keys here: ${known.join(", ")}`,
                });
            }
            continue;
        }
        const at = valueAt(raw, where);
        const pasted = typeof at === "string" && looksLikePastedSecret(at);
        const received = isSecretPath(where) || pasted ? "a secret value" : describeReceived(at);
        let message = issue.message;
        if (issue.code === "invalid_type" && where.length === 1 && where[0] === "sourceKubeconfigs" && typeof at === "string") {
            message = `is one secret text, not a map of cluster name → kubeconfig (not shown); set each cluster's: ${secretCommand("sourceKubeconfigs")}, or one JSON map \`pulumi config set --secret kubeloom:sourceKubeconfigs '{"<cluster name>": "<kubeconfig>"}'\``;
        } else if (issue.code === "invalid_type") {
            message = received === "nothing" ? `is required (expected ${issue.expected})` : `must be ${article(issue.expected)}, got ${received}${received.startsWith("number") ? quoteHint(issue.expected, at, where) : ""}`;
        } else if (issue.code === "invalid_value" && "values" in issue) {
            message = `must be one of ${(issue.values as unknown[]).map((v) => quoteInput(v)).join(", ")}, got ${received}`;
        } else if (issue.code === "too_small" || issue.code === "too_big") {
            message = `${issue.message.replace(/^Too (small|big): expected /, "must be ")}, got ${received}`;
        } else {
            const selfContained = issue.code === "custom" && (issue as { params?: { selfContained?: boolean } }).params?.selfContained === true;
            const scalar = !selfContained && ((!pasted && received.startsWith("the string")) || received.startsWith("number") || received.startsWith("boolean"));
            message = `${scalar ? `${received} ` : ""}${message}`;
        }
        issues.push({ path: formatPath(where) || "(root)", message });
    }
    return issues;
}

/**
 * For a number where text is expected — `version: 1.20`, which YAML reads as the number 1.2 — how to write it: quoted.
 * The trailing zero YAML dropped is offered too, since the value as written is gone by now.
 */
function quoteHint(expected: string, value: unknown, where: readonly PropertyKey[]): string {
    if (expected !== "string" || typeof value !== "number" || !Number.isFinite(value)) return "";
    const text = String(value);
    const written = /^\d+\.\d$/.test(text) ? [text, `${text}0`] : [text];
    const key = typeof where[where.length - 1] === "string" ? `${String(where[where.length - 1])}: ` : "";
    return ` (YAML reads an unquoted ${written.join(" or ")} as a number); quote it: ${written.map((w) => `${key}"${w}"`).join(" or ")}`;
}

function article(expected: string): string {
    return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The exact command that stores secret `key` (per entry for the kubeconfig map). */
export function secretCommand(key: string, raw: Record<string, unknown> = {}): string {
    if (key === "sourceKubeconfigs") {
        const names = Object.keys((raw.sourceKubeconfigs as Record<string, unknown>) ?? {});
        return (names.length ? names : ["<cluster name>"]).map((n) => `\`pulumi config set --secret --path 'kubeloom:sourceKubeconfigs.${n}' "$(cat kubeconfig)"\``).join(", ");
    }
    if (key === "etcdS3Keys") return "`pulumi config set --secret --path 'kubeloom:etcdS3Keys.<cluster name>.accessKey' <key id>` and `… .secretKey` with the secret key";
    if (key === "registryPasswords") return "`pulumi config set --secret --path 'kubeloom:registryPasswords.<cluster name>.<registry host>' <password>`";
    return "`pulumi config set --secret kubeloom:sshPrivateKey < ~/.ssh/id_ed25519`";
}
