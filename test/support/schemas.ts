/**
 * Checks for generated Helm values: validators against the upstream chart schemas in ../shared/schemas (exact
 * copies at the pinned versions; see that directory's README for how each one compiles with ajv), a key walk for
 * the cilium schema, which cannot reject unknown keys, and a sorted-keys assertion.
 */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as path from "path";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import { sharedDir } from "../../lib/project";

/** Directory holding the upstream schemas; KUBELOOM_SCHEMAS_DIR overrides it (CI, other checkouts). */
export const schemasDir = process.env.KUBELOOM_SCHEMAS_DIR ?? path.join(sharedDir(), "schemas");

/** File names of the schemas at the versions Kubeloom pins. */
export const CILIUM_SCHEMA_FILE = "cilium-1.16.19.values.schema.json";
export const VCLUSTER_SCHEMA_FILE = "vcluster-0.20.6.values.schema.json";

type JsonSchema = { properties?: Record<string, JsonSchema>; [key: string]: unknown };

function readSchema(file: string): JsonSchema {
    return JSON.parse(fs.readFileSync(path.join(schemasDir, file), "utf8")) as JsonSchema;
}

let ciliumSchema: JsonSchema | undefined;
let ciliumValidator: ValidateFunction | undefined;
let vclusterValidator: ValidateFunction | undefined;

function cilium(): { schema: JsonSchema; validate: ValidateFunction } {
    ciliumSchema ??= readSchema(CILIUM_SCHEMA_FILE);
    // Draft-07 with union types like ["string", "integer"]: strict mode would reject the schema itself.
    ciliumValidator ??= new Ajv({ strict: false, allErrors: true }).compile(ciliumSchema);
    return { schema: ciliumSchema, validate: ciliumValidator };
}

/** Schema errors of Cilium 1.16.19 values (empty when valid). Types only: this schema has no additionalProperties. */
export function validateCiliumValues(values: unknown): ErrorObject[] {
    const { validate } = cilium();
    return validate(values) ? [] : [...(validate.errors ?? [])];
}

/** Schema errors of vcluster 0.20.6 values (empty when valid); unknown keys are errors, as in Helm. */
export function validateVClusterValues(values: unknown): ErrorObject[] {
    // JSON Schema 2020-12 with a custom "pro" keyword, hence the 2020 build and strict: false.
    vclusterValidator ??= new Ajv2020({ strict: false, allErrors: true }).compile(readSchema(VCLUSTER_SCHEMA_FILE));
    return vclusterValidator(values) ? [] : [...(vclusterValidator.errors ?? [])];
}

/**
 * Key paths the cilium schema does not list although the 1.16.19 templates read them; the schema is generated from
 * values.yaml, so a key that is only a comment there is missing from it:
 * - `kubeProxyReplacement`: only `#kubeProxyReplacement: "false"` in values.yaml; read by tpl/cilium-configmap.yaml
 *   (chart-facts.md §1.1, §5.1);
 * - `cni.configMap`: commented out in values.yaml (example `cni-configuration`); read by tpl/cilium-configmap.yaml
 *   (`read-cni-conf`) and tpl/cilium-agent/daemonset.yaml (the mount) — chart-facts.md §1.2. The generic-veth guide
 *   (Documentation/installation/cni-chaining-generic-veth.rst) sets it.
 */
export const CILIUM_KNOWN_UNSCHEMATIZED_KEYS: readonly string[] = ["kubeProxyReplacement", "cni.configMap"];

/**
 * Free-form maps: the schema (generated from values.yaml) lists only their default entries, such as
 * `nodeSelector: { "kubernetes.io/os": ... }`, so keys inside them are user data, not chart keys.
 */
const FREE_FORM_MAPS: ReadonlySet<string> = new Set(["nodeSelector", "annotations", "podAnnotations", "podLabels", "labels", "commonLabels", "extraConfig", "matchLabels"]);

/**
 * Dotted paths in `values` that do not exist in the cilium schema's `properties` tree. The schema has no
 * `additionalProperties: false`, so ajv passes a misspelled key silently; this walk catches it. Arrays are not
 * walked (their item schemas are inferred from default entries), nor are free-form maps.
 */
export function ciliumUnknownKeyPaths(values: unknown): string[] {
    const { schema } = cilium();
    const unknown: string[] = [];
    const walk = (value: unknown, node: JsonSchema, prefix: string) => {
        if (value === null || typeof value !== "object" || Array.isArray(value) || !node.properties) return;
        for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
            const keyPath = prefix ? `${prefix}.${key}` : key;
            const childSchema = node.properties[key];
            if (!childSchema) {
                if (!CILIUM_KNOWN_UNSCHEMATIZED_KEYS.includes(keyPath)) unknown.push(keyPath);
                continue;
            }
            if (!FREE_FORM_MAPS.has(key)) walk(child, childSchema, keyPath);
        }
    };
    walk(values, schema, "");
    return unknown;
}

/** Readable one-line summary of ajv errors for assertion messages. */
export function formatSchemaErrors(errors: readonly ErrorObject[]): string {
    return errors.map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`).join("; ");
}

/** Asserts that every object in `value` lists its keys in sorted order (deterministic serialisation). */
export function assertKeysSorted(value: unknown, where = "(root)"): void {
    if (Array.isArray(value)) {
        value.forEach((item, i) => assertKeysSorted(item, `${where}[${i}]`));
        return;
    }
    if (value !== null && typeof value === "object") {
        const keys = Object.keys(value);
        assert.deepEqual(keys, [...keys].sort(), `keys of ${where} are not sorted`);
        for (const key of keys) assertKeysSorted((value as Record<string, unknown>)[key], `${where}.${key}`);
    }
}
