/**
 * Pure builder for the Cilium Helm values, for every release of the support matrix (1.16.19, 1.17.18, 1.18.12,
 * 1.19.6, 1.20.0). Every key is checked against each release's values.schema.json (../shared/schemas) and
 * ../shared/reference/chart-facts.md §1; the tests walk the output against each schema so a misspelled or removed
 * key fails there instead of being silently ignored by Helm.
 *
 * None of the keys this builder sets changed between 1.16 and 1.20 (read in each archive's values.yaml and
 * templates): `kubeProxyReplacement` still renders only "true"/"false" (templates/cilium-configmap.yaml fails on
 * anything else), the chaining keys (`cni.chainingMode/customConf/configMap/exclusive/uninstall`) and the
 * hubble-relay / envoy affinities to the agent are the same, and the keys 1.19 and 1.20 drop (`nodePort.enabled`,
 * `clustermesh.apiserver.tls.server.*`, ...) are not set here. What differs by version is in the Cluster Mesh
 * fragment (mesh-plan.ts, clustermeshTlsLayout).
 */
import { sortKeysDeep } from "../lib/values-util";

/** CNI chaining modes of the chart that Kubeloom renders (values.yaml cni.chainingMode). */
export const CHAINING_MODES = ["generic-veth", "portmap", "aws-cni", "flannel"] as const;

/** One of CHAINING_MODES. */
export type ChainingMode = (typeof CHAINING_MODES)[number];

/** Cilium on top of another CNI. */
export interface ChainingInput {
    /** The chart's cni.chainingMode. */
    readonly mode: ChainingMode;
}

/**
 * Name of the ConfigMap (kube-system) holding the generic-veth conflist; the values reference it by name, so the
 * CiliumInstall component creates it under exactly this name. The name and its key `cni-config` (the chart's
 * default cni.configMapKey) are the ones Documentation/installation/cni-chaining-generic-veth.rst uses.
 */
export const CHAINING_CNI_CONFIGMAP = "cni-configuration";

/** Key of the conflist in that ConfigMap: the chart default `cni.configMapKey` (values.yaml, cni section). */
export const CHAINING_CNI_CONFIGMAP_KEY = "cni-config";

/**
 * Kube-proxy replacement: off, or on together with the API server address the agent dials directly — without
 * kube-proxy it cannot reach the API through the `kubernetes` Service. One cannot be had without the other.
 */
export type KubeProxyReplacement<Host = string, Port = number> =
    | { readonly enabled: false }
    | { readonly enabled: true; readonly apiServerHost: Host; readonly apiServerPort: Port };

/** What the Cilium values depend on: the cluster's identity and network plus the stack's Cilium settings. */
export interface CiliumValuesInput {
    /** Cilium `cluster.name`: ≤32 chars, DNS-1123, never "default" with a non-zero id. */
    readonly clusterName: string;
    /** Cilium `cluster.id`: unique per mesh, 1–255 (511 with maxConnectedClusters 511). */
    readonly clusterId: number;
    /** The cluster's pod CIDR (K3s `--cluster-cidr`). */
    readonly podCidr: string;
    /** Replace kube-proxy with Cilium's eBPF service handling, with the API server address that then needs. */
    readonly kubeProxyReplacement: KubeProxyReplacement;
    /** Encapsulate pod traffic between nodes (tunnel) or route it natively (nodes share an L2 segment). */
    readonly routingMode: "tunnel" | "native";
    /** `kubernetes`: use the node podCIDRs K3s allocates; `cluster-pool`: Cilium's operator allocates from podCidr. */
    readonly ipamMode: "kubernetes" | "cluster-pool";
    /** Hubble Relay and UI; uiNodePort exposes the UI on that NodePort. */
    readonly hubble: { readonly relay: boolean; readonly ui: boolean; readonly uiNodePort?: number };
    /** Extra node labels the agent (and operator, envoy) must match; empty: every Linux node. */
    readonly nodeSelector: Readonly<Record<string, string>>;
    /** Tolerations for the agent, operator and envoy; empty keeps the chart's tolerate-everything default. */
    readonly tolerations: ReadonlyArray<Record<string, unknown>>;
    /** cilium-operator replicas; see defaultOperatorReplicas. */
    readonly operatorReplicas: number;
    /** Chain Cilium onto the cluster's existing CNI. @default - none: Cilium is the only CNI */
    readonly chaining?: ChainingInput;
}

/**
 * Operator replicas for a cluster of `nodeCount` nodes: 1 on a single node, else 2 (the chart default). The
 * chart's default operator affinity is a *required* anti-affinity on kubernetes.io/hostname, so a second replica
 * on a one-node cluster stays Pending forever and a waiting Helm release times out.
 */
export function defaultOperatorReplicas(nodeCount: number): number {
    return nodeCount <= 1 ? 1 : 2;
}

/**
 * The Helm values for the cilium chart (any support-matrix release, see the header), keys sorted. Throws when KPR is on without an API host/port, and on
 * a chaining combination the chaining guides rule out (the config rules report the same with key paths first).
 */
