/**
 * The typed stack configuration: one zod schema for every `kubeloom:*` key, defaults in one place, and error
 * messages that name the key path (`clusters[1].podCidr`), the value received and what is allowed.
 *
 * Validation is a pure function of the raw config map, so the offline plan, `pulumi up` and the tests all
 * reject the same inputs before a single resource is registered.
 */
import { z } from "zod";
import { isIpv4, parseCidr } from "../lib/cidr";
import { CHAINING_MODES, chainsOntoPrimaryCni, defaultChainingTarget } from "../components/cilium-values";
import { ENCRYPTION_TYPES, TUNNEL_PROTOCOLS } from "../components/cilium-features";
import { IPSEC_KEY_ID_RANGE } from "../components/ipsec-key";
import { GLOBAL_SERVICE_PROTOCOLS, globalServicePorts } from "../components/mesh-services";

export { CHAINING_MODES, chainsOntoPrimaryCni } from "../components/cilium-values";
import { DEFAULT_K3S_DISABLE, DEFAULT_VERSIONS, K3S_PACKAGED_COMPONENTS, VCLUSTER_NAME_MAX } from "../components/versions";
import { POD_SECURITY_LEVELS, TENANT_ENTITIES } from "../components/tenant-policy";
import {
    dns1123LabelProblem,
    imageReferenceProblem,
    labelKeyProblem,
    labelValueProblem,
    limitEntryProblem,
    nodeNameProblem,
    portNameProblem,
    posixUserNameProblem,
    qualifiedNameProblem,
    quotaEntryProblem,
} from "./k8s-formats";
import { K3S_LINES, k3sLine, kindNodeLine, minorOf, supportedVersions } from "../components/support-matrix";

export { CLUSTERMESH_NODEPORT_BASE, DEFAULT_K3S_DISABLE, DEFAULT_VERSIONS, K3S_PACKAGED_COMPONENTS, VCLUSTER_NAME_MAX, VCLUSTER_NODEPORT_BASE } from "../components/versions";

// ---------------------------------------------------------------------------------------------------------------
// Field schemas

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsName = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;

const clusterName = z
    .string()
    .max(32, "must be at most 32 characters (Cilium's cluster.name limit)")
    .regex(dns1123Label, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric")
    .refine((name) => name !== "default", "must not be \"default\" (Cilium rejects it together with a cluster id)");

const hostAddress = z
    .string()
    // A dotted-digits host that is not a valid IPv4 address (300.1.1.1, 010.0.0.1, 10.1) is a typo, not a DNS
    // name: resolvers and ssh would read it as an (octal / shortened) address or fail late.
    .refine((h) => isIpv4(h) || (!/^[0-9.]+$/.test(h) && dnsName.test(h)), "must be an IPv4 address (four octets 0-255 without leading zeros) or a DNS name (or \"localhost\")");

/** Marks a custom issue whose message already names the value (map entries): no "the string …" prefix is added. */
const SELF_CONTAINED = { selfContained: true } as const;

/** A string checked by one of the k8s-formats rules (the reason becomes the message). */
function checkedString(problem: (text: string) => string | undefined) {
    return z.string().superRefine((text, ctx) => {
        const reason = problem(text);
        if (reason) ctx.addIssue({ code: "custom", message: reason });
    });
}

/** A map of Kubernetes labels (nodeSelector, Service selector): each key a qualified name, each value a label value. */
const labelMap = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
    for (const [key, value] of Object.entries(labels)) {
        const keyProblem = labelKeyProblem(key);
        if (keyProblem) ctx.addIssue({ code: "custom", path: [key], message: `the label key ${JSON.stringify(key)} ${keyProblem}`, params: SELF_CONTAINED });
        const valueProblem = labelValueProblem(value);
        if (valueProblem) ctx.addIssue({ code: "custom", path: [key], message: `the label value ${JSON.stringify(value)} ${valueProblem}`, params: SELF_CONTAINED });
    }
});

const cidrText = z.string().superRefine((text, ctx) => {
    const parsed = parseCidr(text);
    if (typeof parsed === "string") {
        ctx.addIssue({ code: "custom", message: parsed });
    }
});

/** PATH_MAX on Linux: no file name is longer. */
export const PATH_MAX = 4096;

/** True when a value given for a file *path* is really file content (a key or kubeconfig pasted in). */
export function looksLikePastedSecret(text: string): boolean {
    return text.length > PATH_MAX || /[\r\n]/.test(text) || text.includes("BEGIN") || text.includes("apiVersion:");
}

/** A path to a credential file; a pasted credential is refused without ever being echoed back. */
const credentialPath = (hint: string) =>
    z
        .string()
        .min(1)
        .refine((p) => !looksLikePastedSecret(p), `looks like the secret itself, not a file path (it is not shown here); ${hint}`);

const port = z.number().int().min(1).max(65535);
const nodePort = z.number().int().min(30000, "must be a NodePort (30000-32767)").max(32767, "must be a NodePort (30000-32767)");

const semver = /^v?\d+\.\d+\.\d+$/;

/** A version string of the given form. */
const versionText = (pattern: RegExp, example: string) => z.string().regex(pattern, `must be a version like ${example}`);

