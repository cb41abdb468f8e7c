/**
 * Cluster sources: however a cluster comes to exist (K3s hosts Kubeloom installs, a local kind cluster, an
 * existing cluster's kubeconfig, another stack's output), everything after this module sees the same thing — one
 * explicit Kubernetes provider, a secret kubeconfig and the API address.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { parseDocument, stringify } from "yaml";
import { K3sHost } from "../components/K3sHost";
import { KindCluster } from "../components/KindCluster";
import type { ClusterConfig, K3sSourceConfig, KindSourceConfig, KubeconfigSourceConfig, StackReferenceSourceConfig } from "../config/schema";
import { clusterSource } from "../config/resolve";
import { assertNever } from "../lib/assert-never";
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
    /** Nodes Kubeloom knows of, to size the Cilium operator; undefined for clusters it did not create. */
    readonly nodeCount?: number;
    /** The component that created the cluster, if Kubeloom did. */
    readonly creator?: pulumi.Resource;
}

/** Options shared by every source. */
export interface SourceOptions {
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
            return stackReferenceAccess(cluster, source.stackReference);
        default:
            return assertNever(source);
    }
}

function providerFor(cluster: ClusterConfig, kubeconfig: pulumi.Input<string>, context?: string): k8s.Provider {
    return new k8s.Provider(`${cluster.name}-k8s`, {
        kubeconfig,
        context,
        // Server-side apply makes re-runs converge instead of fighting over fields other controllers set.
        enableServerSideApply: true,
    });
}

function k3sAccess(cluster: ClusterConfig, k3s: K3sSourceConfig, index: number, options: SourceOptions): ClusterAccess {
    const sshPrivateKey = k3s.sshPrivateKeyPath
        ? readSecretFile(k3s.sshPrivateKeyPath, `clusters[${index}].source.k3s.sshPrivateKeyPath`)
        : options.secrets.sshPrivateKey;
    const host = new K3sHost(
        `${cluster.name}-k3s`,
        {
            clusterName: cluster.name,
            host: k3s.host,
            user: k3s.user,
            sshPort: k3s.port,
            sshPrivateKey,
            version: k3s.version,
            apiPort: k3s.apiPort,
            podCidr: cluster.podCidr,
            serviceCidr: cluster.serviceCidr,
            disable: k3s.disable,
            // Derived, not a second setting: K3s must not run kube-proxy exactly when Cilium replaces it.
            disableKubeProxy: cluster.cilium.kubeProxyReplacement,
            tlsSans: k3s.tlsSans,
            agents: k3s.agents.map((agent) => ({ host: agent.host, user: agent.user ?? k3s.user!, port: agent.port })),
        },
        { protect: options.protect },
    );
    return {
        provider: providerFor(cluster, host.kubeconfig),
        kubeconfig: host.kubeconfig,
        contextName: cluster.name,
        apiServerHost: host.apiServerHost,
        apiServerPort: host.apiServerPort,
        nodeAddress: host.apiServerHost,
        nodeCount: host.nodeCount,
        creator: host,
    };
}

function kindAccess(cluster: ClusterConfig, kind: KindSourceConfig, options: SourceOptions): ClusterAccess {
    const created = new KindCluster(
        `${cluster.name}-kind`,
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
        provider: providerFor(cluster, created.kubeconfig),
        kubeconfig: created.kubeconfig,
        contextName: cluster.name,
        apiServerHost: created.internalApiServerHost,
        apiServerPort: created.internalApiServerPort,
        nodeAddress: created.nodeAddress,
        nodeCount: 1 + kind.workers,
        creator: created,
    };
}

function kubeconfigAccess(cluster: ClusterConfig, source: KubeconfigSourceConfig, index: number, options: SourceOptions): ClusterAccess {
    const keyPath = source.path ? `clusters[${index}].source.kubeconfig.path` : `kubeloom:sourceKubeconfigs.${cluster.name}`;
    const given = source.path ? readSecretFile(source.path, keyPath) : options.secrets.sourceKubeconfigs[cluster.name];
    // What other stacks and kubectl get: only the chosen context, renamed after the cluster (the file may hold other
    // clusters' credentials, and its context names mean nothing to consumers of the `kubeconfigs` output).
    const kubeconfig = pulumi.secret(
        pulumi.output(given).apply((text) => selectKubeconfigContext(text, { context: source.context, name: cluster.name, keyPath, passThroughUnparsable: pulumi.runtime.isDryRun() })),
    );
    return {
        provider: providerFor(cluster, given, source.context),
        kubeconfig,
        contextName: cluster.name,
        apiServerHost: cluster.cilium.k8sServiceHost,
        apiServerPort: cluster.cilium.k8sServicePort ?? 6443,
        nodeAddress: source.nodeAddress ?? cluster.cilium.k8sServiceHost,
    };
}

