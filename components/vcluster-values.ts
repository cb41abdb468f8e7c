/**
 * Pure builder for the vcluster Helm values of every release in the support matrix (0.20.6, 0.36.1). Both chart
 * schemas (loft-sh/vcluster `chart/values.schema.json` at v0.20.6 / v0.36.1) set `additionalProperties: false` almost everywhere and Helm enforces it at install,
 * so every key below exists at both versions; the tests validate each variant against each version's schema.
 *
 * What differs between the releases, and the one place it is decided (`distroValues`): 0.20 renders the k3s
 * distro; `controlPlane.distro.k3s` is deprecated from 0.25 and removed in 0.33, so 0.36 has only k8s (its schema
 * rejects `distro.k3s`). The other keys Kubeloom sets kept their meaning (read in both charts' values.yaml and
 * templates): `exportKubeConfig.{context,server}`, `controlPlane.proxy.extraSANs`, `controlPlane.service.{spec,
 * httpsNodePort,annotations,labels}`, `controlPlane.statefulSet.image.repository`, `sync.toHost.networkPolicies.enabled`,
 * `policies.{podSecurityStandard,resourceQuota,limitRange}` and `policies.networkPolicy.enabled` — 0.33 restructured
 * the rest of `networkPolicy` (outgoingConnections became workload.publicEgress, controlPlane/workload ingress and
 * egress lists), none of which Kubeloom sets.
 */
import { assertNever } from "../lib/assert-never";
import { sortKeysDeep } from "../lib/values-util";
import { ownedValues } from "../lib/chart-values";
import type { PodSecurityLevel } from "../lib/pod-security";
import { VClusterDistro, VClusterRelease, vclusterRelease } from "./support-matrix";
import { DEFAULT_VERSIONS } from "./versions";
import { DEFAULT_POD_SECURITY_STANDARD, DEFAULT_VCLUSTER_BUILD, DEFAULT_VCLUSTER_QUOTA } from "./defaults";
import { addressRequest, DEFAULT_LOAD_BALANCER_PROVIDER, LoadBalancerProvider } from "./load-balancer";

/** A LimitRange's container defaults: resource name → quantity. */
export interface LimitRangeDefaults {
    /** The default limit (`spec.limits[].default`). */
    readonly default: Readonly<Record<string, string>>;
    /** The default request (`spec.limits[].defaultRequest`). */
    readonly defaultRequest: Readonly<Record<string, string>>;
}

/**
 * The chart's own `policies.limitRange` defaults at each supported release (loft-sh/vcluster chart/values.yaml at
 * v0.20.6 and v0.36.1: the same values); Helm merges Kubeloom's `limitRange` entries over them, so a rule comparing a
 * default request with its default limit must compare the merged maps. test/components/vcluster-limit-range.test.ts
 * reads them from each chart archive.
 */
export const VCLUSTER_CHART_LIMIT_RANGE: Readonly<Record<string, LimitRangeDefaults>> = {
    "0.20.6": { default: { "ephemeral-storage": "8Gi", memory: "512Mi", cpu: "1" }, defaultRequest: { "ephemeral-storage": "3Gi", memory: "128Mi", cpu: "100m" } },
    "0.36.1": { default: { "ephemeral-storage": "8Gi", memory: "512Mi", cpu: "1" }, defaultRequest: { "ephemeral-storage": "3Gi", memory: "128Mi", cpu: "100m" } },
};

/** The LimitRange the chart renders for a tenant: its release's defaults with Kubeloom's entries merged over them. */
export function effectiveLimitRange(version: string, given: { readonly default?: Record<string, string>; readonly defaultRequest?: Record<string, string> } | undefined): LimitRangeDefaults {
    const chart = VCLUSTER_CHART_LIMIT_RANGE[version.replace(/^v/, "")] ?? { default: {}, defaultRequest: {} };
    return { default: { ...chart.default, ...(given?.default ?? {}) }, defaultRequest: { ...chart.defaultRequest, ...(given?.defaultRequest ?? {}) } };
}

/** The vCluster control-plane builds: the pure open-source image or the one with the licensed modules. */
export const VCLUSTER_BUILDS = ["oss", "pro"] as const;

/** Which vCluster control-plane build runs (one of VCLUSTER_BUILDS). */
export type VClusterBuild = (typeof VCLUSTER_BUILDS)[number];

