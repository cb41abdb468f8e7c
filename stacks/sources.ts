/**
 * Cluster sources: however a cluster comes to exist (K3s hosts Kubeloom installs, a local kind cluster, an
 * existing cluster's kubeconfig, another stack's output), everything after this module sees the same thing — one
 * explicit Kubernetes provider, a secret kubeconfig and the API address.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { K3sHost } from "../components/K3sHost";
import { KindCluster } from "../components/KindCluster";
import type { ClusterConfig, K3sSourceConfig, KindSourceConfig, KubeconfigSourceConfig, StackReferenceSourceConfig } from "../config/schema";
import { clusterSource, k3sNodes, k3sNodeSettings } from "../config/resolve";
import { apiEndpoint, nodeAddress } from "../config/resolved-cluster";
import { resourceNames } from "../config/derived-names";
import { assertNever } from "../lib/assert-never";
import { selectKubeconfigContext } from "../lib/kubeconfig";
import { quoteInput, UserInputError } from "../lib/user-input";
import { readSecretFile, StackSecrets } from "../config/load";

/** What the composition needs from a cluster, whatever its source. */
export interface ClusterAccess {
    /** Explicit provider for everything in this cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Admin kubeconfig (secret) with one context, named after the cluster. */
    readonly kubeconfig: pulumi.Output<string>;
    /** Context name this cluster has in the `kubeconfigs` output. */
    readonly contextName: string;
    /** API server address for Cilium's kube-proxy replacement, when known. */
    readonly apiServerHost?: pulumi.Input<string>;
    readonly apiServerPort?: pulumi.Input<number>;
    /** Address where this cluster's NodePorts answer (for vCluster and Hubble endpoints). */
    readonly nodeAddress?: pulumi.Input<string>;
    /** The component that created the cluster, if Kubeloom did. */
    readonly creator?: pulumi.Resource;
    /** The K3s release, resolved once every node runs it (k3s sources only; see deployedVersions). */
    readonly k3sVersion?: pulumi.Output<string>;
}

/** Options shared by every source. */
export interface SourceOptions {
    /** The Pulumi stack's name: with the cluster's name, the provider's cluster identity. */
    readonly stackName: string;
    readonly secrets: StackSecrets;
    readonly protect: boolean;
}

/** Builds the access to one cluster from its `source` block. */
export function clusterAccess(cluster: ClusterConfig, index: number, options: SourceOptions): ClusterAccess {
    const source = clusterSource(cluster);
    switch (source.type) {
        case "k3s":
            return k3sAccess(cluster, source.k3s, index, options);
        case "kind":
            return kindAccess(cluster, source.kind, options);
        case "kubeconfig":
            return kubeconfigAccess(cluster, source.kubeconfig, index, options);
        case "stackReference":
            return stackReferenceAccess(cluster, source.stackReference, index, options);
        default:
            return assertNever(source);
    }
}

/**
 * The identity of a cluster for its Kubernetes provider: the stack and the cluster name, which stay the same for
 * the cluster's life. With it set, pulumi-kubernetes replaces the provider (and so every resource in the cluster)
 * only when this identity changes — never because the kubeconfig changed or is unknown during a preview (a K3s
 * upgrade, a rotated certificate). Adding it to an existing provider is itself not a replacement (DiffConfig in
 * pulumi-kubernetes provider/pkg/provider/provider.go ignores an identifier being added or removed).
 */
export function clusterIdentifier(stackName: string, clusterName: string): string {
    return `kubeloom/${stackName}/${clusterName}`;
}

function providerFor(cluster: ClusterConfig, options: SourceOptions, kubeconfig: pulumi.Input<string>, context?: string): k8s.Provider {
    if (cluster.deleteUnreachable) {
        pulumi.log.warn(`cluster ${cluster.name}: deleteUnreachable is on: if its API server cannot be reached, its Kubernetes resources are dropped from the state without being deleted; turn it off once the destroy is done`);
    }
    return new k8s.Provider(resourceNames.provider(cluster.name), {
        kubeconfig,
        context,
        clusterIdentifier: clusterIdentifier(options.stackName, cluster.name),
        // Only when asked (the cluster is gone, see docs/deploying.md "Destroy with a host gone"): otherwise an unreachable
        // cluster must fail the update, not silently empty the state. Omitted when false, so existing providers
        // plan exactly as before.
        ...(cluster.deleteUnreachable ? { deleteUnreachable: true } : {}),
        // Server-side apply makes re-runs converge instead of fighting over fields other controllers set.
        enableServerSideApply: true,
    });
}