/** An exact chart release of the support matrix (components/support-matrix.ts), listing the supported ones. */
function chartVersion(component: "cilium" | "vcluster" | "metallb", why: string) {
    const supported = supportedVersions(component);
    return versionText(semver, supported[supported.length - 1]).refine(
        (v) => supported.includes(v.replace(/^v/, "")),
        `is not in Kubeloom's support matrix: supported ${component} versions are ${supported.join(", ")} (${why})`,
    );
}

const k3sVersion = versionText(/^v\d+\.\d+\.\d+\+k3s\d+$/, DEFAULT_VERSIONS.k3s).refine(
    (v) => k3sLine(v) !== undefined,
    `is on a K3s line outside Kubeloom's support matrix: supported lines are v${K3S_LINES[0].kubernetes} to v${K3S_LINES[K3S_LINES.length - 1].kubernetes} (${supportedVersions("k3s").join(", ")}; the Kubernetes versions some supported Cilium runs on)`,
);
const kindNodeImage = z
    .string()
    .min(1)
    .refine(
        (image) => kindNodeLine(image) !== undefined,
        `must be a kind node image tagged v1.<minor>.<patch> on a supported line (${supportedVersions("kind").join(", ")}), e.g. ${DEFAULT_VERSIONS.kindNode}`,
    );
const ciliumVersion = chartVersion("cilium", "the releases whose chart schema and templates Kubeloom's values are checked against");
const vclusterVersion = chartVersion("vcluster", "the chart schema is strict and its keys change between releases");
const metallbVersion = chartVersion("metallb", "the releases whose CRDs Kubeloom's pools are checked against");
/** An existing cluster's Kubernetes minor, e.g. "1.36" (a patch is allowed and ignored). */
const kubernetesVersion = z
    .string()
    .regex(/^v?1\.\d+(\.\d+)?$/, "must be a Kubernetes version like \"1.36\"")
    .refine((v) => K3S_LINES.some((line) => line.kubernetes === minorOf(v)), `is outside Kubeloom's support matrix: supported Kubernetes versions are ${K3S_LINES[0].kubernetes} to ${K3S_LINES[K3S_LINES.length - 1].kubernetes}`);

