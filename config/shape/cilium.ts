/**
 * The `cilium` block of a cluster: the Cilium release and its options, with the defaults that depend on the
 * chaining mode resolved once (routing, IPAM, chaining target).
 */
import { z } from "zod";
import { CHAINING_MODES, chainsOntoPrimaryCni, defaultChainingTarget } from "../../components/cilium-values";
import { ENCRYPTION_TYPES, TUNNEL_PROTOCOLS } from "../../components/cilium-features";
import { IPSEC_KEY_ID_RANGE } from "../../components/ipsec-key";
import { DEFAULT_VERSIONS } from "../../components/versions";
import { isIpv4 } from "../../lib/cidr";
import { DEFAULT_CILIUM_WAIT_SECONDS } from "../../components/defaults";
import { dns1123LabelProblem, nodeNameProblem } from "../../lib/k8s-formats";
import { checkedString, cidrText, ciliumVersion, hostAddress, labelMap, nodePort, port, toleration, chartValues, valuesFilePath } from "./fields";

/** One plugin object of a CNI conflist (`{"type": "flannel", ...}`), copied as it is from the node. */
/** A CNI network name ("name" of a conflist): libcni accepts letters, digits, '.', '_' and '-', starting alphanumeric. */
export const cniNetworkName = z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "must be a CNI network name: the \"name\" of the primary CNI's conflist in /etc/cni/net.d (letters, digits, '.', '_', '-'), e.g. \"cbr0\" for flannel");

