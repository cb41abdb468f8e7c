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

/** A cluster's `clustermesh` block. */
export const clustermeshConfig = z.strictObject({
    /** LoadBalancer IP of the clustermesh-apiserver; default: the first address of the MetalLB pool. */
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
        .array(z.strictObject({ port: port, targetPort: port.optional(), name: checkedString(portNameProblem).optional() }))
        .min(1)
        .superRefine((ports, ctx) => {
            // Kubernetes requires distinct port numbers (per protocol; these are all TCP) and distinct names; with
            // more than one port, unnamed ones are called port-<port> (components/mesh-services.ts).
            const names = ports.map((p) => p.name ?? (ports.length > 1 ? `port-${p.port}` : undefined));
            ports.forEach((p, k) => {
                const samePort = ports.findIndex((q) => q.port === p.port);
                if (samePort < k) ctx.addIssue({ code: "custom", path: [k, "port"], message: `${p.port} is also ports[${samePort}].port; each port of a Service must be distinct`, params: SELF_CONTAINED });
                const sameName = names.findIndex((n) => n !== undefined && n === names[k]);
                if (names[k] !== undefined && sameName < k) {
                    ctx.addIssue({ code: "custom", path: [k, "name"], message: `${quoteInput(names[k])} is also the name of ports[${sameName}]${ports[sameName].name === undefined || ports[k].name === undefined ? " (unnamed ports are called port-<port>)" : ""}; port names must be unique`, params: SELF_CONTAINED });
                }
            });
        }),
    selector: labelMap,
});

export const meshConfig = z.strictObject({
    enabled: z.boolean().default(true),
    /** Names of the clusters in the mesh; default: all clusters. */
    clusters: z.array(z.string()).optional(),
    serviceType: z.enum(["LoadBalancer", "NodePort"]).default(DEFAULT_MESH_SERVICE_TYPE),
    maxConnectedClusters: z.union([z.literal(255), z.literal(511)]).default(DEFAULT_MAX_CONNECTED_CLUSTERS),
    globalServices: z.array(globalService).default([]),
    /** Deploy the rebel-base / x-wing demo with a global service and cross-cluster policy. */
    demo: z.boolean().default(false),
    /** At `up`, curl the demo global service from x-wing in each cluster and fail unless the clusters the demo policy allows answered. */
    verify: z.boolean().default(false),
});

export type MeshConfig = z.output<typeof meshConfig>;
export type GlobalServiceConfig = z.output<typeof globalService>;
