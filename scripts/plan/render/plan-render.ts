/**
 * `npm run plan -- <stack> --render`: renders every Helm release of a plan for the Kubernetes version and the API
 * group/versions of the cluster it targets, and adds the objects to that release's plan entry as `rendered`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import type { ClusterConfig } from "../../../config/schema";
import { clusterKubernetes, installsCilium } from "../../../config/resolve";
import { ciliumRelease, minorOf } from "../../../components/support-matrix";
import { DEFAULT_VERSIONS } from "../../../components/versions";
import type { OfflinePlan, PlannedResource } from "../offline-plan";
import { RenderEnvironment, ReleaseToRender } from "./helm";
import { KubeObject } from "./objects";
import { MONITORING_API_VERSION } from "../../../components/cilium-features";
import { renderReleases, RenderRequest } from "./render";
import { HELM_RELEASE_TYPE } from "../resource-types";

/**
 * Kubernetes version assumed for a cluster whose version the config does not state (an existing cluster without
 * `kubernetesVersion`): the newest minor its Cilium release supports, else the default K3s line's.
 */
export function assumedKubeVersion(cluster: ClusterConfig | undefined): string {
    const cilium = cluster && installsCilium(cluster) ? ciliumRelease(cluster.cilium.version) : undefined;
    return `${cilium ? cilium.kubernetes.max : minorOf(DEFAULT_VERSIONS.k3s)}.0`;
}

/** Kubernetes version of a cluster: K3s `v1.36.4+k3s1` → 1.36.4, kind `kindest/node:v1.36.1` → 1.36.1, `kubernetesVersion` "1.36" → 1.36.0, else assumedKubeVersion. */
export function kubeVersionOf(cluster: ClusterConfig | undefined): string {
    const stated = cluster ? clusterKubernetes(cluster) : undefined;
    if (stated) return /^\d+\.\d+\.\d+$/.test(stated.version) ? stated.version : `${stated.minor}.0`;
    return assumedKubeVersion(cluster);
}

/** API group/versions served once a chart's CRDs exist (Cilium's operator creates its CRDs at runtime). */
export const CHART_API_VERSIONS: Readonly<Record<string, readonly string[]>> = {
    cilium: ["cilium.io/v2", "cilium.io/v2alpha1"],
    metallb: ["metallb.io/v1alpha1", "metallb.io/v1beta1", "metallb.io/v1beta2"],
};

/** A plan release entry with its rendered objects. */
export type RenderedResource = PlannedResource & { readonly rendered?: KubeObject[]; readonly renderPlaceholders?: string[] };

/** The cluster a Kubernetes resource targets: its provider is `<cluster>-k8s`. */
export function clusterOf(resource: PlannedResource): string | undefined {
    const providerName = resource.provider?.split("::").pop();
    return providerName?.endsWith("-k8s") ? providerName.slice(0, -"-k8s".length) : undefined;
}

/** API group/versions the stack adds to a cluster: from the charts it installs and the CRDs it applies itself. */
export function stackApiVersions(resources: readonly PlannedResource[], cluster: string): string[] {
    const versions = new Set<string>();
    for (const resource of resources) {
        if (clusterOf(resource) !== cluster) continue;
        if (resource.type === HELM_RELEASE_TYPE) {
            for (const gv of CHART_API_VERSIONS[String(resource.inputs.chart)] ?? []) versions.add(gv);
            // cilium.hubble.serviceMonitor states that Prometheus Operator's CRDs are in the cluster (Kubeloom does not
            // install them): the render sees the monitoring API as a real install would, and pre-flight serves it.
            if (resource.inputs.chart === "cilium" && at(resource.inputs.values, "hubble.metrics.serviceMonitor.enabled") === true) versions.add(MONITORING_API_VERSION);
        }
        if (resource.inputs.kind === "CustomResourceDefinition") {
            const spec = resource.inputs.spec as { group?: string; versions?: Array<{ name?: string }> } | undefined;
            for (const v of spec?.versions ?? []) if (spec?.group && v.name) versions.add(`${spec.group}/${v.name}`);
        }
    }
    return [...versions].sort();
}

/** Fails with one line naming the env vars when helm or the charts directory is missing. */
export function checkRenderEnvironment(env: RenderEnvironment): void {
    try {
        execFileSync(env.helm, ["version", "--short"], { stdio: "ignore" });
    } catch {
        throw new Error(`--render needs helm: "${env.helm}" does not run; install helm or set KUBELOOM_HELM to a helm binary`);
    }
    if (env.chartsDir !== undefined && !fs.existsSync(env.chartsDir)) {
        throw new Error(`--render: KUBELOOM_CHARTS_DIR=${env.chartsDir} does not exist; point it at a folder of <chart>-<version>.tgz`);
    }
}

/** The render request for one release entry of the plan. */
export function renderRequestFor(resource: PlannedResource, clusters: ReadonlyMap<string, ClusterConfig>, resources: readonly PlannedResource[]): RenderRequest {
    const inputs = resource.inputs as Record<string, unknown>;
    const cluster = clusterOf(resource) ?? "";
    const release: ReleaseToRender = {
        release: String(inputs.name ?? resource.name),
        chart: String(inputs.chart),
        version: String(inputs.version),
        namespace: String(inputs.namespace ?? "default"),
        repo: (inputs.repositoryOpts as { repo?: string } | undefined)?.repo,
    };
    return { release, values: inputs.values ?? {}, kubeVersion: kubeVersionOf(clusters.get(cluster)), apiVersions: stackApiVersions(resources, cluster) };
}

/** Renders every release of the plan and returns the plan with `rendered` on each release entry. */
export async function renderPlan(plan: OfflinePlan, clusters: ReadonlyMap<string, ClusterConfig>, env: RenderEnvironment, options: { concurrency?: number; cacheDir?: string } = {}): Promise<OfflinePlan> {
    const releases = plan.resources.filter((r) => r.type === HELM_RELEASE_TYPE);
    const results = await renderReleases(releases.map((r) => renderRequestFor(r, clusters, plan.resources)), env, options);
    const byUrn = new Map(releases.map((r, i) => [r.urn, results[i]]));
    const resources = plan.resources.map((resource): RenderedResource => {
        const result = byUrn.get(resource.urn);
        if (!result) return resource;
        return { ...resource, rendered: result.objects, ...(result.placeholders.length > 0 ? { renderPlaceholders: result.placeholders } : {}) };
    });
    return { ...plan, resources };
}

/** The value at a dotted path of a plain object. */
function at(value: unknown, path: string): unknown {
    return path.split(".").reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), value);
}
