/**
 * Cluster Mesh composition (issue: Cluster Mesh environment). Work in progress in this session.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LoadedConfig } from "./load-config";
import type { CiliumValuesExtension, ComposedCluster } from "./platform";

/** The mesh's part of the composition. */
export interface MeshComposition {
    readonly ciliumValues: CiliumValuesExtension;
    readonly afterCilium: (clusters: readonly ComposedCluster[]) => void;
    summary(): pulumi.Output<unknown>;
}

/** Returns the mesh composition when the config enables a mesh, else undefined. */
export function meshExtension(loaded: LoadedConfig): MeshComposition | undefined {
    if (!loaded.config.mesh?.enabled) return undefined;
    throw new Error("mesh: not implemented yet");
}
