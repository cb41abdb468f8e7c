/**
 * The composition: for each cluster, source → Kubernetes provider → Cilium → vClusters, plus Cluster Mesh across
 * the clusters that ask for it. Whatever a stack's config asks for, this wires it; it decides nothing that the
 * config and the pure builders do not already say.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { CiliumInstall } from "../components/CiliumInstall";
import { CiliumNodes } from "../components/CiliumNodes";
import { CiliumLoadBalancer } from "../components/CiliumLoadBalancer";
import { l2AnnouncementValues } from "../components/cilium-lbipam";
import { KubectlCheck } from "../components/KubectlCheck";
import { ciliumVerifyMaxSeconds, ciliumVerifyScript, CiliumVerifyInput } from "../components/cilium-verify-script";
import { commandTimeout } from "../lib/shell";
import { taintsFromTolerations } from "../components/cilium-nodes";
import { VCluster } from "../components/VCluster";
import { vclusterConnectCommand, type VClusterExposure } from "../components/vcluster-values";
import { defaultOperatorReplicas, KubeProxyReplacement } from "../components/cilium-values";
import { ClusterConfig, defaultProtect } from "../config/schema";
import { installsCilium, meshApiserver, meshMembers, tenantNetworkPolicies, vclusterExposure, VClusterExposureConfig } from "../config/resolve";
import type { StackConfig } from "../config/schema";
import { DeployedVersions, plannedVersions } from "../config/upgrade-rules";
import { LoadedConfig } from "../config/load";
import { resourceNames } from "../config/derived-names";
import { clusterAccess, ClusterAccess } from "./sources";
import { composeMeshServices, planClusterMesh, PlannedMesh } from "./mesh";
import { beforeCilium, gatewayAfterCilium, ipsecKeys } from "./cilium-extras";
import { encryptionOf, gatewayApiOn, meshNativeRoutingCidr } from "../config/cilium-feature-rules";

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

/** Everything built for one cluster, for composition steps that span clusters (mesh). */
export interface ComposedCluster {
    readonly config: ClusterConfig;
    readonly access: ClusterAccess;
    /** Cilium, when this stack installs it (see `cilium.install`). */
    readonly cilium?: CiliumInstall;
    readonly vclusters: VCluster[];
    /** The node labels/taints of cilium.chaining.nodes, when any node is listed. */
    readonly ciliumNodes?: CiliumNodes;
}

/**
 * The whole composition, as phases in one straight line: cluster access → mesh plan (CA, addresses, load
 * balancers) → per cluster Cilium and tenants → mesh services → outputs.
 */
