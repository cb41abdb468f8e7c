/**
 * Cluster Mesh: the stack-wide `mesh` block (members, service type, global services, demo) and each cluster's
 * `clustermesh` block (where its clustermesh-apiserver answers).
 */
import { z } from "zod";
import { isIpv4 } from "../../lib/cidr";
import { quoteInput } from "../../lib/user-input";
import { DEFAULT_MAX_CONNECTED_CLUSTERS, DEFAULT_MESH_SERVICE_TYPE } from "../../components/defaults";
import { dns1123LabelProblem, portNameProblem } from "../../lib/k8s-formats";
import { checkedString, hostAddress, labelMap, nodePort, port, SELF_CONTAINED } from "./fields";
import { GLOBAL_SERVICE_PROTOCOLS, globalServicePorts } from "../../components/mesh-services";

/** A cluster's `clustermesh` block. */
export const clustermeshConfig = z.strictObject({
    /**
     * LoadBalancer IP of the clustermesh-apiserver (default: the first address of the pool); with mesh.serviceType
     * ClusterIP its fixed ClusterIP, inside serviceCidr (required there).
     */
    apiserverIP: z.string().refine(isIpv4, "must be an IPv4 address").optional(),
    /** NodePort of the clustermesh-apiserver for mesh.serviceType NodePort; default CLUSTERMESH_NODEPORT_BASE (32379) + mesh index. */
    nodePort: nodePort.optional(),
    /** Node address peers dial for NodePort; default: the cluster's API host. */
    nodeAddress: hostAddress.optional(),
});

export const globalService = z.strictObject({
    name: checkedString(dns1123LabelProblem),
    namespace: checkedString(dns1123LabelProblem).default("default"),
    /**
     * Whether the namespace exists: true — Kubeloom creates it in every mesh cluster (and deletes it on destroy);
     * false — the user declares it exists already (made by another stack or tool), and `plan --render`'s pre-flight
     * takes their word. @default - not said: pre-flight reports a namespace the stack does not create
     */
    createNamespace: z.boolean().optional(),
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
                    if (problem && p.protocol === "TCP+UDP") ctx.addIssue({ code: "custom", path: [k, "name"], message: `gives the Service port name ${quoteInput(name)} with protocol TCP+UDP, which ${problem}`, params: SELF_CONTAINED });
                    const sameName = namesByPort.findIndex((names) => names.includes(name));
                    if (sameName < k) {
                        ctx.addIssue({ code: "custom", path: [k, "name"], message: `${quoteInput(name)} is also the name of ports[${sameName}] (unnamed ports are called port-<port>, TCP+UDP ports <name>-tcp/-udp); port names must be unique`, params: SELF_CONTAINED });
                    }
                }
            });
        }),
    selector: labelMap,
});

/** Endpoints of a cross-cluster policy: a cluster (or, as a destination, "*" for any) and pod labels. */
const policyEndpoints = z.strictObject({
    /** A mesh member's name; for `to`, "*" means every cluster (said explicitly, as Cilium ≥ 1.19 needs). */
    cluster: z.string().min(1).max(63, "must be a mesh member's name (at most 63 characters) or \"*\""),
    /** Pod labels; {} selects every pod of the namespace. */
    labels: labelMap.default({}),
});

/** A cross-cluster CiliumNetworkPolicy: pods in `from` (whose cluster enforces it) may reach pods in `to`, plus DNS. */
export const meshPolicy = z.strictObject({
    name: checkedString(dns1123LabelProblem),
    /** Namespace of the policy and of both pod sets (must exist in the `from` cluster). */
    namespace: checkedString(dns1123LabelProblem).default("default"),
    from: policyEndpoints,
    to: policyEndpoints,
    /** TCP ports allowed; default every port. */
    ports: z.array(port).min(1).optional(),
    /** Kafka rules on those ports (Cilium 1.16–1.19; 1.20 removed them). */
    kafka: z
        .array(z.strictObject({ role: z.enum(["produce", "consume"]).optional(), topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "must be a Kafka topic name (letters, digits, '.', '_', '-', at most 249)").optional() }))
        .min(1)
        .optional(),
});

export const meshConfig = z.strictObject({
    enabled: z.boolean().default(true),
    /** Names of the clusters in the mesh; default: all clusters. */
    clusters: z.array(z.string()).optional(),
    /**
     * How peers reach each clustermesh-apiserver: LoadBalancer (a pool address), NodePort (a node address), or
     * ClusterIP (the Service's ClusterIP `clustermesh.apiserverIP`, when the members' ClusterIPs are routable between
     * clusters; Cilium ≥ 1.19).
     */
    serviceType: z.enum(["LoadBalancer", "NodePort", "ClusterIP"]).default(DEFAULT_MESH_SERVICE_TYPE),
    maxConnectedClusters: z.union([z.literal(255), z.literal(511)]).default(DEFAULT_MAX_CONNECTED_CLUSTERS),
    globalServices: z.array(globalService).default([]),
    /** Cross-cluster CiliumNetworkPolicies, each applied in its `from` cluster. */
    policies: z.array(meshPolicy).default([]),
    /** Deploy the rebel-base / x-wing demo with a global service and cross-cluster policy. */
    demo: z.boolean().default(false),
    /** At `up`, curl the demo global service from x-wing in each cluster and fail unless the clusters the demo policy allows answered. */
    verify: z.boolean().default(false),
});

export type MeshConfig = z.output<typeof meshConfig>;
export type GlobalServiceConfig = z.output<typeof globalService>;
export type MeshPolicyConfig = z.output<typeof meshPolicy>;
