/**
 * A vCluster tenant: its own host namespace, one Helm release of the vcluster chart (the k3s distro on 0.20, k8s on
 * 0.36) with values from the pure builder in vcluster-values.ts, and the kubeconfig the chart exports, read back
 * from the host Secret once a bounded wait (vcluster-secret-wait.ts, kubectl on the machine running Pulumi) has
 * seen it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as command from "@pulumi/command";
import { createHash } from "node:crypto";
import { KUBECONFIG_ENV } from "../lib/shell";
import type { PodSecurityLevel } from "../lib/pod-security";
import { DEFAULT_VERSIONS } from "./versions";
import { DEFAULT_POD_SECURITY_STANDARD, DEFAULT_VCLUSTER_ISOLATE } from "./defaults";
import { VCLUSTER_SECRET_WAIT, vclusterSecretWaitScript } from "./vcluster-secret-wait";
import { supportedVersions, vclusterRelease } from "./support-matrix";
import { VClusterBuild, VClusterExposure, vclusterContextName, vclusterKubeconfigSecretName, vclusterNamespace, vclusterServerUrl, vclusterKubernetesTag, vclusterKubernetesVersions, vclusterValues, VClusterValuesInput } from "./vcluster-values";
import { podSecurityNamespaceLabels, TenantNetworkPolicy } from "./tenant-policy";
import { HostApiServerPort, tenantHostPolicies } from "./tenant-fence";
import { COMPONENT_TYPES } from "./identity";
import { deepMerge, sortKeysDeep } from "../lib/values-util";


/** Arguments of a vCluster. */
export interface VClusterArgs {
    /** Provider of the host cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Secret: admin kubeconfig of the host cluster (the provider's), for the wait for the kubeconfig Secret. */
    readonly hostKubeconfig: pulumi.Input<string>;
    /** Name of the host cluster; the kubeconfig context is `<clusterName>-<name>`. */
    readonly clusterName: string;
    /** vCluster name: the Helm release, the `vcluster-<name>` namespace and the `vc-<name>` kubeconfig Secret. */
    readonly name: string;
    /** vcluster chart version. @default DEFAULT_VERSIONS.vcluster (components/versions.ts) */
    readonly version?: string;
    /**
     * How clients reach the vCluster API. For a NodePort, `nodeAddress` is the node address clients dial (also added
     * to the certificate's SANs); it may come from another resource, and only a NodePort waits for it.
     */
    readonly expose: VClusterExposure<pulumi.Input<string>>;
    /** Fence the tenant in: the chart's egress NetworkPolicies plus Kubeloom's ingress isolation. @default DEFAULT_VCLUSTER_ISOLATE (true, components/defaults.ts) */
    readonly isolate?: boolean;
    /**
     * The port the host cluster's API server listens on (the endpoint port behind its `kubernetes` Service, which
     * Cilium's policy matches after Service translation): the fence's control-plane egress opens it (0.36, where
     * Kubeloom writes the fence; hostApiServerPorts in tenant-fence.ts).
     * @default "unknown" - the 0.36 chart's own ports towards the host API server (443, 8443 and 6443, CHART_HOST_API_PORTS)
     */
    readonly hostApiServerPort?: HostApiServerPort;
    /** Pod Security Standard of the tenant's pods (syncer + host namespace labels). @default DEFAULT_POD_SECURITY_STANDARD ("baseline", components/defaults.ts) */
    readonly podSecurityStandard?: PodSecurityLevel;
    /** Control-plane build. @default DEFAULT_VCLUSTER_BUILD ("oss": image loft-sh/vcluster-oss, components/defaults.ts) */
    readonly build?: VClusterBuild;
    /** The chart's ResourceQuota and LimitRange. @default DEFAULT_VCLUSTER_QUOTA (true, components/defaults.ts) */
    readonly quota?: boolean;
    /** The tenant's network policies, rendered as host CiliumNetworkPolicies. @default [] */
    readonly networkPolicies?: readonly TenantNetworkPolicy[];
    /** ResourceQuota entries over the chart's defaults. @default - the chart's quota, the tenant's own Service allowed */
    readonly resourceQuota?: VClusterValuesInput["resourceQuota"];
    /** LimitRange defaults for the tenant, over the chart's. @default - the chart's LimitRange */
    readonly limitRange?: VClusterValuesInput["limitRange"];
    /** The tenant's Kubernetes minor ("1.29"), one the release's distro offers. @default - the chart's default */
    readonly kubernetesVersion?: string;
    /**
     * The user's chart values (`vclusters[].values`), deep-merged last (maps merge, lists and scalars replace); never
     * an owned key (the config layer refuses those); secret leaves are Outputs and stay secret. @default - none
     */
    readonly userValues?: Readonly<Record<string, unknown>>;
}

