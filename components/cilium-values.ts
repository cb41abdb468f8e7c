/**
 * Pure builder for the Cilium Helm values, for every release of the support matrix (1.16.19, 1.17.18, 1.18.12,
 * 1.19.6, 1.20.0). Every key is checked against each release's values.schema.json (inside the cilium/charts archive
 * of that version) and the chart's templates at the tag; the tests walk the output against each schema so a misspelled or removed
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
import { ciliumFeatureValues, EncryptionInput, GatewayApiInput, HubbleMetricsInput, hubbleMetricsValues, TunnelProtocol } from "./cilium-features";
import { ownedValues } from "../lib/chart-values";

/** CNI chaining modes of the chart that Kubeloom renders (values.yaml cni.chainingMode). */
export const CHAINING_MODES = ["generic-veth", "portmap", "aws-cni", "flannel"] as const;

/** One of CHAINING_MODES. */
export type ChainingMode = (typeof CHAINING_MODES)[number];

/**
 * Cilium on top of another CNI. Modes that keep a primary CNI (generic-veth, aws-cni, flannel) need `routerCidr`;
 * generic-veth and flannel need `target` (chainingProblem says so when one is missing).
 */
export interface ChainingInput {
    /** The chart's cni.chainingMode. */
    readonly mode: ChainingMode;
    /**
     * Network name of the primary CNI's conflist (cni.chainingTarget): the agent copies that conflist, appends
     * cilium-cni and keeps its name. @default - none; required for generic-veth and flannel (see defaultChainingTarget)
     */
    readonly target?: string;
    /**
     * IPv4 CIDR used by nobody else, from which Cilium's cluster-pool IPAM gives each node a /28 for the agent's own
     * addresses (router IP). @default - none; required when the mode keeps a primary CNI
     */
    readonly routerCidr?: string;
}

/**
 * Network name flannel gives its conflist: "cbr0" in flannel's Documentation/kube-flannel.yml (cni-conf.json) and in
 * K3s' embedded flannel. The agent's built-in flannel conflist is named "flannel" instead (daemon/cmd/cni/config.go,
 * cniConfigs["flannel"]): pods created under it would get a second host-local store (/var/lib/cni/networks/<name>)
 * over the same node subnet, hence chainingTarget.
 */
export const FLANNEL_NETWORK_NAME = "cbr0";

/** The chaining target a mode implies when the config names none: flannel's "cbr0"; the others have no default. */
export function defaultChainingTarget(mode: ChainingMode): string | undefined {
    return mode === "flannel" ? FLANNEL_NETWORK_NAME : undefined;
}

/**
 * Per-node block (ipam.operator.clusterPoolIPv4MaskSize) of chaining.routerCidr. The agent takes the router IP from
 * it (and the Ingress IP when Ingress is on; endpoint health checking, the other user, is off in chaining:
 * templates/cilium-configmap.yaml at 1.16.19 renders enable-endpoint-health-checking "false" for these modes).
 */
export const ROUTER_CIDR_NODE_MASK = 28;

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
    /** `kubernetes`: the node podCIDRs K3s allocates; `cluster-pool`: the operator allocates from podCidr (from chaining.routerCidr when chained onto a primary CNI). */
    readonly ipamMode: "kubernetes" | "cluster-pool";
    /** Hubble Relay and UI; uiNodePort exposes the UI on that NodePort; metrics turns on Hubble's metric handlers. */
    readonly hubble: { readonly relay: boolean; readonly ui: boolean; readonly uiNodePort?: number; readonly metrics?: HubbleMetricsInput };
    /** Extra node labels the agent (and operator, envoy) must match; empty: every Linux node. */
    readonly nodeSelector: Readonly<Record<string, string>>;
    /** Tolerations for the agent, operator and envoy; empty keeps the chart's tolerate-everything default. */
    readonly tolerations: ReadonlyArray<Record<string, unknown>>;
    /** cilium-operator replicas; see defaultOperatorReplicas. */
    readonly operatorReplicas: number;
    /** Chain Cilium onto the cluster's existing CNI. @default - none: Cilium is the only CNI */
    readonly chaining?: ChainingInput;
    /** Transparent encryption (WireGuard or IPsec; see cilium-features.ts). @default - none: pod traffic leaves nodes in clear */
    readonly encryption?: EncryptionInput;
    /** The tunnel's protocol, tunnel mode only. @default - the chart's "vxlan" (not written, so existing values stay as they were) */
    readonly tunnelProtocol?: TunnelProtocol;
    /** The agent's `devices` (network interfaces it attaches to). @default - Cilium's auto-detection */
    readonly devices?: readonly string[];
    /**
     * Native routing only: the CIDR whose traffic the agent does not masquerade. In a Cluster Mesh it must cover every
     * member's pod CIDR (coveringCidr in cilium-features.ts). @default - podCidr
     */
    readonly nativeRoutingCidr?: string;
    /** Cilium's Gateway API controller and GatewayClass `cilium` (CRDs installed before, see GatewayApiCrds.ts). @default - off */
    readonly gatewayAPI?: GatewayApiInput;
}

