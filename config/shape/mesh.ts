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
import { GLOBAL_SERVICE_PROTOCOLS, globalServicePorts } from "../../components/mesh-services";

/** A cluster's `clustermesh` block. */
export const clustermeshConfig = z.strictObject({
    apiserverIP: z.string().refine(isIpv4, "must be an IPv4 address").optional().describe("LoadBalancer IP of the clustermesh-apiserver (default: the first address of the pool); with mesh.serviceType ClusterIP its fixed ClusterIP inside serviceCidr (required there)."),
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
        .array(
            z.strictObject({
                port: port.describe("Service port."),
                targetPort: port.optional().describe("Container port; default: port."),
                name: checkedString(portNameProblem).optional().describe("Port name (IANA_SVC_NAME); default port-<port> when the Service has more than one port."),
                /** TCP (default), UDP, or TCP+UDP (two Service ports, `<name>-tcp` and `<name>-udp`), e.g. DNS. */
                protocol: z.enum(GLOBAL_SERVICE_PROTOCOLS).default("TCP").describe("TCP, UDP, or TCP+UDP (two Service ports <name>-tcp and <name>-udp, e.g. DNS)."),
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
        }).describe("The Service's ports: [{ port, targetPort?, name? }], numbers and names unique."),
    selector: labelMap.describe("Labels of the backend pods."),
});

/** Endpoints of a cross-cluster policy: a cluster (or, as a destination, "*" for any) and pod labels. */
const policyEndpoints = z.strictObject({
    /** A mesh member's name; for `to`, "*" means every cluster (said explicitly, as Cilium ≥ 1.19 needs). */
    cluster: z.string().min(1).max(63, "must be a mesh member's name (at most 63 characters) or \"*\"").describe("A mesh member's name; for to, \"*\" is every cluster."),
    /** Pod labels; {} selects every pod of the namespace. */
    labels: labelMap.default({}).describe("Pod labels; {} selects every pod of the namespace."),
});

/** A cross-cluster CiliumNetworkPolicy: pods in `from` (whose cluster enforces it) may reach pods in `to`, plus DNS. */
export const meshPolicy = z.strictObject({
    name: checkedString(dns1123LabelProblem).describe("The policy's name."),
    /** Namespace of the policy and of both pod sets (must exist in the `from` cluster). */
    namespace: checkedString(dns1123LabelProblem).default("default").describe("Namespace of the policy and both pod sets."),
    from: policyEndpoints.describe("The pods allowed out, in the cluster that enforces the policy."),
    to: policyEndpoints.describe("The pods they may reach."),
    /** TCP ports allowed; default every port. */
    ports: z.array(port).min(1).optional().describe("TCP ports allowed; default every port."),
    /** Kafka rules on those ports (Cilium 1.16–1.19; 1.20 removed them). */
    kafka: z
        .array(z.strictObject({ role: z.enum(["produce", "consume"]).optional().describe("produce or consume."), topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "must be a Kafka topic name (letters, digits, '.', '_', '-', at most 249)").optional().describe("Kafka topic.") }))
        .min(1)
        .optional()
        .describe("Kafka rules on those ports (Cilium 1.16-1.19; refused on 1.20)."),
});

export const meshConfig = z.strictObject({
    enabled: z.boolean().default(true).describe("Connect the member clusters with Cilium Cluster Mesh."),
    clusters: z.array(z.string()).optional().describe("Names of the clusters in the mesh; default: all clusters."),
    serviceType: z.enum(["LoadBalancer", "NodePort", "ClusterIP"]).default(DEFAULT_MESH_SERVICE_TYPE).describe("How each clustermesh-apiserver is exposed to the other members: LoadBalancer (an address from the cluster's pool), NodePort, or ClusterIP (clustermesh.apiserverIP, where the members' ClusterIPs are routable; Cilium >= 1.19)."),
    maxConnectedClusters: z.union([z.literal(255), z.literal(511)]).default(DEFAULT_MAX_CONNECTED_CLUSTERS).describe("Cilium's clustermesh.maxConnectedClusters: 255, or 511 (fewer cluster-local identities)."),
    globalServices: z.array(globalService).default([]).describe("Services declared in every member and shared across the mesh (service.cilium.io/global)."),
    policies: z.array(meshPolicy).default([]).describe("Cross-cluster CiliumNetworkPolicies, each applied in its from cluster: { name, namespace, from: { cluster, labels }, to: { cluster | \"*\", labels }, ports?, kafka? }."),
    demo: z.boolean().default(false).describe("Deploy the rebel-base / x-wing demo with a global service and cross-cluster policy."),
    verify: z.boolean().default(false).describe("At `up`, curl the demo global service from x-wing in each cluster and fail unless the clusters the demo policy allows answered."),
});

export type MeshConfig = z.output<typeof meshConfig>;
export type GlobalServiceConfig = z.output<typeof globalService>;
export type MeshPolicyConfig = z.output<typeof meshPolicy>;
