/**
 * The one home of what a value is, by the rules of the system that receives it: Kubernetes names, label keys and
 * values, port names, NodePorts and resource quantities (k8s.io/apimachinery pkg/util/validation/validation.go,
 * pkg/api/resource quantity.go), DNS host names, POSIX user names (SSH, sudo) and OCI image references
 * (distribution/reference regexp.go). Each `...Problem` function returns undefined for a valid value, else the
 * reason, so schema refinements, rules, builders and pre-flight word their messages from one place; the patterns
 * are exported for the schema fields that state their own message. Pure; values are shown only through quoteInput (./user-input), regular expressions compiled
  * with re2js where the receiver uses Go's RE2.
 */
import { RE2JS } from "re2js";
import { quoteInput } from "./user-input";

/** validation.go dns1123LabelFmt (length checked apart: at most 63). */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** validation.go dns1123SubdomainFmt (length checked apart: at most 253). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** validation.go dns1035LabelFmt: a DNS-1123 label that starts with a letter (Service names; length apart). */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** An RFC 1123 host name as resolvers and ssh take it: dot-separated labels, any case, at most 253 characters. */
export const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;
/** validation.go qualifiedNameFmt: the name part of a label key, an annotation key, a resource name. */
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** validation.go labelValueFmt (the empty value is allowed too). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Kubernetes' default --service-node-port-range, which K3s and kind keep (Kubeloom never changes it): the
 * NodePorts the config accepts, the port registry checks and pre-flight expects in rendered Services.
 */
export const NODE_PORT_RANGE = { first: 30000, last: 32767 } as const;

/** "30000-32767", for messages. */
export const NODE_PORT_RANGE_TEXT = `${NODE_PORT_RANGE.first}-${NODE_PORT_RANGE.last}`;

/** Whether a port lies in NODE_PORT_RANGE. */
export function inNodePortRange(port: number): boolean {
    return port >= NODE_PORT_RANGE.first && port <= NODE_PORT_RANGE.last;
}

/** A DNS-1123 label (namespaces, Service names): at most 63 lowercase alphanumerics and '-'. */
export function dns1123LabelProblem(text: string): string | undefined {
    if (text.length > 63) return `is ${text.length} characters; a DNS-1123 label has at most 63`;
    if (!DNS1123_LABEL.test(text)) return "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric";
    return undefined;
}

/** A DNS-1123 subdomain (node names, label-key prefixes): at most 253 characters of dot-separated labels. */
export function dns1123SubdomainProblem(text: string): string | undefined {
    if (text.length > 253) return `is ${text.length} characters; a DNS-1123 subdomain has at most 253`;
    if (!DNS1123_SUBDOMAIN.test(text)) return "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each part starting and ending alphanumeric";
    return undefined;
}

/** A Kubernetes node name, as kubectl and the node controller accept it (a DNS-1123 subdomain). */
export const nodeNameProblem = dns1123SubdomainProblem;

/** A qualified name (`[prefix/]name`): label keys, toleration keys, resource names. */
export function qualifiedNameProblem(text: string): string | undefined {
    const parts = text.split("/");
    if (parts.length > 2) return "must be a qualified name ([prefix/]name) with at most one '/'";
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (prefix !== undefined) {
        if (prefix.length === 0) return "has an empty prefix before '/'";
        const problem = dns1123SubdomainProblem(prefix);
        if (problem) return `has the prefix ${quoteInput(prefix)}, which ${problem}`;
    }
    if (name.length === 0) return "must have a name (after the prefix), 1-63 characters";
    if (name.length > 63) return `has a name part of ${name.length} characters; at most 63`;
    if (!QUALIFIED_NAME_PART.test(name)) return "must be a qualified name: alphanumerics, '-', '_' and '.', starting and ending alphanumeric, with an optional DNS-subdomain prefix and '/'";
    return undefined;
}

/** A label key: a qualified name. */
export const labelKeyProblem = qualifiedNameProblem;