// Kubernetes' own checks of a toleration (pkg/apis/core/validation ValidateTolerations), so the chart never
// renders a DaemonSet the API server rejects after Helm has started.
const toleration = z
    .strictObject({
        key: checkedString(qualifiedNameProblem).optional(),
        operator: z.enum(["Exists", "Equal"]).optional(),
        value: checkedString(labelValueProblem).optional(),
        effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
        tolerationSeconds: z.number().int().optional(),
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

const sshTarget = {
    host: hostAddress,
    /** SSH user; required unless host is localhost. Reaches ssh and sudo, so it must be a plain POSIX user name. */
    user: checkedString(posixUserNameProblem).optional(),
    port: port.default(22),
};

/** A K3s node in `servers` or `agents`: user defaults to source.k3s.user, port to 22 (as an agent's always did). */
const k3sNode = z.strictObject({ ...sshTarget });

/** Hosts a K3s source may skip the uninstall of on destroy (see README "Destroy with a host gone"). */
const skipUninstall = z.array(hostAddress).default([]);

const k3sSource = z
    .strictObject({
        /** The one-server shorthand: the same as `servers: [{ host }]`. Exactly one of host and servers. */
        host: sshTarget.host.optional(),
        /** Embedded-etcd servers: 1, 3 or 5 (etcd quorum); the first initialises the cluster. */
        servers: z.array(k3sNode).min(1, "must list at least one server").optional(),
        /** SSH user of every node without its own. Required unless every node has one or the server is localhost. */
        user: sshTarget.user,
        /** SSH port of `host`. */
        port: sshTarget.port,
        /** The fixed address (VIP, DNS name, load balancer) nodes join and clients use; required with > 1 server. */
        registrationAddress: hostAddress.refine((h) => h !== "localhost", "cannot be \"localhost\": other nodes and clients must reach it").optional(),
        version: k3sVersion.default(DEFAULT_VERSIONS.k3s),
        apiPort: port.default(6443),
        disable: z.array(z.enum(K3S_PACKAGED_COMPONENTS)).default([...DEFAULT_K3S_DISABLE]),
        tlsSans: z.array(hostAddress).default([]),
        /** Path to an SSH private key file read at run time (kept secret); else kubeloom:sshPrivateKey. */
        sshPrivateKeyPath: credentialPath("give the key file's path (e.g. ~/.ssh/id_ed25519), or set the secret with `pulumi config set --secret kubeloom:sshPrivateKey < ~/.ssh/id_ed25519`").optional(),
        agents: z.array(k3sNode).default([]),
        /** Nodes that no longer exist: their uninstall is skipped (with a warning) when they are destroyed. */
        skipUninstall,
    })
    .superRefine((k3s, ctx) => {
        if ((k3s.host === undefined) === (k3s.servers === undefined)) {
            ctx.addIssue({
                code: "custom",
                path: [k3s.host === undefined ? "host" : "servers"],
                message: k3s.host === undefined ? "is required: set host (one server) or servers (1, 3 or 5 servers)" : "cannot be set together with host: host is the one-server shorthand for servers; keep one",
            });
            return;
        }
        const servers: ReadonlyArray<{ host: string; user?: string }> = k3s.servers ?? [{ host: k3s.host! }];
        servers.forEach((server, i) => {
            if (server.host !== "localhost" && !server.user && !k3s.user) {
                ctx.addIssue({ code: "custom", path: k3s.servers ? ["servers", i, "user"] : ["user"], message: "is required when host is not \"localhost\" (the SSH user, e.g. \"ubuntu\")" });
            }
        });
        k3s.agents.forEach((agent, i) => {
            if (!agent.user && !k3s.user) {
                ctx.addIssue({ code: "custom", path: ["agents", i, "user"], message: "is required (no source.k3s.user to inherit)" });
            }
            if (agent.host === "localhost") {
                ctx.addIssue({ code: "custom", path: ["agents", i, "host"], message: "cannot be \"localhost\": agents join over SSH" });
            }
        });
    });

const kindSource = z.strictObject({
    /** Reaches `kind create cluster --image`: an OCI reference on a supported kind line, validated as both. */
    nodeImage: checkedString(imageReferenceProblem).pipe(kindNodeImage).default(DEFAULT_VERSIONS.kindNode),
    workers: z.number().int().min(0).max(10).default(1),
    /** Host port of the kind API server; must differ between kind clusters on one machine. */
    apiServerPort: port.optional(),
});

const kubeconfigSource = z.strictObject({
    /** A kubeconfig file read at run time; else the secret kubeloom:sourceKubeconfigs.<cluster name>. */
    path: credentialPath("give the kubeconfig file's path, or set it as a secret with `pulumi config set --secret --path 'kubeloom:sourceKubeconfigs.<cluster name>' \"$(cat kubeconfig)\"`").optional(),
    /** Context to use from it; default: its current-context. */
    context: z.string().min(1).optional(),
    /** Address of a node where NodePorts answer (NodePort vClusters, Hubble UI); default: cilium.k8sServiceHost. */
    nodeAddress: hostAddress.optional(),
    /**
     * The cluster's Kubernetes minor ("1.36"), checked against the support matrix and used by `plan --render`.
     * Default: unknown — Kubeloom cannot read it offline, so no matrix check is made for this cluster.
     */
    kubernetesVersion: kubernetesVersion.optional(),
});

const stackReferenceSource = z.strictObject({
    /** Fully qualified stack name, e.g. "acme/kubeloom/platform" or "platform" on the local backend. */
    stack: z.string().min(1),
    /** Output holding a map of context name → kubeconfig. */
    output: z.string().min(1).default("kubeconfigs"),
    /** Context (map key) to use. */
    context: z.string().min(1),
    /** Address of a node where NodePorts answer (NodePort vClusters, Hubble UI); default: cilium.k8sServiceHost. */
    nodeAddress: hostAddress.optional(),
    /** The cluster's Kubernetes minor ("1.36"), as for `kubeconfig`. Default: unknown, no matrix check. */
    kubernetesVersion: kubernetesVersion.optional(),
});

const SOURCE_KINDS = ["k3s", "kind", "kubeconfig", "stackReference"] as const;

const clusterSource = z
    .strictObject({
        k3s: k3sSource.optional(),
        kind: kindSource.optional(),
        kubeconfig: kubeconfigSource.optional(),
        stackReference: stackReferenceSource.optional(),
    })
    .superRefine((source, ctx) => {
        const given = SOURCE_KINDS.filter((k) => source[k] !== undefined);
        if (given.length !== 1) {
            ctx.addIssue({
                code: "custom",
                message: `must have exactly one of ${SOURCE_KINDS.join(", ")} (got ${given.length ? given.join(" and ") : "none"})`,
            });
        }
    });

/** One plugin object of a CNI conflist (`{"type": "flannel", ...}`), copied as it is from the node. */
/** A CNI network name ("name" of a conflist): libcni accepts letters, digits, '.', '_' and '-', starting alphanumeric. */
const cniNetworkName = z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "must be a CNI network name: the \"name\" of the primary CNI's conflist in /etc/cni/net.d (letters, digits, '.', '_', '-'), e.g. \"cbr0\" for flannel");

const ciliumConfig = z
    .strictObject({
        /**
         * Whether this stack installs Cilium. Default: true, except for a `stackReference` source, whose cluster
         * (and its Cilium) another stack manages — a tenants stack only adds vClusters.
         */
        install: z.boolean().optional(),
        version: ciliumVersion.default(DEFAULT_VERSIONS.cilium),
        kubeProxyReplacement: z.boolean().default(true),
        /**
         * How Cilium carries pod traffic between nodes. Default: "tunnel", except with a chaining mode that keeps a
         * primary CNI (generic-veth, aws-cni, flannel), where the primary routes and the default is "native"
         * (rendered without a tunnel and without Cilium's own node routes, as the chaining guides do).
         */
        routingMode: z.enum(["tunnel", "native"]).optional(),
        /**
         * Default: "kubernetes" (the node podCIDRs), except with a chaining mode that keeps a primary CNI, where it is
         * "cluster-pool" over `chaining.routerCidr`: the primary CNI hands the node podCIDR to pods (see chaining).
         */
        ipamMode: z.enum(["kubernetes", "cluster-pool"]).optional(),
        hubble: z
            .strictObject({
                relay: z.boolean().default(true),
                ui: z.boolean().default(true),
                /** Expose hubble-ui as a NodePort on this port. */
                uiNodePort: nodePort.optional(),
                /**
                 * Hubble metric handlers (hubble.metrics.enabled), e.g. the seeds' [dns, drop, tcp, flow,
                 * port-distribution, icmp, http]; each optionally `<name>:<options>`. Default: none (metrics off).
                 */
                metrics: z.array(z.string().min(1)).min(1, "must list at least one metric (leave the key out to turn metrics off)").optional(),
                /**
                 * Also write a ServiceMonitor for the Hubble metrics (hubble.metrics.serviceMonitor.enabled). Needs
                 * Prometheus Operator's CRDs (monitoring.coreos.com/v1) in the cluster; Kubeloom does not install them.
                 */
                serviceMonitor: z.boolean().default(false),
            })
            .default({ relay: true, ui: true, serviceMonitor: false }),
        nodeSelector: labelMap.default({}),
        tolerations: z.array(toleration).default([]),
        operatorReplicas: z.number().int().min(1).max(5).optional(),
        /** API server address for kube-proxy replacement when the cluster is not created by Kubeloom. */
        k8sServiceHost: hostAddress.optional(),
        k8sServicePort: port.optional(),
        chaining: z
            .strictObject({
                mode: z.enum(CHAINING_MODES),
                /**
                 * Opt-in: label these nodes with `nodeSelector` (and taint them with the taints `tolerations` name);
                 * reverted on destroy. Default: no node is touched.
                 */
                nodes: z.array(checkedString(nodeNameProblem)).default([]),
                /**
                 * generic-veth and flannel: the network name ("name") of the primary CNI's conflist on the nodes. The
                 * agent copies that conflist, appends cilium-cni and keeps the name (cni.chainingTarget), so pods keep
                 * one IPAM store. Default: "cbr0" for flannel (the name in flannel's kube-flannel.yml and in K3s'
                 * flannel); required for generic-veth; not used with aws-cni (implied "aws-cni") or portmap.
                 */
                target: cniNetworkName.optional(),
                /**
                 * generic-veth, aws-cni, flannel (required there): an IPv4 CIDR that no pod, Service or node uses. Cilium
                 * takes its own per-node addresses (the cilium_host router IP) from it, one /28 per node, instead of
                 * from the node podCIDR the primary CNI hands to pods (cilium/cilium#9590, #22286).
                 */
                routerCidr: cidrText.optional(),
            })
            .optional(),
        /**
         * Transparent encryption of pod traffic between nodes (and clusters of a mesh): `wireguard` or `ipsec`.
         * `nodeEncryption` (WireGuard only) also encrypts node traffic, except to and from control-plane nodes;
         * `keyId` (IPsec only, 1-15) numbers the generated key: raise it to rotate. Default: off.
         */
        encryption: z
            .strictObject({
                type: z.enum(ENCRYPTION_TYPES),
                nodeEncryption: z.boolean().optional(),
                keyId: z.number().int().min(IPSEC_KEY_ID_RANGE.first, "must be an IPsec key id from 1 to 15").max(IPSEC_KEY_ID_RANGE.last, "must be an IPsec key id from 1 to 15").optional(),
            })
            .optional(),
        /** Tunnel protocol with routingMode tunnel: vxlan (UDP 8472) or geneve (UDP 6081). Default: the chart's vxlan. */
        tunnelProtocol: z.enum(TUNNEL_PROTOCOLS).optional(),
        /** The agent's network devices (`devices`). Default: Cilium's auto-detection. */
        devices: z.array(z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_.+]{0,14}$/, "must be a network interface name like eth0")).min(1, "must list at least one interface (leave the key out for auto-detection)").optional(),
        /**
         * Cilium's Gateway API controller (HTTP entry point): the Gateway API CRDs the Cilium release supports,
         * installed before Cilium, the GatewayClass `cilium`, and optionally one Gateway with a LoadBalancer address.
         */
        gatewayAPI: z
            .strictObject({
                enabled: z.boolean().default(true),
                /** One Gateway (HTTP on port 80, routes from every namespace) with this LoadBalancer address from the cluster's pool. */
                gateway: z
                    .strictObject({
                        name: checkedString(dns1123LabelProblem).default("kubeloom"),
                        namespace: checkedString(dns1123LabelProblem).default("default"),
                        address: z.string().refine(isIpv4, "must be an IPv4 address"),
                    })
                    .optional(),
            })
            .optional(),
        waitTimeoutSeconds: z.number().int().min(60).max(3600).default(600),
        /** Run the post-install checks (cilium-dbg status, ClusterIP/NodePort curl) during `up`. */
        verify: z.boolean().default(false),
    })
    // The routing, IPAM and chaining-target defaults depend on the chaining mode; resolved here so every reader sees the effective value.
    .transform((cilium) => ({
        ...cilium,
        routingMode: cilium.routingMode ?? (chainsOntoPrimaryCni(cilium.chaining?.mode) ? ("native" as const) : ("tunnel" as const)),
        ipamMode: cilium.ipamMode ?? (chainsOntoPrimaryCni(cilium.chaining?.mode) ? ("cluster-pool" as const) : ("kubernetes" as const)),
        chaining: cilium.chaining && { ...cilium.chaining, target: cilium.chaining.target ?? defaultChainingTarget(cilium.chaining.mode) },
    }));

