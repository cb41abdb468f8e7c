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
import { CLUSTERMESH_NODEPORT_BASE } from "../../components/versions";

/** A cluster's `clustermesh` block. */
export const clustermeshConfig = z.strictObject({
    apiserverIP: z.string().refine(isIpv4, "must be an IPv4 address").optional().describe("LoadBalancer IP of the clustermesh-apiserver; default: the first address of the MetalLB pool."),
    nodePort: nodePort.optional().describe(`NodePort of the clustermesh-apiserver for mesh.serviceType NodePort; default ${CLUSTERMESH_NODEPORT_BASE} + the member's index in the mesh.`),
    nodeAddress: hostAddress.optional().describe("Node address peers dial for NodePort; default: the cluster's API host."),
});

export const globalService = z.strictObject({
    name: checkedString(dns1123LabelProblem).describe("Service name (DNS-1123 label), the same in every mesh member."),
    namespace: checkedString(dns1123LabelProblem).default("default").describe("Namespace of the Service (DNS-1123 label)."),
    createNamespace: z.boolean().optional().describe("Whether the namespace exists: true — Kubeloom creates it in every mesh cluster (and deletes it on destroy); false — the user declares it exists already (made by another stack or tool), and `plan --render`'s pre-flight takes their word. Default: not said — pre-flight reports a namespace the stack does not create."),
    affinity: z.enum(["none", "local", "remote"]).default("none").describe("io.cilium/service-affinity."),
    notSharedIn: z.array(z.string()).default([]).describe("Clusters that do not share their backends (io.cilium/shared-service: \"false\")."),
    ports: z
        .array(z.strictObject({ port: port.describe("Service port."), targetPort: port.optional().describe("Container port; default: port."), name: checkedString(portNameProblem).optional().describe("Port name (IANA_SVC_NAME); default with several ports: port-<port>.") }))
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
        }).describe("The Service's ports: [{ port, targetPort?, name? }], numbers and names unique."),
    selector: labelMap.describe("Labels of the backend pods."),
});

export const meshConfig = z.strictObject({
    enabled: z.boolean().default(true).describe("Connect the member clusters with Cilium Cluster Mesh."),
    clusters: z.array(z.string()).optional().describe("Names of the clusters in the mesh; default: all clusters."),
    serviceType: z.enum(["LoadBalancer", "NodePort"]).default(DEFAULT_MESH_SERVICE_TYPE).describe("How each clustermesh-apiserver is exposed to the other members: LoadBalancer (an address from the cluster's pool) or NodePort."),
    maxConnectedClusters: z.union([z.literal(255), z.literal(511)]).default(DEFAULT_MAX_CONNECTED_CLUSTERS).describe("Cilium's clustermesh.maxConnectedClusters: 255, or 511 (fewer cluster-local identities)."),
    globalServices: z.array(globalService).default([]).describe("Services declared in every member and shared across the mesh (service.cilium.io/global)."),
    demo: z.boolean().default(false).describe("Deploy the rebel-base / x-wing demo with a global service and cross-cluster policy."),
    verify: z.boolean().default(false).describe("At `up`, curl the demo global service from x-wing in each cluster and fail unless the clusters the demo policy allows answered."),
});

export type MeshConfig = z.output<typeof meshConfig>;
export type GlobalServiceConfig = z.output<typeof globalService>;