function stackReferenceAccess(cluster: ClusterConfig, source: StackReferenceSourceConfig): ClusterAccess {
    const reference = new pulumi.StackReference(`${cluster.name}-stack`, { name: source.stack });
    const kubeconfig = pulumi.secret(
        reference.getOutput(source.output).apply((kubeconfigs: Record<string, string> | undefined) => {
            const found = kubeconfigs?.[source.context];
            if (found === undefined) {
                const available = kubeconfigs ? Object.keys(kubeconfigs).sort().join(", ") : "none";
                throw new Error(`source.stackReference: stack "${source.stack}" output "${source.output}" has no context "${source.context}" (available: ${available})`);
            }
            return found;
        }),
    );
    return {
        provider: providerFor(cluster, kubeconfig),
        // Renamed after this stack's cluster: the referenced stack may call it something else.
        kubeconfig: pulumi.secret(
            kubeconfig.apply((text) =>
                selectKubeconfigContext(text, {
                    name: cluster.name,
                    keyPath: `source.stackReference (stack "${source.stack}", context "${source.context}")`,
                    passThroughUnparsable: pulumi.runtime.isDryRun(),
                }),
            ),
        ),
        contextName: cluster.name,
        apiServerHost: cluster.cilium.k8sServiceHost,
        apiServerPort: cluster.cilium.k8sServicePort ?? 6443,
        nodeAddress: source.nodeAddress ?? cluster.cilium.k8sServiceHost,
    };
}

/** Which context to keep from a kubeconfig and what to call it. */
export interface KubeconfigSelection {
    /** Context to keep. @default - the file's current-context */
    readonly context?: string;
    /** New name of the context, its cluster and its user. */
    readonly name: string;
    /** Where the kubeconfig came from, for error messages (a key path; never its contents). */
    readonly keyPath: string;
    /**
     * Return text that is not a kubeconfig at all unchanged instead of failing: during a preview it may be an
     * offline plan's "[secret]" placeholder or an unreadable file's marker. @default false
     */
    readonly passThroughUnparsable?: boolean;
}

/**
 * Pure: a kubeconfig reduced to one context (given, else current-context) with its cluster and user, all three
 * renamed to `selection.name`, current-context set. Keys sorted, so the same input gives the same text. Errors name
 * the key path and context names only — never contents, which hold credentials.
 */
export function selectKubeconfigContext(text: string, selection: KubeconfigSelection): string {
    const fail = (reason: string): never => {
        throw new Error(`${selection.keyPath}: ${reason}; contents not shown, a kubeconfig holds credentials`);
    };
    // prettyErrors off: the parser's messages would quote the offending line, which may be key data.
    const doc = parseDocument(text, { prettyErrors: false });
    const config: unknown = doc.errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
    if (!isRecord(config) || !Array.isArray(config.contexts)) {
        if (selection.passThroughUnparsable) return text;
        return fail("it is not a kubeconfig (a YAML mapping with contexts, clusters and users)");
    }
    const entries = (list: string): Array<Record<string, unknown>> => (Array.isArray(config[list]) ? (config[list] as unknown[]).filter(isRecord) : []);
    const contexts = entries("contexts");
    const available = contexts.map((c) => String(c.name)).join(", ") || "none";
    const wanted = selection.context ?? (typeof config["current-context"] === "string" && config["current-context"] !== "" ? config["current-context"] : undefined);
    if (wanted === undefined) return fail(`it has no current-context; name one with source.kubeconfig.context (contexts: ${available})`);
    const context = contexts.find((c) => c.name === wanted);
    if (!context || !isRecord(context.context)) return fail(`it has no context "${wanted}" (contexts: ${available})`);
    const cluster = entries("clusters").find((c) => c.name === (context.context as Record<string, unknown>).cluster);
    const user = entries("users").find((u) => u.name === (context.context as Record<string, unknown>).user);
    if (!cluster || !isRecord(cluster.cluster)) return fail(`its context "${wanted}" names a cluster the file does not define`);
    if (!user || !isRecord(user.user)) return fail(`its context "${wanted}" names a user the file does not define`);
    const name = selection.name;
    const selected = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: cluster.cluster }],
        users: [{ name, user: user.user }],
        contexts: [{ name, context: { ...context.context, cluster: name, user: name } }],
        "current-context": name,
        preferences: {},
    };
    // lineWidth 0: never fold, so base64 data and the output's bytes do not depend on a wrap column.
    return stringify(selected, { sortMapEntries: true, lineWidth: 0 });
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