/** A Kubernetes label key (optional DNS prefix + "/" + name ≤ 63) and value, as a tenant writes them. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/, "must be a Kubernetes label value (≤ 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends)");
const tenantLabels = z.record(z.string(), labelValue).superRefine((labels, ctx) => {
    for (const key of Object.keys(labels)) {
        if (!LABEL_KEY.test(key)) ctx.addIssue({ code: "custom", path: [key], message: `the key ${JSON.stringify(key)} is not a Kubernetes label key ([prefix/]name, name ≤ 63 characters of [A-Za-z0-9-_.])` });
    }
});
const virtualNamespace = z.string().regex(dns1123Label, "must be a virtual namespace name (DNS-1123 label)").max(63);

const tenantPort = z.strictObject({ port: port, protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP") });
const tenantHttpRule = z.strictObject({
    method: z.string().regex(/^[A-Z]+$/, "must be an HTTP method in capitals, e.g. POST (Cilium matches it as a regular expression)").optional(),
    /** A regular expression over the path, as Cilium's PortRuleHTTP.path (e.g. /v1/request-landing). */
    path: z.string().startsWith("/", "must start with /").optional(),
    host: z.string().min(1).optional(),
    /** Headers that must be present ("Name" or "Name: value"). */
    headers: z.array(z.string().min(1)).optional(),
});
const fqdnSelector = z
    .strictObject({
        matchName: z.string().regex(/^([-a-zA-Z0-9_]+[.]?)+$/, "must be a DNS name like api.github.com").optional(),
        matchPattern: z.string().regex(/^([-a-zA-Z0-9_*]+[.]?)+$/, "must be a DNS pattern like *.github.com").optional(),
    })
    .refine((f) => (f.matchName === undefined) !== (f.matchPattern === undefined), "must have exactly one of matchName, matchPattern");