export function composePlatform(loaded: LoadedConfig): { clusters: ComposedCluster[]; outputs: PlatformOutputs; mesh?: PlannedMesh } {
    const { config, secrets, stackName } = loaded;
    // Phase 1: cluster access, one explicit provider per cluster.
    const accesses = config.clusters.map((cluster, index) => ({
        config: cluster,
        access: clusterAccess(cluster, index, { stackName, secrets, protect: cluster.protect ?? defaultProtect(stackName) }),
    }));
    // Phase 2: the mesh plan, which the members' Cilium values need.
    const mesh = planClusterMesh(loaded, accesses);
    const extraValues = mesh?.ciliumValues ?? new Map<string, pulumi.Input<Record<string, unknown>>>();
    // IPsec keys before any cluster: a mesh's members share one.
    const ipsec = ipsecKeys(config, (cluster) => cluster.protect ?? defaultProtect(stackName));

    // Phase 3: per cluster, Cilium and the tenants.
    const clusters = accesses.map(({ config: cluster, access }): ComposedCluster => {
        const protect = cluster.protect ?? defaultProtect(stackName);
        // Cilium's own load balancer: pools beside the release (CiliumLoadBalancer.ts says why), values into it.
        const lbipam = cluster.loadBalancer?.cilium;
        if (lbipam) {
            new CiliumLoadBalancer(
                `${cluster.name}-lbipam`,
                { provider: access.provider, clusterName: cluster.name, kubeconfig: access.kubeconfig, addresses: lbipam.addresses, reservedAddresses: reservedAddresses(config, cluster), interfaces: lbipam.devices, clusterCreator: access.creator },
                { protect },
            );
        }
        const meshValues = extraValues.get(cluster.name);
        // The mesh values are a plain object with Output leaves (only the CA secret): merged as they are, so the
        // rest stays readable in the plan. The L2 keys (l2announcements, k8sClientRateLimit, devices) are not mesh keys.
        // cilium.devices, when set, is the agent's whole device list (the rules keep the announcing NICs among it).
        const l2Values = lbipam ? l2AnnouncementValues(lbipam.addresses, cluster.cilium.devices ?? lbipam.devices) : undefined;
        const ciliumExtra = l2Values ? (meshValues === undefined ? l2Values : { ...(meshValues as Record<string, unknown>), ...l2Values }) : meshValues;
        const installed: { cilium?: CiliumInstall; ciliumNodes?: CiliumNodes } = installsCilium(cluster)
            ? installCilium(cluster, access, ciliumExtra, protect, { ipsecKey: ipsec.get(cluster.name), nativeRoutingCidr: meshNativeRoutingCidr(config, cluster) })
            : {};
        const vclusters = cluster.vclusters.map(
            (vc, index) =>
                new VCluster(
                    resourceNames.vcluster(cluster.name, vc.name),
                    {
                        provider: access.provider,
                        hostKubeconfig: access.kubeconfig,
                        clusterName: cluster.name,
                        name: vc.name,
                        version: vc.version,
                        expose: withNodeAddress(vclusterExposure(cluster, index), access, cluster.name),
                        isolate: vc.isolate,
                        podSecurityStandard: vc.podSecurityStandard,
                        build: vc.build,
                        quota: vc.quota,
                        networkPolicies: tenantNetworkPolicies(vc),
                        resourceQuota: vc.resourceQuota,
                        limitRange: vc.limitRange,
                    },
                    // Tenants come after the CNI: without Cilium their pods never start, and on destroy they go first.
                    // On a cluster another stack manages, that stack's Cilium is already there.
                    { protect, dependsOn: installed.cilium ? [installed.cilium.release] : access.creator ? [access.creator] : [] },
                ),
        );
        return { config: cluster, access, vclusters, ...installed };
    });
    // Phase 4: the mesh's own objects in each member, after its Cilium.
    if (mesh) composeMeshServices(mesh, clusters.map((c) => ({ ...c, ciliumRelease: c.cilium?.release })));

    // Phase 5: outputs.
    return { clusters, outputs: { ...platformOutputs(clusters), deployedVersions: deployedVersionsOutput(loaded, clusters, mesh) }, mesh };
}

/**
 * A vCluster exposure with the address its NodePort is dialled at: the cluster's node address. The config rules
 * require one for NodePort tenants; a miss here means the rules and the sources disagree.
 */
function withNodeAddress(expose: VClusterExposureConfig, access: ClusterAccess, clusterName: string): VClusterExposure<pulumi.Input<string>> {
    if (expose.type !== "NodePort") return expose;
    if (access.nodeAddress === undefined) throw new Error(`cluster ${clusterName}: a NodePort vCluster but no node address (internal error)`);
    return { ...expose, nodeAddress: access.nodeAddress };
}

/**
 * Kube-proxy replacement with the API server address the agents dial: the configured one, else the one of the
 * cluster Kubeloom created. The config rules require one whenever replacement is on.
 */
function kubeProxyReplacementOf(cluster: ClusterConfig, access: ClusterAccess): KubeProxyReplacement<pulumi.Input<string>, pulumi.Input<number>> {
    if (!cluster.cilium.kubeProxyReplacement) return { enabled: false };
    const apiServerHost = cluster.cilium.k8sServiceHost ?? access.apiServerHost;
    const apiServerPort = cluster.cilium.k8sServicePort ?? access.apiServerPort;
    if (apiServerHost === undefined || apiServerPort === undefined) throw new Error(`cluster ${cluster.name}: kube-proxy replacement without an API server address passed the rules (internal error)`);
    return { enabled: true, apiServerHost, apiServerPort };
}