export function ciliumValues(input: CiliumValuesInput): Record<string, unknown> {
    const problem = chainingProblem(input);
    if (problem) {
        throw new Error(problem);
    }
    const values: Record<string, unknown> = {
        // Every release renders only "true"/"false" here (toString of a boolean works); "strict"/"partial" fail the
        // template. Up to 1.17 the key is absent from values.yaml and the schema, so only this builder's tests guard it.
        kubeProxyReplacement: input.kubeProxyReplacement.enabled,
        cluster: { name: input.clusterName, id: input.clusterId },
        operator: operatorValues(input),
        hubble: hubbleValues(input),
        routingMode: input.routingMode,
        ipam: ipamValues(input),
    };

    if (input.kubeProxyReplacement.enabled) {
        values.k8sServiceHost = input.kubeProxyReplacement.apiServerHost;
        values.k8sServicePort = input.kubeProxyReplacement.apiServerPort;
    }

    if (input.chaining) {
        Object.assign(values, chainingValues(input.chaining.mode));
    }
    if (input.routingMode === "native" && !(input.chaining && chainsOntoPrimaryCni(input.chaining.mode))) {
        // Without a tunnel, traffic to pod IPs must not be masqueraded and each node needs routes to the
        // other nodes' pod CIDRs; autoDirectNodeRoutes installs them, which requires the nodes to share L2.
        values.ipv4NativeRoutingCIDR = input.podCidr;
        values.autoDirectNodeRoutes = true;
    }

    const scheduling = schedulingValues(input);
    Object.assign(values, scheduling);
    if (Object.keys(scheduling).length > 0) {
        // cilium-envoy is a separate DaemonSet by default from 1.16 on and must run beside an agent (its default affinity
        // requires a k8s-app pod on the node): on a node the agent's selector excludes, it would stay Pending and
        // the awaited release would never become ready.
        values.envoy = schedulingValues(input);
    }
    return sortKeysDeep(values);
}

/**
 * Modes where another CNI stays primary: it allocates pod IPs and routes between nodes, Cilium attaches to its veths.
 * `portmap` is the odd one out: Cilium is the primary CNI and the portmap plugin is chained after it
 * (Documentation/installation/cni-chaining-portmap.rst).
 */
export function chainsOntoPrimaryCni(mode: ChainingMode | undefined): boolean {
    return mode !== undefined && mode !== "portmap";
}

/** What the chaining rules look at: the modes, and whether kube-proxy replacement is on (not its address). */
export type ChainingProblemInput = Pick<CiliumValuesInput, "chaining" | "routingMode" | "ipamMode"> & { readonly kubeProxyReplacement: { readonly enabled: boolean } };

/** Why this input cannot be rendered in its chaining mode (one sentence naming the key), or undefined when it can. */
export function chainingProblem(input: ChainingProblemInput): string | undefined {
    if (!input.chaining) return undefined;
    const mode = input.chaining.mode;
    const problem = chainingProblemOf(mode, input);
    return problem === undefined ? undefined : `Cilium chaining mode ${mode}: ${problem}`;
}

function chainingProblemOf(mode: ChainingMode, input: ChainingProblemInput): string | undefined {
    if (chainsOntoPrimaryCni(mode)) {
        if (input.routingMode !== "native") {
            return "routingMode must be native: the primary CNI carries pod traffic between nodes and the chaining guides turn Cilium's tunnel off";
        }
        if (input.ipamMode !== "kubernetes") {
            return "ipamMode must be kubernetes: the primary CNI allocates pod IPs, Cilium must not run its own cluster-pool";
        }
    } else if (input.kubeProxyReplacement.enabled) {
        return "portmap chaining is for kubeProxyReplacement: false; with kube-proxy replacement Cilium implements HostPort itself";
    }
    return undefined;
}

/**
 * The chart values of one chaining mode, as the Cilium 1.16 install guides set them:
 * - generic-veth (Documentation/installation/cni-chaining-generic-veth.rst): cni.chainingMode=generic-veth,
 *   cni.customConf=true, cni.configMap=cni-configuration, routingMode=native, enableIPv4Masquerade=false;
 * - aws-cni (cni-chaining-aws-cni.rst): cni.chainingMode=aws-cni, cni.exclusive=false,
 *   enableIPv4Masquerade=false, routingMode=native, endpointRoutes.enabled=true;
 * - portmap (cni-chaining-portmap.rst): cni.chainingMode=portmap only; Cilium stays the primary CNI;
 * - flannel: no 1.16 guide; the agent writes a flannel + portmap + cilium-cni conflist itself (daemon/cmd/cni/
 *   config.go, cniConfigs["flannel"]), and flannel encapsulates (VXLAN on 8472, Cilium's tunnel port too) and
 *   masquerades, so the same native-routing, no-masquerade settings apply.
 * routingMode native without ipv4NativeRoutingCIDR is only accepted because masquerading is off (the agent wants the
 * CIDR only to know what not to masquerade); Cilium installs no node routes here (no autoDirectNodeRoutes).
 */
