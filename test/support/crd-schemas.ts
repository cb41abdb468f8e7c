/**
 * Validates custom resources against the upstream CRDs pinned in artifacts.lock.json (obtained through
 * test/support/artifacts.ts; the test skips when a CRD is not obtainable): the version's openAPIV3Schema, compiled
 * with ajv as structural schemas (unknown formats such as `cidr` or `int64` ignored, `strict: false`).
 */
import * as fs from "fs";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { parse } from "yaml";
import { projectArtifactLock } from "../../lib/artifacts";
import { needCrd } from "./artifacts";
import { DEFAULT_VERSIONS } from "../../components/versions";

/**
 * The Cilium CRD files each support-matrix release is checked against. The artifact lock holds CRDs read at one patch
 * per minor, standing for the minor (its README: the CRDs did not change across 10–18 patches of each line, but the
 * newer patches' trees were not available to prove it). Cilium 1.20.0's stand-in is **v1.20.0-pre.3**, the newest
 * 1.20 tree readable offline: its CNP/CCNP schema equals the later dev tree's (descriptions aside), and it has what
 * 1.20 changed — the kafka/l7/l7proto port rules removed and a CEL rule requiring `spec` or `specs`
 * (celProblems below, as ajv ignores CEL). The GA tree may still differ (not verifiable here).
 */
export const CILIUM_CRD_READ_AT: Readonly<Record<string, string>> = {
    "1.16.19": "1.16.19",
    "1.17.18": "1.17.14",
    "1.18.12": "1.18.10",
    "1.19.6": "1.19.4",
    "1.20.0": "1.20.0-pre.3",
};

/** Cilium CRDs Kubeloom's custom resources use (the clusterwide policy's CRD exists from the 1.19.4 copies on). */
export type CiliumCrd = "ciliumnetworkpolicies" | "ciliumclusterwidenetworkpolicies" | "ciliumloadbalancerippools" | "ciliuml2announcementpolicies";

/** The CRD file a Cilium release's custom resources are validated against (see CILIUM_CRD_READ_AT). */
export function ciliumCrdFile(crd: CiliumCrd, ciliumVersion: string): string {
    const readAt = CILIUM_CRD_READ_AT[ciliumVersion.replace(/^v/, "")];
    if (!readAt) throw new Error(`no Cilium CRDs recorded for ${ciliumVersion}; add the release to CILIUM_CRD_READ_AT`);
    return `cilium-${readAt}.${crd}.crd.yaml`;
}

/** The Gateway API CRD file of a release (gateway-api-<version>.<plural>.crd.yaml). */
export function gatewayApiCrdFile(plural: string, gatewayApiVersion: string): string {
    return `gateway-api-${gatewayApiVersion}.${plural}.crd.yaml`;
}

/** Prometheus Operator's ServiceMonitor CRD (v0.93.0, monitoring.coreos.com/v1). */
export const SERVICE_MONITOR_CRD_FILE = "prometheus-operator-0.93.0.servicemonitors.crd.yaml";

/** The MetalLB CRD file of a release (read at that exact release). */
export function metallbCrdFile(crd: "ipaddresspools" | "l2advertisements", metallbVersion: string): string {
    return `metallb-${metallbVersion.replace(/^v/, "")}.${crd}.crd.yaml`;
}

/** CRD files at the default versions (components/versions.ts). */
export const CRD_FILES = {
    ciliumNetworkPolicy: ciliumCrdFile("ciliumnetworkpolicies", DEFAULT_VERSIONS.cilium),
    ipAddressPool: metallbCrdFile("ipaddresspools", DEFAULT_VERSIONS.metallb),
    l2Advertisement: metallbCrdFile("l2advertisements", DEFAULT_VERSIONS.metallb),
} as const;

/**
 * Rewrites Go RE2's `\PC` (not a control/format/unassigned character) into the braced form JavaScript `u` regexps
 * need, `\P{C}`, which means the same; the CNP CRDs from 1.18 use it in `spec.log.value` (cilium/cilium v1.18.0+
 * `pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml`).
 */
function withJavaScriptPatterns(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(withJavaScriptPatterns);
    if (node === null || typeof node !== "object") return node;
    return Object.fromEntries(
        Object.entries(node as Record<string, unknown>).map(([key, value]) => [key, key === "pattern" && typeof value === "string" ? value.replace(/\\PC/g, "\\P{C}") : withJavaScriptPatterns(value)]),
    );
}

interface CrdDocument {
    spec: { group: string; names: { kind: string }; versions: Array<{ name: string; schema?: { openAPIV3Schema?: object } }> };
}

/** The local path of a locked CRD file, named as in the lock (`<set>-<version>.<plural>.crd.yaml`); skips when not obtainable. */
export function crdPath(file: string): string {
    const entry = projectArtifactLock().crds.find((c) => c.file === file);
    if (!entry) throw new Error(`${file} is not in artifacts.lock.json`);
    return needCrd(entry.set, entry.version, entry.plural).path;
}

const validators = new Map<string, { crd: CrdDocument; validate: ValidateFunction }>();

function load(file: string, version: string): { crd: CrdDocument; validate: ValidateFunction } {
    const key = `${file}@${version}`;
    let loaded = validators.get(key);
    if (!loaded) {
        const crd = parse(fs.readFileSync(crdPath(file), "utf8")) as CrdDocument;
        const schema = crd.spec.versions.find((v) => v.name === version)?.schema?.openAPIV3Schema;
        if (!schema) throw new Error(`${file} has no version ${version}`);
        loaded = { crd, validate: new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(withJavaScriptPatterns(schema) as object) };
        validators.set(key, loaded);
    }
    return loaded;
}

/**
 * The CEL rules (`x-kubernetes-validations`) at the top of a CRD version's schema that ajv ignores and Kubeloom's
 * objects can break. Only the one Cilium 1.20 adds to CNP/CCNP is evaluated (`has(self.spec) || has(self.specs)`,
 * "spec or specs must be provided", commit 4ad0f83b); any other top-level rule is reported as unchecked so that a new
 * rule in a future CRD copy cannot pass silently.
 */
export function celProblems(file: string, object: { readonly apiVersion: string; readonly kind?: string; readonly spec?: unknown; readonly specs?: unknown }): string[] {
    const version = object.apiVersion.split("/")[1];
    const crd = parse(fs.readFileSync(crdPath(file), "utf8")) as { spec: { versions: Array<{ name: string; schema?: { openAPIV3Schema?: { "x-kubernetes-validations"?: Array<{ rule: string; message?: string }> } } }> } };
    const rules = crd.spec.versions.find((v) => v.name === version)?.schema?.openAPIV3Schema?.["x-kubernetes-validations"] ?? [];
    return rules.flatMap((rule) => {
        if (rule.rule === "has(self.spec) || has(self.specs)") return object.spec !== undefined || object.specs !== undefined ? [] : [rule.message ?? rule.rule];
        return [`unchecked CEL rule ${JSON.stringify(rule.rule)} in ${file}`];
    });
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
