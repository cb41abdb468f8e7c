/**
 * Pure builders for the Cilium features beyond the base install: transparent encryption, Hubble metrics, the tunnel
 * protocol, the agent's devices, the native-routing CIDR of a Cluster Mesh member, and the Gateway API controller —
 * their chart values and the one statement of their rules (`ciliumFeatureProblems`, each under the key that causes
 * it: the config layer reports them with key paths, CiliumInstall refuses the first).
 *
 * Every key set here was read in each chart of the support matrix (cilium 1.16.19, 1.17.18, 1.18.12, 1.19.6, 1.20.0:
 * values.yaml, values.schema.json, templates/cilium-configmap.yaml, templates/validate.yaml); none of them changed
 * name or meaning across those releases, except `devices`, which only 1.20's schema lists (1.16–1.19 read it too:
 * templates/cilium-configmap.yaml `{{- if hasKey .Values "devices" }}`).
 */
import { ipv4ToInt, intToIpv4, parseCidr } from "../lib/cidr";
import { compareVersions } from "./support-matrix";
import { quoteInput } from "../lib/user-input";
import { ownedValues } from "../lib/chart-values";

/** Encryption methods Kubeloom offers (the chart's encryption.type; 1.19+ also has ztunnel, which Kubeloom does not). */
export const ENCRYPTION_TYPES = ["wireguard", "ipsec"] as const;

/** Transparent encryption of pod traffic between nodes and, in a mesh, between clusters. */
export type EncryptionInput =
    /** `nodeEncryption`: also node-to-node, pod-to-node and node-to-pod traffic (WireGuard only, beta upstream). */
    | { readonly type: "wireguard"; readonly nodeEncryption: boolean }
    | { readonly type: "ipsec"; readonly nodeEncryption?: false };

/**
 * UDP port of Cilium's WireGuard device on every node (Documentation/security/network/encryption-wireguard.rst:
 * "The WireGuard tunnel endpoint is exposed on UDP port 51871"; cilium/pkg/wireguard/types ListenPort). Between the
 * clusters of a mesh it must be open too (same guide, "Cluster Mesh").
 */
export const WIREGUARD_UDP_PORT = 51871;

/** Tunnel protocols of the chart's `tunnelProtocol` (values.yaml: "vxlan" default, "geneve"). */
export const TUNNEL_PROTOCOLS = ["vxlan", "geneve"] as const;
/** One of TUNNEL_PROTOCOLS. */
export type TunnelProtocol = (typeof TUNNEL_PROTOCOLS)[number];

/**
 * The UDP port each tunnel protocol uses between nodes (chart values.yaml `tunnelPort`: "Default 8472 for VXLAN and
 * 6081 for Geneve", the same in 1.16.19 … 1.20.0; cilium/pkg/defaults TunnelPortVXLAN / TunnelPortGeneve).
 */
export const TUNNEL_UDP_PORTS: Readonly<Record<TunnelProtocol, number>> = { vxlan: 8472, geneve: 6081 };

/** The chart's default tunnel protocol (templates/cilium-configmap.yaml `tunnelProtocol | default "vxlan"`). */
export const DEFAULT_TUNNEL_PROTOCOL: TunnelProtocol = "vxlan";

/**
 * Name and key of the Secret the agents read the IPsec key from: the chart defaults `encryption.ipsec.secretName:
 * cilium-ipsec-keys` and `keyFile: keys` (values.yaml, 1.16.19 … 1.20.0), stated in the values so that the Secret
 * Kubeloom writes (IpsecKeySecret.ts) and the agents' mount agree by construction.
 */
export const IPSEC_SECRET = { name: "cilium-ipsec-keys", namespace: "kube-system", keyFile: "keys" } as const;

/**
 * Hubble metric handlers (cilium/pkg/hubble/metrics: dns, drop, flow, flows-to-world, http, httpV2, icmp,
 * port-distribution, tcp, policy; kafka left out: 1.20 removes Cilium's Kafka L7 parser with proxylib). An entry is
 * the name, optionally followed by `:` and the handler's options (`dns:query;ignoreAAAA`, values.yaml example).
 */