/** The chart's own `operator.replicas` (values.yaml in every supported cilium chart): what Kubeloom keeps unless one node forbids it. */
export const CHART_OPERATOR_REPLICAS = 2;

/**
 * Operator replicas for a cluster of `nodeCount` nodes: 1 on a single node, else the chart's default (also when the
 * node count is unknown). The chart's default operator affinity is a *required* anti-affinity on
 * kubernetes.io/hostname, so a second replica on a one-node cluster stays Pending forever and a waiting Helm release
 * times out.
 */
export function defaultOperatorReplicas(nodeCount: number | undefined): number {
    return nodeCount !== undefined && nodeCount <= 1 ? 1 : CHART_OPERATOR_REPLICAS;
}

/**
 * The keys ciliumValues writes, each with the typed key (relative to the cluster) that decides it: a user's
 * `cilium.values` may not set them (lib/chart-values.ts ownedValueProblems). Declared here, beside the code that
 * writes them; a test renders many inputs and fails on a written key that no entry covers.
 */
export const CILIUM_OWNED_VALUES = ownedValues("cilium", [
    { path: "kubeProxyReplacement", use: "cilium.kubeProxyReplacement" },
    { path: "k8sServiceHost", use: "cilium.k8sServiceHost (default: the K3s or kind API address)" },
    { path: "k8sServicePort", use: "cilium.k8sServicePort (default: the K3s or kind API port)" },
    { path: "cluster.name", use: "name" },
    { path: "cluster.id", use: "id" },
    { path: "operator.replicas", use: "cilium.operatorReplicas" },
    { path: "operator.nodeSelector", use: "cilium.nodeSelector" },
    { path: "operator.tolerations", use: "cilium.tolerations" },
    { path: "nodeSelector", use: "cilium.nodeSelector" },
    { path: "tolerations", use: "cilium.tolerations" },
    { path: "envoy.nodeSelector", use: "cilium.nodeSelector" },
    { path: "envoy.tolerations", use: "cilium.tolerations" },
    { path: "hubble.enabled", use: "cilium.hubble (Relay and UI read from it)" },
    { path: "hubble.relay.enabled", use: "cilium.hubble.relay" },
    { path: "hubble.relay.nodeSelector", use: "cilium.nodeSelector" },
    { path: "hubble.relay.tolerations", use: "cilium.tolerations" },
    { path: "hubble.ui.enabled", use: "cilium.hubble.ui" },
    { path: "hubble.ui.service", use: "cilium.hubble.uiNodePort" },
    { path: "routingMode", use: "cilium.routingMode" },
    { path: "ipam", use: "cilium.ipamMode (pool: podCidr, or cilium.chaining.routerCidr)" },
    { path: "ipv4NativeRoutingCIDR", use: "podCidr (with cilium.routingMode: native; in a mesh, the CIDR covering every member's podCidr)" },
    { path: "autoDirectNodeRoutes", use: "cilium.routingMode" },
    { path: "cni.chainingMode", use: "cilium.chaining.mode" },
    { path: "cni.chainingTarget", use: "cilium.chaining.target" },
    { path: "cni.exclusive", use: "cilium.chaining" },
    { path: "cni.uninstall", use: "cilium.chaining" },
    { path: "cni.customConf", use: "cilium.chaining" },
    { path: "cni.configMap", use: "cilium.chaining" },
    { path: "enableIPv4Masquerade", use: "cilium.chaining (chained modes turn it off)" },
    { path: "endpointRoutes.enabled", use: "cilium.chaining.mode (aws-cni)" },
]);

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
        Object.assign(values, chainingValues(input.chaining));
    }
    if (input.routingMode === "native" && !(input.chaining && chainsOntoPrimaryCni(input.chaining.mode))) {
        // Without a tunnel, traffic to pod IPs must not be masqueraded and each node needs routes to the
        // other nodes' pod CIDRs; autoDirectNodeRoutes installs them, which requires the nodes to share L2.
        values.ipv4NativeRoutingCIDR = input.nativeRoutingCidr ?? input.podCidr;
        values.autoDirectNodeRoutes = true;
    }

    Object.assign(values, ciliumFeatureValues(input));

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
 * Stated twice on purpose: pre-flight (scripts/plan/preflight/cni-checks.ts ONTO_PRIMARY) keeps its own list and
 * reads the rendered `cilium-config` ConfigMap, so a chart or builder change that breaks chaining is caught, not
 * inherited.
 */
