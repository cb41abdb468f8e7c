/**
 * Checks for generated Helm values: validators against each chart release's own `values.schema.json`, read from
 * inside the locked chart archive (test/support/artifacts.ts; the test skips when the chart is not obtainable),
 * chosen by the `version` argument, default the default version; a key walk for the cilium schema, which cannot
 * reject unknown keys, and a sorted-keys assertion. How each schema compiles with ajv is noted where it is compiled.
 */
import { strict as assert } from "node:assert";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import { needChartFile } from "./artifacts";
import { DEFAULT_VERSIONS } from "../../components/versions";
import { compareVersions } from "../../components/support-matrix";

/** A chart whose values Kubeloom renders. */
export type ValuesChart = "cilium" | "vcluster" | "metallb";

type JsonSchema = { properties?: Record<string, JsonSchema>; [key: string]: unknown };

/** A chart release's own values schema (`values.schema.json` inside the chart; every support-matrix release has one). */
export function chartValuesSchema(chart: ValuesChart, version: string): JsonSchema {
    return JSON.parse(needChartFile(chart, version.replace(/^v/, ""), "values.schema.json").toString("utf8")) as JsonSchema;
}

const ciliumSchemas = new Map<string, { schema: JsonSchema; validate: ValidateFunction }>();
const vclusterValidators = new Map<string, ValidateFunction>();
const metallbValidators = new Map<string, ValidateFunction>();

function cilium(version: string): { schema: JsonSchema; validate: ValidateFunction } {
    let loaded = ciliumSchemas.get(version);
    if (!loaded) {
        const schema = chartValuesSchema("cilium", version);
        // Draft-07 with union types like ["string", "integer"]: strict mode would reject the schema itself.
        loaded = { schema, validate: new Ajv({ strict: false, allErrors: true }).compile(schema) };
        ciliumSchemas.set(version, loaded);
    }
    return loaded;
}

/** Schema errors of Cilium values at `version` (empty when valid). Types only: these schemas have no additionalProperties. */
export function validateCiliumValues(values: unknown, version: string = DEFAULT_VERSIONS.cilium): ErrorObject[] {
    const { validate } = cilium(version);
    return validate(values) ? [] : [...(validate.errors ?? [])];
}

/** Schema errors of vcluster values at `version` (empty when valid); unknown keys are errors, as in Helm. */
export function validateVClusterValues(values: unknown, version: string = DEFAULT_VERSIONS.vcluster): ErrorObject[] {
    let validate = vclusterValidators.get(version);
    if (!validate) {
        // JSON Schema 2020-12 with a custom "pro" keyword, hence the 2020 build and strict: false.
        validate = new Ajv2020({ strict: false, allErrors: true }).compile(chartValuesSchema("vcluster", version));
        vclusterValidators.set(version, validate);
    }
    return validate(values) ? [] : [...(validate.errors ?? [])];
}

/**
 * Schema errors of MetalLB values at `version`. The schema has top-level `required: [controller, speaker]`, so
 * pass the merged values (chart defaults + overrides), as Helm validates them; its `$schema` is the https draft-07
 * id ajv does not know, hence validateSchema: false.
 */
export function validateMetallbValues(mergedValues: unknown, version: string = DEFAULT_VERSIONS.metallb): ErrorObject[] {
    let validate = metallbValidators.get(version);
    if (!validate) {
        validate = new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(chartValuesSchema("metallb", version));
        metallbValidators.set(version, validate);
    }
    return validate(mergedValues) ? [] : [...(validate.errors ?? [])];
}

/**
 * Key paths the 1.16 and 1.17 cilium schemas do not list although their templates read them; the schema is
 * generated from values.yaml, so a key that is only a comment there is missing from it. From 1.18 both are in the
 * schema (read in each chart archive's values.schema.json), so the list applies only below 1.18:
 * - `kubeProxyReplacement`: only `#kubeProxyReplacement: "false"` in values.yaml; read by tpl/cilium-configmap.yaml
 *   (chart-facts.md §1.1, §5.1);
 * - `cni.configMap`: commented out in values.yaml (example `cni-configuration`); read by tpl/cilium-configmap.yaml
 *   (`read-cni-conf`) and tpl/cilium-agent/daemonset.yaml (the mount) — chart-facts.md §1.2. The generic-veth guide
 *   (Documentation/installation/cni-chaining-generic-veth.rst) sets it.
 */
export const CILIUM_KNOWN_UNSCHEMATIZED_KEYS: readonly string[] = ["kubeProxyReplacement", "cni.configMap"];

/**
 * `devices`: only `# devices: ""` in values.yaml up to 1.19, so missing from those schemas; templates/cilium-configmap.yaml
 * reads it in every release (`{{- if hasKey .Values "devices" }}`), and 1.20's schema lists it.
 */
export const CILIUM_DEVICES_UNSCHEMATIZED_BEFORE = "1.20.0";

/** The unschematized keys that apply at a Cilium version (none from 1.20; only `devices` in 1.18 and 1.19). */
export function ciliumUnschematizedKeys(version: string): readonly string[] {
    const devices = compareVersions(version, CILIUM_DEVICES_UNSCHEMATIZED_BEFORE) < 0 ? ["devices"] : [];
    return compareVersions(version, "1.18.0") < 0 ? [...CILIUM_KNOWN_UNSCHEMATIZED_KEYS, ...devices] : devices;
}

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
export function ciliumUnknownKeyPaths(values: unknown, version: string = DEFAULT_VERSIONS.cilium): string[] {
    const { schema } = cilium(version);
    const unschematized = ciliumUnschematizedKeys(version);
    const unknown: string[] = [];
    const walk = (value: unknown, node: JsonSchema, prefix: string) => {
        if (value === null || typeof value !== "object" || Array.isArray(value) || !node.properties) return;
        for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
            const keyPath = prefix ? `${prefix}.${key}` : key;
            const childSchema = node.properties[key];
            if (!childSchema) {
                if (!unschematized.includes(keyPath)) unknown.push(keyPath);
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