export const HUBBLE_METRICS = ["dns", "drop", "flow", "flows-to-world", "http", "httpV2", "icmp", "port-distribution", "tcp", "policy"] as const;

/** The seeds' Hubble metrics (seed 003), the README's example. */
export const SEED_HUBBLE_METRICS = ["dns", "drop", "tcp", "flow", "port-distribution", "icmp", "http"] as const;

/**
 * Port the agent's Hubble metrics server listens on, on every node's host network (values.yaml
 * `hubble.metrics.port: 9965`, rendered as `hubble-metrics-server: ":9965"`, 1.16.19 … 1.20.0).
 */
export const HUBBLE_METRICS_PORT = 9965;

/** The API group/version a ServiceMonitor needs (Prometheus Operator's CRD, monitoring.coreos.com/v1). */
export const MONITORING_API_VERSION = "monitoring.coreos.com/v1";

/** Hubble metrics: which handlers, and whether the chart also writes a ServiceMonitor for Prometheus Operator. */
export interface HubbleMetricsInput {
    /** `hubble.metrics.enabled`; non-empty. */
    readonly enabled: readonly string[];
    /**
     * `hubble.metrics.serviceMonitor.enabled`: needs Prometheus Operator's CRDs in the cluster (not installed by
     * Kubeloom). @default false
     */
    readonly serviceMonitor?: boolean;
}

/** Cilium's Gateway API controller, with its GatewayClass `cilium` (the chart writes it). */
export interface GatewayApiInput {
    readonly enabled: true;
}

/** What the feature rules look at. */
export interface CiliumFeaturesInput {
    readonly ciliumVersion: string;
    readonly kubeProxyReplacement: { readonly enabled: boolean };
    readonly routingMode: "tunnel" | "native";
    /** Chaining mode, when Cilium is chained onto another CNI. */
    readonly chainingMode?: string;
    readonly encryption?: EncryptionInput;
    readonly tunnelProtocol?: TunnelProtocol;
    readonly hubbleMetrics?: HubbleMetricsInput;
    readonly gatewayAPI?: GatewayApiInput;
}

/** One reason a feature input cannot work, under the Cilium key (relative to `cilium`) that causes it. */
export interface FeatureProblem {
    readonly key: "encryption.type" | "encryption.nodeEncryption" | "tunnelProtocol" | "hubble.metrics" | "gatewayAPI";
    readonly message: string;
}

/** The first Cilium minor whose Gateway API CRDs Kubeloom has locked (see gateway-api.ts). */
export const GATEWAY_API_FROM = "1.19.0";

/**
 * Every reason these features cannot work together, each under its key — the one statement of these rules.
 * Sources: the IPsec guide's "Limitations" (Documentation/security/network/encryption-ipsec.rst: no transparent
 * encryption when chaining, cilium/cilium#15596) and the chart's values.yaml (`encryption.nodeEncryption` "is only
 * effective when encryption.type is set to wireguard"); templates/validate.yaml (1.16.19 … 1.20.0: Gateway API needs
 * l7Proxy, which Kubeloom never turns off, and an explicit kubeProxyReplacement, which Kubeloom always sets) and the
 * Gateway API guide (Documentation/network/servicemesh/gateway-api/gateway-api.rst, "Prerequisites": kube-proxy
 * replacement); `tunnelProtocol` is read only in tunnel mode (templates/cilium-configmap.yaml).
 */