function k3sAccess(cluster: ClusterConfig, k3s: K3sSourceConfig, index: number, options: SourceOptions): ClusterAccess {
    const sshPrivateKey = k3s.sshPrivateKeyPath
        ? readSecretFile(k3s.sshPrivateKeyPath, `clusters[${index}].source.k3s.sshPrivateKeyPath`)
        : options.secrets.sshPrivateKey;
    const nodes = k3sNodes(k3s, `clusters[${index}].source.k3s`);
    const settings = k3sNodeSettings(k3s);
    const s3Keys = options.secrets.etcdS3Keys?.[cluster.name];
    const passwords = options.secrets.registryPasswords?.[cluster.name] ?? {};
    const snapshots = k3s.etcdSnapshots;
    const registries = k3s.registries;
    const bastion = k3s.bastion;
    const host = new K3sHost(
        resourceNames.k3sHost(cluster.name),
        {
            clusterName: cluster.name,
            servers: nodes.servers.map((s, i) => ({ host: s.host, user: s.user, port: s.port, ...(settings.servers[i] ? { settings: settings.servers[i] } : {}) })),
            registrationAddress: k3s.registrationAddress,
            sshPrivateKey,
            version: k3s.version,
            apiPort: k3s.apiPort,
            podCidr: cluster.podCidr,
            serviceCidr: cluster.serviceCidr,
            disable: k3s.disable,
            // Derived, not a second setting: K3s must not run kube-proxy exactly when Cilium replaces it.
            disableKubeProxy: cluster.cilium.kubeProxyReplacement,
            tlsSans: k3s.tlsSans,
            agents: nodes.agents.map((agent, i) => ({ host: agent.host, user: agent.user!, port: agent.port, ...(settings.agents[i] ? { settings: settings.agents[i] } : {}) })),
            skipUninstall: k3s.skipUninstall,
            // The day-2 settings are passed only when set: a cluster without them plans exactly as before.
            ...(k3s.secretsEncryption ? { secretsEncryption: true } : {}),
            ...(snapshots
                ? { etcdSnapshots: { schedule: snapshots.schedule, retention: snapshots.retention, ...(snapshots.s3 && s3Keys ? { s3: { ...snapshots.s3, accessKey: s3Keys.accessKey, secretKey: s3Keys.secretKey } } : {}) } }
                : {}),
            ...(registries
                ? {
                      registries: {
                          mirrors: registries.mirrors,
                          configs: Object.fromEntries(
                              Object.entries(registries.configs).map(([registry, c]) => [
                                  registry,
                                  {
                                      ...(c.username !== undefined ? { auth: { username: c.username, password: passwords[registry] } } : {}),
                                      ...(c.caFile !== undefined || c.insecureSkipVerify !== undefined ? { tls: { caFile: c.caFile, insecureSkipVerify: c.insecureSkipVerify } } : {}),
                                  },
                              ]),
                          ),
                      },
                  }
                : {}),
            ...(bastion
                ? {
                      bastion: {
                          host: bastion.host,
                          user: bastion.user,
                          port: bastion.port,
                          ...(bastion.privateKeyPath ? { privateKey: readSecretFile(bastion.privateKeyPath, `clusters[${index}].source.k3s.bastion.privateKeyPath`) } : {}),
                      },
                  }
                : {}),
        },
        { protect: options.protect },
    );
    return {
        provider: providerFor(cluster, options, host.kubeconfig),
        kubeconfig: host.kubeconfig,
        contextName: cluster.name,
        apiServerHost: host.apiServerHost,
        apiServerPort: host.apiServerPort,
        nodeAddress: host.nodeAddress,
        creator: host,
        k3sVersion: host.version,
    };
}

