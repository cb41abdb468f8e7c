/**
 * Pure builder for the vcluster 0.20 Helm values. The 0.20.6 chart schema (../shared/schemas) sets
 * `additionalProperties: false` almost everywhere and Helm enforces it at install, so every key below exists at
 * 0.20.6; the tests validate each variant against that schema.
 */
import { assertNever } from "../lib/assert-never";
import { sortKeysDeep } from "../lib/values-util";

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

/** MetalLB's address-request annotation. `metallb.io/` only exists from 0.14.9; this prefix works on all 0.14.x. */
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

/** The Helm values for the vcluster chart (0.20.x), keys sorted. */
export function vclusterValues(input: VClusterValuesInput): Record<string, unknown> {
    const server = vclusterServerUrl(input.expose);
    const controlPlane: Record<string, unknown> = {
        distro: {
            // The 0.20 chart falls back to k8s when no distro is enabled and fails when two are; k3s is the
            // lightest control plane (one binary, SQLite). k8s is switched off explicitly so that a chart
            // default of k8s.enabled: true could never make two distros enabled.
            k3s: { enabled: true },
            k8s: { enabled: false },
        },
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
    // The chart's default quota has `services.nodeports: 0` (vcluster@v0.20.6 chart/values.yaml
    // policies.resourceQuota.quota), which rejects the vCluster's own NodePort/LoadBalancer Service
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
