/**
 * Gateway API for Cilium's controller: which CRD set each Cilium release needs, and the optional Gateway Kubeloom
 * writes. Pure: plain values in, plain objects out.
 *
 * Versions: Cilium 1.19 supports Gateway API v1.4.1
 * (Documentation/network/servicemesh/gateway-api/{gateway-api,installation}.rst at v1.19.4: "Cilium supports Gateway
 * API v1.4.1"; operator/pkg/gateway-api/cell.go requires GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant).
 * Cilium 1.20 supports v1.5.1 (go.mod `sigs.k8s.io/gateway-api v1.5.1`), and its operator turns Gateway API off unless
 * all seven kinds of operator/pkg/gateway-api/helpers/schemes.go `RequiredGVKs` exist — TLSRoute and
 * BackendTLSPolicy included (read at v1.20.0-pre.3, the newest 1.20 tree available). Every CRD is the standard
 * channel's `config/crd/standard/gateway.networking.k8s.io_<plural>.yaml` at the tag. Which commit and which bytes
 * (git blob, sha256) is the artifact lock's to say (artifacts.lock.json, set `gateway-api`): stated there only.
 */
import { addressRequest, LoadBalancerProvider } from "./load-balancer";
import { ciliumRelease, compareVersions } from "./support-matrix";
import { sortKeysDeep } from "../lib/values-util";

/** One upstream CRD file of a Gateway API release. */
export interface GatewayApiCrdFile {
    /** The CRD's plural (`gateways`): the file is gateway.networking.k8s.io_<plural>.yaml. */
    readonly plural: string;
}

/** A Gateway API release: its version and the CRDs Cilium needs from it (the lock pins their bytes). */
export interface GatewayApiRelease {
    readonly version: string;
    readonly crds: readonly GatewayApiCrdFile[];
}

/** Gateway API v1.4.1: the five CRDs Cilium 1.19 requires. */
const GATEWAY_API_1_4_1: GatewayApiRelease = {
    version: "1.4.1",
    crds: [
        { plural: "gatewayclasses" },
        { plural: "gateways" },
        { plural: "httproutes" },
        { plural: "grpcroutes" },
        { plural: "referencegrants" },
    ],
};

/** Gateway API v1.5.1: the seven CRDs Cilium 1.20 requires. */
const GATEWAY_API_1_5_1: GatewayApiRelease = {
    version: "1.5.1",
    crds: [
        { plural: "gatewayclasses" },
        { plural: "gateways" },
        { plural: "httproutes" },
        { plural: "grpcroutes" },
        { plural: "referencegrants" },
        { plural: "tlsroutes" },
        { plural: "backendtlspolicies" },
    ],
};

/**
 * The Gateway API release a Cilium release supports, or undefined for 1.16–1.18 (their v1.1–v1.3 CRDs are not in
 * Kubeloom's lock; the config refuses gatewayAPI there).
 */
export function gatewayApiReleaseFor(ciliumVersion: string): GatewayApiRelease | undefined {
    const release = ciliumRelease(ciliumVersion);
    if (!release) return undefined;
    if (compareVersions(release.version, "1.20.0") >= 0) return GATEWAY_API_1_5_1;
    if (compareVersions(release.version, "1.19.0") >= 0) return GATEWAY_API_1_4_1;
    return undefined;
}

/** Every Gateway API release Kubeloom installs (for the artifact lock and its tests). */
export const GATEWAY_API_RELEASES: readonly GatewayApiRelease[] = [GATEWAY_API_1_4_1, GATEWAY_API_1_5_1];

/** Upstream path of one CRD file in the release's tree. */
export function gatewayApiCrdPath(crd: GatewayApiCrdFile): string {
    return `config/crd/standard/gateway.networking.k8s.io_${crd.plural}.yaml`;
}

/** The GatewayClass Cilium's chart writes (templates/cilium-gateway-api-class.yaml, 1.16.19 … 1.20.0). */
export const CILIUM_GATEWAY_CLASS = "cilium";

/** One Gateway for the cluster's HTTP entry point. */
export interface GatewaySpecInput {
    readonly name: string;
    readonly namespace: string;
    /** The LoadBalancer address, from the cluster's pool. */
    readonly address: string;
    /** Which load balancer assigns it. */
    readonly loadBalancer: LoadBalancerProvider;
}

/**
 * The Gateway: class `cilium`, one HTTP listener on port 80 admitting routes from every namespace, and the address
 * requested the way every Kubeloom LoadBalancer Service asks for one (load-balancer.ts), through
 * `spec.infrastructure` (standard channel since Gateway API v1.2), whose labels and annotations the implementation
 * copies onto the Service it creates for the Gateway.
 */
export function gatewayManifest(input: GatewaySpecInput): Record<string, unknown> {
    const request = addressRequest(input.loadBalancer, input.address);
    return sortKeysDeep({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: input.name, namespace: input.namespace },
        spec: {
            gatewayClassName: CILIUM_GATEWAY_CLASS,
            infrastructure: { annotations: request.annotations, ...(request.labels ? { labels: request.labels } : {}) },
            listeners: [{ name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "All" } } }],
        },
    });
}
