/**
 * Cilium as the cluster's CNI: one Helm release of the cilium chart in kube-system, with values from the pure
 * builder in cilium-values.ts plus optional extra values (Cluster Mesh) merged over them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ciliumValues, CiliumValuesInput } from "./cilium-values";
import { deepMerge, sortKeysDeep } from "./values-util";

/** Cilium chart version Kubeloom's values are written and schema-checked for. */
export const DEFAULT_CILIUM_VERSION = "1.16.19";

/** Cilium values whose API server address may come from another resource (e.g. the K3s host). */
export interface CiliumInstallValues extends Omit<CiliumValuesInput, "k8sServiceHost" | "k8sServicePort"> {
    /** API server host for kube-proxy replacement. @default - none; required when kubeProxyReplacement is true */
    readonly k8sServiceHost?: pulumi.Input<string>;
    /** API server port for kube-proxy replacement. @default - none; required when kubeProxyReplacement is true */
    readonly k8sServicePort?: pulumi.Input<number>;
}

/** Arguments of a Cilium install. */
export interface CiliumInstallArgs {
    /** Provider of the cluster to install into; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Cilium chart version (a 1.16.x release). @default "1.16.19" */
    readonly version?: string;
    /** Cluster identity, network and Cilium settings rendered by ciliumValues. */
    readonly values: CiliumInstallValues;
    /**
     * Values deep-merged over the generated ones (objects merge, lists and scalars replace), e.g. Cluster Mesh
     * settings carrying CA material; pass them as a secret Output and the merged values stay secret.
     * @default - none
     */
    readonly extraValues?: pulumi.Input<Record<string, unknown>>;
    /** Seconds Helm waits for every Cilium workload to become ready. @default 600 */
    readonly waitTimeoutSeconds?: number;
}

/** The cilium Helm release (pinned release name "cilium" in kube-system), awaited until ready. */
export class CiliumInstall extends pulumi.ComponentResource {
    /** The Helm release; depend on it to order work after the CNI (and the operator-created CRDs) exist. */
    public readonly release: k8s.helm.v3.Release;
    /** Helm release name ("cilium"). */
    public readonly releaseName: pulumi.Output<string>;
    /** Chart version installed. */
    public readonly version: pulumi.Output<string>;
    /** The values given to Helm, keys sorted; secret when extraValues is. */
    public readonly values: pulumi.Output<Record<string, unknown>>;

    constructor(name: string, args: CiliumInstallArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("kubeloom:index:CiliumInstall", name, {}, opts);
        const provider = args.provider;
        const version = args.version ?? DEFAULT_CILIUM_VERSION;
        // Cilium's first start pulls images and the operator creates its CRDs before anything is ready.
        const waitTimeoutSeconds = args.waitTimeoutSeconds ?? 600;
        const input = args.values;

        const missing = [
            input.k8sServiceHost === undefined || input.k8sServiceHost === "" ? "k8sServiceHost" : undefined,
            input.k8sServicePort === undefined ? "k8sServicePort" : undefined,
        ].filter((key) => key !== undefined);
        if (input.kubeProxyReplacement && missing.length > 0) {
            throw new pulumi.ResourceError(
                `CiliumInstall ${name}: kubeProxyReplacement is true but ${missing.join(" and ")} is not set; without kube-proxy the agent must ` +
                    `dial the API server directly. Pass the API server address (for K3s: the server node IP and 6443) or turn kubeProxyReplacement off.`,
                this,
            );
        }

        // The host and port may be Outputs of the resources that create the cluster; the values wait for them.
        this.values = pulumi
            .all([input.k8sServiceHost, input.k8sServicePort, args.extraValues])
            .apply(([k8sServiceHost, k8sServicePort, extraValues]) => {
                const generated = ciliumValues({ ...input, k8sServiceHost, k8sServicePort });
                return sortKeysDeep(extraValues ? deepMerge(generated, extraValues) : generated);
            });

        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                // Pinned: the chart's resources and the docs assume release "cilium", and renaming would reinstall the CNI.
                name: "cilium",
                chart: "cilium",
                repositoryOpts: { repo: "https://helm.cilium.io" },
                namespace: "kube-system",
                version,
                values: this.values,
                timeout: waitTimeoutSeconds,
                // Wait for the agents and operator: everything after this (vClusters, policies) needs a working CNI.
                skipAwait: false,
            },
            // Children do not inherit the component's dependsOn, so the release carries it. The rendered manifest
            // holds the CA key and Hubble certificates: secret.
            { parent: this, provider, dependsOn: opts.dependsOn, additionalSecretOutputs: ["manifest"] },
        );
        this.releaseName = this.release.name;
        this.version = this.release.version;

        this.registerOutputs({
            release: this.release,
            releaseName: this.releaseName,
            version: this.version,
            values: this.values,
        });
    }
}
