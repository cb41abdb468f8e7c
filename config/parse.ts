/**
 * Parsing the stack config: the schema's field checks, the plaintext-secret check, then the cross-field rules —
 * one entry point, so the offline plan, `pulumi up` and the tests reject the same inputs.
 */
import { crossFieldIssues } from "./rules";
import { SECRET_KEYS, stackConfigSchema, StackConfig } from "./schema";
import { ConfigError, ConfigIssue, secretCommand, toConfigIssues } from "./config-error";

/**
 * Parses the raw `kubeloom:*` values (JSON already decoded) into a typed config, or throws a ConfigError listing
 * every problem with its key path. Cross-field rules (uniqueness, overlaps, mesh) run only on a config whose
 * fields are individually valid, so their messages never have to guess at types.
 */
export function parseStackConfig(raw: unknown, options: { stackName?: string; secretKeys?: readonly string[] } = {}): StackConfig {
    const result = stackConfigSchema.safeParse(raw);
    const issues: ConfigIssue[] = [];
    if (!result.success) {
        issues.push(...toConfigIssues(result.error, raw));
    }
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