/**
 * The image repository of a build. Both supported charts default to `loft-sh/vcluster-pro` ("includes the optional
 * pro modules that are turned off by default"); their values.yaml says to use `loft-sh/vcluster-oss` for the pure
 * open-source build (0.20.6 and 0.36.1 chart/values.yaml controlPlane.statefulSet.image.repository).
 */
export function vclusterImageRepository(build: VClusterBuild): string {
    switch (build) {
        case "oss":
            return "loft-sh/vcluster-oss";
        case "pro":
            return "loft-sh/vcluster-pro";
        default:
            return assertNever(build);
    }
}

/** How clients reach a vCluster's API; each kind carries exactly what it needs, so none can be incomplete. */
export type VClusterExposure<Address = string> =
    /** Only inside the host cluster; the kubeconfig points at `vcluster connect`'s port-forward address. */
    | { readonly type: "ClusterIP" }
    /** A node port of the host cluster, dialled at `nodeAddress` (a node IP or DNS name every client can reach). */
    | { readonly type: "NodePort"; readonly nodePort: number; readonly nodeAddress: Address }
    /**
     * A LoadBalancer Service with a fixed, pre-planned address, requested from the cluster's load balancer.
     * `provider` @default DEFAULT_LOAD_BALANCER_PROVIDER ("metallb", load-balancer.ts)
     */
    | { readonly type: "LoadBalancer"; readonly address: string; readonly provider?: LoadBalancerProvider };

/**
 * The Kubernetes versions (minor → image tag) each chart release's distro offers, as `vcluster create
 * --kubernetes-version` maps them: the map of the vcluster CLI of the same line (loft-sh/vcluster config/config.go,
 * K3SVersionMap for the 0.20 line, whose 1.30 entry is the 0.20.6 chart's default rancher/k3s:v1.30.2-k3s1;
 * K8SVersionMap of the 0.3x line, 1.30–1.35 as ghcr.io/loft-sh/kubernetes:v1.3x.y) plus the release's own default tag
 * (chart/values.yaml controlPlane.distro.k8s.image.tag "v1.36.0" at 0.36.1). Read upstream, not run here: no image is
 * pulled offline.
 */
const VCLUSTER_KUBERNETES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    "0.20.6": { "1.27": "v1.27.15-k3s1", "1.28": "v1.28.11-k3s1", "1.29": "v1.29.6-k3s1", "1.30": "v1.30.2-k3s1" },
    "0.36.1": { "1.30": "v1.30.2", "1.31": "v1.31.1", "1.32": "v1.32.1", "1.33": "v1.33.4", "1.34": "v1.34.0", "1.35": "v1.35.0", "1.36": "v1.36.0" },
};

/** The Kubernetes minors ("1.29") a chart release's distro offers, oldest first; empty for a release outside the matrix. */
export function vclusterKubernetesVersions(version: string): string[] {
    return Object.keys(VCLUSTER_KUBERNETES[version.replace(/^v/, "")] ?? {}).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
}

/** The distro image tag of Kubernetes `minor` ("1.29" or "v1.29") at a chart release, or undefined when it offers none. */
export function vclusterKubernetesTag(version: string, minor: string): string | undefined {
    return VCLUSTER_KUBERNETES[version.replace(/^v/, "")]?.[minor.replace(/^v/, "").split(".").slice(0, 2).join(".")];
}

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
    /**
     * Fence the tenant in with host NetworkPolicies (enforced by Cilium). The chart's own policies render only where
     * the chart owns the fence (tenantFenceOwner: 0.20); on 0.36 Kubeloom writes them (VCluster).
     */
    readonly isolate: boolean;
    /** Pod Security Standard the syncer enforces on every tenant pod. @default DEFAULT_POD_SECURITY_STANDARD ("baseline", components/defaults.ts) */
    readonly podSecurityStandard?: PodSecurityLevel;
    /** Control-plane build. @default DEFAULT_VCLUSTER_BUILD ("oss", components/defaults.ts) */
    readonly build?: VClusterBuild;
    /** Render the chart's ResourceQuota and LimitRange (its defaults, the tenant's own Service allowed). @default DEFAULT_VCLUSTER_QUOTA (true, components/defaults.ts) */
    readonly quota?: boolean;
    /** ResourceQuota entries over the chart's defaults, e.g. `{ "requests.cpu": 4 }`. */
    readonly resourceQuota?: Readonly<Record<string, string | number>>;
    /** LimitRange defaults for the tenant's containers, over the chart's. */
    readonly limitRange?: { readonly default?: Record<string, string>; readonly defaultRequest?: Record<string, string> };
    /**
     * The tenant's Kubernetes minor ("1.29"), one its release's distro offers (vclusterKubernetesVersions).
     * @default - the chart's default (v1.30.2 k3s on 0.20.6, v1.36.0 on 0.36.1)
     */
    readonly kubernetesVersion?: string;
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