/** Cilium on one cluster: the opt-in node labels/taints, the release, and the optional verification. */
function installCilium(
    cluster: ClusterConfig,
    access: ClusterAccess,
    extraValues: pulumi.Input<Record<string, unknown>> | undefined,
    protect: boolean,
    derived: { readonly ipsecKey?: { keyId: number; keyHex: pulumi.Output<string> }; readonly nativeRoutingCidr?: string },
): { cilium: CiliumInstall; ciliumNodes?: CiliumNodes } {
    const chaining = cluster.cilium.chaining;
    // Opt-in: only nodes the config lists are touched, and before Cilium, whose agents select them by label.
    const ciliumNodes =
        chaining && chaining.nodes.length > 0
            ? new CiliumNodes(
                  resourceNames.ciliumNodes(cluster.name),
                  {
                      provider: access.provider,
                      clusterName: cluster.name,
                      nodes: chaining.nodes,
                      labels: cluster.cilium.nodeSelector,
                      taints: taintsFromTolerations(cluster.cilium.tolerations),
                      kubeconfig: access.kubeconfig,
                  },
                  { protect, dependsOn: access.creator ? [access.creator] : [] },
              )
            : undefined;
    // Nodes the agents (and the operator, which shares their nodeSelector) can run on, when Kubeloom knows them:
    // the nodes it created, or the ones chaining.nodes marks. Unknown: the chart default of 2 operator replicas.
    const ciliumNodeCount = access.nodeCount ?? (chaining && chaining.nodes.length > 0 ? chaining.nodes.length : undefined);
    // The IPsec Secret the agents mount and the Gateway API CRDs the operator looks for, before the release.
    const before = beforeCilium(cluster, access, derived.ipsecKey, protect);
    const hubble = cluster.cilium.hubble;
    const cilium = new CiliumInstall(
        resourceNames.cilium(cluster.name),
        {
            provider: access.provider,
            version: cluster.cilium.version,
            waitTimeoutSeconds: cluster.cilium.waitTimeoutSeconds,
            values: {
                clusterName: cluster.name,
                clusterId: cluster.id,
                podCidr: cluster.podCidr,
                kubeProxyReplacement: kubeProxyReplacementOf(cluster, access),
                routingMode: cluster.cilium.routingMode,
                ipamMode: cluster.cilium.ipamMode,
                hubble: { relay: hubble.relay, ui: hubble.ui, uiNodePort: hubble.uiNodePort, metrics: hubble.metrics ? { enabled: hubble.metrics, serviceMonitor: hubble.serviceMonitor } : undefined },
                nodeSelector: cluster.cilium.nodeSelector,
                tolerations: cluster.cilium.tolerations,
                operatorReplicas: cluster.cilium.operatorReplicas ?? defaultOperatorReplicas(ciliumNodeCount ?? 2),
                chaining: chaining ? { mode: chaining.mode, target: chaining.target, routerCidr: chaining.routerCidr } : undefined,
                encryption: encryptionOf(cluster),
                tunnelProtocol: cluster.cilium.tunnelProtocol,
                devices: cluster.cilium.devices,
                nativeRoutingCidr: derived.nativeRoutingCidr,
                gatewayAPI: gatewayApiOn(cluster) ? { enabled: true } : undefined,
            },
            extraValues,
        },
        { protect, dependsOn: [...(access.creator ? [access.creator] : []), ...(ciliumNodes?.resources ?? []), ...before.resources] },
    );
    gatewayAfterCilium(cluster, access, [cilium.release, ...(before.gatewayApiCrds?.resources ?? [])], protect);
    if (cluster.cilium.verify) {
        const verify: CiliumVerifyInput = {
            clusterName: cluster.name,
            kubeProxyReplacement: cluster.cilium.kubeProxyReplacement,
            nodeSelector: cluster.cilium.nodeSelector,
            tolerations: cluster.cilium.tolerations,
        };
        new KubectlCheck(
            resourceNames.ciliumVerify(cluster.name),
            {
                script: ciliumVerifyScript(verify),
                kubeconfig: access.kubeconfig,
                after: [cilium.release],
                // Re-run the check whenever what Helm installs changes. The values may hold secret leaves (the
                // mesh CA): lift them into one Output before hashing, which makes the fingerprint secret too.
                rerunWhen: pulumi
                    .all([cilium.values.apply((values) => pulumi.output(values)), cluster.cilium.version])
                    .apply(([values, version]) => createHash("sha256").update(`${version}\n${JSON.stringify(values)}`).digest("hex")),
                timeout: commandTimeout(ciliumVerifyMaxSeconds(verify)),
            },
            // Until this release the check was its own component type; the alias keeps existing stacks' check.
            { dependsOn: [cilium.release], aliases: [{ type: "kubeloom:index:CiliumVerify" }] },
        );
    }
    return { cilium, ciliumNodes };
}

