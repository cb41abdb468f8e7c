/**
 * Pure builder for the vcluster Helm values of every release in the support matrix (0.20.6, 0.36.1). Both chart
 * schemas (../shared/schemas) set `additionalProperties: false` almost everywhere and Helm enforces it at install,
 * so every key below exists at both versions; the tests validate each variant against each version's schema.
 *
 * What differs between the releases, and the one place it is decided (`distroValues`): 0.20 renders the k3s
 * distro; `controlPlane.distro.k3s` is deprecated from 0.25 and removed in 0.33, so 0.36 has only k8s (its schema
 * rejects `distro.k3s`). The other keys Kubeloom sets kept their meaning (read in both charts' values.yaml and
 * templates): `exportKubeConfig.{context,server}`, `controlPlane.proxy.extraSANs`, `controlPlane.service.{spec,
 * httpsNodePort,annotations}`, `sync.toHost.networkPolicies.enabled`, `policies.{resourceQuota,limitRange}` and
 * `policies.networkPolicy.enabled` — 0.33 restructured the rest of `networkPolicy` (outgoingConnections became
 * workload.publicEgress, controlPlane/workload ingress and egress lists), none of which Kubeloom sets.
 */
import { assertNever } from "../lib/assert-never";
import { sortKeysDeep } from "../lib/values-util";
import { VClusterDistro, vclusterRelease } from "./support-matrix";
import { DEFAULT_VERSIONS } from "./versions";

/** How clients reach a vCluster's API; each kind carries exactly what it needs, so none can be incomplete. */
export type VClusterExposure<Address = string> =
    /** Only inside the host cluster; the kubeconfig points at `vcluster connect`'s port-forward address. */
    | { readonly type: "ClusterIP" }
    /** A node port of the host cluster, dialled at `nodeAddress` (a node IP or DNS name every client can reach). */
    | { readonly type: "NodePort"; readonly nodePort: number; readonly nodeAddress: Address }
    /** A LoadBalancer Service with a fixed, pre-planned address (requested through MetalLB's annotation). */
    | { readonly type: "LoadBalancer"; readonly address: string };

/** What one vCluster's values depend on. */
export interface VClusterValuesInput {
    /** Helm release name; the chart writes the kubeconfig Secret `vc-<name>` next to it. */
    readonly name: string;
    /** vcluster chart version, one of the support matrix. @default DEFAULT_VERSIONS.vcluster (components/versions.ts) */
    readonly version?: string;
    /** Context name inside the exported kubeconfig. */
    readonly contextName: string;
    /** How clients reach the vCluster API: port-forward (ClusterIP), a node port, or a load-balancer address. */
    readonly expose: VClusterExposure;
    /** Deploy the chart's host NetworkPolicies that fence the tenant in (enforced by Cilium). */
    readonly isolate: boolean;
    /** ResourceQuota limits for the tenant namespace, e.g. `{ "requests.cpu": 4 }`. */
    readonly resourceQuota?: Readonly<Record<string, string | number>>;
    /** LimitRange defaults for the tenant's containers. */
    readonly limitRange?: { readonly default?: Record<string, string>; readonly defaultRequest?: Record<string, string> };
}

/**
 * MetalLB's address-request annotation. MetalLB reads `metallb.io/loadBalancerIPs` and, for backward compatibility,
 * this deprecated name (metallb controller/service.go at v0.14.9 and v0.16.1, DeprecatedAnnotationLoadBalancerIPs);
 * kept so that existing Services do not change.
 */
export const METALLB_LOAD_BALANCER_IPS_ANNOTATION = "metallb.universe.tf/loadBalancerIPs";

/** The kubeconfig context of a vCluster: `<cluster>-<vcluster>` (a stack output key; the config rules keep it unique). */
export function vclusterContextName(clusterName: string, name: string): string {
    return `${clusterName}-${name}`;
}

/** The host namespace a vCluster lives in. */
export function vclusterNamespace(name: string): string {
    return `vcluster-${name}`;
}

/** The host Secret in which the chart stores the vCluster's kubeconfig (key `config`). */
export function vclusterKubeconfigSecretName(name: string): string {
    return `vc-${name}`;
}

/**
 * The API server URL written into the exported kubeconfig. ClusterIP uses https://localhost:8443, the address
 * `vcluster connect` port-forwards to, because nothing outside the host cluster can reach a ClusterIP.
 */
export function vclusterServerUrl(expose: VClusterExposure): string {
    switch (expose.type) {
        case "NodePort":
            return `https://${urlHost(expose.nodeAddress)}:${expose.nodePort}`;
        case "LoadBalancer":
            return `https://${urlHost(expose.address)}:443`;
        case "ClusterIP":
            return "https://localhost:8443";
        default:
            return assertNever(expose);
    }
}

/** A host for a URL: an IPv6 address needs brackets. */
function urlHost(address: string): string {
    return address.includes(":") ? `[${address}]` : address;
}