/**
 * What makes a ClusterIP tenant's exported server (https://localhost:8443) answer: a port-forward to the chart's
 * Service `<name>` (port 443 → the API on 8443, 0.20.6 and 0.36.1 templates/service.yaml) through the host
 * cluster's context. The certificate covers localhost, so the exported kubeconfig verifies TLS through it.
 * Undefined for NodePort and LoadBalancer tenants, whose server answers directly.
 */
export function vclusterConnectCommand(expose: { readonly type: VClusterExposure["type"] }, hostContext: string, name: string): string | undefined {
    const type = expose.type;
    switch (type) {
        case "ClusterIP":
            return `kubectl --context ${hostContext} -n ${vclusterNamespace(name)} port-forward svc/${name} 8443:443`;
        case "NodePort":
        case "LoadBalancer":
            return undefined;
        default:
            return assertNever(type);
    }
}

/** A host for a URL: an IPv6 address needs brackets. */
function urlHost(address: string): string {
    return address.includes(":") ? `[${address}]` : address;
}

/**
 * The keys vclusterValues writes, each with the typed key (relative to the `vclusters[]` entry) that decides it: a
 * user's `vclusters[].values` may not set them. Declared here, beside the code that writes them; a test renders many
 * inputs and fails on a written key that no entry covers.
 */
export const VCLUSTER_OWNED_VALUES = ownedValues("vcluster", [
    { path: "controlPlane.distro.k3s.enabled", use: "version (the chart line decides the distro)" },
    { path: "controlPlane.distro.k8s.enabled", use: "version (the chart line decides the distro)" },
    { path: "controlPlane.distro.k3s.image.tag", use: "kubernetesVersion" },
    { path: "controlPlane.distro.k8s.version", use: "kubernetesVersion" },
    { path: "controlPlane.distro.k8s.image.tag", use: "kubernetesVersion" },
    { path: "controlPlane.service", use: "expose (with nodePort or loadBalancerIP)" },
    { path: "controlPlane.proxy.extraSANs", use: "expose (the address clients dial is added)" },
    { path: "controlPlane.statefulSet.image.repository", use: "build" },
    { path: "exportKubeConfig", use: "expose (the kubeconfig context and server are derived)" },
    { path: "policies.networkPolicy", use: "isolate (the tenant fence)" },
    { path: "policies.podSecurityStandard", use: "podSecurityStandard" },
    { path: "policies.resourceQuota", use: "quota and resourceQuota (the quota also admits the tenant's own Service)" },
    { path: "policies.limitRange", use: "quota and limitRange" },
    { path: "sync.toHost.networkPolicies", use: "isolate (tenant NetworkPolicies are synced so Cilium enforces them)" },
]);

/** The Helm values for the vcluster chart at `input.version` (a support-matrix release), keys sorted. */
export function vclusterValues(input: VClusterValuesInput): Record<string, unknown> {
    const version = input.version ?? DEFAULT_VERSIONS.vcluster;
    const release = vclusterRelease(version);
    if (!release) throw new Error(`vCluster ${input.name}: chart version ${version} is not in the support matrix`);
    const server = vclusterServerUrl(input.expose);
    const controlPlane: Record<string, unknown> = {
        distro: distroValues(release.distro, kubernetesTag(input, version)),
        service: controlPlaneService(input.expose),
        statefulSet: { image: { repository: vclusterImageRepository(input.build ?? DEFAULT_VCLUSTER_BUILD) } },
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
        policies: policies(input, release),
        sync: {
            // Tenants' NetworkPolicies are copied to the host namespace so Cilium, the only enforcer, applies them.
            toHost: { networkPolicies: { enabled: true } },
        },
    });
}

