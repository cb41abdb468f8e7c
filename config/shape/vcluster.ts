/**
 * The `vclusters` of a cluster: each tenant's release, exposure, isolation, quota and host-side network policies.
 */
import { z } from "zod";
import { isIpv4 } from "../../lib/cidr";
import { DEFAULT_VERSIONS, VCLUSTER_NAME_MAX, VCLUSTER_NODEPORT_BASE } from "../../components/versions";
import { DEFAULT_POD_SECURITY_STANDARD, DEFAULT_VCLUSTER_BUILD, DEFAULT_VCLUSTER_ISOLATE, DEFAULT_VCLUSTER_QUOTA } from "../../components/defaults";
import { VCLUSTER_BUILDS } from "../../components/vcluster-values";
import { CNP_CRD_LIMITS, TENANT_ENTITIES } from "../../components/tenant-policy";
import { quoteInput } from "../../lib/user-input";
import { POD_SECURITY_LEVELS } from "../../lib/pod-security";
import { DNS1035_LABEL, DNS1123_LABEL, limitEntryProblem, matchesRe2, quotaEntryProblem, re2Problem } from "../../lib/k8s-formats";
import { checkedString, labelMap, nodePort, port, SELF_CONTAINED, vclusterVersion, chartValues, valuesFilePath } from "./fields";

/** Pod labels as a tenant writes them: checked like every other label map, so one mistake gets one message. */
export const tenantLabels = labelMap;
export const virtualNamespace = z.string().regex(DNS1123_LABEL, "must be a virtual namespace name (DNS-1123 label)").max(63);

