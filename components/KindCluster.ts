/**
 * A local kind cluster with no default CNI, so one laptop with Docker can run a whole Cluster Mesh.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { KIND_API_SERVER_CONTAINER_PORT, kindClusterConfig, kindCreateScript, kindDeleteScript, kindKubeconfigScript, kindNodeAddressScript } from "./kind-config";
import { DEFAULT_VERSIONS } from "./versions";
import { DEFAULT_KIND_WORKERS } from "./defaults";
import { COMPONENT_TYPES } from "./identity";

/** Arguments of a kind cluster. */
export interface KindClusterArgs {
    /** Cluster name (kind containers are `<name>-control-plane`, ...). */
    readonly clusterName: string;
    /** Node image. @default DEFAULT_VERSIONS.kindNode (components/versions.ts) */
    readonly nodeImage?: string;
    /** Worker nodes. @default DEFAULT_KIND_WORKERS (1, components/defaults.ts) */
    readonly workers?: number;
    /** Host port of the API server. @default - kind picks a free port */
    readonly apiServerPort?: number;
    /** Pod subnet (must not overlap other mesh clusters). */
    readonly podCidr: string;
    /** Service subnet. */
    readonly serviceCidr: string;
    /** Run no kube-proxy (Cilium replaces it). */
    readonly disableKubeProxy: boolean;
}

/** A kind cluster created and deleted with the `kind` CLI on the machine running Pulumi. */
export class KindCluster extends pulumi.ComponentResource {
    /** External kubeconfig (secret), context named after the cluster. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** API host as seen from inside the kind network (for Cilium's kube-proxy replacement). */
    public readonly internalApiServerHost: pulumi.Output<string>;
    /** API port inside the kind network. */
    public readonly internalApiServerPort: pulumi.Output<number>;
    /** Control-plane container address on the kind network. */
    public readonly nodeAddress: pulumi.Output<string>;

    constructor(name: string, args: KindClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.KindCluster, name, {}, opts);
        const nodeImage = args.nodeImage ?? DEFAULT_VERSIONS.kindNode;
        const workers = args.workers ?? DEFAULT_KIND_WORKERS;
        const clusterConfig = kindClusterConfig({ ...args, nodeImage, workers });

        const cluster = new command.local.Command(
            `${name}-cluster`,
            {
                create: kindCreateScript(args.clusterName),
                delete: kindDeleteScript(args.clusterName),
                stdin: clusterConfig,
                // kind cannot change a running cluster's networking: a config change must recreate it.
                triggers: [clusterConfig],
                interpreter: ["/bin/sh", "-c"],
            },
            // Bounded by Pulumi, not in the script (`timeout` is not on every machine running Pulumi, e.g. macOS): kind
            // create can hang on a stuck image pull.
            { parent: this, deleteBeforeReplace: true, customTimeouts: { create: "15m", delete: "5m" } },
        );
        const kubeconfigRead = new command.local.Command(
            `${name}-kubeconfig`,
            { create: kindKubeconfigScript(args.clusterName), triggers: [clusterConfig], interpreter: ["/bin/sh", "-c"] },
            { parent: this, dependsOn: [cluster], additionalSecretOutputs: ["stdout"], customTimeouts: { create: "2m" } },
        );
        const address = new command.local.Command(
            `${name}-address`,
            { create: kindNodeAddressScript(args.clusterName), triggers: [clusterConfig], interpreter: ["/bin/sh", "-c"] },
            { parent: this, dependsOn: [cluster], customTimeouts: { create: "2m" } },
        );
        this.kubeconfig = pulumi.secret(kubeconfigRead.stdout);
        // Pods reach the API through the control-plane container's name on the kind Docker network.
        this.internalApiServerHost = pulumi.output(`${args.clusterName}-control-plane`);
        this.internalApiServerPort = pulumi.output(KIND_API_SERVER_CONTAINER_PORT);
        this.nodeAddress = address.stdout.apply((text) => text.trim());
        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            internalApiServerHost: this.internalApiServerHost,
            internalApiServerPort: this.internalApiServerPort,
            nodeAddress: this.nodeAddress,
        });
    }
}