export function chainsOntoPrimaryCni(mode: ChainingMode | undefined): boolean {
    return mode !== undefined && mode !== "portmap";
}

/** What the chaining rules look at: the modes, and whether kube-proxy replacement is on (not its address). */
export type ChainingProblemInput = Pick<CiliumValuesInput, "chaining" | "routingMode" | "ipamMode"> & { readonly kubeProxyReplacement: { readonly enabled: boolean } };

/** One reason a chaining input cannot work, under the Cilium key (relative to `cilium`) that causes it. */
export interface ChainingProblem {
    readonly key: "routingMode" | "ipamMode" | "chaining.routerCidr" | "chaining.target" | "chaining.mode";
    readonly message: string;
}

/**
 * Every reason this input cannot work in its chaining mode, each under its key — the one statement of the chaining
 * rules: the config layer reports them with key paths (config/rules.ts), CiliumInstall refuses the first.
 * Per the install guides (Documentation/installation/cni-chaining-*.rst at 1.16.19): generic-veth, aws-cni and
 * flannel keep the cluster's CNI primary (its IPAM, its routing); portmap keeps Cilium primary.
 */
export function chainingProblems(input: ChainingProblemInput): ChainingProblem[] {
    const chaining = input.chaining;
    if (!chaining) return [];
    const mode = chaining.mode;
    const problems: ChainingProblem[] = [];
    if (chainsOntoPrimaryCni(mode)) {
        if (input.routingMode !== "native") {
            problems.push({
                key: "routingMode",
                message: `"${input.routingMode}" cannot be used with chaining mode ${mode}: the primary CNI carries pod traffic between nodes and the chaining guides turn Cilium's tunnel off (routingMode=native)${mode === "flannel" ? "; flannel's own VXLAN also uses UDP 8472" : ""}. Remove routingMode (it defaults to native with chaining)`,
            });
        }
        if (input.ipamMode !== "cluster-pool") {
            // cilium/cilium#9590, #22286: the agent's router IP (cilium_host) would come from the node podCIDR the
            // primary CNI hands to pods, and sooner or later a pod gets the same address.
            problems.push({
                key: "ipamMode",
                message: `"${input.ipamMode}" cannot be used with chaining mode ${mode}: the agent would take its router IP (cilium_host) from the node podCIDR, which the primary CNI also hands to pods, so two users of one IP. Remove ipamMode (it defaults to cluster-pool over chaining.routerCidr with chaining)`,
            });
        }
        if (chaining.routerCidr === undefined) {
            problems.push({
                key: "chaining.routerCidr",
                message: `is required with chaining mode ${mode}: an IPv4 CIDR no pod, Service or node uses (e.g. 10.250.0.0/20), from which Cilium takes its own per-node addresses (a /${ROUTER_CIDR_NODE_MASK} per node for the cilium_host router IP) instead of the node podCIDR the primary CNI hands to pods`,
            });
        }
        if ((mode === "generic-veth" || mode === "flannel") && chaining.target === undefined) {
            problems.push({
                key: "chaining.target",
                message: `is required with chaining mode ${mode}: the "name" of the primary CNI's network in its conflist on the nodes (/etc/cni/net.d, e.g. "cbr0" for flannel); the agent copies that conflist, appends cilium-cni and keeps the name, so pods keep one IPAM store`,
            });
        }
        if (mode === "aws-cni" && chaining.target !== undefined) {
            problems.push({ key: "chaining.target", message: `is not used with chaining mode aws-cni (it implies the target "aws-cni"); remove it` });
        }
        return problems;
    }
    for (const key of ["target", "routerCidr"] as const) {
        if (chaining[key] !== undefined) {
            problems.push({ key: `chaining.${key}`, message: "is not used with chaining mode portmap (Cilium stays the primary CNI and writes its own conflist); remove it" });
        }
    }
    if (input.kubeProxyReplacement.enabled) {
        problems.push({
            key: "chaining.mode",
            message: "\"portmap\" chaining is for kubeProxyReplacement: false (cni-chaining-portmap.rst): with kube-proxy replacement Cilium implements HostPort itself. Remove chaining, or set kubeProxyReplacement: false",
        });
    }
    return problems;
}