/** A vCluster in namespace `vcluster-<name>` of the host cluster, with its kubeconfig as a secret output. */
export class VCluster extends pulumi.ComponentResource {
    /** Kubeconfig of the vCluster (secret: it embeds a client key). */
    public readonly kubeconfig: pulumi.Output<string>;
    /** Context name inside the kubeconfig, `<clusterName>-<name>`. */
    public readonly contextName: pulumi.Output<string>;
    /** Host namespace of the vCluster. */
    public readonly namespace: pulumi.Output<string>;
    /** API server URL clients use (https://localhost:8443 through a port-forward for ClusterIP). */
    public readonly serverUrl: pulumi.Output<string>;
    /** The vcluster Helm release. */
    public readonly release: k8s.helm.v3.Release;
    /** Kubeloom's host-side policies: the fence and ingress isolation NetworkPolicies, the tenant's CiliumNetworkPolicies. */
    public readonly policies: pulumi.CustomResource[];

    constructor(name: string, args: VClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.VCluster, name, {}, opts);
        const provider = args.provider;
        const version = args.version ?? DEFAULT_VERSIONS.vcluster;
        const isolate = args.isolate ?? DEFAULT_VCLUSTER_ISOLATE;
        const contextName = vclusterContextName(args.clusterName, args.name);
        const release = vclusterRelease(version);
        if (!release) {
            throw new pulumi.ResourceError(`VCluster ${name}: chart version ${version} is not in the support matrix (${supportedVersions("vcluster").join(", ")})`, this);
        }
        const podSecurityStandard = args.podSecurityStandard ?? DEFAULT_POD_SECURITY_STANDARD;
        const networkPolicies = args.networkPolicies ?? [];
        // Unknown only for an existing cluster whose config names no API endpoint (the composition passes the rest).
        const hostApiServerPort = args.hostApiServerPort ?? "unknown";
        const line = release.line;
        if (args.kubernetesVersion !== undefined && vclusterKubernetesTag(version, args.kubernetesVersion) === undefined) {
            throw new pulumi.ResourceError(`VCluster ${name}: Kubernetes ${args.kubernetesVersion} is not offered by vcluster ${version} (${vclusterKubernetesVersions(version).join(", ")})`, this);
        }
        const hostNamespace = vclusterNamespace(args.name);

