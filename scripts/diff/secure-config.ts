/**
 * Secret config rotation, seen offline: the `secure:` ciphertexts of two versions of a stack file compared per
 * config key path. Only key paths and statuses leave this module. Pure.
 */
import { createHash } from "crypto";
import { parse } from "yaml";
import { isPlainObject, joinKey, sortedUnion } from "./value-diff";

/** Status of one `secure:` config value, compared by ciphertext. */
export interface SecretConfigChange {
    /** Config key path, `kubeloom:sshPrivateKey` or `kubeloom:sourceKubeconfigs.dev`. */
    readonly key: string;
    readonly status: "added" | "removed" | "changed" | "unchanged";
}

/**
 * Compares the `secure:` values of two stack files per config key path. Offline nothing can be decrypted, so a
 * changed ciphertext is what "changed" means: re-encrypting the same value (`pulumi config set --secret` again,
 * `pulumi stack change-secrets-provider`) also counts. Only key paths and statuses leave this function; the
 * ciphertexts and their digests stay inside it. A missing file (null) has no secrets.
 */
export function compareSecureConfig(baseText: string | null, headText: string | null, project: string): SecretConfigChange[] {
    const before = secureDigests(baseText, project);
    const after = secureDigests(headText, project);
    return sortedUnion(before.keys(), after.keys()).map((key): SecretConfigChange => {
        const a = before.get(key);
        const b = after.get(key);
        if (a === undefined) return { key, status: "added" };
        if (b === undefined) return { key, status: "removed" };
        return { key, status: a === b ? "unchanged" : "changed" };
    });
}

function secureDigests(text: string | null, project: string): Map<string, string> {
    const digests = new Map<string, string>();
    if (text === null) return digests;
    const doc = parse(text) as { config?: Record<string, unknown> } | null;
    const walk = (value: unknown, path: string) => {
        if (isPlainObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string") {
            digests.set(path, createHash("sha256").update(value.secure).digest("hex"));
        } else if (Array.isArray(value)) {
            value.forEach((item, i) => walk(item, `${path}[${i}]`));
        } else if (isPlainObject(value)) {
            for (const [key, item] of Object.entries(value)) walk(item, joinKey(path, key));
        }
    };
    for (const [rawKey, value] of Object.entries(doc?.config ?? {})) {
        // Keys without a namespace belong to the project, as the Pulumi CLI reads them.
        walk(value, rawKey.includes(":") ? rawKey : `${project}:${rawKey}`);
    }
    return digests;
}
