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
import { checkedString, cidrText, ciliumVersion, hostAddress, labelMap, nodePort, port, toleration } from "./fields";

/** One plugin object of a CNI conflist (`{"type": "flannel", ...}`), copied as it is from the node. */
/** A CNI network name ("name" of a conflist): libcni accepts letters, digits, '.', '_' and '-', starting alphanumeric. */
export const cniNetworkName = z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "must be a CNI network name: the \"name\" of the primary CNI's conflist in /etc/cni/net.d (letters, digits, '.', '_', '-'), e.g. \"cbr0\" for flannel");

export const ciliumConfig = z
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
                metrics: z
                    .array(z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,39}(:[!-~]{1,200})?$/, "must be a Hubble metric name, optionally followed by \":<options>\" without spaces (e.g. \"dns:query;ignoreAAAA\")"))
                    .min(1, "must list at least one metric (leave the key out to turn metrics off)")
                    .optional(),
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
        waitTimeoutSeconds: z.number().int().min(60).max(3600).default(DEFAULT_CILIUM_WAIT_SECONDS),
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
