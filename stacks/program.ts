/**
 * The Kubeloom program: validate the stack config, compose, return the stack outputs. Shared by `index.ts`
 * (the Pulumi CLI) and the offline plan, so both evaluate exactly the same code.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../config/config-error";
import { loadStackConfig, LoadedConfig } from "../config/load";
import { composePlatform } from "./platform";
import { uncheckedUpgradeWarning } from "../config/upgrade-rules";

/** How the program runs. */
export interface KubeloomProgramOptions {
    /**
     * Warn when the run did not come through the upgrade check of `npm run up|preview` (index.ts sets it: only a
     * real CLI run can be one). @default false
     */
    readonly warnUncheckedUpgrade?: boolean;
    /** Refuse chart values that cannot be checked against their chart (`plan --render`). @default false: warn once */
    readonly requireChartCheck?: boolean;
}

/** Stack outputs of a Kubeloom stack. */
export interface KubeloomOutputs {
    /** Context name → kubeconfig for every cluster and vCluster (secret). */
    kubeconfigs: pulumi.Output<Record<string, string>>;
    /** Per-cluster summary (no secrets). */
    clusters: pulumi.Output<unknown>;
    /** Cluster name → versions deployed (no secrets); read back by the upgrade check of `npm run up`. */
    deployedVersions: pulumi.Output<unknown>;
    /** Cluster Mesh summary, when a mesh is configured. */
    mesh?: pulumi.Output<unknown>;
}

/** Loads the config, composes every component and returns the outputs. Invalid config registers nothing. */
export async function kubeloomProgram(options: KubeloomProgramOptions = {}): Promise<KubeloomOutputs> {
    if (options.warnUncheckedUpgrade) {
        const warning = uncheckedUpgradeWarning(process.env, pulumi.getStack());
        if (warning) pulumi.log.warn(warning);
    }
    let loaded: LoadedConfig;
    try {
        loaded = loadStackConfig({ requireChartCheck: options.requireChartCheck });
    } catch (error) {
        if (error instanceof ConfigError) {
            // RunError ends the program with the message alone: no stack trace for a config mistake.
            throw new pulumi.RunError(error.message);
        }
        throw error;
    }
    const { outputs, mesh } = composePlatform(loaded);
    return {
        kubeconfigs: outputs.kubeconfigs,
        clusters: outputs.clusters,
        deployedVersions: outputs.deployedVersions,
        ...(mesh ? { mesh: mesh.clusterMesh.summary } : {}),
    };
}
