/**
 * Rendered manifests as objects: multi-document YAML parsed, Secret values redacted, sorted deterministically.
 */
import { parseAllDocuments } from "yaml";
import { SECRET_PLACEHOLDER } from "../../../lib/placeholders";

/** A Kubernetes object as rendered (only the fields every object has are typed). */
export interface KubeObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
    readonly [key: string]: unknown;
}

/** Parses `helm template` output (multi-doc YAML) into objects; empty documents are dropped. */
export function parseManifests(text: string): KubeObject[] {
    const objects: KubeObject[] = [];
    for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0].message}`);
        const value = doc.toJS() as unknown;
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
