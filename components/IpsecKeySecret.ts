/**
 * The Secret `cilium-ipsec-keys` in kube-system that Cilium's agents mount when `encryption.type` is ipsec (chart
 * templates/cilium-agent/daemonset.yaml, volume `cilium-ipsec-secrets` from `encryption.ipsec.secretName`). It must
 * exist before the agents start, so the Cilium release depends on it. Every member of a Cluster Mesh gets the same
 * key (the IPsec guide: the key rotation "must be applied to all clusters in the mesh"); the composition generates one
 * per mesh, or per cluster outside one.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { COMPONENT_TYPES, MANAGED_BY_KUBELOOM } from "./identity";
import { IPSEC_SECRET } from "./cilium-features";
import { ipsecKeysLine, ipsecSecretMetadata } from "./ipsec-key";

/** Arguments of the IPsec key Secret. */
export interface IpsecKeySecretArgs {
    /** Provider of the cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Key id, 1–15; a rotation increases it (ipsec-key.ts nextIpsecKeyId). */
    readonly keyId: number;
    /** Secret: 20 random bytes in lower-case hex (e.g. random.RandomBytes(...).hex), shared by every mesh member. */
    readonly keyHex: pulumi.Input<string>;
}

/** One cluster's `cilium-ipsec-keys` Secret. */
export class IpsecKeySecret extends pulumi.ComponentResource {
    /** The Secret; the Cilium release depends on it. */
    public readonly secret: k8s.core.v1.Secret;

    constructor(name: string, args: IpsecKeySecretArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.IpsecKeySecret, name, {}, opts);
        // Checked before any child exists; the hex itself is checked when known (it is never echoed).
        ipsecKeysLine(args.keyId, "0".repeat(40));
        const keysLine = pulumi.secret(pulumi.output(args.keyHex).apply((hex) => ipsecKeysLine(args.keyId, hex)));
        this.secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: { ...ipsecSecretMetadata(), labels: { ...MANAGED_BY_KUBELOOM } },
                type: "Opaque",
                stringData: { [IPSEC_SECRET.keyFile]: keysLine },
            },
            { parent: this, provider: args.provider },
        );
        this.registerOutputs({ secret: this.secret });
    }
}