export function ciliumFeatureProblems(input: CiliumFeaturesInput): FeatureProblem[] {
    const problems: FeatureProblem[] = [];
    const encryption = input.encryption;
    if (encryption?.type === "ipsec" && input.chainingMode !== undefined) {
        problems.push({
            key: "encryption.type",
            message: `"ipsec" cannot be used with chaining mode ${input.chainingMode}: Cilium's IPsec guide lists transparent encryption on top of another CNI as unsupported (cilium/cilium#15596). Use type: wireguard, or remove chaining`,
        });
    }
    if (encryption?.type === "ipsec" && encryption.nodeEncryption) {
        problems.push({
            key: "encryption.nodeEncryption",
            message: "is only effective with type: wireguard (the chart's encryption.nodeEncryption); IPsec encrypts pod traffic only. Remove nodeEncryption, or use type: wireguard",
        });
    }
    if (input.tunnelProtocol !== undefined && input.routingMode !== "tunnel") {
        problems.push({
            key: "tunnelProtocol",
            message: `"${input.tunnelProtocol}" is only used with routingMode: tunnel (routingMode is "${input.routingMode}"); remove tunnelProtocol or set routingMode: tunnel`,
        });
    }
    const metrics = input.hubbleMetrics;
    if (metrics) {
        for (const entry of metrics.enabled) {
            const name = entry.split(":", 1)[0];
            if (!(HUBBLE_METRICS as readonly string[]).includes(name)) {
                problems.push({ key: "hubble.metrics", message: `${quoteInput(entry)} is not a Hubble metric; allowed: ${HUBBLE_METRICS.join(", ")} (each optionally followed by ":<options>", e.g. "dns:query;ignoreAAAA")` });
            }
        }
    }
    if (input.gatewayAPI) {
        if (!input.kubeProxyReplacement.enabled) {
            problems.push({ key: "gatewayAPI", message: "needs kubeProxyReplacement: true (Cilium's Gateway API guide, \"Prerequisites\"): the Gateway's LoadBalancer Service is served by Cilium's eBPF service handling" });
        }
        if (input.chainingMode !== undefined) {
            problems.push({ key: "gatewayAPI", message: `cannot be used with chaining mode ${input.chainingMode}: the guides list L7 features (the Envoy proxy a Gateway needs) as limited when chaining (cilium/cilium#12454)` });
        }
        if (compareVersions(input.ciliumVersion, GATEWAY_API_FROM) < 0) {
            problems.push({
                key: "gatewayAPI",
                message: `needs Cilium 1.19 or newer (version is ${input.ciliumVersion}): Kubeloom installs the Gateway API CRDs each Cilium release supports and has locked those of 1.19 (v1.4.1) and 1.20 (v1.5.1) only`,
            });
        }
    }
    return problems;
}

/**
 * The Cilium values keys ciliumFeatureValues and hubbleMetricsValues write, each with the typed key (relative to the
 * cluster) that decides it: a user's `cilium.values` may not set them (lib/chart-values.ts ownedValueProblems), also
 * when the feature is off (the chart default then is what the typed key's absence means: no encryption, VXLAN, no
 * metrics, no Gateway API). Leaves only, so the chart's tuning keys around them stay the user's
 * (`encryption.wireguard.persistentKeepalive`, `hubble.metrics.port`, `gatewayAPI.hostNetwork`, ...). `devices` is
 * also declared by the L2 announcements (cilium-lbipam.ts), which write it when `cilium.devices` is not set.
 */
export const CILIUM_FEATURE_OWNED_VALUES = ownedValues("cilium", [
    { path: "encryption.enabled", use: "cilium.encryption" },
    { path: "encryption.type", use: "cilium.encryption.type" },
    { path: "encryption.nodeEncryption", use: "cilium.encryption.nodeEncryption" },
    { path: "encryption.ipsec.secretName", use: "cilium.encryption (Kubeloom writes the IPsec key Secret; rotate with cilium.encryption.keyId)" },
    { path: "encryption.ipsec.keyFile", use: "cilium.encryption (Kubeloom writes the IPsec key Secret; rotate with cilium.encryption.keyId)" },
    { path: "tunnelProtocol", use: "cilium.tunnelProtocol" },
    { path: "devices", use: "cilium.devices" },
    { path: "hubble.metrics.enabled", use: "cilium.hubble.metrics" },
    { path: "hubble.metrics.serviceMonitor.enabled", use: "cilium.hubble.serviceMonitor" },
    { path: "gatewayAPI.enabled", use: "cilium.gatewayAPI" },
    { path: "gatewayAPI.gatewayClass.create", use: "cilium.gatewayAPI (Kubeloom creates the GatewayClass cilium)" },
    // Not written, but relied on at the chart's default: the port registry reserves these ports and the IPsec key
    // file's place, so a value overriding one would make the registry (and pre-flight) check the wrong thing.
    { path: "tunnelPort", use: "cilium.tunnelProtocol (Kubeloom keeps the protocol's default port, 8472 for vxlan or 6081 for geneve, which its port registry reserves)" },
    { path: "hubble.metrics.port", use: "cilium.hubble.metrics (Kubeloom keeps the chart's metrics port 9965, which its port registry reserves)" },
    { path: "encryption.ipsec.mountPath", use: "cilium.encryption (Kubeloom keeps the chart's IPsec key mount path, which its key file setting names)" },
]);