/**
 * Rule checks shared by both directions: exactly one kind of peer; the namespace only beside pods; HTTP rules only
 * on TCP ports they can apply to.
 */
function refineTenantRule(peers: readonly string[], podsKey: string, namespaceKey: string) {
    return (rule: Record<string, unknown> & { ports: Array<{ protocol: string }>; http?: unknown[] }, ctx: z.RefinementCtx) => {
        const given = peers.filter((k) => rule[k] !== undefined);
        if (given.length !== 1) {
            ctx.addIssue({ code: "custom", message: `must have exactly one of ${peers.join(", ")} (got ${given.length ? given.join(" and ") : "none"})` });
        }
        if (rule[namespaceKey] !== undefined && rule[podsKey] === undefined) {
            ctx.addIssue({ code: "custom", path: [namespaceKey], message: `is only used with ${podsKey} (the virtual namespace of those pods)` });
        }
        if (rule.http !== undefined && rule.ports.length === 0) {
            ctx.addIssue({ code: "custom", path: ["http"], message: "needs ports: HTTP rules apply to the listed ports (e.g. ports: [{ port: 80 }])" });
        }
        if (rule.http !== undefined && rule.ports.some((p) => p.protocol !== "TCP")) {
            ctx.addIssue({ code: "custom", path: ["http"], message: "applies to TCP ports only; move the UDP/SCTP ports to another rule" });
        }
    };
}

const ingressRule = z
    .strictObject({
        /** Pods of the same tenant (labels as the tenant writes them; {} is every pod). */
        fromPods: tenantLabels.optional(),
        /** Virtual namespace of those pods; default: any namespace of the tenant. */
        fromNamespace: virtualNamespace.optional(),
        fromEntities: z.array(z.enum(TENANT_ENTITIES)).min(1).optional(),
        ports: z.array(tenantPort).default([]),
        http: z.array(tenantHttpRule).min(1).optional(),
    })
    .superRefine(refineTenantRule(["fromPods", "fromEntities"], "fromPods", "fromNamespace"));

const egressRule = z
    .strictObject({
        toPods: tenantLabels.optional(),
        toNamespace: virtualNamespace.optional(),
        toEntities: z.array(z.enum(TENANT_ENTITIES)).min(1).optional(),
        toFQDNs: z.array(fqdnSelector).min(1).optional(),
        ports: z.array(tenantPort).default([]),
        http: z.array(tenantHttpRule).min(1).optional(),
    })
    .superRefine(refineTenantRule(["toPods", "toEntities", "toFQDNs"], "toPods", "toNamespace"));

const tenantNetworkPolicyConfig = z
    .strictObject({
        /** The host object is tenant-<name>. */
        name: z.string().regex(dns1123Label, "must be a DNS-1123 label").max(56, "must be at most 56 characters (the host object is tenant-<name>)"),
        /** Virtual namespace of the selected pods; default: every namespace of the tenant. */
        namespace: virtualNamespace.optional(),
        /** Labels of the selected pods, as the tenant writes them; default {} (every pod). */
        podSelector: tenantLabels.default({}),
        ingress: z.array(ingressRule).default([]),
        egress: z.array(egressRule).default([]),
    })
    .refine((p) => p.ingress.length + p.egress.length > 0, "must have at least one ingress or egress rule");

/** LimitRange defaults: container resource name → quantity. */
const limitMap = z.record(z.string(), z.string()).superRefine((limits, ctx) => {
    for (const [name, value] of Object.entries(limits)) {
        const found = limitEntryProblem(name, value);
        if (found) ctx.addIssue({ code: "custom", path: [name], message: found.on === "key" ? `the resource name ${JSON.stringify(name)} ${found.problem}` : `${JSON.stringify(value)} ${found.problem}`, params: SELF_CONTAINED });
    }
});

