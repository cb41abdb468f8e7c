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
import { COMPONENT_TYPES } from "./identity";

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
    /**
     * The CRDs of that release by plural (gateway-api.ts lists which), each document verified by the caller; a
     * document may arrive later (an artifact being obtained), the set of CRDs is known up front.
     */
    readonly crds: ReadonlyArray<{ readonly plural: string; readonly document: pulumi.Input<CrdDocument> }>;
}

/** One cluster's Gateway API CRDs. */
export class GatewayApiCrds extends pulumi.ComponentResource {
    /** The CRDs; Cilium's release depends on them. */
    public readonly resources: k8s.apiextensions.v1.CustomResourceDefinition[];
    /** The Gateway API version installed. */
    public readonly version: string;

    constructor(name: string, args: GatewayApiCrdsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.GatewayApiCrds, name, {}, opts);
        this.version = args.version;
        this.resources = args.crds.map(({ plural, document }) => {
            const checked = pulumi.output(document as pulumi.Input<CrdDocument>).apply((crd) => {
                // A wrong file in a mirror must not become some other CRD in the cluster.
                if (crd.kind !== "CustomResourceDefinition" || crd.metadata.name !== `${plural}.gateway.networking.k8s.io`) {
                    throw new Error(`GatewayApiCrds ${name}: expected the CRD ${plural}.gateway.networking.k8s.io of Gateway API ${args.version}, got ${crd.kind} ${crd.metadata.name}`);
                }
                return crd;
            });
            return new k8s.apiextensions.v1.CustomResourceDefinition(
                `${name}-${plural}`,
                { metadata: checked.metadata, spec: checked.spec as unknown as k8s.types.input.apiextensions.v1.CustomResourceDefinitionSpec },
                { parent: this, provider: args.provider },
            );
        });
        this.registerOutputs({ version: this.version });
    }
}
