/**
 * The Gateway API CRDs of the release a cluster's Cilium supports (gateway-api.ts), applied before Cilium: the
 * operator checks for them when it starts and leaves Gateway API off when one is missing (1.20: all seven kinds). The
 * documents are upstream artifacts: the caller obtains them verified against their recorded git blob ids.
 *
 * Going back is not free: once v1.5's CRDs are in a cluster, an upstream ValidatingAdmissionPolicy (shipped beside
 * them as gateway.networking.k8s.io_vap_safeupgrades.yaml, which Kubeloom does not install, but which K3s's bundled
 * Traefik may) denies CRDs with a lower bundle-version — so a Cilium 1.20 → 1.19 downgrade keeps the v1.5.1 CRDs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** A parsed CustomResourceDefinition document. */
export interface CrdDocument {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly annotations?: Record<string, string> };
    readonly spec: Record<string, unknown>;
}

/** Arguments of the Gateway API CRD installation. */
export interface GatewayApiCrdsArgs {
    /** Provider of the cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** The Gateway API release's version, e.g. "1.5.1" (for the output and the messages). */
    readonly version: string;
    /** The CRD documents of that release, verified by the caller (gateway-api.ts lists which). */
    readonly crds: readonly CrdDocument[];
}

/** One cluster's Gateway API CRDs. */
export class GatewayApiCrds extends pulumi.ComponentResource {
    /** The CRDs; Cilium's release depends on them. */
    public readonly resources: k8s.apiextensions.v1.CustomResourceDefinition[];
    /** The Gateway API version installed. */
    public readonly version: string;

    constructor(name: string, args: GatewayApiCrdsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("kubeloom:index:GatewayApiCrds", name, {}, opts);
        for (const crd of args.crds) {
            if (crd.kind !== "CustomResourceDefinition" || !crd.metadata.name.endsWith(".gateway.networking.k8s.io")) {
                throw new pulumi.ResourceError(`GatewayApiCrds ${name}: ${crd.kind} ${crd.metadata.name} is not a Gateway API CRD`, this);
            }
        }
        this.version = args.version;
        this.resources = args.crds.map(
            (crd) =>
                new k8s.apiextensions.v1.CustomResourceDefinition(
                    `${name}-${crd.metadata.name.split(".")[0]}`,
                    { metadata: crd.metadata, spec: crd.spec as unknown as k8s.types.input.apiextensions.v1.CustomResourceDefinitionSpec },
                    { parent: this, provider: args.provider },
                ),
        );
        this.registerOutputs({ version: this.version });
    }
}