function kindAccess(cluster: ClusterConfig, kind: KindSourceConfig, options: SourceOptions): ClusterAccess {
    const created = new KindCluster(
        resourceNames.kindCluster(cluster.name),
        {
            clusterName: cluster.name,
            nodeImage: kind.nodeImage,
            workers: kind.workers,
            apiServerPort: kind.apiServerPort,
            podCidr: cluster.podCidr,
            serviceCidr: cluster.serviceCidr,
            disableKubeProxy: cluster.cilium.kubeProxyReplacement,
        },
        { protect: options.protect },
    );
    return {
        provider: providerFor(cluster, options, created.kubeconfig),
        kubeconfig: created.kubeconfig,
        contextName: cluster.name,
        apiServerHost: created.internalApiServerHost,
        apiServerPort: created.internalApiServerPort,
        nodeAddress: created.nodeAddress,
        creator: created,
    };
}

function kubeconfigAccess(cluster: ClusterConfig, source: KubeconfigSourceConfig, index: number, options: SourceOptions): ClusterAccess {
    const keyPath = source.path ? `clusters[${index}].source.kubeconfig.path` : `kubeloom:sourceKubeconfigs.${cluster.name}`;
    const given = source.path ? readSecretFile(source.path, keyPath) : options.secrets.sourceKubeconfigs[cluster.name];
    // What other stacks and kubectl get: only the chosen context, renamed after the cluster (the file may hold other
    // clusters' credentials, and its context names mean nothing to consumers of the `kubeconfigs` output).
    const kubeconfig = pulumi.secret(
        pulumi.output(given).apply((text) => selectKubeconfigContext(text, { context: source.context, name: cluster.name, keyPath, contextKeyPath: `clusters[${index}].source.kubeconfig.context`, passThroughUnparsable: pulumi.runtime.isDryRun() })),
    );
    return {
        provider: providerFor(cluster, options, given, source.context),
        kubeconfig,
        contextName: cluster.name,
        ...existingClusterAddresses(cluster),
    };
}

/**
 * The API endpoint and node address of a cluster Kubeloom did not create, from the resolved model (config/resolved-cluster.ts):
 * `cilium.k8sServiceHost` with its port (the rules never let a port be guessed), and the node address.
 */
function existingClusterAddresses(cluster: ClusterConfig): Pick<ClusterAccess, "apiServerHost" | "apiServerPort" | "nodeAddress"> {
    const api = apiEndpoint(cluster);
    const node = nodeAddress(cluster);
    return {
        apiServerHost: api.type === "configured" ? api.host : undefined,
        apiServerPort: api.type === "configured" ? api.port : undefined,
        nodeAddress: node.type === "address" ? node.address : undefined,
    };
}

function stackReferenceAccess(cluster: ClusterConfig, source: StackReferenceSourceConfig, index: number, options: SourceOptions): ClusterAccess {
    const reference = new pulumi.StackReference(resourceNames.stackReference(cluster.name), { name: source.stack });
    const kubeconfig = pulumi.secret(
        reference.getOutput(source.output).apply((kubeconfigs: Record<string, string> | undefined) => {
            const found = kubeconfigs?.[source.context];
            if (found === undefined) {
                const available = kubeconfigs ? Object.keys(kubeconfigs).sort().slice(0, 20).map((name) => quoteInput(name)).join(", ") : "none";
                throw new UserInputError(`clusters[${index}].source.stackReference.context`, `stack ${quoteInput(source.stack)} output ${quoteInput(source.output)} has no context ${quoteInput(source.context)} (available: ${available})`);
            }
            return found;
        }),
    );
    return {
        provider: providerFor(cluster, options, kubeconfig),
        // Renamed after this stack's cluster: the referenced stack may call it something else.
        kubeconfig: pulumi.secret(
            kubeconfig.apply((text) =>
                selectKubeconfigContext(text, {
                    name: cluster.name,
                    keyPath: `clusters[${index}].source.stackReference`,
                    passThroughUnparsable: pulumi.runtime.isDryRun(),
                }),
            ),
        ),
        contextName: cluster.name,
        ...existingClusterAddresses(cluster),
    };
}