/** The Helm values for the vcluster chart at `input.version` (a support-matrix release), keys sorted. */
export function vclusterValues(input: VClusterValuesInput): Record<string, unknown> {
    const version = input.version ?? DEFAULT_VERSIONS.vcluster;
    const release = vclusterRelease(version);
    if (!release) throw new Error(`vCluster ${input.name}: chart version ${version} is not in the support matrix`);
    const server = vclusterServerUrl(input.expose);
    const controlPlane: Record<string, unknown> = {
        distro: distroValues(release.distro),
        service: controlPlaneService(input.expose),
    };
    const extraSANs = externalAddresses(input.expose);
    if (extraSANs.length > 0) {
        // The serving certificate covers localhost and the Service's in-cluster names; an address clients dial
        // from outside must be added or TLS verification fails with the kubeconfig the chart exports.
        controlPlane.proxy = { extraSANs };
    }
    return sortKeysDeep({
        controlPlane,
        exportKubeConfig: { context: input.contextName, server },
        policies: policies(input),
        sync: {
            // Tenants' NetworkPolicies are copied to the host namespace so Cilium, the only enforcer, applies them.
            toHost: { networkPolicies: { enabled: true } },
        },
    });
}

/** `controlPlane.distro` for the release's one distro. */
function distroValues(distro: VClusterDistro): Record<string, unknown> {
    switch (distro) {
        case "k3s":
            // The 0.20 chart falls back to k8s when no distro is enabled and fails when two are; k3s is the
            // lightest control plane (one binary, SQLite). k8s is switched off explicitly so that a chart
            // default of k8s.enabled: true could never make two distros enabled.
            return { k3s: { enabled: true }, k8s: { enabled: false } };
        case "k8s":
            // 0.36 has no other distro (its schema's controlPlane.distro has only k8s) and its templates use k8s
            // whatever `enabled` says (templates/_init-containers.tpl reads distro.k8s unconditionally); k8s.enabled
            // defaults to false in its values.yaml, so it is stated to keep the values saying what runs.
            return { k8s: { enabled: true } };
        default:
            return assertNever(distro);
    }
}

function controlPlaneService(expose: VClusterExposure): Record<string, unknown> {
    switch (expose.type) {
        case "ClusterIP":
            return { spec: { type: "ClusterIP" } };
        case "NodePort":
            return { spec: { type: "NodePort" }, httpsNodePort: expose.nodePort };
        case "LoadBalancer":
            // MetalLB reads the address from this annotation; spec.loadBalancerIP is deprecated upstream and
            // MetalLB 0.14 rejects a Service that sets both.
            return { spec: { type: "LoadBalancer" }, annotations: { [METALLB_LOAD_BALANCER_IPS_ANNOTATION]: expose.address } };
        default:
            return assertNever(expose);
    }
}

/** Addresses outside clients use for the API, besides localhost. */
function externalAddresses(expose: VClusterExposure): string[] {
    switch (expose.type) {
        case "ClusterIP":
            return [];
        case "NodePort":
            return [expose.nodeAddress];
        case "LoadBalancer":
            return [expose.address];
        default:
            return assertNever(expose);
    }
}

function policies(input: VClusterValuesInput): Record<string, unknown> {
    const result: Record<string, unknown> = { networkPolicy: { enabled: input.isolate } };
    // resourceQuota and limitRange default to "auto": each renders only when the other is true, so by default
    // neither does. A configured one is set to true; the other stays "auto" and follows it, which is wanted: a
    // quota on requests.cpu rejects pods without requests, and the chart's LimitRange supplies them. Helm merges
    // these maps over the chart's default quota and limits, so unlisted defaults stay in force.
    const quotaRenders = (input.resourceQuota && Object.keys(input.resourceQuota).length > 0) || input.limitRange !== undefined;
    // The chart's default quota has `services.nodeports: 0` (chart/values.yaml policies.resourceQuota.quota at
    // v0.20.6 and v0.36.1), which rejects the vCluster's own NodePort/LoadBalancer Service
    // (chart/templates/service.yaml: https, plus kubelet when not LoadBalancer, each allocating a node port).
    // Allow the tenant's own Service unless the config sets these keys itself.
    const ownServiceQuota: Record<string, number> = {};
    if (quotaRenders && input.expose.type === "NodePort") ownServiceQuota["services.nodeports"] = 2;
    if (quotaRenders && input.expose.type === "LoadBalancer") {
        ownServiceQuota["services.nodeports"] = 1;
        ownServiceQuota["services.loadbalancers"] = 1;
    }
    if (input.resourceQuota && Object.keys(input.resourceQuota).length > 0) {
        result.resourceQuota = { enabled: true, quota: { ...ownServiceQuota, ...input.resourceQuota } };
    } else if (Object.keys(ownServiceQuota).length > 0) {
        // Only the LimitRange is configured: the quota follows it ("auto") and needs the same allowance.
        result.resourceQuota = { quota: ownServiceQuota };
    }
    if (input.limitRange) {
        const limitRange: Record<string, unknown> = { enabled: true };
        if (input.limitRange.default) limitRange.default = { ...input.limitRange.default };
        if (input.limitRange.defaultRequest) limitRange.defaultRequest = { ...input.limitRange.defaultRequest };
        result.limitRange = limitRange;
    }
    return result;
}