const vclusterConfig = z.strictObject({
    name: z
        .string()
        .max(VCLUSTER_NAME_MAX, `must be at most ${VCLUSTER_NAME_MAX} characters: the chart derives "<name>-<revision hash>" labels limited to 63`)
        .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must start with a lowercase letter and contain only lowercase letters, digits and '-' (it names a Service)"),
    version: vclusterVersion.default(DEFAULT_VERSIONS.vcluster),
    expose: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).default("ClusterIP"),
    /** NodePort for expose: NodePort; default: 31443 + the vCluster's index in the cluster. */
    nodePort: nodePort.optional(),
    /** Fixed LoadBalancer IP for expose: LoadBalancer (requested through MetalLB). */
    loadBalancerIP: z.string().refine(isIpv4, "must be an IPv4 address").optional(),
    /** Tenant isolation with host NetworkPolicies: the chart's egress fence plus Kubeloom's ingress isolation. */
    isolate: z.boolean().default(true),
    /** Pod Security Standard of the tenant's pods (syncer and host namespace labels, see components/tenant-policy.ts). */
    podSecurityStandard: z.enum(POD_SECURITY_LEVELS).default("baseline"),
    /** Control-plane image: the pure open-source build or the one with licensed modules (chart default). */
    build: z.enum(["oss", "pro"]).default("oss"),
    /** Host-side CiliumNetworkPolicies for the tenant's pods, in the tenant's terms. */
    networkPolicies: z.array(tenantNetworkPolicyConfig).default([]),
    /** The chart's ResourceQuota and LimitRange; resourceQuota / limitRange override their entries. */
    quota: z.boolean().default(true),
    resourceQuota: z
        .record(z.string(), z.union([z.string(), z.number()]))
        .superRefine((quota, ctx) => {
            for (const [name, value] of Object.entries(quota)) {
                const found = quotaEntryProblem(name, value);
                if (found) ctx.addIssue({ code: "custom", path: [name], message: found.on === "key" ? `the resource name ${JSON.stringify(name)} ${found.problem}` : `${JSON.stringify(value)} ${found.problem}`, params: SELF_CONTAINED });
            }
        })
        .optional(),
    limitRange: z
        .strictObject({
            default: limitMap.optional(),
            defaultRequest: limitMap.optional(),
        })
        .optional(),
});

const metallbConfig = z.strictObject({
    version: metallbVersion.default(DEFAULT_VERSIONS.metallb),
    addresses: z.array(z.string()).min(1, "must list at least one CIDR or range"),
});

const ciliumLoadBalancerConfig = z.strictObject({
    /** Pool entries, the same forms as loadBalancer.metallb.addresses: CIDRs or a.b.c.d-e.f.g.h ranges. */
    addresses: z.array(z.string()).min(1, "must list at least one CIDR or range"),
    /**
     * The agent's `devices`, which must include the NIC that answers ARP for the addresses; also the L2 policy's
     * interfaces. Default: Cilium's auto-detection and every interface.
     */
    devices: z.array(z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_.+]{0,14}$/, "must be a network interface name like eth0")).default([]),
});

const clusterConfig = z.strictObject({
    name: clusterName,
    id: z.number().int().min(1, "must be from 1 to 255 (511 with mesh.maxConnectedClusters: 511)").max(511, "must be from 1 to 255 (511 with mesh.maxConnectedClusters: 511)"),
    podCidr: cidrText,
    serviceCidr: cidrText,
    /** Protect the cluster's resources from deletion; default: on unless the stack is named dev or test. */
    protect: z.boolean().optional(),
    /**
     * The cluster is gone: its Kubernetes provider drops the cluster's resources from the state instead of failing
     * to reach it (pulumi-kubernetes `deleteUnreachable`). For finishing a destroy only; see README.
     */
    deleteUnreachable: z.boolean().default(false),
    source: clusterSource,
    cilium: ciliumConfig.default(() => ciliumConfig.parse({})),
    vclusters: z.array(vclusterConfig).default([]),
    loadBalancer: z
        .strictObject({
            metallb: metallbConfig.optional(),
            /** Cilium LB-IPAM + L2 announcements instead of MetalLB (Cilium ≥ 1.18, kube-proxy replacement). */
            cilium: ciliumLoadBalancerConfig.optional(),
        })
        .optional(),
    clustermesh: z
        .strictObject({
            /** LoadBalancer IP of the clustermesh-apiserver; default: the first address of the MetalLB pool. */
            apiserverIP: z.string().refine(isIpv4, "must be an IPv4 address").optional(),
            /** NodePort of the clustermesh-apiserver for mesh.serviceType NodePort; default 32379 + mesh index. */
            nodePort: nodePort.optional(),
            /** Node address peers dial for NodePort; default: the cluster's API host. */
            nodeAddress: hostAddress.optional(),
        })
        .optional(),
});

