/**
 * Reads a `Pulumi.<stack>.yaml` file into the flat config map the Pulumi runtime uses (`kubeloom:key` → string,
 * structured values as JSON text), without the CLI. `secure:` values cannot be decrypted offline: they become the
 * placeholder "[secret]" and their top-level key is listed as secret, as the CLI would list it.
 */
import * as fs from "fs";
import { parse } from "yaml";

/** The flat config of one stack and which of its keys are secret. */
export interface StackFileConfig {
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
}

/** Placeholder for a `secure:` value that cannot be decrypted offline. */
export const SECURE_PLACEHOLDER = "[secret]";

function isSecure(value: unknown): boolean {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces every nested `{ secure: ... }` with the placeholder; reports whether any was found. */
function replaceSecure(value: unknown): { value: unknown; secret: boolean } {
    if (isSecure(value)) return { value: SECURE_PLACEHOLDER, secret: true };
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

/** Parses stack-file text; keys without a namespace belong to `project`. */
export function parseStackFile(text: string, project: string): StackFileConfig {
    const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        throw new Error("the stack file is not a YAML mapping");
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [rawKey, rawValue] of Object.entries(doc.config ?? {})) {
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        const { value, secret } = replaceSecure(rawValue);
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
        if (secret) secretKeys.push(key);
    }
    return { config, secretKeys: secretKeys.sort() };
}

/** Reads and parses a stack file from disk. */
export function readStackFile(path: string, project: string): StackFileConfig {
    return parseStackFile(fs.readFileSync(path, "utf8"), project);
}
