/**
 * Parsing the stack config: the schema's field checks, the plaintext-secret check, then the cross-field rules —
 * one entry point, so the offline plan, `pulumi up` and the tests reject the same inputs.
 */
import { crossFieldIssues } from "./rules";
import { SECRET_KEYS, stackConfigSchema, StackConfig } from "./schema";
import { ConfigError, ConfigIssue, formatPath, secretCommand, toConfigIssues } from "./config-error";
import { CREDENTIAL_PATH_HINT } from "./shape/fields";
import { pastedCredentialKind } from "../lib/user-input";

/**
 * Every string value and map key outside the secret keys that holds a pasted credential (a PEM key, a YAML or JSON
 * kubeconfig, a token), wherever it is: no plain setting has that form, and a plain value may reach the plan, a
 * resource name or a message. One structural check instead of one per field, so a new free-text field is covered too.
 */
export function pastedCredentialIssues(raw: unknown): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const visit = (value: unknown, path: PropertyKey[]): void => {
        if (typeof value === "string") {
            const kind = pastedCredentialKind(value);
            if (kind) issues.push({ path: formatPath(path) || "(root)", message: pastedMessage(kind) });
        } else if (Array.isArray(value)) {
            value.forEach((item, i) => visit(item, [...path, i]));
        } else if (value !== null && typeof value === "object") {
            for (const [key, item] of Object.entries(value)) {
                if (path.length === 0 && (SECRET_KEYS as readonly string[]).includes(key)) continue;
                const kind = pastedCredentialKind(key);
                if (kind) issues.push({ path: formatPath(path) || "(root)", message: `has a key that looks like ${kind} (not shown); ${PASTE_FIX}` });
                else visit(item, [...path, key]);
            }
        }
    };
    visit(raw, []);
    return issues;
}

const PASTE_FIX = "credentials go only in the secrets kubeloom:sshPrivateKey and kubeloom:sourceKubeconfigs.<cluster> (`pulumi config set --secret ...`) or in a file a *Path / path key names";

function pastedMessage(kind: string): string {
    return `looks like ${kind} pasted into a plain setting (not shown); ${PASTE_FIX}`;
}

/**
 * Parses the raw `kubeloom:*` values (JSON already decoded) into a typed config, or throws a ConfigError listing
 * every problem with its key path. Cross-field rules (uniqueness, overlaps, mesh) run only on a config whose
 * fields are individually valid, so their messages never have to guess at types.
 */
export function parseStackConfig(raw: unknown, options: { stackName?: string; secretKeys?: readonly string[] } = {}): StackConfig {
    const result = stackConfigSchema.safeParse(raw);
    const fieldIssues = result.success ? [] : toConfigIssues(result.error, raw);
    // A pasted credential is reported once: by a field's own rule when it already says so (a credential path's
    // hint names the secret to set instead), else by the structural check.
    const explained = new Set(fieldIssues.filter((i) => i.message.includes(CREDENTIAL_PATH_HINT)).map((i) => i.path));
    const pasted = pastedCredentialIssues(raw).filter((i) => !explained.has(i.path));
    const pastedPaths = new Set(pasted.map((i) => i.path));
    const issues: ConfigIssue[] = [...pasted, ...fieldIssues.filter((i) => !pastedPaths.has(i.path))];
    if (options.secretKeys && raw && typeof raw === "object") {
        for (const key of SECRET_KEYS) {
            if ((raw as Record<string, unknown>)[key] !== undefined && !options.secretKeys.includes(key)) {
                issues.push({
                    path: key,
                    message: `is set in plaintext; it must be a secret: run ${secretCommand(key, raw as Record<string, unknown>)} (and remove the plain value from the stack file)`,
                });
            }
        }
    }
    if (issues.length === 0 && result.success) {
        issues.push(...crossFieldIssues(result.data));
    }
    if (issues.length > 0) {
        throw new ConfigError(issues);
    }
    return result.data as StackConfig;
}