const globalService = z.strictObject({
    name: checkedString(dns1123LabelProblem),
    namespace: checkedString(dns1123LabelProblem).default("default"),
    /** io.cilium/service-affinity. */
    affinity: z.enum(["none", "local", "remote"]).default("none"),
    /** Clusters that do not share their backends (io.cilium/shared-service: "false"). */
    notSharedIn: z.array(z.string()).default([]),
    ports: z
        .array(
            z.strictObject({
                port: port,
                targetPort: port.optional(),
                name: checkedString(portNameProblem).optional(),
                /** TCP (default), UDP, or TCP+UDP (two Service ports, `<name>-tcp` and `<name>-udp`), e.g. DNS. */
                protocol: z.enum(GLOBAL_SERVICE_PROTOCOLS).default("TCP"),
            }),
        )
        .min(1)
        .superRefine((ports, ctx) => {
            // Kubernetes requires distinct port numbers per protocol and distinct names; with more than one port entry,
            // unnamed ones are called port-<port>, and a TCP+UDP port becomes <name>-tcp and <name>-udp
            // (components/mesh-services.ts globalServicePorts, which this reads so the names are the rendered ones).
            const protocolsOf = (p: (typeof ports)[number]) => (p.protocol === "TCP+UDP" ? ["TCP", "UDP"] : [p.protocol]);
            const entries = globalServicePorts(ports);
            let entry = 0;
            const namesByPort = ports.map((p) => protocolsOf(p).map(() => entries[entry++].name as string | undefined));
            ports.forEach((p, k) => {
                const samePort = ports.findIndex((q) => q.port === p.port && protocolsOf(q).some((proto) => protocolsOf(p).includes(proto)));
                if (samePort < k) ctx.addIssue({ code: "custom", path: [k, "port"], message: `${p.port} is also ports[${samePort}].port with the same protocol; each port of a Service must be distinct per protocol (use protocol: TCP+UDP for both)`, params: SELF_CONTAINED });
                for (const name of namesByPort[k]) {
                    if (name === undefined) continue;
                    const problem = portNameProblem(name);
                    if (problem && p.protocol === "TCP+UDP") ctx.addIssue({ code: "custom", path: [k, "name"], message: `gives the Service port name ${JSON.stringify(name)} with protocol TCP+UDP, which ${problem}`, params: SELF_CONTAINED });
                    const sameName = namesByPort.findIndex((names) => names.includes(name));
                    if (sameName < k) {
                        ctx.addIssue({ code: "custom", path: [k, "name"], message: `${JSON.stringify(name)} is also the name of ports[${sameName}] (unnamed ports are called port-<port>, TCP+UDP ports <name>-tcp/-udp); port names must be unique`, params: SELF_CONTAINED });
                    }
                }
            });
        }),
    selector: labelMap,
});

const meshConfig = z.strictObject({
    enabled: z.boolean().default(true),
    /** Names of the clusters in the mesh; default: all clusters. */
    clusters: z.array(z.string()).optional(),
    serviceType: z.enum(["LoadBalancer", "NodePort"]).default("LoadBalancer"),
    maxConnectedClusters: z.union([z.literal(255), z.literal(511)]).default(255),
    globalServices: z.array(globalService).default([]),
    /** Deploy the rebel-base / x-wing demo with a global service and cross-cluster policy. */
    demo: z.boolean().default(false),
    /** At `up`, curl the demo global service from x-wing in each cluster and fail unless the clusters the demo policy allows answered. */
    verify: z.boolean().default(false),
});

/** The whole `kubeloom:*` namespace. Secrets are top-level keys so the CLI can encrypt them. */
export const stackConfigSchema = z.strictObject({
    clusters: z.array(clusterConfig).min(1, "must list at least one cluster"),
    mesh: meshConfig.optional(),
    /** Secret: SSH private key used for every K3s host without sshPrivateKeyPath. */
    sshPrivateKey: z.string().min(1).optional(),
    /** Secret: map of cluster name → kubeconfig for `source.kubeconfig` without a path. */
    sourceKubeconfigs: z.record(z.string(), z.string()).optional(),
});

/** Keys that must only ever be set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["sshPrivateKey", "sourceKubeconfigs"] as const;

export type StackConfig = z.output<typeof stackConfigSchema>;
export type ClusterConfig = StackConfig["clusters"][number];
export type K3sSourceConfig = z.output<typeof k3sSource>;
export type KindSourceConfig = z.output<typeof kindSource>;
export type KubeconfigSourceConfig = z.output<typeof kubeconfigSource>;
export type StackReferenceSourceConfig = z.output<typeof stackReferenceSource>;
export type CiliumConfig = ClusterConfig["cilium"];
export type ChainingConfig = NonNullable<CiliumConfig["chaining"]>;
export type VClusterConfig = ClusterConfig["vclusters"][number];
export type MeshConfig = z.output<typeof meshConfig>;
export type MetallbConfig = z.output<typeof metallbConfig>;
export type CiliumLoadBalancerConfig = z.output<typeof ciliumLoadBalancerConfig>;
export type TenantNetworkPolicyConfig = z.output<typeof tenantNetworkPolicyConfig>;
export type GlobalServiceConfig = z.output<typeof globalService>;
export type Toleration = z.output<typeof toleration>;

// ---------------------------------------------------------------------------------------------------------------
// Loading and error formatting

/** One validation problem: the key path (`clusters[1].podCidr`) and a message saying what is allowed. */
export interface ConfigIssue {
    readonly path: string;
    readonly message: string;
}

