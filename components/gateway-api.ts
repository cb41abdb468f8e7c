/**
 * Gateway API for Cilium's controller: which CRD set each Cilium release needs, and the optional Gateway Kubeloom
 * writes. Pure: plain values in, plain objects out.
 *
 * Versions (../shared/schemas/README.md records the reading): Cilium 1.19 supports Gateway API v1.4.1
 * (Documentation/network/servicemesh/gateway-api/{gateway-api,installation}.rst at v1.19.4: "Cilium supports Gateway
 * API v1.4.1"; operator/pkg/gateway-api/cell.go requires GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant).
 * Cilium 1.20 supports v1.5.1 (go.mod `sigs.k8s.io/gateway-api v1.5.1`), and its operator turns Gateway API off unless
 * all seven kinds of operator/pkg/gateway-api/helpers/schemes.go `RequiredGVKs` exist — TLSRoute and
 * BackendTLSPolicy included (read at v1.20.0-pre.3, the newest 1.20 tree available). Every CRD is the standard
 * channel's `config/crd/standard/gateway.networking.k8s.io_<plural>.yaml` at the tag; `gitBlob` is its git blob id.
 */
import { addressRequest, LoadBalancerProvider } from "./load-balancer";
import { ciliumRelease, compareVersions } from "./support-matrix";
import { sortKeysDeep } from "../lib/values-util";

/** One upstream CRD file of a Gateway API release. */
export interface GatewayApiCrdFile {
    /** The CRD's plural (`gateways`): the file is gateway.networking.k8s.io_<plural>.yaml. */
    readonly plural: string;
    /** Git blob id of the file at the tag (content address; the artifact lock verifies the bytes against it). */
    readonly gitBlob: string;
}

/** A Gateway API release: its version, where its files are, and the CRDs Cilium needs from it. */
export interface GatewayApiRelease {
    readonly version: string;
    readonly repository: "kubernetes-sigs/gateway-api";
    readonly commit: string;
    readonly crds: readonly GatewayApiCrdFile[];
}

/** Gateway API v1.4.1 (annotated tag → 477d172e), the five CRDs Cilium 1.19 requires. */
const GATEWAY_API_1_4_1: GatewayApiRelease = {
    version: "1.4.1",
    repository: "kubernetes-sigs/gateway-api",
    commit: "477d172e6ac5eccb82b65781ddb8f924afec4170",
    crds: [
        { plural: "gatewayclasses", gitBlob: "9a1e592c31b567d6d905d2d289904beb67306ff5" },
        { plural: "gateways", gitBlob: "e3801c8bad7618be58809b2e46d8aa2f2c63fbdc" },
        { plural: "httproutes", gitBlob: "555c9a84853c6caf42d827391d19fb44829c9b9d" },
        { plural: "grpcroutes", gitBlob: "89b8e6800468a884c857bd25791eec9a4a79a236" },
        { plural: "referencegrants", gitBlob: "eb25c383cdcd07ad16834b4bfc1f79bc2ed45b27" },
    ],
};

/** Gateway API v1.5.1 (e7677b70), the seven CRDs Cilium 1.20 requires. */
const GATEWAY_API_1_5_1: GatewayApiRelease = {
    version: "1.5.1",
    repository: "kubernetes-sigs/gateway-api",
    commit: "e7677b70ae75d14a4448fba94870e7deea6cf0ad",
    crds: [
        { plural: "gatewayclasses", gitBlob: "699ed71baf0c6551129d599b7e0658bb0b821be1" },
        { plural: "gateways", gitBlob: "ebcd948aa2e9dd7d8dd438c9fbdc693306f517eb" },
        { plural: "httproutes", gitBlob: "9439f4e5855d347a26675839530c57daa5072bbd" },
        { plural: "grpcroutes", gitBlob: "bcccdeccf2096a5f53b0a47307ea2cea92da4c52" },
        { plural: "referencegrants", gitBlob: "761a65cf7ff51352ab4123a9de59ac4393e1e540" },
        { plural: "tlsroutes", gitBlob: "746cd262d5f99c99b7c666fd2c697654bed0df9b" },
        { plural: "backendtlspolicies", gitBlob: "11ba0fd7d00b5c805f61b01b7a69141b78abd6a6" },
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
