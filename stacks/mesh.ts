/**
 * Cluster Mesh composition: before the Cilium installs, the ClusterMesh component (shared CA, planned apiserver
 * addresses, MetalLB) hands each member its extra Cilium values; after them, each member gets its global
 * Services, the optional demo and the optional `up`-time check.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterMesh } from "../components/ClusterMesh";
import { MeshServices, MeshVerify } from "../components/MeshServices";
import { GlobalServiceSpec } from "../components/mesh-services";
import { defaultProtect } from "../config/schema";
import { meshMembers } from "../config/resolve";
import type { LoadedConfig } from "../config/load";
import type { CiliumValuesExtension, ComposedCluster } from "./platform";

/** The mesh's part of the composition. */
export interface MeshComposition {
    readonly ciliumValues: CiliumValuesExtension;
    readonly afterCilium: (clusters: readonly ComposedCluster[]) => void;
    summary(): pulumi.Output<unknown>;
}

/** Returns the mesh composition when the config enables a mesh, else undefined. */
export function meshExtension(loaded: LoadedConfig): MeshComposition | undefined {
    const { config, stackName } = loaded;
    const mesh = config.mesh;
    if (!mesh?.enabled) return undefined;
    // Mesh order is config order: it decides the derived NodePorts and which clusters the demo policy names.
    const memberNames = meshMembers(config).map((cluster) => cluster.name);
    const pick = <T extends { config: { name: string } }>(clusters: readonly T[]): T[] =>
        memberNames.map((name) => {
            const found = clusters.find((c) => c.config.name === name);
            // The config rules guarantee every mesh name is a cluster; a miss means composition and rules disagree.
            if (!found) throw new Error(`mesh: cluster ${name} was not composed (internal error)`);
            return found;
        });
    // The CA and MetalLB are shared by all members: protected when any member is.
    const protect = meshMembers(config).some((cluster) => cluster.protect ?? defaultProtect(stackName));
    let clusterMesh: ClusterMesh | undefined;

    return {
        ciliumValues: (clusters) => {
            const members = pick(clusters);
            clusterMesh = new ClusterMesh(
                "mesh",
                {
                    serviceType: mesh.serviceType,
                    maxConnectedClusters: mesh.maxConnectedClusters,
                    members: members.map(({ config: cluster, access }) => ({
                        name: cluster.name,
                        id: cluster.id,
                        provider: access.provider,
                        creator: access.creator,
                        metallb: cluster.loadBalancer?.metallb,
                        apiserverIP: cluster.clustermesh?.apiserverIP,
                        nodePort: cluster.clustermesh?.nodePort,
                        nodeAddress: cluster.clustermesh?.nodeAddress ?? access.nodeAddress,
                        reservedAddresses: cluster.vclusters.flatMap((vc) => (vc.expose === "LoadBalancer" && vc.loadBalancerIP ? [vc.loadBalancerIP] : [])),
                    })),
                },
                { protect },
            );
            const created = clusterMesh;
            return new Map(members.map(({ config: cluster }) => [cluster.name, created.ciliumValues[cluster.name]]));
        },

        afterCilium: (clusters) => {
            if (!clusterMesh) throw new Error("mesh: afterCilium ran before ciliumValues (internal error)");
            const members = pick(clusters);
            const names = members.map((m) => m.config.name);
            const globalServices: GlobalServiceSpec[] = mesh.globalServices.map((svc) => ({
                name: svc.name,
                namespace: svc.namespace,
                ports: svc.ports,
                selector: svc.selector,
                affinity: svc.affinity,
                notSharedIn: svc.notSharedIn,
            }));
            // The demo policy, as in the Cilium guide: x-wing in the first cluster may reach rebel-base in the second.
            const policyTarget = names[1];
            const services = members.map((member, index) => {
                // The config rules require every member to install Cilium; a member without it is a bug here.
                if (!member.cilium) throw new Error(`mesh: cluster ${member.config.name} has no Cilium release (internal error)`);
                const ciliumRelease = member.cilium.release;
                return new MeshServices(
                    `mesh-${member.config.name}-services`,
                    {
                        provider: member.access.provider,
                        clusterName: member.config.name,
                        ciliumRelease,
                        globalServices,
                        demo: mesh.demo,
                        demoPolicyTarget: mesh.demo && index === 0 ? policyTarget : undefined,
                    },
                    // The children carry it too (they do not inherit a component's dependsOn).
                    { parent: clusterMesh, dependsOn: [ciliumRelease] },
                );
            });
            if (!mesh.verify) return;
            const demoResources = services.flatMap((s) => s.demoResources);
            members.forEach((member, index) => {
                // The first cluster's x-wing is fenced in by the demo policy: only the target may answer there.
                const restricted = index === 0;
                new MeshVerify(
                    `mesh-${member.config.name}-verify`,
                    {
                        clusterName: member.config.name,
                        kubeconfig: member.access.kubeconfig,
                        expect: restricted ? [policyTarget] : names,
                        forbid: restricted ? names.filter((n) => n !== policyTarget) : [],
                        demoResources,
                    },
                    { parent: clusterMesh },
                );
            });
        },

        summary: () => clusterMesh?.summary ?? pulumi.output([]),
    };
}
