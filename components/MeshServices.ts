/**
 * The product's objects on top of Cilium in one Cluster Mesh member: the global Services and the cross-cluster
 * policies of the config. (The demo
 * is MeshDemo; the `up`-time mesh check is a KubectlCheck running meshVerifyScript.)
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CrossClusterPolicySpec, crossClusterPolicy, GlobalServiceSpec, globalServiceManifest, globalServiceNamespaceResourceName, globalServiceNamespaces, globalServiceResourceName } from "./mesh-services";
import { COMPONENT_TYPES } from "./identity";

/** Arguments of one cluster's mesh services. */
export interface MeshServicesArgs {
    /** Provider of this cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Cilium cluster.name of this cluster. */
    readonly clusterName: string;
    /** This cluster's Cilium release: a global Service means nothing before Cilium's clustermesh runs. */
    readonly ciliumRelease: pulumi.Resource;
    /** Global Services to declare in this cluster; their namespaces exist, or are created here (createNamespace). @default - none */
    readonly globalServices?: readonly GlobalServiceSpec[];
    /** Cross-cluster CiliumNetworkPolicies enforced in this cluster (`from` is this cluster). @default - none */
    readonly policies?: readonly CrossClusterPolicySpec[];
}

/** One cluster's global Services. */
export class MeshServices extends pulumi.ComponentResource {
    constructor(name: string, args: MeshServicesArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.MeshServices, name, {}, opts);
        const namespaces = new Map(
            globalServiceNamespaces(args.globalServices ?? []).map((namespace) => [
                namespace,
                new k8s.core.v1.Namespace(globalServiceNamespaceResourceName(name, namespace), { metadata: { name: namespace } }, { parent: this, provider: args.provider }),
            ]),
        );
        for (const svc of args.globalServices ?? []) {
            const manifest = globalServiceManifest(svc, args.clusterName);
            const namespace = namespaces.get(svc.namespace);
            new k8s.core.v1.Service(
                globalServiceResourceName(name, svc),
                { metadata: manifest.metadata, spec: manifest.spec },
                { parent: this, provider: args.provider, dependsOn: [args.ciliumRelease, ...(namespace ? [namespace] : [])] },
            );
        }
        for (const policy of args.policies ?? []) {
            const manifest = crossClusterPolicy(policy);
            // The operator creates the CRD at run time: only after this cluster's Cilium release.
            new k8s.apiextensions.CustomResource(
                `${name}-policy-${policy.namespace}-${policy.name}`,
                { apiVersion: manifest.apiVersion, kind: manifest.kind, metadata: manifest.metadata, spec: manifest.spec },
                { parent: this, provider: args.provider, dependsOn: [args.ciliumRelease, ...(namespaces.has(policy.namespace) ? [namespaces.get(policy.namespace)!] : [])] },
            );
        }
        this.registerOutputs({});
    }
}
