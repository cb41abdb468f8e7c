/**
 * The one home of the versions Kubeloom installs by default and of the port bases it derives NodePorts from.
 * Components read these; the config layer uses them as its schema defaults, so a default is written once.
 */

/** Versions Kubeloom is written and tested against; the chart schemas in ../shared/schemas include these. */
export const DEFAULT_VERSIONS = {
    k3s: "v1.28.13+k3s1",
    cilium: "1.16.19",
    vcluster: "0.20.6",
    metallb: "0.14.9",
    kindNode: "kindest/node:v1.30.4",
} as const;

/** K3s packaged components disabled unless the config says otherwise (the manual recipe's choice). */
export const DEFAULT_K3S_DISABLE = ["traefik", "servicelb", "metrics-server"] as const;

/** Components K3s accepts in `--disable` (k3s pkg/cli/cmds/server.go). */
export const K3S_PACKAGED_COMPONENTS = [
    "coredns",
    "servicelb",
    "traefik",
    "local-storage",
    "metrics-server",
    "snapshot-controller",
] as const;

/** First NodePort handed to vClusters exposed as NodePort without an explicit `nodePort`. */
export const VCLUSTER_NODEPORT_BASE = 31443;

/** Default clustermesh-apiserver NodePort (chart default); each further cluster gets the next port, see mesh-plan. */
export const CLUSTERMESH_NODEPORT_BASE = 32379;

/** Longest vCluster name: the StatefulSet `<name>` gets a `<name>-<10-char hash>` revision label limited to 63. */
export const VCLUSTER_NAME_MAX = 52;

