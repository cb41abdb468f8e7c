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
import { StarwarsDemo } from "../components/StarwarsDemo";
import { starwarsVerifyMaxSeconds, starwarsVerifyScript, xwingRefused } from "../components/starwars-demo";
import type { VClusterExposure } from "../components/vcluster-values";
import { defaultOperatorReplicas, KubeProxyReplacement } from "../components/cilium-values";
import { ClusterConfig, defaultProtect } from "../config/schema";
import { tenantNetworkPolicies, VClusterExposureConfig } from "../config/resolve";
import { apiServerPort, resolveClusters, type CiliumInput, type ResolvedCluster } from "../config/resolved-cluster";
import { LoadedConfig, userChartValues } from "../config/load";
import { resourceNames } from "../config/derived-names";
import { clusterAccess, ClusterAccess } from "./sources";
import { composeMeshServices, planClusterMesh, PlannedMesh } from "./mesh";
import type { ComposedCluster } from "./composed";
import { deployedVersionsOutput, platformOutputs, type PlatformOutputs } from "./outputs";
import { beforeCilium, gatewayAfterCilium, ipsecKeys, type IpsecKey } from "./cilium-extras";

/**
 * The whole composition, as phases in one straight line: cluster access → mesh plan (CA, addresses, load
 * balancers) → per cluster Cilium and tenants → mesh services → outputs.
 */
export function composePlatform(loaded: LoadedConfig): { clusters: ComposedCluster[]; outputs: PlatformOutputs; mesh?: PlannedMesh } {
    const { config, secrets, stackName } = loaded;
    // Each cluster resolved once (config/resolved-cluster.ts); the phases read the model.
    const resolved = resolveClusters(config);
    // Phase 1: cluster access, one explicit provider per cluster.
    const accesses = config.clusters.map((cluster, index) => ({
        config: cluster,
        resolved: resolved[index],
        access: clusterAccess(cluster, index, { stackName, secrets, protect: cluster.protect ?? defaultProtect(stackName) }),
    }));
    // Phase 2: the mesh plan, which the members' Cilium values need.
    const mesh = planClusterMesh(loaded, accesses);
    const extraValues = mesh?.ciliumValues ?? new Map<string, pulumi.Input<Record<string, unknown>>>();
    // IPsec keys before any cluster's Cilium: a mesh's members share one.
    const ipsec = ipsecKeys(resolved, (cluster) => cluster.protect ?? defaultProtect(stackName));

    // Phase 3: per cluster, Cilium and the tenants.
    const clusters = accesses.map(({ config: cluster, resolved: model, access }): ComposedCluster => {
        const protect = cluster.protect ?? defaultProtect(stackName);
        // Cilium's own load balancer: pools beside the release (CiliumLoadBalancer.ts says why), values into it.
        const lbipam = model.loadBalancer.type === "cilium" ? model.loadBalancer.cilium : undefined;
        if (lbipam) {
            new CiliumLoadBalancer(
                `${cluster.name}-lbipam`,
                { provider: access.provider, clusterName: cluster.name, kubeconfig: access.kubeconfig, addresses: lbipam.addresses, reservedAddresses: [...model.claimedAddresses], interfaces: lbipam.devices, clusterCreator: access.creator },
                { protect },
            );
        }
        const meshValues = extraValues.get(cluster.name);
        // The mesh values are a plain object with Output leaves (only the CA secret): merged as they are, so the
        // rest stays readable in the plan. The L2 keys (l2announcements, k8sClientRateLimit, devices) are not mesh keys.
        // cilium.devices, when set, is the agent's whole device list (the rules keep the announcing NICs among it).
        const l2Values = lbipam ? l2AnnouncementValues(lbipam.addresses, model.ciliumInput.devices ?? lbipam.devices) : undefined;
        const ciliumExtra = l2Values ? (meshValues === undefined ? l2Values : { ...(meshValues as Record<string, unknown>), ...l2Values }) : meshValues;
        const installed: { cilium?: CiliumInstall; ciliumNodes?: CiliumNodes } = model.installsCilium
            ? installCilium(cluster, model, access, ciliumExtra, protect, ipsec.get(cluster.name), userChartValues(loaded, ["clusters", model.index, "cilium", "values"]))
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
                        expose: withNodeAddress(model.vclusters[index].exposure, access, cluster.name),
                        isolate: vc.isolate,
                        podSecurityStandard: vc.podSecurityStandard,
                        build: vc.build,
                        quota: vc.quota,
                        networkPolicies: tenantNetworkPolicies(vc),
                        hostApiServerPort: apiServerPort(model.apiEndpoint),
                        resourceQuota: vc.resourceQuota,
                        limitRange: vc.limitRange,
                        kubernetesVersion: vc.kubernetesVersion,
                        userValues: userChartValues(loaded, ["clusters", model.index, "vclusters", index, "values"]),
                    },
                    // Tenants come after the CNI: without Cilium their pods never start, and on destroy they go first.
                    // On a cluster another stack manages, that stack's Cilium is already there.
                    { protect, dependsOn: installed.cilium ? [installed.cilium.release] : access.creator ? [access.creator] : [] },
                ),
        );
        cluster.vclusters.forEach((vc, index) => {
            if (vc.demo) starwarsDemo(cluster.name, vc, vclusters[index], protect);
        });
        return { config: cluster, resolved: model, access, vclusters, ...installed };
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
 * Kube-proxy replacement with the API server address the agents dial: the configured one (the resolved Cilium
 * input), else the one of the cluster Kubeloom created. The config rules require one whenever replacement is on.
 */