/** The chart values of the features that are set; empty when none is. */
export function ciliumFeatureValues(input: Omit<CiliumFeaturesInput, "ciliumVersion" | "kubeProxyReplacement" | "routingMode" | "chainingMode"> & { readonly devices?: readonly string[] }): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    const encryption = input.encryption;
    if (encryption?.type === "wireguard") {
        values.encryption = { enabled: true, type: "wireguard", nodeEncryption: encryption.nodeEncryption };
    } else if (encryption?.type === "ipsec") {
        values.encryption = { enabled: true, type: "ipsec", ipsec: { secretName: IPSEC_SECRET.name, keyFile: IPSEC_SECRET.keyFile } };
    }
    if (input.tunnelProtocol !== undefined) values.tunnelProtocol = input.tunnelProtocol;
    if (input.devices !== undefined && input.devices.length > 0) values.devices = [...input.devices];
    if (input.gatewayAPI) {
        // "true", not the default "auto": auto writes the GatewayClass only when the GatewayClass API is already served
        // at render time (templates/cilium-gateway-api-class.yaml), which a first install, with the CRDs applied in the
        // same update, cannot promise. A string in every release (1.16–1.19 schemas type it string; 1.20 boolean|string).
        values.gatewayAPI = { enabled: true, gatewayClass: { create: "true" } };
    }
    return values;
}

/** The `hubble.metrics` values: the handlers and, when asked, the ServiceMonitor. */
export function hubbleMetricsValues(metrics: HubbleMetricsInput): Record<string, unknown> {
    return { enabled: [...metrics.enabled], serviceMonitor: { enabled: metrics.serviceMonitor ?? false } };
}

/**
 * The smallest IPv4 CIDR that covers every given CIDR: the native-routing CIDR of a Cluster Mesh member. Cilium's
 * Cluster Mesh guide (Documentation/network/clustermesh/clustermesh.rst, "Additional Requirements for Native-routed
 * Datapath Modes", read at v1.16 … v1.20): "Cilium in each cluster must be configured with a native routing CIDR that
 * covers all the PodCIDR ranges across all connected clusters" — the agent masquerades everything outside it, so a
 * member's own pod CIDR would send cross-cluster pod traffic with the node's address (and without its identity).
 */
export function coveringCidr(cidrs: readonly string[]): string {
    if (cidrs.length === 0) throw new Error("coveringCidr: no CIDR given");
    let first = Number.MAX_SAFE_INTEGER;
    let last = -1;
    for (const cidr of cidrs) {
        const interval = parseCidr(cidr);
        if (typeof interval === "string") throw new Error(`coveringCidr: "${cidr}" ${interval}`);
        first = Math.min(first, interval.first);
        last = Math.max(last, interval.last);
    }
    let prefix = 32;
    // Widen until one block holds both ends.
    while (prefix > 0 && Math.floor(first / 2 ** (32 - prefix)) !== Math.floor(last / 2 ** (32 - prefix))) prefix--;
    const base = prefix === 0 ? 0 : Math.floor(first / 2 ** (32 - prefix)) * 2 ** (32 - prefix);
    return `${intToIpv4(base)}/${prefix}`;
}

/**
 * The widest native-routing CIDR Kubeloom derives: a mesh whose pod CIDRs need more than a /8 to cover would leave
 * traffic to a large share of the address space (node networks, the internet) unmasqueraded; the config refuses it.
 */
export const WIDEST_NATIVE_ROUTING_PREFIX = 8;

/** The prefix length of a CIDR (after validation). */
export function prefixLength(cidr: string): number {
    return Number(cidr.split("/")[1]);
}

/** True when `cidr` covers `address` (IPv4). */
export function cidrCovers(cidr: string, address: string): boolean {
    const interval = parseCidr(cidr);
    if (typeof interval === "string") return false;
    const value = ipv4ToInt(address);
    return value >= interval.first && value <= interval.last;
}