/**
 * The `deployedVersions` output: the config's versions (plannedVersions, config/upgrade-rules.ts), published only
 * once every resource they describe was created or updated — K3s on every node, each Cilium, MetalLB and vCluster
 * release. After a failed update the stack keeps its previous record, so the record is never newer than what runs
 * (at worst older, which refuses a step that was in fact allowed — the safe side). `npm run up` reads it before the
 * next update (scripts/cli/upgrade-check.ts).
 */
function deployedVersionsOutput(loaded: LoadedConfig, clusters: readonly ComposedCluster[], mesh: PlannedMesh | undefined): pulumi.Output<DeployedVersions> {
    const applied: Array<pulumi.Output<unknown>> = [];
    for (const { access, cilium, vclusters } of clusters) {
        if (access.k3sVersion) applied.push(access.k3sVersion);
        if (cilium) applied.push(cilium.release.version);
        for (const vc of vclusters) applied.push(vc.release.version);
    }
    for (const metallb of Object.values(mesh?.clusterMesh.metallb ?? {})) applied.push(metallb.release.version);
    return pulumi.all(applied).apply(() => plannedVersions(loaded.config));
}

function platformOutputs(clusters: readonly ComposedCluster[]): Omit<PlatformOutputs, "deployedVersions"> {
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
    const summaries = clusters.map(({ config, access, vclusters }) =>
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
                apiEndpoint: host ? `https://${host}:${port ?? 6443}` : null,
                podCidr: config.podCidr,
                serviceCidr: config.serviceCidr,
                ciliumVersion: installsCilium(config) ? config.cilium.version : null,
                kubeProxyReplacement: installsCilium(config) ? config.cilium.kubeProxyReplacement : null,
                chaining: config.cilium.chaining?.mode ?? null,
                hubbleUi: installsCilium(config) ? hubbleUiAddress(config, access.contextName, nodeAddress) : null,
                vclusters: vcs.map(([context, namespace, endpoint], i) => ({
                    name: config.vclusters[i].name,
                    namespace,
                    context,
                    endpoint,
                    expose: config.vclusters[i].expose,
                    connect: vclusterConnectCommand(vclusterExposure(config, i), access.contextName, config.vclusters[i].name) ?? null,
                })),
            })),
    );
    return { kubeconfigs, clusters: pulumi.all(summaries) };
}

/**
 * Hubble UI's address for the `clusters` output. The chart's hubble-ui Service listens on port 80 (the
 * port-forward target); with uiNodePort it is a NodePort Service that answers on every node running kube-proxy
 * replacement or kube-proxy.
 */
export function hubbleUiAddress(cluster: ClusterConfig, context: string, nodeAddress: string | null): string | null {
    const hubble = cluster.cilium.hubble;
    if (!hubble.ui) return null;
    if (hubble.uiNodePort !== undefined && nodeAddress) {
        const host = nodeAddress.includes(":") ? `[${nodeAddress}]` : nodeAddress;
        return `http://${host}:${hubble.uiNodePort}`;
    }
    return `kubectl --context ${context} -n kube-system port-forward svc/hubble-ui 12000:80, then http://localhost:12000`;
}

/**
 * The pre-planned LoadBalancer addresses of a cluster: its clustermesh-apiserver's (LoadBalancer mesh members) and
 * its LoadBalancer vClusters'. They go to the reserved pool.
 */
function reservedAddresses(config: StackConfig, cluster: ClusterConfig): string[] {
    const memberIndex = meshMembers(config).indexOf(cluster);
    const apiserver = memberIndex >= 0 ? meshApiserver(config, cluster, memberIndex) : undefined;
    const vclusters = cluster.vclusters.flatMap((_, j) => {
        const expose = vclusterExposure(cluster, j);
        return expose.type === "LoadBalancer" ? [expose.address] : [];
    });
    return [...(apiserver?.type === "LoadBalancer" ? [apiserver.address] : []), ...vclusters];
}
