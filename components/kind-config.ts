/**
 * Pure builders for the kind source: the kind cluster config (no default CNI, our pod/service subnets) and the
 * shell commands that create, read and delete the cluster.
 */
import { stringify } from "yaml";
import { scriptPreamble, shellQuote } from "../lib/shell";

/**
 * The API server's port inside a kind control-plane container, which pods on the kind network dial: kind's kubeadm
 * config binds the API server there whatever host port `apiServerPort` maps to it (kind
 * pkg/cluster/internal/providers/common/constants.go, APIServerInternalPort). A kind fact, not K3s's default API port
 * (components/defaults.ts K3S_DEFAULT_API_PORT), though both are kubeadm's 6443.
 */
export const KIND_API_SERVER_CONTAINER_PORT = 6443;

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

/** Creates the cluster from the config on stdin; an existing cluster of that name is kept (re-runs converge). */
export function kindCreateScript(clusterName: string): string {
    const name = shellQuote(clusterName);
    return [
        ...scriptPreamble(`kind cluster ${clusterName}`),
        'command -v kind >/dev/null 2>&1 || fail "kind is not installed on the machine running Pulumi"',
        `clusters=$(kind get clusters 2>/dev/null) || fail "kind get clusters failed (is Docker running?)"`,
        `if printf '%s\\n' "$clusters" | grep -qx ${name}; then echo "kind cluster ${clusterName} exists"; cat >/dev/null; exit 0; fi`,
        `kind create cluster --name ${name} --config - --wait 0s || fail "kind create cluster failed"`,
    ].join("\n");
}

/** Deletes the cluster (no error if it is already gone). */
export function kindDeleteScript(clusterName: string): string {
    return [
        ...scriptPreamble(`kind cluster ${clusterName}`),
        'command -v kind >/dev/null 2>&1 || fail "kind is not installed on the machine running Pulumi"',
        `kind delete cluster --name ${shellQuote(clusterName)} || fail "kind delete cluster failed"`,
    ].join("\n");
}

/**
 * Prints the external kubeconfig with context, cluster and user renamed from `kind-<name>` to `<name>`. Fails
 * (never prints an empty or partial kubeconfig) when kind is missing, fails, or prints something that is not a
 * kubeconfig: an empty kubeconfig would make pulumi-kubernetes fall back to ~/.kube/config.
 */
export function kindKubeconfigScript(clusterName: string): string {
    return [
        ...scriptPreamble(`kind kubeconfig ${clusterName}`),
        'command -v kind >/dev/null 2>&1 || fail "kind is not installed on the machine running Pulumi"',
        `raw=$(kind get kubeconfig --name ${shellQuote(clusterName)}) || fail ${shellQuote(`kind get kubeconfig --name ${clusterName} failed (does the cluster exist?)`)}`,
        'case "$raw" in',
        '  *"apiVersion: v1"*"kind: Config"*|*"kind: Config"*"apiVersion: v1"*) ;;',
        `  *) fail ${shellQuote(`kind get kubeconfig --name ${clusterName} printed no kubeconfig`)} ;;`,
        "esac",
        `renamed=$(printf '%s\\n' "$raw" | sed -e ${shellQuote(`s/kind-${clusterName}/${clusterName}/g`)}) || fail "sed failed rewriting the kubeconfig"`,
        "printf '%s\\n' \"$renamed\"",
    ].join("\n");
}

/**
 * Prints the control-plane container's address on the `kind` Docker network, where NodePorts and LoadBalancers
 * answer. A container on several networks has several addresses: only the kind network's counts.
 */
export function kindNodeAddressScript(clusterName: string): string {
    const container = `${clusterName}-control-plane`;
    return [
        ...scriptPreamble(`kind node address ${clusterName}`),
        'command -v docker >/dev/null 2>&1 || fail "docker is not installed on the machine running Pulumi"',
        `address=$(docker inspect -f '{{with index .NetworkSettings.Networks "kind"}}{{.IPAddress}}{{end}}' ${shellQuote(container)}) || fail ${shellQuote(`docker inspect ${container} failed`)}`,
        `[ -n "$address" ] || fail ${shellQuote(`container ${container} has no address on the kind Docker network`)}`,
        "printf '%s\\n' \"$address\"",
    ].join("\n");
}