/**
 * Label keys Cilium derives for a pod's identity rather than reading from its labels (cilium/cilium pkg/k8s/apis/
 * cilium.io/const.go: PodNamespaceLabel `io.kubernetes.pod.namespace`, PolicyLabelCluster / ServiceAccount,
 * PodNamespaceMetaLabels `io.cilium.k8s.namespace.labels.*` — all under `io.cilium.k8s.`). No pod or node carries them
 * as a label, so a Service selector or nodeSelector on one matches nothing, and in a tenant's own terms Kubeloom would
 * translate one to the tenant's label prefix, where nothing sets it either: the selector silently selects nothing.
 */
export function derivedLabelKeyProblem(key: string): string | undefined {
    if (key === "io.kubernetes.pod.namespace" || key.startsWith("io.cilium.k8s.")) {
        return "is a label Cilium derives for a pod's identity, never a label of the pod or node itself, so this selector would match nothing; select on the workload's own labels (the namespace is the policy's or Service's own)";
    }
    return undefined;
}

/** A label value: empty, or at most 63 alphanumerics, '-', '_' and '.', starting and ending alphanumeric. */
export function labelValueProblem(text: string): string | undefined {
    if (text.length > 63) return `is ${text.length} characters; a label value has at most 63`;
    if (!LABEL_VALUE.test(text)) return "must be a label value: empty, or alphanumerics, '-', '_' and '.', starting and ending alphanumeric";
    return undefined;
}

/** A Service port name (IANA_SVC_NAME, validation.go IsValidPortName): 1-15 chars, a letter, no '--'. */
export function portNameProblem(text: string): string | undefined {
    if (text.length < 1 || text.length > 15) return `is ${text.length} characters; a port name (IANA_SVC_NAME) has 1 to 15`;
    if (!/^[-a-z0-9]+$/.test(text)) return "must contain only lowercase letters, digits and '-' (IANA_SVC_NAME)";
    if (!/[a-z]/.test(text)) return "must contain at least one letter (IANA_SVC_NAME)";
    if (text.startsWith("-") || text.endsWith("-") || text.includes("--")) return "must not start or end with '-' or contain '--' (IANA_SVC_NAME)";
    return undefined;
}