function kubeProxyReplacementOf(cluster: ClusterConfig, input: CiliumInput, access: ClusterAccess): KubeProxyReplacement<pulumi.Input<string>, pulumi.Input<number>> {
    const configured = input.kubeProxyReplacement;
    if (!configured.enabled) return { enabled: false };
    const apiServerHost = configured.apiServerHost ?? access.apiServerHost;
    const apiServerPort = configured.apiServerPort ?? access.apiServerPort;
    if (apiServerHost === undefined || apiServerPort === undefined) throw new Error(`cluster ${cluster.name}: kube-proxy replacement without an API server address passed the rules (internal error)`);
    return { enabled: true, apiServerHost, apiServerPort };
}

/** Seed 000's tenant demo inside one vCluster, and its verify step when asked for. */
function starwarsDemo(clusterName: string, vc: ClusterConfig["vclusters"][number], vcluster: VCluster, protect: boolean): void {
    const demo = new StarwarsDemo(resourceNames.starwarsDemo(clusterName, vc.name), { kubeconfig: vcluster.kubeconfig, vcluster }, { protect });
    if (!vc.verify) return;
    const input = { tenant: `${clusterName}/${vc.name}`, xwing: xwingRefused(vc.networkPolicies) ? ("refused" as const) : ("landed" as const) };
    new KubectlCheck(resourceNames.starwarsVerify(clusterName, vc.name), {
        script: starwarsVerifyScript(input),
        kubeconfig: vcluster.kubeconfig,
        after: demo.readyAfter,
        timeout: commandTimeout(starwarsVerifyMaxSeconds()),
    });
}

/** Cilium on one cluster: the opt-in node labels/taints, the release, and the optional verification. */
function installCilium(
    cluster: ClusterConfig,
    model: ResolvedCluster,
    access: ClusterAccess,
    extraValues: pulumi.Input<Record<string, unknown>> | undefined,
    protect: boolean,
    ipsecKey: IpsecKey | undefined,
    userValues: Readonly<Record<string, unknown>> | undefined,
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
    const input = model.ciliumInput;
    // Nodes the agents (and the operator, which shares their nodeSelector) can run on, when Kubeloom knows them:
    // the nodes it created, or the ones chaining.nodes marks. Unknown: the chart's default (defaultOperatorReplicas).
    const ciliumNodeCount = model.createdNodeCount ?? (chaining && chaining.nodes.length > 0 ? chaining.nodes.length : undefined);
    // The IPsec Secret the agents mount and the Gateway API CRDs the operator looks for, before the release.
    const before = beforeCilium(cluster.name, model.ciliumExtras, access, ipsecKey, protect);
    const cilium = new CiliumInstall(
        resourceNames.cilium(cluster.name),
        {
            provider: access.provider,
            version: cluster.cilium.version,
            waitTimeoutSeconds: cluster.cilium.waitTimeoutSeconds,
            userValues,
            // The resolved Cilium input (config/resolved-cluster.ts), completed from the cluster's access.
            values: {
                ...input,
                kubeProxyReplacement: kubeProxyReplacementOf(cluster, input, access),
                operatorReplicas: input.operatorReplicas ?? defaultOperatorReplicas(ciliumNodeCount),
            },
            extraValues,
        },
        { protect, dependsOn: [...(access.creator ? [access.creator] : []), ...(ciliumNodes?.resources ?? []), ...before.resources] },
    );
    gatewayAfterCilium(cluster.name, model.ciliumExtras, access, [cilium.release, ...(before.gatewayApiCrds?.resources ?? [])], protect);
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
