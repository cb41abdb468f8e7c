/**
 * Validates custom resources against the upstream CRDs in ../shared/schemas: the version's openAPIV3Schema,
 * compiled with ajv the way that directory's README describes (structural schemas, unknown formats such as
 * `cidr` or `int64` ignored).
 */
import * as fs from "fs";
import * as path from "path";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { parse } from "yaml";
import { schemasDir } from "./schemas";

/** CRD files at the versions Kubeloom pins. */
export const CRD_FILES = {
    ciliumNetworkPolicy: "cilium-1.16.19.ciliumnetworkpolicies.crd.yaml",
    ipAddressPool: "metallb-0.14.9.ipaddresspools.crd.yaml",
    l2Advertisement: "metallb-0.14.9.l2advertisements.crd.yaml",
} as const;

/** Cilium CRD copies in ../shared/schemas, per Cilium minor (the newest patch copied of each). */
const CILIUM_CRD_PATCH: Readonly<Record<string, string>> = { "1.16": "1.16.19", "1.17": "1.17.14", "1.18": "1.18.10", "1.19": "1.19.4" };

/** The CRD file of a Cilium custom resource for a stack's Cilium version (`1.16.19` → the 1.16.19 copy). */
export function ciliumCrdFile(crd: "ciliumnetworkpolicies" | "ciliumloadbalancerippools" | "ciliuml2announcementpolicies", ciliumVersion: string): string {
    const minor = /^v?(\d+\.\d+)\./.exec(ciliumVersion)?.[1] ?? "";
    const patch = CILIUM_CRD_PATCH[minor];
    if (!patch) throw new Error(`no Cilium ${crd} CRD copy for ${ciliumVersion} in ../shared/schemas (have ${Object.values(CILIUM_CRD_PATCH).join(", ")})`);
    return `cilium-${patch}.${crd}.crd.yaml`;
}

interface CrdDocument {
    spec: { group: string; names: { kind: string }; versions: Array<{ name: string; schema?: { openAPIV3Schema?: object } }> };
}

const validators = new Map<string, { crd: CrdDocument; validate: ValidateFunction }>();

/**
 * The CNP CRDs from 1.18 carry `pattern: ^\PC*$` (Go RE2: no control/format/unassigned character), which a
 * JavaScript `u` regexp only accepts braced; rewritten in memory to the same meaning (../shared/schemas/README.md).
 */
function withJsPatterns(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(withJsPatterns);
    if (schema === null || typeof schema !== "object") return schema;
    return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === "pattern" && typeof value === "string" ? value.replace(/\\PC/g, "\\P{C}") : withJsPatterns(value)]));
}

function load(file: string, version: string): { crd: CrdDocument; validate: ValidateFunction } {
    const key = `${file}@${version}`;
    let loaded = validators.get(key);
    if (!loaded) {
        const crd = parse(fs.readFileSync(path.join(schemasDir, file), "utf8")) as CrdDocument;
        const schema = crd.spec.versions.find((v) => v.name === version)?.schema?.openAPIV3Schema;
        if (!schema) throw new Error(`${file} has no version ${version}`);
        loaded = { crd, validate: new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(withJsPatterns(schema) as object) };
        validators.set(key, loaded);
    }
    return loaded;
}

/**
 * Schema errors of `object` against the CRD in `file` at its apiVersion's version (empty when valid). Also reports,
 * as errors, an apiVersion or kind the CRD does not define, which the openAPI schema itself does not check.
 */
export function validateCustomResource<T extends { readonly apiVersion: string; readonly kind: string }>(file: string, object: T): ErrorObject[] {
    const [group, version] = object.apiVersion.split("/");
    const { crd, validate } = load(file, version);
    const mismatch: ErrorObject[] = [];
    if (group !== crd.spec.group || object.kind !== crd.spec.names.kind) {
        mismatch.push({
            instancePath: "",
            schemaPath: "#/apiVersion",
            keyword: "crd",
            params: {},
            message: `${object.apiVersion} ${object.kind} is not ${crd.spec.group} ${crd.spec.names.kind}`,
        });
    }
    return validate(object) ? mismatch : [...mismatch, ...(validate.errors ?? [])];
}
