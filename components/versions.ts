/**
 * The one home of the versions Kubeloom installs by default and of the port bases it derives NodePorts from.
 * Components read these; the config layer uses them as its schema defaults, so a default is written once. Which
 * versions those are is decided in the support matrix (support-matrix.ts, MATRIX_DEFAULTS), with the reasons.
 */
import { MATRIX_DEFAULTS } from "./support-matrix";

/** Default versions: the newest matrix releases that run together on the default K3s line (support-matrix.ts). */
export const DEFAULT_VERSIONS = MATRIX_DEFAULTS;

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