/** The first chaining problem as one sentence naming the key, or undefined when the input can be rendered. */
export function chainingProblem(input: ChainingProblemInput): string | undefined {
    const [first] = chainingProblems(input);
    return first === undefined ? undefined : `Cilium chaining mode ${input.chaining!.mode}: ${first.key} ${first.message}`;
}

/**
 * The chart values of one chaining mode, after the Cilium 1.16 install guides:
 * - generic-veth (Documentation/installation/cni-chaining-generic-veth.rst): cni.chainingMode=generic-veth,
 *   routingMode=native, enableIPv4Masquerade=false; the conflist comes from cni.chainingTarget (below), not from the
 *   guide's hand-written cni-configuration ConfigMap, whose network name ("generic-veth") differs from the primary's;
 * - aws-cni (cni-chaining-aws-cni.rst): cni.chainingMode=aws-cni, cni.exclusive=false,
 *   enableIPv4Masquerade=false, routingMode=native, endpointRoutes.enabled=true;
 * - portmap (cni-chaining-portmap.rst): cni.chainingMode=portmap only; Cilium stays the primary CNI;
 * - flannel: no 1.16 guide; flannel encapsulates (VXLAN on 8472, Cilium's tunnel port too) and masquerades, so the
 *   same native-routing, no-masquerade settings apply, with chainingTarget as for generic-veth.
 * routingMode native without ipv4NativeRoutingCIDR is only accepted because masquerading is off (the agent wants the
 * CIDR only to know what not to masquerade); Cilium installs no node routes here (no autoDirectNodeRoutes).
 */
function chainingValues(chaining: ChainingInput): Record<string, unknown> {
    const mode = chaining.mode;
    if (!chainsOntoPrimaryCni(mode)) {
        return { cni: { chainingMode: mode } };
    }
    const cni: Record<string, unknown> = {
        chainingMode: mode,
        // Default true renames every other conflist in /etc/cni/net.d to *.cilium_bak (values.yaml cni.exclusive):
        // that would take the primary CNI's own config away, and a node without the agent would have no CNI at all.
        exclusive: false,
        // Keep 05-cilium.conflist when an agent stops (the chart default, values.yaml cni.uninstall: "Disable this to
        // prevent the CNI configuration file from being removed during agent upgrade"). With true, every agent
        // restart or upgrade removes it and the node flips to the primary's own conflist: pods created meanwhile are
        // not chained (no policy, no Hubble) until restarted. Cost: after Cilium is removed from a cluster the file
        // stays and names cilium-cni; docs/limitations.md gives the clean-up.
        // Pre-flight checks exclusive and uninstall again in the rendered ConfigMap (cni-checks.ts), on purpose.
        uninstall: false,
    };
    if (chaining.target !== undefined) {
        // The agent copies the conflist whose network "name" is the target, appends cilium-cni and writes it as
        // 05-cilium.conflist under the same name (daemon/cmd/cni/config.go mergeExistingCNIConfig/findCNINetwork;
        // values.yaml cni.chainingTarget, rendered as cni-chaining-target). Same name, same host-local store
        // (/var/lib/cni/networks/<name>): pods chained or not share one IPAM state. The chart renders
        // write-cni-conf-when-ready only with cni.customConf false (its default), which this needs.
        cni.chainingTarget = chaining.target;
    }
    const values: Record<string, unknown> = {
        routingMode: "native",
        enableIPv4Masquerade: false,
        cni,
    };
    if (mode === "aws-cni") {
        values.endpointRoutes = { enabled: true };
    }
    return values;
}

function ipamValues(input: CiliumValuesInput): Record<string, unknown> {
    if (input.ipamMode === "kubernetes") {
        return { mode: "kubernetes" };
    }
    if (input.chaining && chainsOntoPrimaryCni(input.chaining.mode)) {
        // Pods get their IPs from the primary CNI; the pool only serves the agent's own per-node addresses, from a
        // range no pod uses (chainingProblem requires routerCidr here).
        return { mode: "cluster-pool", operator: { clusterPoolIPv4PodCIDRList: [input.chaining.routerCidr], clusterPoolIPv4MaskSize: ROUTER_CIDR_NODE_MASK } };
    }
    // The chart default pool is 10.0.0.0/8; in cluster-pool mode Cilium ignores K3s' --cluster-cidr, so the
    // pool must be the cluster's pod CIDR to keep clusters in a mesh from overlapping.
    return { mode: "cluster-pool", operator: { clusterPoolIPv4PodCIDRList: [input.podCidr] } };
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
        ...(hubble.metrics ? { metrics: hubbleMetricsValues(hubble.metrics) } : {}),
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