        const expose = resolvedExposure(args.expose);
        const generatedValues = expose.apply((resolved) =>
            vclusterValues({
                name: args.name,
                version,
                contextName,
                expose: resolved,
                isolate,
                podSecurityStandard,
                build: args.build,
                quota: args.quota,
                resourceQuota: args.resourceQuota,
                limitRange: args.limitRange,
                kubernetesVersion: args.kubernetesVersion,
            }),
        );
        const userValues = args.userValues;
        const values = userValues === undefined ? generatedValues : generatedValues.apply((base) => sortKeysDeep(deepMerge(base, userValues)));

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            // Kubeloom creates the namespace, so it labels it: host-side Pod Security admission for everything the
            // syncer creates there (see hostPodSecurityLevel for why a restricted tenant's namespace enforces baseline).
            { metadata: { name: hostNamespace, labels: podSecurityNamespaceLabels(podSecurityStandard) } },
            // The name is fixed, so a replacement must delete the old namespace before creating the new one.
            // Children do not inherit the component's dependsOn: the first child carries it (e.g. "after Cilium"),
            // and everything else follows the namespace.
            { parent: this, provider, deleteBeforeReplace: true, dependsOn: opts.dependsOn },
        );

        // Host-side policies in the tenant's namespace. The CiliumNetworkPolicy CRD exists once Cilium's operator
        // runs; the namespace already waits for the Cilium release.
        const policyOpts = { parent: this, provider, dependsOn: [namespace] };
        // Created before the release, so the tenant's first pod starts fenced and, where the fence moves from the
        // chart to Kubeloom (tenantFenceOwner), Kubeloom's policies exist before the chart's are removed.
        const hostPolicies = tenantHostPolicies(line, args.name, hostNamespace, isolate, networkPolicies, hostApiServerPort);
        this.policies = [
            ...hostPolicies.networkPolicies.map((policy) => new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata.name}`, policy as k8s.networking.v1.NetworkPolicyArgs, policyOpts)),
            ...hostPolicies.ciliumPolicies.map((cnp) => new k8s.apiextensions.CustomResource(`${name}-${cnp.metadata.name}`, cnp as unknown as k8s.apiextensions.CustomResourceArgs, policyOpts)),
        ];

        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                // Pinned to the vCluster name (no random suffix): the chart names the kubeconfig Secret vc-<release>.
                name: args.name,
                chart: "vcluster",
                repositoryOpts: { repo: "https://charts.loft.sh" },
                namespace: namespace.metadata.name,
                version,
                values,
                // Wait for the control plane; the kubeconfig Secret can still come later (secretWait below).
                skipAwait: false,
            },
            // The rendered manifest holds the chart's Secrets.
            // Pinned release name: Helm cannot install a second release of that name before the first is gone.
            { parent: this, provider, additionalSecretOutputs: ["manifest"], deleteBeforeReplace: true, dependsOn: this.policies },
        );

        // Helm's wait ends when the vCluster's proxy answers readiness, and the syncer writes vc-<name> after that
        // (issue 11 failure 5; vCluster's CLI polls for the Secret as well): wait for it, bounded, before reading.
        // Runs once, after the first install: the Secret then lives as long as the release. The script's limits
        // (VCLUSTER_SECRET_WAIT plus one kubectl request) fit in the command's timeout.
        const secretName = vclusterKubeconfigSecretName(args.name);
        const waitScript = vclusterSecretWaitScript({ tenant: args.name, namespace: vclusterNamespace(args.name), secretName });
        const secretWait = new command.local.Command(
            `${name}-kubeconfig-wait`,
            {
                create: waitScript,
                interpreter: ["/bin/sh", "-c"],
                environment: { [KUBECONFIG_ENV]: pulumi.secret(args.hostKubeconfig) },
                triggers: [createHash("sha256").update(waitScript).digest("hex")],
            },
            { parent: this, dependsOn: [this.release], customTimeouts: { create: `${Math.ceil(VCLUSTER_SECRET_WAIT.timeoutSeconds / 60) + 5}m` } },
        );

        // The id comes from the release's outputs: during a preview that creates the release it is unknown, so
        // the engine skips the read instead of failing on a Secret that does not exist yet.
        const secretId = pulumi
            .all([this.release.status.namespace, this.release.status.name, secretWait.stdout])
            .apply(([releaseNamespace, releaseName]) => `${releaseNamespace}/${vclusterKubeconfigSecretName(releaseName)}`);
        const kubeconfigSecret = k8s.core.v1.Secret.get(`${name}-kubeconfig`, secretId, { parent: this, provider, dependsOn: [this.release, secretWait] });

        this.kubeconfig = pulumi.secret(
            kubeconfigSecret.data.apply((data) => {
                const encoded = data?.["config"];
                return encoded ? Buffer.from(encoded, "base64").toString("utf8") : "";
            }),
        );
        this.contextName = pulumi.output(contextName);
        this.namespace = namespace.metadata.name;
        this.serverUrl = expose.apply(vclusterServerUrl);

        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            contextName: this.contextName,
            namespace: this.namespace,
            serverUrl: this.serverUrl,
            release: this.release,
        });
    }
}

/**
 * The exposure with its node address resolved. Only a NodePort depends on the address, so a ClusterIP or
 * LoadBalancer tenant's values stay fully known in a preview even when the node address is not.
 */
function resolvedExposure(expose: VClusterExposure<pulumi.Input<string>>): pulumi.Output<VClusterExposure> {
    if (expose.type !== "NodePort") return pulumi.output(expose as VClusterExposure);
    return pulumi.output(expose.nodeAddress).apply((nodeAddress) => ({ type: "NodePort" as const, nodePort: expose.nodePort, nodeAddress }));
}
