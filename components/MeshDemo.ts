/**
 * The Cluster Mesh demo of one member: the rebel-base / x-wing workloads of the Cilium guide in namespace mesh-demo,
 * the global rebel-base Service, and optionally the cross-cluster policy that fences this member's x-wing in. Kept
 * apart from MeshServices (the product's global Services): the demo is optional, and nothing of the product needs it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DEMO_NAMESPACE, demoGlobalService, demoPolicy, demoWorkloads } from "./mesh-demo";
import { globalServiceManifest, KubernetesObject } from "./mesh-services";
import { COMPONENT_TYPES } from "./identity";

/** Arguments of one member's demo. */
export interface MeshDemoArgs {
    /** Provider of this cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Cilium cluster.name of this cluster. */
    readonly clusterName: string;
    /** This cluster's Cilium release: Pods need the CNI, and the CiliumNetworkPolicy CRD comes from its operator. */
    readonly ciliumRelease: pulumi.Resource;
    /** Allow this cluster's x-wing to reach rebel-base in that cluster only (and DNS). @default - no policy */
    readonly policyTarget?: string;
    /**
     * Component that parented these objects before the demo had its own component (they were named
     * `<former name>-<object>` there), aliased so existing stacks keep them. @default - no alias
     */
    readonly formerParent?: { readonly resource: pulumi.Resource; readonly name: string };
}

/** One member's demo workloads, global Service and policy. */
export class MeshDemo extends pulumi.ComponentResource {
    /** What the mesh check waits for: the workloads, the global Service and the policy when there is one. */
    public readonly readyAfter: pulumi.Resource[];

    constructor(name: string, args: MeshDemoArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.MeshDemo, name, {}, opts);
        if (args.policyTarget === args.clusterName) {
            throw new pulumi.ResourceError(`MeshDemo ${name}: policyTarget must be another cluster than ${args.clusterName}`, this);
        }
        const provider = args.provider;
        const child = (object: string, dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions => ({
            parent: this,
            provider,
            dependsOn,
            aliases: args.formerParent ? [{ name: `${args.formerParent.name}-${object}`, parent: args.formerParent.resource }] : undefined,
        });

        const afterCilium = [args.ciliumRelease];
        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: DEMO_NAMESPACE } }, child("demo-namespace", afterCilium));
        const inDemo = [...afterCilium, namespace];
        const workloads = demoWorkloads(args.clusterName);
        const response = new k8s.core.v1.ConfigMap(
            `${name}-rebel-base-response`,
            { metadata: workloads.configMap.metadata, data: workloads.configMap.data },
            child("rebel-base-response", inDemo),
        );
        const deployment = (object: string, manifest: KubernetesObject, extra: pulumi.Resource[] = []) =>
            new k8s.apps.v1.Deployment(
                `${name}-${object}`,
                { metadata: manifest.metadata, spec: manifest.spec as unknown as k8s.types.input.apps.v1.DeploymentSpec },
                child(object, [...inDemo, ...extra]),
            );
        const rebelBase = deployment("rebel-base", workloads.rebelBase, [response]);
        const xWing = deployment("x-wing", workloads.xWing);
        const service = globalServiceManifest(demoGlobalService(), args.clusterName);
        const globalService = new k8s.core.v1.Service(`${name}-rebel-base-service`, { metadata: service.metadata, spec: service.spec }, child("rebel-base-service", inDemo));
        this.readyAfter = [rebelBase, xWing, globalService];
        if (args.policyTarget !== undefined) {
            const policy = demoPolicy(args.clusterName, args.policyTarget);
            this.readyAfter.push(
                new k8s.apiextensions.CustomResource(
                    `${name}-policy`,
                    { apiVersion: policy.apiVersion, kind: policy.kind, metadata: policy.metadata, spec: policy.spec },
                    // The Cilium release explicitly, not only through the namespace: the CRD comes from its operator.
                    child("demo-policy", [args.ciliumRelease, namespace]),
                ),
            );
        }
        this.registerOutputs({});
    }
}
