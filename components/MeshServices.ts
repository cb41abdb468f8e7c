/**
 * What a Cluster Mesh member runs on top of Cilium: the global Services of the config, and optionally the
 * rebel-base / x-wing demo with a cross-cluster CiliumNetworkPolicy. (The `up`-time check that the demo's global
 * Service answers from the expected clusters is a KubectlCheck running meshVerifyScript.)
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DEMO_NAMESPACE, demoGlobalService, demoServiceResourceName, globalServiceResourceName, demoPolicy, demoWorkloads, GlobalServiceSpec, globalServiceManifest, KubernetesObject } from "./mesh-services";

/** Arguments of one cluster's mesh services. */
export interface MeshServicesArgs {
    /** Provider of this cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Cilium cluster.name of this cluster. */
    readonly clusterName: string;
    /**
     * This cluster's Cilium release. Everything here waits for it: Pods need the CNI, and the chart ships no CRDs —
     * the operator creates CiliumNetworkPolicy's once it runs, so a policy applied earlier fails.
     */
    readonly ciliumRelease: pulumi.Resource;
    /** Global Services to declare in this cluster (their namespaces must exist). @default - none */
    readonly globalServices?: readonly GlobalServiceSpec[];
    /** Deploy the rebel-base / x-wing demo in namespace mesh-demo. @default false */
    readonly demo?: boolean;
    /** With demo: allow this cluster's x-wing to reach rebel-base in that cluster only (and DNS). @default - no policy */
    readonly demoPolicyTarget?: string;
}

/** One cluster's global Services and demo. */
export class MeshServices extends pulumi.ComponentResource {
    /** The demo's workloads (empty without demo), for steps that must wait until they are ready. */
    public readonly demoResources: pulumi.Resource[];

    constructor(name: string, args: MeshServicesArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("kubeloom:index:MeshServices", name, {}, opts);
        const provider = args.provider;
        const afterCilium = [args.ciliumRelease];
        const demo = args.demo ?? false;
        if (args.demoPolicyTarget !== undefined && !demo) {
            throw new pulumi.ResourceError(`MeshServices ${name}: demoPolicyTarget is set but demo is off; the policy selects the demo's pods`, this);
        }
        if (args.demoPolicyTarget === args.clusterName) {
            throw new pulumi.ResourceError(`MeshServices ${name}: demoPolicyTarget must be another cluster than ${args.clusterName}`, this);
        }

        const service = (resourceName: string, object: KubernetesObject, dependsOn: pulumi.Resource[]) =>
            new k8s.core.v1.Service(resourceName, { metadata: object.metadata, spec: object.spec }, { parent: this, provider, dependsOn });

        for (const svc of args.globalServices ?? []) {
            service(globalServiceResourceName(name, svc), globalServiceManifest(svc, args.clusterName), afterCilium);
        }

        this.demoResources = [];
        if (demo) {
            const namespace = new k8s.core.v1.Namespace(`${name}-demo-namespace`, { metadata: { name: DEMO_NAMESPACE } }, { parent: this, provider, dependsOn: afterCilium });
            const inDemo = [...afterCilium, namespace];
            const workloads = demoWorkloads(args.clusterName);
            const response = new k8s.core.v1.ConfigMap(
                `${name}-rebel-base-response`,
                { metadata: workloads.configMap.metadata, data: workloads.configMap.data },
                { parent: this, provider, dependsOn: inDemo },
            );
            const deployment = (resourceName: string, object: KubernetesObject, extra: pulumi.Resource[] = []) =>
                new k8s.apps.v1.Deployment(resourceName, { metadata: object.metadata, spec: object.spec as unknown as k8s.types.input.apps.v1.DeploymentSpec }, { parent: this, provider, dependsOn: [...inDemo, ...extra] });
            const rebelBase = deployment(`${name}-rebel-base`, workloads.rebelBase, [response]);
            const xWing = deployment(`${name}-x-wing`, workloads.xWing);
            const globalService = service(demoServiceResourceName(name), globalServiceManifest(demoGlobalService(), args.clusterName), inDemo);
            this.demoResources.push(rebelBase, xWing, globalService);
            if (args.demoPolicyTarget !== undefined) {
                const policy = demoPolicy(args.clusterName, args.demoPolicyTarget);
                this.demoResources.push(
                    new k8s.apiextensions.CustomResource(
                        `${name}-demo-policy`,
                        { apiVersion: policy.apiVersion, kind: policy.kind, metadata: policy.metadata, spec: policy.spec },
                        // The Cilium release explicitly, not only through the namespace: the CRD comes from its operator.
                        { parent: this, provider, dependsOn: [args.ciliumRelease, namespace] },
                    ),
                );
            }
        }
        this.registerOutputs({});
    }
}
