/**
 * The stack outputs, shaped from what composition built: the secret `kubeconfigs` map, the non-secret `clusters`
 * summary (API endpoint, Hubble UI address, each vCluster's endpoint and connect command) and `deployedVersions`.
 */
import * as pulumi from "@pulumi/pulumi";
import { vclusterConnectCommand } from "../components/vcluster-values";
import type { ResolvedCluster } from "../config/resolved-cluster";
import { DeployedVersions, plannedVersions } from "../config/upgrade-rules";
import type { LoadedConfig } from "../config/load";
import type { ComposedCluster } from "./composed";
import type { PlannedMesh } from "./mesh";

/** Stack outputs: what kubectl and other stacks consume. */
export interface PlatformOutputs {
    /** Context name → kubeconfig, for every cluster and vCluster (secret). */
    readonly kubeconfigs: pulumi.Output<Record<string, string>>;
    /** Per cluster: identity, endpoints, CIDRs, Cilium version and vClusters (no secrets). */
    readonly clusters: pulumi.Output<ClusterSummary[]>;
    /** Per cluster name: the K3s, Cilium, MetalLB and vCluster versions this update deployed (no secrets). */
    readonly deployedVersions: pulumi.Output<DeployedVersions>;
}

/** Non-secret description of one cluster in the `clusters` output. */
export interface ClusterSummary {
    readonly name: string;
    readonly id: number;
    readonly context: string;
    readonly apiEndpoint: string | null;
    readonly podCidr: string;
    readonly serviceCidr: string;
    /** null when another stack installs Cilium (`cilium.install: false`). */
    readonly ciliumVersion: string | null;
    readonly kubeProxyReplacement: boolean | null;
    /** CNI chaining mode, or null when Cilium is the only CNI. */
    readonly chaining: string | null;
    /**
     * Where Hubble UI answers: `http://<node address>:<port>` when it is a NodePort and a node address is known,
     * else the kubectl port-forward command that reaches it; null when the UI is off.
     */
    readonly hubbleUi: string | null;
    /**
     * Per vCluster; `connect` is the command that makes a ClusterIP tenant's endpoint (https://localhost:8443)
     * answer — run it, then use `context` — and null when the endpoint answers directly (NodePort, LoadBalancer).
     */
    readonly vclusters: Array<{ name: string; namespace: string; context: string; endpoint: string; expose: string; connect: string | null }>;
}

/**
 * The `deployedVersions` output: the config's versions (plannedVersions, config/upgrade-rules.ts), published only
 * once every resource they describe was created or updated — K3s on every node, each Cilium, MetalLB and vCluster
 * release. After a failed update the stack keeps its previous record, so the record is never newer than what runs
 * (at worst older, which refuses a step that was in fact allowed — the safe side). `npm run up` reads it before the
 * next update (scripts/cli/upgrade-check.ts).
 */
export function deployedVersionsOutput(loaded: LoadedConfig, clusters: readonly ComposedCluster[], mesh: PlannedMesh | undefined): pulumi.Output<DeployedVersions> {
    const applied: Array<pulumi.Output<unknown>> = [];
    for (const { access, cilium, vclusters } of clusters) {
        if (access.k3sVersion) applied.push(access.k3sVersion);
        if (cilium) applied.push(cilium.release.version);
        for (const vc of vclusters) applied.push(vc.release.version);
    }
    for (const metallb of Object.values(mesh?.clusterMesh.metallb ?? {})) applied.push(metallb.release.version);
    return pulumi.all(applied).apply(() => plannedVersions(loaded.config));
}

/** The `kubeconfigs` and `clusters` outputs. */
export function platformOutputs(clusters: readonly ComposedCluster[]): Omit<PlatformOutputs, "deployedVersions"> {
    const kubeconfigEntries: Array<pulumi.Output<[string, string]>> = [];
    for (const { access, vclusters } of clusters) {
        kubeconfigEntries.push(pulumi.output(access.kubeconfig).apply((k) => [access.contextName, k] as [string, string]));
        for (const vc of vclusters) {
            kubeconfigEntries.push(pulumi.all([vc.contextName, vc.kubeconfig]).apply(([context, k]) => [context, k] as [string, string]));
        }
    }
    const kubeconfigs = pulumi.secret(
        pulumi.all(kubeconfigEntries).apply((entries) => Object.fromEntries([...entries].sort(([a], [b]) => a.localeCompare(b)))),
    );
    const summaries = clusters.map(({ config, resolved, access, vclusters }) =>
        pulumi
            .all([
                pulumi.output(access.apiServerHost ?? null),
                pulumi.output(access.apiServerPort ?? null),
                pulumi.all(vclusters.map((vc) => pulumi.all([vc.contextName, vc.namespace, vc.serverUrl]))),
                pulumi.output(access.nodeAddress ?? null),
            ])
            .apply(([host, port, vcs, nodeAddress]): ClusterSummary => ({
                name: config.name,
                id: config.id,
                context: access.contextName,
                // A known host always comes with its port (config/resolved-cluster.ts apiEndpoint): no default port here.
                apiEndpoint: host && port ? `https://${host}:${port}` : null,
                podCidr: config.podCidr,
                serviceCidr: config.serviceCidr,
                ciliumVersion: resolved.installsCilium ? resolved.cilium.version : null,
                kubeProxyReplacement: resolved.installsCilium ? resolved.ciliumInput.kubeProxyReplacement.enabled : null,
                chaining: resolved.ciliumInput.chaining?.mode ?? null,
                hubbleUi: resolved.installsCilium ? hubbleUiAddress(resolved, access.contextName, nodeAddress) : null,
                vclusters: vcs.map(([context, namespace, endpoint], i) => {
                    const { config: vc, exposure } = resolved.vclusters[i];
                    return { name: vc.name, namespace, context, endpoint, expose: exposure.type, connect: vclusterConnectCommand(exposure, access.contextName, vc.name) ?? null };
                }),
            })),
    );
    return { kubeconfigs, clusters: pulumi.all(summaries) };
}

/**
 * Hubble UI's address for the `clusters` output. The chart's hubble-ui Service listens on port 80 (the
 * port-forward target); with uiNodePort it is a NodePort Service that answers on every node running kube-proxy
 * replacement or kube-proxy.
 */
export function hubbleUiAddress(cluster: ResolvedCluster, context: string, nodeAddress: string | null): string | null {
    const hubble = cluster.ciliumInput.hubble;
    if (!hubble.ui) return null;
    if (hubble.uiNodePort !== undefined && nodeAddress) {
        const host = nodeAddress.includes(":") ? `[${nodeAddress}]` : nodeAddress;
        return `http://${host}:${hubble.uiNodePort}`;
    }
    return `kubectl --context ${context} -n kube-system port-forward svc/hubble-ui 12000:80, then http://localhost:12000`;
}
