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
import { gatewayApiReleaseFor } from "../components/gateway-api";
import { DEFAULT_IPSEC_KEY_ID, IPSEC_KEY_BYTES } from "../components/ipsec-key";
import type { ClusterConfig, StackConfig } from "../config/schema";
import { installsCilium, loadBalancerProvider, meshMembers } from "../config/resolve";
import { gatewayApiOn } from "../config/cilium-feature-rules";
import { resourceNames } from "../config/derived-names";
import { obtainCrd } from "../lib/artifacts";
import type { ClusterAccess } from "./sources";

/**
 * The IPsec key material (20 random bytes, hex, secret) of every cluster that uses IPsec, by cluster name: one
 * RandomBytes for all IPsec mesh members (they must share the key), one per other cluster. The key id is a keeper:
 * raising `encryption.keyId` generates a new key, and the agents' key watcher rotates to it (README, "Encryption").
 */
export function ipsecKeys(config: StackConfig, protectOf: (cluster: ClusterConfig) => boolean): Map<string, { keyId: number; keyHex: pulumi.Output<string> }> {
    const keys = new Map<string, { keyId: number; keyHex: pulumi.Output<string> }>();
    const usesIpsec = (c: ClusterConfig) => installsCilium(c) && c.cilium.encryption?.type === "ipsec";
    const members = meshMembers(config).filter(usesIpsec);
    const generate = (name: string, keyId: number, protect: boolean) =>
        pulumi.secret(new random.RandomBytes(name, { length: IPSEC_KEY_BYTES, keepers: { keyId: String(keyId) } }, { protect }).hex);
    if (members.length > 0) {
        // The mesh rules make every member's key id equal.
        const keyId = members[0].cilium.encryption?.keyId ?? DEFAULT_IPSEC_KEY_ID;
        const keyHex = generate(resourceNames.meshIpsecKey(), keyId, members.some(protectOf));
        for (const c of members) keys.set(c.name, { keyId, keyHex });
    }
    for (const c of config.clusters.filter((c) => usesIpsec(c) && !members.includes(c))) {
        const keyId = c.cilium.encryption?.keyId ?? DEFAULT_IPSEC_KEY_ID;
        keys.set(c.name, { keyId, keyHex: generate(resourceNames.ipsecKey(c.name), keyId, protectOf(c)) });
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
export function beforeCilium(cluster: ClusterConfig, access: ClusterAccess, ipsecKey: { keyId: number; keyHex: pulumi.Output<string> } | undefined, protect: boolean): BeforeCilium {
    const dependsOn = access.creator ? [access.creator] : [];
    const ipsecSecret = ipsecKey
        ? new IpsecKeySecret(resourceNames.ipsecSecret(cluster.name), { provider: access.provider, keyId: ipsecKey.keyId, keyHex: ipsecKey.keyHex }, { protect, dependsOn })
        : undefined;
    const release = gatewayApiOn(cluster) ? gatewayApiReleaseFor(cluster.cilium.version) : undefined;
    const gatewayApiCrds = release
        ? new GatewayApiCrds(
              resourceNames.gatewayApiCrds(cluster.name),
              { provider: access.provider, version: release.version, crds: release.crds.map((crd) => ({ plural: crd.plural, document: lockedCrdDocument(release.version, crd.plural) })) },
              { protect, dependsOn },
          )
        : undefined;
    return { ipsecSecret, gatewayApiCrds, resources: [...(ipsecSecret ? [ipsecSecret.secret] : []), ...(gatewayApiCrds?.resources ?? [])] };
}

/** The cluster's Gateway, after its Cilium release (which writes the GatewayClass) and the CRDs. */
export function gatewayAfterCilium(cluster: ClusterConfig, access: ClusterAccess, after: readonly pulumi.Resource[], protect: boolean): CiliumGateway | undefined {
    const gateway = cluster.cilium.gatewayAPI?.gateway;
    if (!gateway || !gatewayApiOn(cluster)) return undefined;
    return new CiliumGateway(
        resourceNames.gateway(cluster.name),
        { provider: access.provider, gateway: { name: gateway.name, namespace: gateway.namespace, address: gateway.address, loadBalancer: loadBalancerProvider(cluster) }, after },
        { protect },
    );
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
