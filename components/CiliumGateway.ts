/**
 * One Gateway of Cilium's GatewayClass with a LoadBalancer address from the cluster's pool: the cluster's HTTP entry
 * point. Created after the Cilium release (the chart writes the GatewayClass) and after the Gateway API CRDs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { COMPONENT_TYPES } from "./identity";
import { gatewayManifest, GatewaySpecInput } from "./gateway-api";

/** Arguments of the Gateway. */
export interface CiliumGatewayArgs {
    /** Provider of the cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Name, namespace (must exist), address and load balancer of the Gateway. */
    readonly gateway: GatewaySpecInput;
    /** The Cilium release and the Gateway API CRDs: the Gateway is created after both. */
    readonly after: readonly pulumi.Resource[];
}

/** The Gateway. */
export class CiliumGateway extends pulumi.ComponentResource {
    /** The Gateway object. */
    public readonly gateway: k8s.apiextensions.CustomResource;

    constructor(name: string, args: CiliumGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.CiliumGateway, name, {}, opts);
        const manifest = gatewayManifest(args.gateway) as { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> };
        this.gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            { apiVersion: manifest.apiVersion, kind: manifest.kind, metadata: manifest.metadata, spec: manifest.spec },
            { parent: this, provider: args.provider, dependsOn: [...args.after] },
        );
        this.registerOutputs({ gateway: this.gateway });
    }
}
