/**
 * Pure builders for the kind source: the kind cluster config (no default CNI, our pod/service subnets) and the
 * shell commands that create, read and delete the cluster.
 */
import { stringify } from "yaml";

/** What a kind cluster needs from the stack config. */
export interface KindConfigInput {
    /** Cluster name; kind names its containers `<name>-control-plane`, `<name>-worker`, ... */
    readonly clusterName: string;
    /** Node image, e.g. "kindest/node:v1.30.4". */
    readonly nodeImage: string;
    /** Worker nodes besides the control plane. */
    readonly workers: number;
    /** Host port for the API server; kind picks a random one when omitted. */
    readonly apiServerPort?: number;
    readonly podCidr: string;
    readonly serviceCidr: string;
    /** True when Cilium replaces kube-proxy: kind then runs none (kubeProxyMode: none). */
    readonly disableKubeProxy: boolean;
}

/** The kind `Cluster` document (kind.x-k8s.io/v1alpha4) as YAML text. */
export function kindClusterConfig(input: KindConfigInput): string {
    const nodes: Array<Record<string, unknown>> = [{ role: "control-plane", image: input.nodeImage }];
    for (let i = 0; i < input.workers; i++) {
        nodes.push({ role: "worker", image: input.nodeImage });
    }
    const networking: Record<string, unknown> = {
        // Cilium is the CNI: kind's kindnet must not be installed or the two would fight over pod routes.
        disableDefaultCNI: true,
        podSubnet: input.podCidr,
        serviceSubnet: input.serviceCidr,
    };
    if (input.disableKubeProxy) networking.kubeProxyMode = "none";
    if (input.apiServerPort !== undefined) {
        networking.apiServerAddress = "127.0.0.1";
        networking.apiServerPort = input.apiServerPort;
    }
    return stringify({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", name: input.clusterName, networking, nodes }, { sortMapEntries: true });
}

function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Creates the cluster from the config on stdin; an existing cluster of that name is kept (re-runs converge). */
export function kindCreateScript(clusterName: string): string {
    const name = shellQuote(clusterName);
    return [
        "set -eu",
        `if kind get clusters 2>/dev/null | grep -qx ${name}; then echo "kind cluster ${clusterName} exists"; cat >/dev/null; exit 0; fi`,
        `kind create cluster --name ${name} --config - --wait 0s`,
    ].join("\n");
}

/** Deletes the cluster (no error if it is already gone). */
export function kindDeleteScript(clusterName: string): string {
    return `kind delete cluster --name ${shellQuote(clusterName)}`;
}

/** Prints the external kubeconfig with context, cluster and user renamed from `kind-<name>` to `<name>`. */
export function kindKubeconfigScript(clusterName: string): string {
    return `kind get kubeconfig --name ${shellQuote(clusterName)} | sed -e ${shellQuote(`s/kind-${clusterName}/${clusterName}/g`)}`;
}

/** Prints the control-plane container's address on the kind network, where NodePorts and LoadBalancers answer. */
export function kindNodeAddressScript(clusterName: string): string {
    return `docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' ${shellQuote(`${clusterName}-control-plane`)}`;
}
