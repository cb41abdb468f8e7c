/**
 * Field schemas shared by every part of the config shape: names, host addresses, ports, CIDRs, credential paths,
 * label maps, versions checked against the support matrix, tolerations.
 */
import { z } from "zod";
import { isIpv4, parseCidr } from "../../lib/cidr";
import { DEFAULT_VERSIONS } from "../../components/versions";
import { derivedLabelKeyProblem, DNS1123_LABEL, DNS_NAME, labelKeyProblem, labelValueProblem, NODE_PORT_RANGE, NODE_PORT_RANGE_TEXT, qualifiedNameProblem } from "../../lib/k8s-formats";
import { pastedCredentialKind, quoteInput } from "../../lib/user-input";
import { K3S_LINES, k3sLine, kindNodeLine, minorOf, supportedVersions, VERSION_NUMBER } from "../../components/support-matrix";



export const clusterName = z
    .string()
    .max(32, "must be at most 32 characters (Cilium's cluster.name limit)")
    .regex(DNS1123_LABEL, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric")
    .refine((name) => name !== "default", "must not be \"default\" (Cilium rejects it together with a cluster id)");

export const hostAddress = z
    .string()
    // A dotted-digits host that is not a valid IPv4 address (300.1.1.1, 010.0.0.1, 10.1) is a typo, not a DNS
    // name: resolvers and ssh would read it as an (octal / shortened) address or fail late.
    .refine((h) => isIpv4(h) || (!/^[0-9.]+$/.test(h) && DNS_NAME.test(h)), "must be an IPv4 address (four octets 0-255 without leading zeros) or a DNS name (or \"localhost\")");

/** Marks a custom issue whose message already names the value (map entries): no "the string …" prefix is added. */
export const SELF_CONTAINED = { selfContained: true } as const;

/** A string checked by one of the k8s-formats rules (the reason becomes the message). */
export function checkedString(problem: (text: string) => string | undefined) {
    return z.string().superRefine((text, ctx) => {
        const reason = problem(text);
        if (reason) ctx.addIssue({ code: "custom", message: reason });
    });
}

/** A map of Kubernetes labels (nodeSelector, Service selector): each key a qualified name, each value a label value. */
export const labelMap = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
    for (const [key, value] of Object.entries(labels)) {
        const keyProblem = labelKeyProblem(key) ?? derivedLabelKeyProblem(key);
        if (keyProblem) ctx.addIssue({ code: "custom", path: [key], message: `the label key ${quoteInput(key)} ${keyProblem}`, params: SELF_CONTAINED });
        const valueProblem = labelValueProblem(value);
        if (valueProblem) ctx.addIssue({ code: "custom", path: [key], message: `the label value ${quoteInput(value)} ${valueProblem}`, params: SELF_CONTAINED });
    }
});

export const cidrText = z.string().superRefine((text, ctx) => {
    const parsed = parseCidr(text);
    if (typeof parsed === "string") {
        ctx.addIssue({ code: "custom", message: parsed });
    }
});

/** PATH_MAX on Linux: no file name is longer. */
export const PATH_MAX = 4096;

/** True when a value given for a file *path* is really file content (a key or kubeconfig pasted in). */
export function looksLikePastedSecret(text: string): boolean {
    return text.length > PATH_MAX || /[\r\n]/.test(text) || text.includes("BEGIN") || pastedCredentialKind(text) !== undefined;
}

/** A path to a credential file; a pasted credential is refused without ever being echoed back. */
export const credentialPath = (hint: string) =>
    z
        .string()
        .min(1)
        .refine((p) => !looksLikePastedSecret(p), `${CREDENTIAL_PATH_HINT}; ${hint}`);

/** The message of a credential path that holds the credential itself. */
export const CREDENTIAL_PATH_HINT = "looks like the secret itself, not a file path (it is not shown here)";

/**
 * A chart's values as the user writes them: a free-form map, checked against Kubeloom's owned keys and the chart
 * release (config/chart-values-check.ts), not here.
 */
export const chartValues = z
    .record(z.string(), z.unknown())
    .superRefine((values, ctx) => {
        // Keys only: a value may be a secret the CLI decrypted (a certificate, a token), which looks like a paste.
        const walk = (node: unknown, at: PropertyKey[]): void => {
            if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...at, i]));
            if (node === null || typeof node !== "object" || Array.isArray(node)) return;
            for (const [key, item] of Object.entries(node)) {
                const pasted = pastedCredentialKind(key);
                if (pasted !== undefined || key.length > CHART_VALUES_KEY_MAX) {
                    ctx.addIssue({ code: "custom", path: [...at, key], message: `the key ${quoteInput(key)} is not a chart values key (${pasted !== undefined ? `it looks like ${pasted}` : `longer than ${CHART_VALUES_KEY_MAX} characters, the longest Kubernetes label or annotation key`})`, params: SELF_CONTAINED });
                    continue;
                }
                walk(item, [...at, key]);
            }
        };
        walk(values, []);
    })
    .optional();

