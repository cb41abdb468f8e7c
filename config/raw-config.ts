/**
 * Decoding the raw Pulumi config: the flat `kubeloom:*` map (structured values as JSON text) into one object
 * for `parseStackConfig`.
 */

/**
 * Collects the `kubeloom:*` keys from a flat Pulumi config map (as `pulumi.runtime.allConfig()` returns it:
 * structured values as JSON text) into one object for `parseStackConfig`.
 */
export function rawConfigFromPulumi(all: Readonly<Record<string, string>>): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const key of Object.keys(all).sort()) {
        if (!key.startsWith("kubeloom:")) continue;
        const name = key.slice("kubeloom:".length);
        raw[name] = decodeConfigValue(all[key]);
    }
    return raw;
}

/** Structured config arrives as JSON text, scalars as plain strings. */
function decodeConfigValue(text: string): unknown {
    const trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed === "true" || trimmed === "false" || /^-?\d+$/.test(trimmed)) {
        try {
            return JSON.parse(trimmed);
        } catch {
            return text;
        }
    }
    return text;
}
