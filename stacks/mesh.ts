/**
 * The Cluster Mesh phases of the composition. `planClusterMesh` runs after cluster access and before Cilium: the
 * shared CA, the pre-planned apiserver addresses and MetalLB, and each member's extra Cilium values.
 * `composeMeshServices` runs after Cilium: per member, its own `MeshServices` component (global Services, the
 * optional demo) and, once every member's demo exists, the optional `up`-time check. Plain functions of their
 * inputs: no hooks, no state between them, no child added to a component that already registered its outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterMesh } from "../components/ClusterMesh";
import { MeshDemo } from "../components/MeshDemo";
import { MeshServices } from "../components/MeshServices";
import { KubectlCheck } from "../components/KubectlCheck";
import { GlobalServiceSpec } from "../components/mesh-services";
import { meshVerifyMaxSeconds, meshVerifyScript, MeshVerifyInput } from "../components/mesh-demo";
import { commandTimeout } from "../lib/shell";
import { defaultProtect } from "../config/schema";
import type { MeshConfig, ClusterConfig } from "../config/schema";
import type { ResolvedCluster } from "../config/resolved-cluster";
import type { MeshApiserverPlacement } from "../components/mesh-plan";
import { type LoadedConfig, userChartValues } from "../config/load";
import { resourceNames } from "../config/derived-names";
import type { ClusterAccess } from "./sources";

/** The mesh as planned before Cilium: the component and the extra Cilium values of each member, by cluster name. */
export interface PlannedMesh {
    readonly config: MeshConfig;
    readonly clusterMesh: ClusterMesh;
    /** Member names in mesh order (the order decides derived NodePorts and the demo policy's clusters). */
    readonly memberNames: readonly string[];
    readonly ciliumValues: ReadonlyMap<string, pulumi.Input<Record<string, unknown>>>;
}

/** A cluster as the mesh phases need it: its config, its resolved model and access, and (after Cilium) its Cilium release. */
export interface MeshClusterRef {
    readonly config: ClusterConfig;
    readonly resolved: ResolvedCluster;
    readonly access: ClusterAccess;
}

/** Phase "mesh plan": the ClusterMesh component for the members, or undefined when the config has no mesh. */
export function planClusterMesh(loaded: LoadedConfig, clusters: readonly MeshClusterRef[]): PlannedMesh | undefined {
    const { config, stackName } = loaded;
    const mesh = config.mesh;
    if (!mesh?.enabled) return undefined;
    // Mesh members are the clusters the resolved model places a clustermesh-apiserver for, in config (= mesh) order.
    const members = clusters.flatMap((c) => (c.resolved.meshApiserver ? [{ ...c, apiserver: c.resolved.meshApiserver }] : []));
    // The CA and MetalLB are shared by all members: protected when any member is.
    const protect = members.some(({ config: cluster }) => cluster.protect ?? defaultProtect(stackName));
    const clusterMesh = new ClusterMesh(
        resourceNames.clusterMesh(),
        {
            maxConnectedClusters: mesh.maxConnectedClusters,
            members: members.map(({ config: cluster, resolved, access, apiserver }) => ({
                name: cluster.name,
                id: cluster.id,
                provider: access.provider,
                ciliumVersion: resolved.cilium.version,
                creator: access.creator,
                metallb:
                    resolved.loadBalancer.type === "metallb"
                        ? { ...resolved.loadBalancer.metallb, values: userChartValues(loaded, ["clusters", resolved.index, "loadBalancer", "metallb", "values"]) }
                        : undefined,
                apiserver: withNodeAddress(apiserver, access),
                reservedAddresses: resolved.vclusters.flatMap(({ exposure }) => (exposure.type === "LoadBalancer" ? [exposure.address] : [])),
            })),
        },
        { protect },
    );
    return {
        config: mesh,
        clusterMesh,
        memberNames: members.map(({ config: cluster }) => cluster.name),
        ciliumValues: new Map(members.map(({ config: cluster }) => [cluster.name, clusterMesh.ciliumValues[cluster.name]])),
    };
}