export const ciliumConfig = z
    .strictObject({
        install: z.boolean().optional().describe("Whether this stack installs Cilium. Default: true, except for a `stackReference` source, whose cluster (and its Cilium) another stack manages — a tenants stack only adds vClusters."),
        version: ciliumVersion.default(DEFAULT_VERSIONS.cilium).describe("Cilium chart release: one of the support matrix, and one that supports the cluster's Kubernetes version."),
        kubeProxyReplacement: z.boolean().default(true).describe("eBPF kube-proxy replacement (a boolean; no chart accepts \"strict\"). On a K3s cluster it also turns K3s' kube-proxy off (--disable-kube-proxy)."),
        routingMode: z.enum(["tunnel", "native"]).optional().describe("How Cilium carries pod traffic between nodes. Default: \"tunnel\", except with a chaining mode that keeps a primary CNI (generic-veth, aws-cni, flannel), where the primary routes and the default is \"native\" (rendered without a tunnel and without Cilium's own node routes, as the chaining guides do)."),
        ipamMode: z.enum(["kubernetes", "cluster-pool"]).optional().describe("Default: \"kubernetes\" (the node podCIDRs), except with a chaining mode that keeps a primary CNI, where it is \"cluster-pool\" over `chaining.routerCidr`: the primary CNI hands the node podCIDR to pods (see chaining)."),
        hubble: z
            .strictObject({
                relay: z.boolean().default(true).describe("Deploy hubble-relay."),
                ui: z.boolean().default(true).describe("Deploy hubble-ui."),
                uiNodePort: nodePort.optional().describe("Expose hubble-ui as a NodePort on this port."),
                metrics: z
                    .array(z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,39}(:[!-~]{1,200})?$/, "must be a Hubble metric name, optionally followed by \":<options>\" without spaces (e.g. \"dns:query;ignoreAAAA\")"))
                    .min(1, "must list at least one metric (leave the key out to turn metrics off)")
                    .optional()
                    .describe("Hubble metric handlers (hubble.metrics.enabled), e.g. [dns, drop, tcp, flow, port-distribution, icmp, http]; each optionally <name>:<options>. Default: metrics off."),
                serviceMonitor: z.boolean().default(false).describe("Also write a ServiceMonitor for the Hubble metrics; needs Prometheus Operator's CRDs (monitoring.coreos.com/v1) in the cluster, which Kubeloom does not install."),
            })
            .default({ relay: true, ui: true, serviceMonitor: false }).describe("Hubble relay, UI and metrics."),
        nodeSelector: labelMap.default({}).describe("Run the Cilium agent only on nodes with these labels (label keys and values); default: every node."),
        tolerations: z.array(toleration).default([]).describe("Tolerations of the Cilium agent; default: the chart's tolerate-everything."),
        operatorReplicas: z.number().int().min(1).max(5).optional().describe("Cilium operator replicas; default: 1 on a one-node cluster, else 2. At most the number of nodes Kubeloom creates."),
        k8sServiceHost: hostAddress.optional().describe("API server address for kube-proxy replacement when the cluster is not created by Kubeloom."),
        k8sServicePort: port.optional().describe("API server port for kube-proxy replacement when the cluster is not created by Kubeloom (required together with k8sServiceHost)."),
        chaining: z
            .strictObject({
                mode: z.enum(CHAINING_MODES).describe("generic-veth, aws-cni or flannel (the primary CNI keeps IPAM and routing), or portmap (Cilium stays the primary CNI; only without kube-proxy replacement)."),
                nodes: z.array(checkedString(nodeNameProblem)).default([]).describe("Opt-in: label these nodes with `nodeSelector` (and taint them with the taints `tolerations` name); reverted on destroy. Default: no node is touched."),
                target: cniNetworkName.optional().describe("generic-veth and flannel: the network name (\"name\") of the primary CNI's conflist on the nodes. The agent copies that conflist, appends cilium-cni and keeps the name (cni.chainingTarget), so pods keep one IPAM store. Default: \"cbr0\" for flannel (the name in flannel's kube-flannel.yml and in K3s' flannel); required for generic-veth; not used with aws-cni (implied \"aws-cni\") or portmap."),
                routerCidr: cidrText.optional().describe("generic-veth, aws-cni, flannel (required there): an IPv4 CIDR that no pod, Service or node uses. Cilium takes its own per-node addresses (the cilium_host router IP) from it, one /28 per node, instead of from the node podCIDR the primary CNI hands to pods (cilium/cilium#9590, #22286)."),
            })
            .optional().describe("CNI chaining onto the cluster's existing CNI (existing clusters only): mode, target, routerCidr, nodes."),
        encryption: z
            .strictObject({
                type: z.enum(ENCRYPTION_TYPES).describe("wireguard or ipsec."),
                nodeEncryption: z.boolean().optional().describe("WireGuard only: also encrypt node traffic (control-plane nodes opt out)."),
                keyId: z.number().int().min(IPSEC_KEY_ID_RANGE.first, "must be an IPsec key id from 1 to 15").max(IPSEC_KEY_ID_RANGE.last, "must be an IPsec key id from 1 to 15").optional().describe("IPsec only: the key id (1-15, default 1); raise it to rotate the generated key."),
            })
            .optional()
            .describe("Transparent encryption: { type: wireguard | ipsec, nodeEncryption? (WireGuard), keyId? (IPsec, 1-15; raise it to rotate) }. Default: off."),
        /** Tunnel protocol with routingMode tunnel: vxlan (UDP 8472) or geneve (UDP 6081). Default: the chart's vxlan. */
        tunnelProtocol: z.enum(TUNNEL_PROTOCOLS).optional().describe("Tunnel protocol with routingMode tunnel: vxlan (UDP 8472, the chart's default) or geneve (UDP 6081)."),
        /** The agent's network devices (`devices`). Default: Cilium's auto-detection. */
        devices: z.array(z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_.+]{0,14}$/, "must be a network interface name like eth0")).min(1, "must list at least one interface (leave the key out for auto-detection)").optional().describe("The agent's network devices; default: Cilium's auto-detection."),
        /**
         * Cilium's Gateway API controller (HTTP entry point): the Gateway API CRDs the Cilium release supports,
         * installed before Cilium, the GatewayClass `cilium`, and optionally one Gateway with a LoadBalancer address.
         */
        gatewayAPI: z
            .strictObject({
                enabled: z.boolean().default(true).describe("Turn the Gateway API controller on."),
                /** One Gateway (HTTP on port 80, routes from every namespace) with this LoadBalancer address from the cluster's pool. */
                gateway: z
                    .strictObject({
                        name: checkedString(dns1123LabelProblem).default("kubeloom").describe("The Gateway's name."),
                        namespace: checkedString(dns1123LabelProblem).default("default").describe("The Gateway's namespace (must exist)."),
                        address: z.string().refine(isIpv4, "must be an IPv4 address").describe("LoadBalancer address from the cluster's pool."),
                    })
                    .optional()
                    .describe("One Gateway (HTTP on port 80, routes from every namespace) with a LoadBalancer address."),
            })
            .optional()
            .describe("Cilium's Gateway API controller: the Gateway API CRDs of the Cilium release, the GatewayClass cilium, and optionally one Gateway { name, namespace, address } with a LoadBalancer address (Cilium >= 1.19)."),
        waitTimeoutSeconds: z.number().int().min(60).max(3600).default(DEFAULT_CILIUM_WAIT_SECONDS).describe("How long Helm waits for the Cilium release to become ready, in seconds (60-3600)."),
        verify: z.boolean().default(false).describe("Run the post-install checks (cilium-dbg status, ClusterIP/NodePort curl) during `up`."),
        values: chartValues.describe("The cilium chart's own values, deep-merged over Kubeloom's (maps merge, lists and scalars replace); checked against the owned keys and the chart release."),
        valuesFile: valuesFilePath.describe("A YAML file of cilium chart values (path relative to the project), merged under `values`."),
    })
    // The routing, IPAM and chaining-target defaults depend on the chaining mode; resolved here so every reader sees the effective value.
    .transform((cilium) => ({
        ...cilium,
        routingMode: cilium.routingMode ?? (chainsOntoPrimaryCni(cilium.chaining?.mode) ? ("native" as const) : ("tunnel" as const)),
        ipamMode: cilium.ipamMode ?? (chainsOntoPrimaryCni(cilium.chaining?.mode) ? ("cluster-pool" as const) : ("kubernetes" as const)),
        chaining: cilium.chaining && { ...cilium.chaining, target: cilium.chaining.target ?? defaultChainingTarget(cilium.chaining.mode) },
    }));
