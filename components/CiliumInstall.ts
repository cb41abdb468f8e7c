/**
 * Cilium as the cluster's CNI: one Helm release of the cilium chart in kube-system, with values from the pure
 * builder in cilium-values.ts plus optional extra values (Cluster Mesh) merged over them. In chaining modes the
 * agent builds the chained conflist from the primary CNI's own (cni.chainingTarget), so nothing else is shipped.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { chainingProblem, ciliumValues, CiliumValuesInput, KubeProxyReplacement } from "./cilium-values";
import { ciliumFeatureProblems } from "./cilium-features";
import { DEFAULT_VERSIONS } from "./versions";
import { DEFAULT_CILIUM_WAIT_SECONDS } from "./defaults";
import { ciliumRelease, supportedVersions } from "./support-matrix";
import { deepMerge, isPlainObject, sortKeysDeep } from "../lib/values-util";
import { COMPONENT_TYPES } from "./identity";

/** Cilium values whose API server address may come from another resource (e.g. the K3s host). */
export interface CiliumInstallValues extends Omit<CiliumValuesInput, "kubeProxyReplacement"> {
    /** Kube-proxy replacement, with the API server address it needs (which may be an Output of the cluster's creator). */
    readonly kubeProxyReplacement: KubeProxyReplacement<pulumi.Input<string>, pulumi.Input<number>>;
}

/** Arguments of a Cilium install. */
export interface CiliumInstallArgs {
    /** Provider of the cluster to install into; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Cilium chart version. @default DEFAULT_VERSIONS.cilium (components/versions.ts) */
    readonly version?: string;
    /** Cluster identity, network and Cilium settings rendered by ciliumValues. */
    readonly values: CiliumInstallValues;
    /**
     * Values deep-merged over the generated ones (objects merge, lists and scalars replace), e.g. Cluster Mesh
     * settings carrying CA material; pass them as a secret Output and the merged values stay secret.
     * @default - none
     */
    readonly extraValues?: pulumi.Input<Record<string, unknown>>;
    /** Seconds Helm waits for every Cilium workload to become ready. @default DEFAULT_CILIUM_WAIT_SECONDS (600, components/defaults.ts) */
    readonly waitTimeoutSeconds?: number;
    /**
     * The user's chart values (`cilium.values`), deep-merged last (maps merge, lists and scalars replace). They never
     * hold an owned key (the config layer refuses those); secret leaves are Outputs and stay secret. @default - none
     */
    readonly userValues?: Readonly<Record<string, unknown>>;
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
        super(COMPONENT_TYPES.CiliumInstall, name, {}, opts);
        const provider = args.provider;
        const version = args.version ?? DEFAULT_VERSIONS.cilium;
        // Cilium's first start pulls images and the operator creates its CRDs before anything is ready.
        const waitTimeoutSeconds = args.waitTimeoutSeconds ?? DEFAULT_CILIUM_WAIT_SECONDS;
        const input = args.values;

        if (!ciliumRelease(version)) {
            throw new pulumi.ResourceError(`CiliumInstall ${name}: chart version ${version} is not in the support matrix (${supportedVersions("cilium").join(", ")})`, this);
        }
        const problem = chainingProblem(input);
        if (problem) {
            throw new pulumi.ResourceError(`CiliumInstall ${name}: ${problem}`, this);
        }
        const [featureProblem] = ciliumFeatureProblems({
            ciliumVersion: version,
            kubeProxyReplacement: input.kubeProxyReplacement,
            routingMode: input.routingMode,
            chainingMode: input.chaining?.mode,
            encryption: input.encryption,
            tunnelProtocol: input.tunnelProtocol,
            hubbleMetrics: input.hubble.metrics,
            gatewayAPI: input.gatewayAPI,
        });
        if (featureProblem) {
            throw new pulumi.ResourceError(`CiliumInstall ${name}: Cilium ${featureProblem.key} ${featureProblem.message}`, this);
        }

        // The host and port may be Outputs of the resources that create the cluster; the values wait for them.
        const generated = resolvedKubeProxyReplacement(input.kubeProxyReplacement).apply((kubeProxyReplacement) => ciliumValues({ ...input, kubeProxyReplacement }));
        const extraValues = args.extraValues;
        const userValues = args.userValues ?? {};
        this.values = isPlainObject(extraValues)
            ? // A plain object of extra values is merged structurally: its Output leaves (the mesh CA) stay nested, so
              // only they are secret and a plan or preview still shows every other value, e.g. the mesh peers. The
              // user's values are merged the same way, so only their secret leaves are secret.
              generated.apply((base) => sortKeysDeep(deepMerge(deepMerge(base, extraValues), userValues)))
            : pulumi.all([generated, extraValues]).apply(([base, extra]) => sortKeysDeep(deepMerge(extra ? deepMerge(base, extra) : base, userValues)));

        // Children do not inherit the component's dependsOn, so the release carries it.
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
            // The rendered manifest holds the CA key and Hubble certificates: secret.
            // The release name is pinned ("cilium"): a replacement must remove the old release before installing again.
            { parent: this, provider, dependsOn: opts.dependsOn, additionalSecretOutputs: ["manifest"], deleteBeforeReplace: true },
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

/** Kube-proxy replacement with its API server address resolved (it may come from the resource that creates the cluster). */
function resolvedKubeProxyReplacement(kpr: KubeProxyReplacement<pulumi.Input<string>, pulumi.Input<number>>): pulumi.Output<KubeProxyReplacement> {
    if (!kpr.enabled) return pulumi.output({ enabled: false as const });
    return pulumi.all([kpr.apiServerHost, kpr.apiServerPort]).apply(([apiServerHost, apiServerPort]) => ({ enabled: true as const, apiServerHost, apiServerPort }));
}