function chainingValues(mode: ChainingMode): Record<string, unknown> {
    if (!chainsOntoPrimaryCni(mode)) {
        return { cni: { chainingMode: mode } };
    }
    const cni: Record<string, unknown> = {
        chainingMode: mode,
        // Default true renames every other conflist in /etc/cni/net.d to *.cilium_bak (values.yaml cni.exclusive):
        // that would take the primary CNI's own config away. The chart only renders it when customConf is false,
        // so for generic-veth it states the intent rather than changes the output.
        exclusive: false,
        // Remove 05-cilium.conflist and cilium-cni when the agent goes away (values.yaml cni.uninstall), so
        // destroying the release leaves the nodes on the primary CNI instead of a conflist naming a missing agent.
        // Trade-off: pods created while an agent restarts get the primary CNI only until they are restarted.
        uninstall: true,
    };
    const values: Record<string, unknown> = {
        routingMode: "native",
        enableIPv4Masquerade: false,
        cni,
    };
    if (mode === "generic-veth") {
        // The agent has no built-in generic-veth conflist: it reads ours from the ConfigMap (read-cni-conf) and
        // writes it to 05-cilium.conflist, which sorts before the primary's own file.
        cni.customConf = true;
        cni.configMap = CHAINING_CNI_CONFIGMAP;
    }
    if (mode === "aws-cni") {
        values.endpointRoutes = { enabled: true };
    }
    return values;
}

/**
 * The generic-veth conflist for the `cni-configuration` ConfigMap: the primary CNI's plugins, then cilium-cni with
 * chaining-mode generic-veth (the template in Documentation/installation/cni-chaining-generic-veth.rst; cilium-cni
 * falls back to the network name when "chaining-mode" is absent, so both say generic-veth). Keys sorted, JSON text.
 */
export function genericVethConflist(primaryPlugins: ReadonlyArray<Readonly<Record<string, unknown>>>): string {
    if (primaryPlugins.length === 0) {
        throw new Error("generic-veth chaining needs the primary CNI's plugins: Cilium only attaches to the veths another plugin creates");
    }
    primaryPlugins.forEach((plugin, i) => {
        if (typeof plugin.type !== "string" || plugin.type.length === 0) {
            throw new Error(`primaryPlugins[${i}] has no "type"`);
        }
        if (plugin.type === "cilium-cni") {
            throw new Error(`primaryPlugins[${i}] is cilium-cni: list only the primary CNI's plugins, Kubeloom appends cilium-cni`);
        }
    });
    const conflist = {
        cniVersion: "0.3.1",
        name: "generic-veth",
        plugins: [...primaryPlugins, { type: "cilium-cni", "chaining-mode": "generic-veth" }],
    };
    return `${JSON.stringify(sortKeysDeep(conflist), null, 2)}\n`;
}

function ipamValues(input: CiliumValuesInput): Record<string, unknown> {
    if (input.ipamMode === "cluster-pool") {
        // The chart default pool is 10.0.0.0/8; in cluster-pool mode Cilium ignores K3s' --cluster-cidr, so the
        // pool must be the cluster's pod CIDR to keep clusters in a mesh from overlapping.
        return { mode: "cluster-pool", operator: { clusterPoolIPv4PodCIDRList: [input.podCidr] } };
    }
    return { mode: "kubernetes" };
}

function hubbleValues(input: CiliumValuesInput): Record<string, unknown> {
    const hubble = input.hubble;
    const ui: Record<string, unknown> = { enabled: hubble.ui };
    if (hubble.ui && hubble.uiNodePort !== undefined) {
        ui.service = { type: "NodePort", nodePort: hubble.uiNodePort };
    }
    return {
        // Agent-side Hubble is cheap and both Relay and the UI read from it.
        enabled: true,
        // Relay's chart affinity requires a cilium agent pod on its node (values.yaml hubble.relay.affinity,
        // podAffinity k8s-app=cilium, in every archive from 1.16.19 to 1.20.0): on nodes chosen
        // and tainted for Cilium it must select and tolerate them like the agent, or it stays Pending.
        relay: hubble.relay ? { enabled: true, ...schedulingValues(input) } : { enabled: false },
        ui,
    };
}

function operatorValues(input: CiliumValuesInput): Record<string, unknown> {
    // The operator runs on the host network and needs no CNI, but in a chained or partial install it should still
    // stay on the nodes (and tolerate the taints) chosen for Cilium.
    return { replicas: input.operatorReplicas, ...schedulingValues(input) };
}

/** nodeSelector/tolerations for one Cilium workload; empty settings are left out to keep the chart defaults. */
function schedulingValues(input: CiliumValuesInput): Record<string, unknown> {
    const scheduling: Record<string, unknown> = {};
    if (Object.keys(input.nodeSelector).length > 0) {
        // Helm merges maps with the chart default, so kubernetes.io/os: linux stays in force.
        scheduling.nodeSelector = { ...input.nodeSelector };
    }
    if (input.tolerations.length > 0) {
        // A list replaces the chart default `- operator: Exists` entirely. Never emit an empty list: the agent must
        // tolerate the not-ready and agent-not-ready taints that exist precisely because no CNI runs yet.
        scheduling.tolerations = input.tolerations.map((toleration) => ({ ...toleration }));
    }
    return scheduling;
}