export const tenantPort = z.strictObject({ port: port.describe("Port number."), protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP").describe("TCP, UDP or SCTP.") });
/** A regular expression Cilium's agent compiles with Go's RE2 (k8s-formats re2Problem); refused here, not by the agent. */
const re2Text = checkedString(re2Problem);
export const tenantHttpRule = z.strictObject({
    method: re2Text.pipe(z.string().regex(/^[A-Z]+$/, "must be an HTTP method in capitals, e.g. POST (Cilium matches it as a regular expression)")).optional().describe("HTTP method in capitals, e.g. GET (Cilium matches it as a regular expression)."),
    path: re2Text.pipe(z.string().startsWith("/", "must start with /")).optional().describe("A regular expression over the path, as Cilium's PortRuleHTTP.path (e.g. /v1/request-landing)."),
    host: z.string().min(1).pipe(re2Text).optional().describe("A regular expression over the Host header, as Cilium's PortRuleHTTP.host."),
    headers: z.array(z.string().min(1).max(8192, "must be at most 8192 characters (Envoy's default limit on all request headers is 60 KiB; one rule's header is a line)")).optional().describe("Headers that must be present (\"Name\" or \"Name: value\")."),
});
/**
 * A toFQDNs field as the CNP CRD bounds it (CNP_CRD_LIMITS): the length first, then the CRD's pattern with RE2, as the
 * API server matches it — JavaScript's backtracking takes seconds on the pattern's nested `(...+...)+`.
 */
function fqdnText(pattern: string, what: string) {
    return z.string().superRefine((text, ctx) => {
        if (text.length > CNP_CRD_LIMITS.fqdnMaxLength) ctx.addIssue({ code: "custom", message: `is ${text.length} characters; the CiliumNetworkPolicy CRD allows at most ${CNP_CRD_LIMITS.fqdnMaxLength}` });
        else if (!matchesRe2(pattern, text)) ctx.addIssue({ code: "custom", message: `must be ${what} (the CiliumNetworkPolicy CRD's pattern ${pattern})` });
    });
}
export const fqdnSelector = z
    .strictObject({
        matchName: fqdnText(CNP_CRD_LIMITS.matchNamePattern, "a DNS name like api.github.com").optional().describe("An exact DNS name, e.g. api.github.com."),
        matchPattern: fqdnText(CNP_CRD_LIMITS.matchPatternPattern, "a DNS pattern like *.github.com").optional().describe("A DNS pattern with *, e.g. *.github.com."),
    })
    .refine((f) => (f.matchName === undefined) !== (f.matchPattern === undefined), "must have exactly one of matchName, matchPattern");

/**
 * Rule checks shared by both directions: exactly one kind of peer; the namespace only beside pods; HTTP rules only
 * on TCP ports they can apply to.
 */
export function refineTenantRule(peers: readonly string[], podsKey: string, namespaceKey: string) {
    return (rule: Record<string, unknown> & { ports: Array<{ protocol: string }>; http?: unknown[] }, ctx: z.RefinementCtx) => {
        const given = peers.filter((k) => rule[k] !== undefined);
        if (given.length !== 1) {
            ctx.addIssue({ code: "custom", message: `must have exactly one of ${peers.join(", ")} (got ${given.length ? given.join(" and ") : "none"})` });
        }
        if (rule[namespaceKey] !== undefined && rule[podsKey] === undefined) {
            ctx.addIssue({ code: "custom", path: [namespaceKey], message: `is only used with ${podsKey} (the virtual namespace of those pods)` });
        }
        if (rule.ports.length > CNP_CRD_LIMITS.portsPerRule) {
            ctx.addIssue({ code: "custom", path: ["ports"], message: `has ${rule.ports.length} ports; the CiliumNetworkPolicy CRD allows at most ${CNP_CRD_LIMITS.portsPerRule} per rule (toPorts[].ports); split it into several rules` });
        }
        if (rule.http !== undefined && rule.ports.length === 0) {
            ctx.addIssue({ code: "custom", path: ["http"], message: "needs ports: HTTP rules apply to the listed ports (e.g. ports: [{ port: 80 }])" });
        }
        if (rule.http !== undefined && rule.ports.some((p) => p.protocol !== "TCP")) {
            ctx.addIssue({ code: "custom", path: ["http"], message: "applies to TCP ports only; move the UDP/SCTP ports to another rule" });
        }
    };
}

export const ingressRule = z
    .strictObject({
        fromPods: tenantLabels.optional().describe("Pods of the same tenant (labels as the tenant writes them; {} is every pod)."),
        fromNamespace: virtualNamespace.optional().describe("Virtual namespace of those pods; default: any namespace of the tenant."),
        fromEntities: z.array(z.enum(TENANT_ENTITIES)).min(1).optional().describe("Cilium entities allowed in (e.g. world, cluster, host)."),
        ports: z.array(tenantPort).default([]).describe("Ports the rule allows ([] is every port)."),
        http: z.array(tenantHttpRule).min(1).optional().describe("L7 HTTP rules on the rule's TCP ports (Cilium's Envoy proxy enforces them)."),
    })
    .superRefine(refineTenantRule(["fromPods", "fromEntities"], "fromPods", "fromNamespace"));

export const egressRule = z
    .strictObject({
        toPods: tenantLabels.optional().describe("Pods of the same tenant (labels as the tenant writes them; {} is every pod)."),
        toNamespace: virtualNamespace.optional().describe("Virtual namespace of those pods; default: any namespace of the tenant."),
        toEntities: z.array(z.enum(TENANT_ENTITIES)).min(1).optional().describe("Cilium entities allowed out to (e.g. world, cluster, kube-apiserver)."),
        toFQDNs: z.array(fqdnSelector).min(1).optional().describe("DNS names or patterns allowed out to (Cilium's DNS proxy learns their addresses)."),
        ports: z.array(tenantPort).default([]).describe("Ports the rule allows ([] is every port)."),
        http: z.array(tenantHttpRule).min(1).optional().describe("L7 HTTP rules on the rule's TCP ports (Cilium's Envoy proxy enforces them)."),
    })
    .superRefine(refineTenantRule(["toPods", "toEntities", "toFQDNs"], "toPods", "toNamespace"));

export const tenantNetworkPolicyConfig = z
    .strictObject({
        name: z.string().regex(DNS1123_LABEL, "must be a DNS-1123 label").max(56, "must be at most 56 characters (the host object is tenant-<name>)").describe("The host object is tenant-<name>."),
        namespace: virtualNamespace.optional().describe("Virtual namespace of the selected pods; default: every namespace of the tenant."),
        podSelector: tenantLabels.default({}).describe("Labels of the selected pods, as the tenant writes them; default {} (every pod)."),
        ingress: z.array(ingressRule).default([]).describe("Ingress allowances (each: exactly one of fromPods, fromEntities)."),
        egress: z.array(egressRule).default([]).describe("Egress allowances (each: exactly one of toPods, toEntities, toFQDNs)."),
    })
    .refine((p) => p.ingress.length + p.egress.length > 0, "must have at least one ingress or egress rule");

/** LimitRange defaults: container resource name → quantity. */
export const limitMap = z.record(z.string(), z.string()).superRefine((limits, ctx) => {
    for (const [name, value] of Object.entries(limits)) {
        const found = limitEntryProblem(name, value);
        if (found) ctx.addIssue({ code: "custom", path: [name], message: found.on === "key" ? `the resource name ${quoteInput(name)} ${found.problem}` : `${quoteInput(value)} ${found.problem}`, params: SELF_CONTAINED });
    }
});

export const vclusterConfig = z.strictObject({
    name: z
        .string()
        .max(VCLUSTER_NAME_MAX, `must be at most ${VCLUSTER_NAME_MAX} characters: the chart derives "<name>-<revision hash>" labels limited to 63`)
        .regex(DNS1035_LABEL, "must start with a lowercase letter and contain only lowercase letters, digits and '-' (it names a Service)").describe("Tenant name: the Helm release and Service <name> in namespace vcluster-<name>, the kubeconfig context <cluster>-<name>."),
    version: vclusterVersion.default(DEFAULT_VERSIONS.vcluster).describe("vCluster chart release (0.36 runs the k8s distro, 0.20 the k3s one), each only on the host Kubernetes versions it supports."),
    kubernetesVersion: z.string().regex(/^v?1\.\d+$/, "must be a Kubernetes minor like \"1.35\" (quoted; the vCluster chart release is `version`)").optional().describe("The tenant's Kubernetes minor (\"1.35\"), one its release's distro offers; default: the chart's own. Not the chart `version`."),
    expose: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).default("ClusterIP").describe("How the tenant's API server is reached: ClusterIP (kubectl port-forward), NodePort or LoadBalancer."),
    nodePort: nodePort.optional().describe(`NodePort for expose: NodePort; default: ${VCLUSTER_NODEPORT_BASE} + the vCluster's index in the cluster.`),
    loadBalancerIP: z.string().refine(isIpv4, "must be an IPv4 address").optional().describe("Fixed LoadBalancer IP for expose: LoadBalancer (requested through MetalLB)."),
    isolate: z.boolean().default(DEFAULT_VCLUSTER_ISOLATE).describe("Tenant isolation with host NetworkPolicies: the chart's egress fence plus Kubeloom's ingress isolation."),
    podSecurityStandard: z.enum(POD_SECURITY_LEVELS).default(DEFAULT_POD_SECURITY_STANDARD).describe("Pod Security Standard of the tenant's pods (syncer and host namespace labels, see components/tenant-policy.ts)."),
    build: z.enum(VCLUSTER_BUILDS).default(DEFAULT_VCLUSTER_BUILD).describe("Control-plane image: the pure open-source build or the one with licensed modules (chart default)."),
    networkPolicies: z.array(tenantNetworkPolicyConfig).default([]).describe("Host-side CiliumNetworkPolicies for the tenant's pods, in the tenant's terms."),
    quota: z.boolean().default(DEFAULT_VCLUSTER_QUOTA).describe("The chart's ResourceQuota and LimitRange; resourceQuota / limitRange override their entries."),
    resourceQuota: z
        .record(z.string(), z.union([z.string(), z.number()]))
        .superRefine((quota, ctx) => {
            for (const [name, value] of Object.entries(quota)) {
                const found = quotaEntryProblem(name, value);
                if (found) ctx.addIssue({ code: "custom", path: [name], message: found.on === "key" ? `the resource name ${quoteInput(name)} ${found.problem}` : `${quoteInput(value)} ${found.problem}`, params: SELF_CONTAINED });
            }
        })
        .optional().describe("ResourceQuota entries that override the chart's: resource name → quantity, e.g. { requests.cpu: \"4\", pods: \"20\" }."),
    limitRange: z
        .strictObject({
            default: limitMap.optional().describe("Default limits per container: resource name → quantity."),
            defaultRequest: limitMap.optional().describe("Default requests per container: resource name → quantity."),
        })
        .optional().describe("LimitRange defaults that override the chart's."),
    demo: z.boolean().default(false).describe("Deploy seed 000's Star Wars demo (deathstar, tiefighter, xwing) inside this tenant (NodePort or LoadBalancer only)."),
    verify: z.boolean().default(false).describe("At `up`, expect \"Ship landed\" for tiefighter and, with a tenant policy guarding the Death Star, a refused xwing."),
    values: chartValues.describe("The vcluster chart's own values, deep-merged over Kubeloom's (maps merge, lists and scalars replace); checked against the owned keys and the chart release."),
    valuesFile: valuesFilePath.describe("A YAML file of vcluster chart values (path relative to the project), merged under `values`."),
});

export type TenantNetworkPolicyConfig = z.output<typeof tenantNetworkPolicyConfig>;
