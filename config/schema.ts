/**
 * The typed stack configuration: one zod schema for every `kubeloom:*` key, defaults in one place, and error
 * messages that name the key path (`clusters[1].podCidr`), the value received and what is allowed.
 *
 * The shape is assembled here from one file per top-level concern under config/shape/ (fields, source, cilium,
 * vcluster, load-balancer, mesh): a new key goes into the file of its block. Error formatting is
 * config/config-error.ts; decoding the raw Pulumi config is config/raw-config.ts.
 *
 * Validation is a pure function of the raw config map, so the offline plan, `pulumi up` and the tests all
 * reject the same inputs before a single resource is registered.
 */
import { z } from "zod";
import { cidrText, clusterName, toleration } from "./shape/fields";
import { clusterSource } from "./shape/source";
import { ciliumConfig } from "./shape/cilium";
import { vclusterConfig } from "./shape/vcluster";
import { loadBalancerConfig } from "./shape/load-balancer";
import { clustermeshConfig, meshConfig } from "./shape/mesh";

export { CHAINING_MODES, chainsOntoPrimaryCni } from "../components/cilium-values";
export { CLUSTERMESH_NODEPORT_BASE, DEFAULT_K3S_DISABLE, DEFAULT_VERSIONS, K3S_PACKAGED_COMPONENTS, VCLUSTER_NAME_MAX, VCLUSTER_NODEPORT_BASE } from "../components/versions";
export type { K3sSourceConfig, KindSourceConfig, KubeconfigSourceConfig, StackReferenceSourceConfig } from "./shape/source";
export type { TenantNetworkPolicyConfig } from "./shape/vcluster";
export type { MetallbConfig, CiliumLoadBalancerConfig } from "./shape/load-balancer";
export type { MeshConfig, GlobalServiceConfig } from "./shape/mesh";

/** The keys a destructive change can be allowed for (`clusters[i].allowDestructive`, config/change-rules.ts). */
export const DESTRUCTIVE_KEYS = ["podCidr", "serviceCidr", "id", "name", "servers", "secretsEncryption"] as const;

const clusterConfig = z.strictObject({
    name: clusterName.describe("Cluster name: Cilium's cluster.name, the kubeconfig context and the prefix of every resource name. Unique, not \"default\"."),
    id: z.number().int().min(1, "must be from 1 to 255 (511 with mesh.maxConnectedClusters: 511)").max(511, "must be from 1 to 255 (511 with mesh.maxConnectedClusters: 511)").describe("Cilium cluster.id, unique across the stack: 1-255 (511 with mesh.maxConnectedClusters: 511)."),
    podCidr: cidrText.describe("Pod network (IPv4 CIDR, the network address): K3s --cluster-cidr and Cilium's IPAM. Disjoint from serviceCidr and, in a mesh, from every member's."),
    serviceCidr: cidrText.describe("Service network (IPv4 CIDR, the network address): K3s --service-cidr."),
    protect: z.boolean().optional().describe("Protect the cluster's resources from deletion; default: on unless the stack is named dev or test."),
    deleteUnreachable: z.boolean().default(false).describe("The cluster is gone: its Kubernetes provider drops the cluster's resources from the state instead of failing to reach it (pulumi-kubernetes `deleteUnreachable`). For finishing a destroy only; see docs/deploying.md."),
    allowDestructive: z
        .array(z.enum(DESTRUCTIVE_KEYS))
        .default([])
        .describe("Destructive changes its author means: each key listed lets plan:diff and `npm run up` apply a change of it they would refuse (config/change-rules.ts), listed as allowed."),
    source: clusterSource.describe("Where the cluster comes from: exactly one of k3s, kind, kubeconfig, stackReference."),
    cilium: ciliumConfig.default(() => ciliumConfig.parse({})).describe("Cilium on this cluster."),
    vclusters: z.array(vclusterConfig).default([]).describe("Tenant virtual clusters (vCluster) on this cluster."),
    loadBalancer: loadBalancerConfig.optional().describe("The cluster's LoadBalancer address provider: metallb or cilium (not both)."),
    clustermesh: clustermeshConfig.optional().describe("This cluster's clustermesh-apiserver address (mesh members)."),
});

/** The whole `kubeloom:*` namespace. Secrets are top-level keys so the CLI can encrypt them. */
export const stackConfigSchema = z.strictObject({
    clusters: z.array(clusterConfig).min(1, "must list at least one cluster").describe("The clusters of this stack (at least one)."),
    mesh: meshConfig.optional().describe("Cilium Cluster Mesh across this stack's clusters."),
    sshPrivateKey: z.string().min(1).optional().describe("Secret: SSH private key used for every K3s host without sshPrivateKeyPath."),
    sourceKubeconfigs: z.record(z.string(), z.string()).optional().describe("Secret: map of cluster name → kubeconfig for `source.kubeconfig` without a path."),
    etcdS3Keys: z
        .record(z.string(), z.strictObject({ accessKey: z.string().min(1), secretKey: z.string().min(1) }))
        .optional()
        .describe("Secret: map of cluster name → the S3 access keys of its `source.k3s.etcdSnapshots.s3`."),
    registryPasswords: z
        .record(z.string(), z.record(z.string(), z.string().min(1)))
        .optional()
        .describe("Secret: map of cluster name → registry host → the password of `source.k3s.registries.configs.<host>.username`."),
});

/** Keys that must only ever be set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["sshPrivateKey", "sourceKubeconfigs", "etcdS3Keys", "registryPasswords"] as const;

export type StackConfig = z.output<typeof stackConfigSchema>;
export type ClusterConfig = StackConfig["clusters"][number];
export type CiliumConfig = ClusterConfig["cilium"];
export type ChainingConfig = NonNullable<CiliumConfig["chaining"]>;
export type VClusterConfig = ClusterConfig["vclusters"][number];
export type Toleration = z.output<typeof toleration>;

/** Whether resources are protected by default: on everywhere except stacks named dev or test. */
export function defaultProtect(stackName: string): boolean {
    return !/^(dev|test)(-|$)/.test(stackName);
}