/** Phase "mesh services": each member's MeshServices after its Cilium, then the checks once every demo exists. */
export function composeMeshServices(planned: PlannedMesh, clusters: ReadonlyArray<MeshClusterRef & { readonly ciliumRelease?: pulumi.Resource }>): void {
    const mesh = planned.config;
    const members = pick(clusters, planned.memberNames);
    const names = planned.memberNames;
    const globalServices: GlobalServiceSpec[] = mesh.globalServices.map((svc) => ({
        name: svc.name,
        namespace: svc.namespace,
        ports: svc.ports,
        selector: svc.selector,
        affinity: svc.affinity,
        notSharedIn: svc.notSharedIn,
        createNamespace: svc.createNamespace,
    }));
    // Until this release these components were children of the ClusterMesh, added after it registered its outputs.
    // They stand on their own now; the alias keeps existing stacks' resources (children included) in place.
    const formerParent = [{ parent: planned.clusterMesh }];
    // The demo policy, as in the Cilium guide: x-wing in the first cluster may reach rebel-base in the second.
    const policyTarget = names[1];
    const demoResources = members.flatMap((member, index) => {
        // The config rules require every member to install Cilium; a member without it is a bug here.
        if (!member.ciliumRelease) throw new Error(`mesh: cluster ${member.config.name} has no Cilium release (internal error)`);
        const servicesName = resourceNames.meshServices(member.config.name);
        const services = new MeshServices(
            servicesName,
            {
                provider: member.access.provider,
                clusterName: member.config.name,
                ciliumRelease: member.ciliumRelease,
                globalServices,
                // Each policy is enforced where its `from` pods run.
                policies: mesh.policies
                    .filter((policy) => policy.from.cluster === member.config.name)
                    .map((policy) => ({ name: policy.name, namespace: policy.namespace, from: policy.from, to: policy.to, ports: policy.ports, kafka: policy.kafka })),
            },
            // The children carry it too (they do not inherit a component's dependsOn).
            { dependsOn: [member.ciliumRelease], aliases: formerParent },
        );
        if (!mesh.demo) return [];
        const demo = new MeshDemo(
            resourceNames.meshDemo(member.config.name),
            {
                provider: member.access.provider,
                clusterName: member.config.name,
                ciliumRelease: member.ciliumRelease,
                policyTarget: index === 0 ? policyTarget : undefined,
                // Until this release the demo's objects were children of MeshServices, named after it.
                formerParent: { resource: services, name: servicesName },
            },
            { dependsOn: [member.ciliumRelease] },
        );
        return demo.readyAfter;
    });
    if (!mesh.verify) return;
    members.forEach((member, index) => {
        // The first cluster's x-wing is fenced in by the demo policy: only the target may answer there.
        const restricted = index === 0;
        const verify: MeshVerifyInput = { clusterName: member.config.name, expect: restricted ? [policyTarget] : [...names], forbid: restricted ? names.filter((n) => n !== policyTarget) : [] };
        new KubectlCheck(
            resourceNames.meshVerify(member.config.name),
            {
                script: meshVerifyScript(verify),
                kubeconfig: member.access.kubeconfig,
                after: demoResources,
                timeout: commandTimeout(meshVerifyMaxSeconds(verify)),
            },
            // Until this release the check was a MeshVerify child of the ClusterMesh; the alias keeps it in place.
            { aliases: [{ type: "kubeloom:index:MeshVerify", parent: planned.clusterMesh }] },
        );
    });
}

/** A NodePort placement without a configured node address dials the address the cluster's access knows. */
function withNodeAddress(placement: MeshApiserverPlacement<string | undefined>, access: ClusterAccess): MeshApiserverPlacement<pulumi.Input<string>> {
    if (placement.type !== "NodePort") return placement;
    const nodeAddress = placement.nodeAddress ?? access.nodeAddress;
    // The config rules require clustermesh.nodeAddress where the access knows no node address.
    if (nodeAddress === undefined) throw new Error("mesh: a NodePort member without a node address passed the rules (internal error)");
    return { ...placement, nodeAddress };
}

/** The members, in mesh order. The config rules guarantee every mesh name is a cluster. */
function pick<T extends MeshClusterRef>(clusters: readonly T[], names: readonly string[]): T[] {
    return names.map((name) => {
        const found = clusters.find((c) => c.config.name === name);
        if (!found) throw new Error(`mesh: cluster ${name} was not composed (internal error)`);
        return found;
    });
}