/** The longest key a chart's values can meaningfully have: a Kubernetes label key, 253-character prefix, "/", 63. */
export const CHART_VALUES_KEY_MAX = 317;

/** A values file's path (YAML, relative to the project), read when the config is loaded (config/chart-values.ts). */
export const valuesFilePath = z.string().min(1).refine((p) => !looksLikePastedSecret(p), "must be the path of a YAML file of chart values, not its content").optional();

export const port = z.number().int().min(1).max(65535);
export const nodePort = z.number().int().min(NODE_PORT_RANGE.first, `must be a NodePort (${NODE_PORT_RANGE_TEXT})`).max(NODE_PORT_RANGE.last, `must be a NodePort (${NODE_PORT_RANGE_TEXT})`);

/** A release version: three numbers, none zero-padded (VERSION_NUMBER; no release is "1.016.19"). */
export const semver = new RegExp(`^v?${VERSION_NUMBER}\\.${VERSION_NUMBER}\\.${VERSION_NUMBER}$`);

/** A version string of the given form. */
export const versionText = (pattern: RegExp, example: string) => z.string().regex(pattern, `must be a version like ${example}`);

/** An exact chart release of the support matrix (components/support-matrix.ts), listing the supported ones. */
export function chartVersion(component: "cilium" | "vcluster" | "metallb", why: string) {
    const supported = supportedVersions(component);
    return versionText(semver, supported[supported.length - 1]).refine(
        (v) => supported.includes(v.replace(/^v/, "")),
        `is not in Kubeloom's support matrix: supported ${component} versions are ${supported.join(", ")} (${why})`,
    );
}

export const k3sVersion = versionText(new RegExp(`^v${VERSION_NUMBER}\\.${VERSION_NUMBER}\\.${VERSION_NUMBER}\\+k3s[1-9]\\d*$`), DEFAULT_VERSIONS.k3s).refine(
    (v) => k3sLine(v) !== undefined,
    `is on a K3s line outside Kubeloom's support matrix: supported lines are v${K3S_LINES[0].kubernetes} to v${K3S_LINES[K3S_LINES.length - 1].kubernetes} (${supportedVersions("k3s").join(", ")}; the Kubernetes versions some supported Cilium runs on)`,
);
export const kindNodeImage = z
    .string()
    .min(1)
    .refine(
        (image) => kindNodeLine(image) !== undefined,
        `must be a kind node image tagged v1.<minor>.<patch> on a supported line (${supportedVersions("kind").join(", ")}), e.g. ${DEFAULT_VERSIONS.kindNode}`,
    );
export const ciliumVersion = chartVersion("cilium", "the releases whose chart schema and templates Kubeloom's values are checked against");
export const vclusterVersion = chartVersion("vcluster", "the chart schema is strict and its keys change between releases");
export const metallbVersion = chartVersion("metallb", "the releases whose CRDs Kubeloom's pools are checked against");
/** An existing cluster's Kubernetes minor, e.g. "1.36" (a patch is allowed and ignored). */
export const kubernetesVersion = z
    .string()
    .regex(new RegExp(`^v?1\\.${VERSION_NUMBER}(\\.${VERSION_NUMBER})?$`), "must be a Kubernetes version like \"1.36\" (numbers without leading zeros)")
    .refine((v) => K3S_LINES.some((line) => line.kubernetes === minorOf(v)), `is outside Kubeloom's support matrix: supported Kubernetes versions are ${K3S_LINES[0].kubernetes} to ${K3S_LINES[K3S_LINES.length - 1].kubernetes}`);

// Kubernetes' own checks of a toleration (pkg/apis/core/validation ValidateTolerations), so the chart never
// renders a DaemonSet the API server rejects after Helm has started.
export const toleration = z
    .strictObject({
        key: checkedString(qualifiedNameProblem).optional().describe("Taint key the toleration matches (a qualified name); empty with operator Exists tolerates every taint."),
        operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal (Kubernetes' default: Equal)."),
        value: checkedString(labelValueProblem).optional().describe("Taint value to match with operator Equal; must be empty with Exists."),
        effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional().describe("Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; default: every effect."),
        tolerationSeconds: z.number().int().optional().describe("With effect NoExecute: how long a pod stays bound after the taint appears."),
    })
    .superRefine((t, ctx) => {
        if (t.operator === "Exists" && t.value !== undefined && t.value !== "") {
            ctx.addIssue({ code: "custom", path: ["value"], message: "must be empty when operator is Exists (Kubernetes rejects a value there)" });
        }
        if ((t.key === undefined || t.key === "") && t.operator !== "Exists") {
            ctx.addIssue({ code: "custom", path: ["operator"], message: "must be Exists when key is empty (Kubernetes: an empty key with Exists tolerates everything)" });
        }
        if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
            ctx.addIssue({ code: "custom", path: ["tolerationSeconds"], message: "is only allowed with effect: NoExecute (Kubernetes rejects it otherwise)" });
        }
    });