/** A quantity's exact value as a fraction (numerator / denominator), as Kubernetes holds it (an inf.Dec). */
export interface QuantityValue {
    readonly numerator: bigint;
    readonly denominator: bigint;
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const DECIMAL_SUFFIX_EXPONENT: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX_POWER: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
/** Longest quantity text Kubeloom accepts (its own bound: a real quota or limit is a few characters). */
const QUANTITY_MAX_CHARS = 64;

/**
 * Parses a quantity as apimachinery's resource.ParseQuantity does (pkg/api/resource/quantity.go, suffix.go): a
 * signed decimal number with one optional suffix — binary (Ki..Ei), decimal SI (n, u, m, k, M..E) or a decimal
 * exponent (`1e3` is 1000, `5E-1` is 0.5). Undefined when Kubernetes would refuse the text, or it is beyond
 * Kubeloom's own bounds (64 characters, exponents within ±40).
 */
export function parseQuantity(text: string): QuantityValue | undefined {
    const match = text.length <= QUANTITY_MAX_CHARS ? QUANTITY.exec(text) : null;
    if (!match) return undefined;
    const [, sign, number, suffix = ""] = match;
    const [whole, fraction = ""] = number.split(".");
    let numerator = BigInt(`${whole || "0"}${fraction}`) * (sign === "-" ? -1n : 1n);
    let denominator = 10n ** BigInt(fraction.length);
    if (suffix in BINARY_SUFFIX_POWER) {
        numerator *= 2n ** BigInt(BINARY_SUFFIX_POWER[suffix]);
    } else {
        const exponent = suffix in DECIMAL_SUFFIX_EXPONENT ? DECIMAL_SUFFIX_EXPONENT[suffix] : Number(suffix.slice(1));
        // Beyond these the value is 0 or out of range anyway; checked before building a huge BigInt.
        if (!Number.isSafeInteger(exponent) || exponent > 40 || exponent < -40) return numerator === 0n ? { numerator: 0n, denominator: 1n } : undefined;
        if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
        else denominator *= 10n ** BigInt(-exponent);
    }
    return { numerator, denominator };
}

/** -1, 0 or 1 as quantity `a` is less than, equal to or greater than `b`. */
export function compareQuantities(a: QuantityValue, b: QuantityValue): number {
    const left = a.numerator * b.denominator;
    const right = b.numerator * a.denominator;
    return left < right ? -1 : left > right ? 1 : 0;
}

/** Whether a quantity is a whole number (`1e3`, `2000m` and `1k` are; `1.5` and `1500m` are not). */
export function isWholeQuantity(value: QuantityValue): boolean {
    return value.numerator % value.denominator === 0n;
}

/**
 * A resource quantity (apimachinery resource.ParseQuantity, see parseQuantity). Quotas and limits must not be
 * negative.
 */
export function quantityProblem(value: string | number): string | undefined {
    if (typeof value === "number" && !Number.isFinite(value)) return "must be a finite number";
    const parsed = parseQuantity(typeof value === "number" ? String(value) : value);
    if (!parsed) {
        return "must be a Kubernetes quantity such as \"4\", \"500m\", \"8Gi\" or \"1e3\" (suffixes: n, u, m, k, M, G, T, P, E, Ki-Ei, or an exponent up to e40)";
    }
    if (parsed.numerator < 0n) return "must not be negative";
    return undefined;
}

/**
 * A user name that ssh, sudo and useradd all take as it is: the POSIX portable filename characters (Base
 * Definitions 3.437 "User Name"), not starting with '-', not all digits (read as a uid), at most 32 characters
 * (glibc/utmp UT_NAMESIZE).
 */
export function posixUserNameProblem(text: string): string | undefined {
    if (text.length < 1 || text.length > 32) return `is ${text.length} characters; a user name has 1 to 32`;
    if (!/^[A-Za-z0-9._-]+$/.test(text)) return "must be a POSIX user name: letters, digits, '.', '_' and '-' only (no spaces, quotes, '@' or shell characters)";
    if (text.startsWith("-")) return "must not start with '-' (ssh and sudo would read it as an option)";
    if (/^\d+$/.test(text)) return "must not be all digits (tools read it as a numeric uid)";
    return undefined;
}

// distribution/reference (reference/regexp.go): domain[:port]/path[:tag][@digest].
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);

/** An OCI image reference as docker and kind parse it (`kindest/node:v1.30.4`, `reg:5000/img@sha256:…`). */
export function imageReferenceProblem(text: string): string | undefined {
    if (text.length > 255 + 128 + 80) return "is too long for an image reference";
    if (!IMAGE_REFERENCE.test(text)) {
        return "must be an OCI image reference: [registry[:port]/]lowercase/path[:tag][@sha256:digest], e.g. kindest/node:v1.30.4 (no spaces, shell characters or upper-case path)";
    }
    const path = text.replace(/@.*$/, "").replace(/:[\w][\w.-]{0,127}$/, "");
    const first = path.split("/")[0];
    const hasDomain = path.includes("/") && (/[.:]/.test(first) || first === "localhost");
    // docker reads an upper-case first component as a registry host ("Kindest/node" → registry "Kindest"): a typo.
    if (path.includes("/") && !hasDomain && first !== first.toLowerCase()) return `has the upper-case first component ${quoteInput(first)}, which docker would read as a registry host; repository paths are lower case`;
    const withoutDomain = hasDomain ? path.split("/").slice(1).join("/") : path;
    if (withoutDomain.length > 255) return "has a repository path over 255 characters";
    return undefined;
}

/** Quota names Kubernetes knows without a domain prefix (core/v1 ResourceName constants, quota evaluators). */
export const STANDARD_QUOTA_RESOURCES = [
    "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
    "services.nodeports", "services.loadbalancers",
    "cpu", "memory", "storage", "ephemeral-storage",
    "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage",
] as const;

