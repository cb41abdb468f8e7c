/**
 * Pure helpers for Helm values: deterministic key order and a deep merge with Helm-like semantics. Both return
 * fresh copies so a caller can never change a builder's output (or its inputs) by mutating the other.
 */

/** A JSON-like plain object (not an array, not a class instance such as a Pulumi Output). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
}

/**
 * Returns a copy of `value` with the keys of every plain object sorted (code-unit order), recursively; arrays keep
 * their order (it is meaningful in Helm values, e.g. tolerations). Class instances are returned as they are.
 * Sorted keys make the serialised values, the plan and the Pulumi diff byte-identical for the same input.
 */
export function sortKeysDeep<T>(value: T): T {
    if (Array.isArray(value)) {
        return value.map((item) => sortKeysDeep(item)) as unknown as T;
    }
    if (isPlainObject(value)) {
        const sorted: Record<string, unknown> = {};
        for (const key of Object.keys(value).sort()) {
            sorted[key] = sortKeysDeep(value[key]);
        }
        return sorted as T;
    }
    return value;
}

/**
 * Merges `override` over `base` the way Helm coalesces a values file over chart defaults: plain objects merge
 * recursively, anything else (arrays, scalars, null) in `override` replaces what `base` has. A key whose override
 * value is `undefined` is treated as not set, so an optional field left undefined never wipes a base value
 * (`null` does replace it, which is how Helm deletes a default). Neither input is mutated and the result shares
 * no objects or arrays with them.
 */
export function deepMerge(base: Readonly<Record<string, unknown>>, override: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const merged: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(base)) {
        if (value !== undefined) merged[key] = cloneData(value);
    }
    for (const [key, value] of Object.entries(override)) {
        if (value === undefined) continue;
        const current = merged[key];
        merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : cloneData(value);
    }
    return merged;
}

/** Deep copy of plain objects and arrays; other values (scalars, class instances) are kept as they are. */
function cloneData<T>(value: T): T {
    if (Array.isArray(value)) return value.map((item) => cloneData(item)) as unknown as T;
    if (isPlainObject(value)) {
        const copy: Record<string, unknown> = {};
        for (const [key, item] of Object.entries(value)) copy[key] = cloneData(item);
        return copy as T;
    }
    return value;
}