/** The distro image tag of the input's kubernetesVersion, or undefined for the chart's default. */
function kubernetesTag(input: VClusterValuesInput, version: string): string | undefined {
    if (input.kubernetesVersion === undefined) return undefined;
    const tag = vclusterKubernetesTag(version, input.kubernetesVersion);
    if (tag === undefined) throw new Error(`vCluster ${input.name}: Kubernetes ${input.kubernetesVersion} is not offered by vcluster ${version} (${vclusterKubernetesVersions(version).join(", ")})`);
    return tag;
}

/** `controlPlane.distro` for the release's one distro, at the Kubernetes tag asked for (else the chart's default). */
function distroValues(distro: VClusterDistro, tag: string | undefined): Record<string, unknown> {
    switch (distro) {
        case "k3s":
            // The 0.20 chart falls back to k8s when no distro is enabled and fails when two are; k3s is the
            // lightest control plane (one binary, SQLite). k8s is switched off explicitly so that a chart
            // default of k8s.enabled: true could never make two distros enabled. The k3s image tag is the version
            // (0.20.6 templates use controlPlane.distro.k3s.image.tag).
            return { k3s: tag === undefined ? { enabled: true } : { enabled: true, image: { tag } }, k8s: { enabled: false } };
        case "k8s":
            // 0.36 has no other distro (its schema's controlPlane.distro has only k8s) and its templates use k8s
            // whatever `enabled` says (templates/_init-containers.tpl reads distro.k8s unconditionally); k8s.enabled
            // defaults to false in its values.yaml, so it is stated to keep the values saying what runs.
            // `version` wins over image.tag there (_init-containers.tpl "vcluster.k8s.image.tag").
            return { k8s: tag === undefined ? { enabled: true } : { enabled: true, version: tag } };
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
            // The load balancer reads the address from its annotation; spec.loadBalancerIP is deprecated upstream
            // and MetalLB 0.14 rejects a Service that sets both.
            return { spec: { type: "LoadBalancer" }, ...addressRequest(expose.provider ?? DEFAULT_LOAD_BALANCER_PROVIDER, expose.address) };
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

function policies(input: VClusterValuesInput, release: VClusterRelease): Record<string, unknown> {
    const result: Record<string, unknown> = {
        networkPolicy: { enabled: input.isolate && release.tenantFence === "chart" },
        // The syncer checks each tenant pod against this level before it creates it on the host, and labels every
        // virtual namespace with it (v0.20.6 pkg/controllers/resources/pods/validate_pod_security.go,
        // pkg/controllers/podsecurity); the host namespace carries its own labels (tenant-policy.ts).
        podSecurityStandard: input.podSecurityStandard ?? DEFAULT_POD_SECURITY_STANDARD,
    };
    if (!(input.quota ?? DEFAULT_VCLUSTER_QUOTA)) {
        // Explicitly off: "auto" would render both again as soon as either one were switched on.
        result.resourceQuota = { enabled: false };
        result.limitRange = { enabled: false };
        return result;
    }
    // On by default. Helm merges these maps over the chart's default quota and limits, so unlisted defaults stay in
    // force. The LimitRange always comes with the quota: the quota limits requests.cpu/memory, which rejects a pod
    // without requests, and the LimitRange supplies them.
    // The chart's default quota has `services.nodeports: 0` (vcluster@v0.20.6 chart/values.yaml
    // policies.resourceQuota.quota), which rejects the vCluster's own NodePort/LoadBalancer Service
    // (chart/templates/service.yaml: https, plus kubelet when not LoadBalancer, each allocating a node port).
    // Allow the tenant's own Service unless the config sets these keys itself. Pre-flight's `resource-quota` check
    // (scripts/plan/preflight/checks.ts checkQuotas) counts the rendered Services against the rendered quota
    // independently, on purpose: it catches a chart whose Service needs more ports than assumed here.
    const ownServiceQuota: Record<string, number> = {};
    if (input.expose.type === "NodePort") ownServiceQuota["services.nodeports"] = 2;
    if (input.expose.type === "LoadBalancer") {
        ownServiceQuota["services.nodeports"] = 1;
        ownServiceQuota["services.loadbalancers"] = 1;
    }
    result.resourceQuota = { enabled: true, quota: { ...ownServiceQuota, ...(input.resourceQuota ?? {}) } };
    const limitRange: Record<string, unknown> = { enabled: true };
    if (input.limitRange?.default) limitRange.default = { ...input.limitRange.default };
    if (input.limitRange?.defaultRequest) limitRange.defaultRequest = { ...input.limitRange.defaultRequest };
    result.limitRange = limitRange;
    return result;
}