/** Quota names whose value counts objects, so it must be a whole number (helper.IsIntegerResourceName). */
function isCountResource(name: string): boolean {
    return name.startsWith("count/") || ["pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers"].includes(name);
}

/** A ResourceQuota `hard` entry: a known or domain-prefixed resource name and a quantity (whole for counts). */
export function quotaEntryProblem(name: string, value: string | number): { readonly on: "key" | "value"; readonly problem: string } | undefined {
    const keyProblem = qualifiedNameProblem(name);
    if (keyProblem) return { on: "key", problem: keyProblem };
    const native = !name.includes("/") && !/^(requests\.)?hugepages-/.test(name);
    if (native && !(STANDARD_QUOTA_RESOURCES as readonly string[]).includes(name)) {
        return { on: "key", problem: `is not a ResourceQuota resource Kubernetes knows; use one of ${STANDARD_QUOTA_RESOURCES.join(", ")}, hugepages-<size>, count/<resource>.<group> or a domain-prefixed extended resource` };
    }
    const valueProblem = quantityProblem(value);
    if (valueProblem) return { on: "value", problem: valueProblem };
    // Kubernetes: "must be an integer" for integer resources (core validation validateResourceQuantityValue).
    if (isCountResource(name) && !isWholeQuantity(parseQuantity(String(value))!)) return { on: "value", problem: "counts objects, so it must be a whole number such as 10 (or 1e3, 2k)" };
    return undefined;
}

/** A LimitRange entry: cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed resource, and a quantity. */
export function limitEntryProblem(name: string, value: string): { readonly on: "key" | "value"; readonly problem: string } | undefined {
    const keyProblem = qualifiedNameProblem(name);
    if (keyProblem) return { on: "key", problem: keyProblem };
    if (!name.includes("/") && !["cpu", "memory", "ephemeral-storage"].includes(name) && !name.startsWith("hugepages-")) {
        return { on: "key", problem: "is not a container resource; use cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed extended resource" };
    }
    const valueProblem = quantityProblem(value);
    return valueProblem ? { on: "value", problem: valueProblem } : undefined;
}

/**
 * Longest regular expression Kubeloom passes on (its own bound, not Cilium's: it keeps compiling the pattern here and
 * in every agent cheap; an HTTP path rule is a few dozen characters).
 */
export const REGEX_MAX_CHARS = 1024;

/**
 * A regular expression as Go's regexp package compiles it (RE2 syntax: no lookaround or backreferences, repeat
 * counts at most 1000, no nested repetition such as `a**`), checked with re2js, a port of RE2 — not JavaScript's
 * RegExp, which accepts lookaround and reads `\Z`, `(?<n>...)` and others differently. Cilium's agent compiles the
 * HTTP rules of a policy so (cilium/cilium pkg/policy/api/http.go PortRuleHTTP.Sanitize: regexp.Compile of path,
 * method and host) and refuses the whole policy when one fails.
 */
export function re2Problem(text: string): string | undefined {
    if (text.length > REGEX_MAX_CHARS) return `is ${text.length} characters; Kubeloom passes on regular expressions of at most ${REGEX_MAX_CHARS}`;
    try {
        RE2JS.compile(text);
        return undefined;
    } catch (error) {
        // re2js words errors as Go does: "error parsing regexp: <what>: `<fragment>`"; the fragment is user input.
        const match = /^error parsing regexp: (.*?)(?:: `([\s\S]*)`)?$/.exec((error as Error).message ?? "");
        const what = match ? `${match[1]}${match[2] !== undefined ? ` at ${quoteInput(match[2])}` : ""}` : "it does not compile";
        return `is not a regular expression Cilium's agent compiles (Go RE2 syntax: ${what}); RE2 has no lookaround or backreferences and allows repeat counts up to 1000`;
    }
}

/** Whether `text` matches the RE2 `pattern` in full (a CRD's `pattern`, which the API server checks with Go regexp). */
export function matchesRe2(pattern: string, text: string): boolean {
    return RE2JS.compile(pattern).matcher(text).find();
}