/** Thrown when the stack config is invalid; carries every issue, never a secret value. */
export class ConfigError extends Error {
    constructor(readonly issues: readonly ConfigIssue[]) {
        super(`invalid Kubeloom config:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** Formats a zod path as `clusters[1].source.k3s.host`. */
export function formatPath(path: readonly PropertyKey[]): string {
    return path.reduce<string>((text, key) => {
        if (typeof key === "number") {
            return `${text}[${key}]`;
        }
        const name = String(key);
        // Keys that are not plain identifiers (an empty key, "kubeloom.io/cilium") are quoted so the path stays unambiguous.
        if (!/^[A-Za-z_$][\w$-]*$/.test(name)) {
            return `${text}[${JSON.stringify(name)}]`;
        }
        return text ? `${text}.${name}` : name;
    }, "");
}

/** Levenshtein distance, for "did you mean" hints on unknown keys. */
function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}

/** Suggests the closest known key, when it is close enough to be a typo. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const key of known) {
        const distance = editDistance(unknown, key);
        if (distance < bestDistance) {
            best = key;
            bestDistance = distance;
        }
    }
    return best !== undefined && bestDistance <= Math.max(2, Math.floor(unknown.length / 3)) ? best : undefined;
}

/** The keys a strict object schema accepts at `path` in the stack schema, for typo hints. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
    let schema: unknown = stackConfigSchema;
    for (const key of path) {
        schema = unwrap(schema);
        const def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown } }).def;
        if (!def) return [];
        if (def.type === "object" && def.shape && typeof key === "string") {
            schema = def.shape[key];
        } else if (def.type === "array" && typeof key === "number") {
            schema = def.element;
        } else {
            return [];
        }
    }
    const def = (unwrap(schema) as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
    return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: unknown): unknown {
    let current = schema as { def?: { type?: string; innerType?: unknown; in?: unknown; schema?: unknown } };
    for (let guard = 0; guard < 10 && current?.def; guard++) {
        const def = current.def;
        const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
        if (!inner) break;
        current = inner as typeof current;
    }
    return current;
}

function describeReceived(value: unknown): string {
    if (value === undefined) return "nothing";
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "an object";
    if (typeof value === "string") return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let current = root as Record<PropertyKey, unknown> | undefined;
    for (const key of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = current[key] as Record<PropertyKey, unknown> | undefined;
    }
    return current;
}

function isSecretPath(path: readonly PropertyKey[]): boolean {
    return typeof path[0] === "string" && (SECRET_KEYS as readonly string[]).includes(path[0]);
}

/** Turns zod issues into key-path issues with a fix, never echoing secret values. */
export function toConfigIssues(error: z.ZodError, raw: unknown): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    for (const issue of error.issues) {
        const where = [...issue.path];
        if (issue.code === "unrecognized_keys") {
            const known = knownKeysAt(where);
            for (const key of issue.keys) {
                const hint = suggestKey(key, known);
                issues.push({
                    path: formatPath([...where, key]),
                    message: `is not a known key${hint ? ` (did you mean "${hint}"?)` : ""}; allowed keys here: ${known.join(", ")}`,
                });
            }
            continue;
        }
        const at = valueAt(raw, where);
        const pasted = typeof at === "string" && looksLikePastedSecret(at);
        const received = isSecretPath(where) || pasted ? "a secret value" : describeReceived(at);
        let message = issue.message;
        if (issue.code === "invalid_type") {
            message = received === "nothing" ? `is required (expected ${issue.expected})` : `must be ${article(issue.expected)}, got ${received}`;
        } else if (issue.code === "invalid_value" && "values" in issue) {
            message = `must be one of ${(issue.values as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, got ${received}`;
        } else if (issue.code === "too_small" || issue.code === "too_big") {
            message = `${issue.message.replace(/^Too (small|big): expected /, "must be ")}, got ${received}`;
        } else {
            const selfContained = issue.code === "custom" && (issue as { params?: { selfContained?: boolean } }).params?.selfContained === true;
            const scalar = !selfContained && ((!pasted && received.startsWith("the string")) || received.startsWith("number") || received.startsWith("boolean"));
            message = `${scalar ? `${received} ` : ""}${message}`;
        }
        issues.push({ path: formatPath(where) || "(root)", message });
    }
    return issues;
}

function article(expected: string): string {
    return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The exact command that stores secret `key` (per entry for the kubeconfig map). */
export function secretCommand(key: string, raw: Record<string, unknown> = {}): string {
    if (key === "sourceKubeconfigs") {
        const names = Object.keys((raw.sourceKubeconfigs as Record<string, unknown>) ?? {});
        return (names.length ? names : ["<cluster name>"]).map((n) => `\`pulumi config set --secret --path 'kubeloom:sourceKubeconfigs.${n}' "$(cat kubeconfig)"\``).join(", ");
    }
    return "`pulumi config set --secret kubeloom:sshPrivateKey < ~/.ssh/id_ed25519`";
}

/**
 * Collects the `kubeloom:*` keys from a flat Pulumi config map (as `pulumi.runtime.allConfig()` returns it:
 * structured values as JSON text) into one object for `parseStackConfig`.
 */
export function rawConfigFromPulumi(all: Readonly<Record<string, string>>): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const key of Object.keys(all).sort()) {
        if (!key.startsWith("kubeloom:")) continue;
        const name = key.slice("kubeloom:".length);
        raw[name] = decodeConfigValue(all[key]);
    }
    return raw;
}

/** Structured config arrives as JSON text, scalars as plain strings. */
function decodeConfigValue(text: string): unknown {
    const trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed === "true" || trimmed === "false" || /^-?\d+$/.test(trimmed)) {
        try {
            return JSON.parse(trimmed);
        } catch {
            return text;
        }
    }
    return text;
}

/** Whether resources are protected by default: on everywhere except stacks named dev or test. */
export function defaultProtect(stackName: string): boolean {
    return !/^(dev|test)(-|$)/.test(stackName);
}
