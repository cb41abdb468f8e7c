/**
 * The composition's pieces around a cluster's Cilium release that the features add: the IPsec key (one per mesh,
 * or per cluster outside one) and its Secret, the Gateway API CRDs before Cilium, and the Gateway after it. Plain
 * functions of the config and the cluster's access; the rules (config/cilium-feature-rules.ts) have already run.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { parse } from "yaml";
import { IpsecKeySecret } from "../components/IpsecKeySecret";
import { CrdDocument, GatewayApiCrds } from "../components/GatewayApiCrds";
import { CiliumGateway } from "../components/CiliumGateway";
import { IPSEC_KEY_BYTES } from "../components/ipsec-key";
import type { ClusterConfig } from "../config/schema";
import type { CiliumExtras, ResolvedCluster } from "../config/resolved-cluster";
import { resourceNames } from "../config/derived-names";
import { obtainCrd } from "../lib/artifacts";
import type { ClusterAccess } from "./sources";

/** One cluster's IPsec key: its id and the key material (20 random bytes, hex, secret). */
export interface IpsecKey {
    readonly keyId: number;
    readonly keyHex: pulumi.Output<string>;
}

/**
 * The IPsec key of every cluster that uses IPsec, by cluster name: one RandomBytes for all IPsec mesh members (they
 * must share the key; the mesh rules give them one key id), one per other cluster. The key id is a keeper: raising
 * `encryption.keyId` generates a new key, and the agents' key watcher rotates to it (README, "Encryption").
 */
export function ipsecKeys(clusters: readonly ResolvedCluster[], protectOf: (cluster: ClusterConfig) => boolean): Map<string, IpsecKey> {
    const keys = new Map<string, IpsecKey>();
    const generate = (name: string, keyId: number, protect: boolean) =>
        pulumi.secret(new random.RandomBytes(name, { length: IPSEC_KEY_BYTES, keepers: { keyId: String(keyId) } }, { protect }).hex);
    const shared = clusters.filter((c) => c.ciliumExtras.ipsec?.shared);
    if (shared.length > 0) {
        const keyId = shared[0].ciliumExtras.ipsec!.keyId;
        const keyHex = generate(resourceNames.meshIpsecKey(), keyId, shared.some((c) => protectOf(c.config)));
        for (const c of shared) keys.set(c.config.name, { keyId, keyHex });
    }
    for (const c of clusters) {
        const ipsec = c.ciliumExtras.ipsec;
        if (ipsec && !ipsec.shared) keys.set(c.config.name, { keyId: ipsec.keyId, keyHex: generate(resourceNames.ipsecKey(c.config.name), ipsec.keyId, protectOf(c.config)) });
    }
    return keys;
}

/** What must exist before a cluster's Cilium release: its IPsec Secret and Gateway API CRDs, when it uses them. */
export interface BeforeCilium {
    readonly ipsecSecret?: IpsecKeySecret;
    readonly gatewayApiCrds?: GatewayApiCrds;
    /** Every resource the release depends on. */
    readonly resources: pulumi.Resource[];
}

/** The IPsec Secret and the Gateway API CRDs of one cluster, before its Cilium release. */
export function beforeCilium(clusterName: string, extras: CiliumExtras, access: ClusterAccess, ipsecKey: IpsecKey | undefined, protect: boolean): BeforeCilium {
    const dependsOn = access.creator ? [access.creator] : [];
    const ipsecSecret = ipsecKey
        ? new IpsecKeySecret(resourceNames.ipsecSecret(clusterName), { provider: access.provider, keyId: ipsecKey.keyId, keyHex: ipsecKey.keyHex }, { protect, dependsOn })
        : undefined;
    const release = extras.gatewayApi?.release;
    const gatewayApiCrds = release
        ? new GatewayApiCrds(
              resourceNames.gatewayApiCrds(clusterName),
              { provider: access.provider, version: release.version, crds: release.crds.map((crd) => ({ plural: crd.plural, document: lockedCrdDocument(release.version, crd.plural) })) },
              { protect, dependsOn },
          )
        : undefined;
    return { ipsecSecret, gatewayApiCrds, resources: [...(ipsecSecret ? [ipsecSecret.secret] : []), ...(gatewayApiCrds?.resources ?? [])] };
}

/** The cluster's Gateway, after its Cilium release (which writes the GatewayClass) and the CRDs. */
export function gatewayAfterCilium(clusterName: string, extras: CiliumExtras, access: ClusterAccess, after: readonly pulumi.Resource[], protect: boolean): CiliumGateway | undefined {
    const gateway = extras.gatewayApi?.gateway;
    if (!gateway) return undefined;
    return new CiliumGateway(resourceNames.gateway(clusterName), { provider: access.provider, gateway, after }, { protect });
}

/**
 * One Gateway API CRD as the artifact lock pins it: mirror, cache or verified download (lib/artifacts); a missing
 * one fails the update with the artifact module's one-line reason and how to provide it.
 */
function lockedCrdDocument(version: string, plural: string): pulumi.Input<CrdDocument> {
    return obtainCrd("gateway-api", version, plural).then((result) => {
        if (!result.ok) throw new Error(`${result.name}: ${result.reason}; ${result.howToProvide}`);
        return parse(fs.readFileSync(result.path, "utf8")) as CrdDocument;
    });
}
