/**
 * Rendered manifests as objects: multi-document YAML parsed, Secret values redacted, sorted deterministically.
 */
import { CORE_SCHEMA, loadAll } from "js-yaml";
import { SECRET_PLACEHOLDER } from "../../../lib/placeholders";

/** A Kubernetes object as rendered (only the fields every object has are typed). */
export interface KubeObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
    readonly [key: string]: unknown;
}

/**
 * Parses `helm template` output (multi-doc YAML) into objects; empty documents are dropped. js-yaml with its core
 * schema (YAML 1.2 core types, no timestamps or merge keys, duplicate keys an error): for Helm's output it gives the
 * same objects as the `yaml` package, several times faster — Cilium's 77 KB manifest is most of a cold render's
 * parsing time (bench/results.md).
 */
export function parseManifests(text: string): KubeObject[] {
    const objects: KubeObject[] = [];
    let documents: unknown[];
    try {
        documents = loadAll(text, undefined, { schema: CORE_SCHEMA });
    } catch (error) {
        throw new Error(`rendered YAML does not parse: ${(error as Error).message.split("\n")[0]}`);
    }
    for (const value of documents) {
        if (value === null || value === undefined) continue;
        if (typeof value !== "object" || Array.isArray(value)) throw new Error("rendered document is not a mapping");
        objects.push(value as KubeObject);
    }
    return objects;
}

/** Replaces every value of a Secret's `data` and `stringData` with "[secret]" (keys stay: they are the contract). */
export function redactSecrets(objects: readonly KubeObject[]): KubeObject[] {
    return objects.map((object) => {
        if (object.kind !== "Secret" || object.apiVersion !== "v1") return object;
        const redacted: Record<string, unknown> = { ...object };
        for (const field of ["data", "stringData"]) {
            const map = object[field];
            if (map && typeof map === "object") {
                redacted[field] = Object.fromEntries(Object.keys(map as object).map((k) => [k, SECRET_PLACEHOLDER]));
            }
        }
        return redacted as KubeObject;
    });
}

/** Sort key: apiVersion, kind, namespace, name. */
export function objectKey(object: KubeObject): string {
    return [object.apiVersion, object.kind, object.metadata?.namespace ?? "", object.metadata?.name ?? ""].join("|");
}

/** Objects sorted by apiVersion, kind, namespace, name (stable for equal keys). */
export function sortObjects(objects: readonly KubeObject[]): KubeObject[] {
    return [...objects].sort((a, b) => (objectKey(a) < objectKey(b) ? -1 : objectKey(a) > objectKey(b) ? 1 : 0));
}
