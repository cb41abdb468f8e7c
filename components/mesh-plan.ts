/**
 * The Cluster Mesh plan: which address each cluster's clustermesh-apiserver answers on, and which peers each
 * cluster dials. Pure: plain values in, plain values out, no resources.
 *
 * Why the addresses are planned, not discovered. `cilium clustermesh connect` reads each apiserver's address
 * after it exists, which ties cluster B's Cilium values to a resource of cluster A (and A's to B's): a cycle that
 * needs two passes. Here every address follows from the stack config alone:
 *   - LoadBalancer: `clustermesh.apiserverIP`, or the first address of the cluster's MetalLB pool, requested
 *     through MetalLB's annotation on the Service (port 2379, hard-coded in the chart's Service template);
 *   - NodePort: the node address (from config, or from the cluster source, e.g. the kind container) and a
 *     NodePort that differs per cluster (CLUSTERMESH_NODEPORT_BASE + the cluster's index in the mesh unless set; with kube-proxy
 *     replacement the same NodePort in two clusters breaks the connection, cilium#24692).
 * So all clusters' Cilium values can list all their peers in the same `pulumi up`, none waits for another
 * cluster, and adding a cluster at the end of the list changes only the existing clusters' peer lists (their
 * own address and port stay put). Inserting a cluster in the middle shifts the derived NodePorts of the ones
 * after it: append, or pin `clustermesh.nodePort`.
 *
 * The node address of a kind cluster is only known once the container exists; callers resolve such Inputs and
 * then call these functions with plain strings (see ClusterMesh.ts).
 */
import { addressRequest, DEFAULT_LOAD_BALANCER_PROVIDER, LoadBalancerProvider, METALLB_IPS_ANNOTATION } from "./load-balancer";
import { contains, intToIpv4, ipv4ToInt, isIpv4, parseAddressRange } from "../lib/cidr";
import { ownedValues } from "../lib/chart-values";
import { assertNever } from "../lib/assert-never";
import { DEFAULT_VERSIONS } from "./versions";
import { ciliumRelease, compareVersions } from "./support-matrix";
import { sortKeysDeep } from "../lib/values-util";

/** Port of the clustermesh-apiserver Service (hard-coded in the Service template of every chart in the matrix). */
export const CLUSTERMESH_APISERVER_PORT = 2379;

/** MetalLB's address-request annotation (components/load-balancer.ts). */
export const METALLB_IP_ANNOTATION = METALLB_IPS_ANNOTATION;

/**
 * How the clustermesh-apiserver certificates are issued. `helm`: the chart signs them with the shared CA given
 * as `tls.ca` whenever the release is installed or upgraded. See ClusterMesh.ts for why not `cronJob` or
 * certificates derived in the program.
 */
export const CLUSTERMESH_TLS_METHOD = "helm";

/** How peers reach a cluster's clustermesh-apiserver. */
export type MeshServiceType = "LoadBalancer" | "NodePort" | "ClusterIP";

/**
 * The first Cilium release whose chart can leave the clustermesh-apiserver Service to someone else
 * (`clustermesh.apiserver.service.externallyCreated`, templates/clustermesh-apiserver/service.yaml; absent up to
 * 1.18.12). A ClusterIP placement needs it: the chart has no `clusterIP` value, so Kubeloom creates the Service itself
 * with the pre-planned ClusterIP that peers dial.
 */
export const EXTERNAL_APISERVER_SERVICE_FROM = "1.19.0";

/** Cilium accepts only these two values, and every cluster of a mesh must use the same one. */
export type MaxConnectedClusters = 255 | 511;

/**
 * Where one member's clustermesh-apiserver answers, as the config layer resolved it (defaults included, see
 * config/resolve.ts `meshApiserver`): a LoadBalancer Service asking its load balancer for a pre-planned address, or
 * a NodePort on a node address. `Address` is a plain string here and may be a pulumi Input before the cluster exists.
 */
export type MeshApiserverPlacement<Address = string> =
    /** `provider`: which load balancer assigns the address. @default DEFAULT_LOAD_BALANCER_PROVIDER ("metallb", load-balancer.ts) */
    | { readonly type: "LoadBalancer"; readonly address: string; readonly provider?: LoadBalancerProvider }
    | { readonly type: "NodePort"; readonly nodeAddress: Address; readonly nodePort: number }
    /** `address`: the Service's fixed ClusterIP, inside the cluster's service CIDR; peers must be able to route to it. */
    | { readonly type: "ClusterIP"; readonly address: string };

/** One mesh member as the plan needs it; every value plain (resolve Outputs before calling). */
export interface MeshPlanMember {
    /** Cilium cluster.name. */
    readonly name: string;
    /** Cilium cluster.id. */
    readonly id: number;
    /** Where its clustermesh-apiserver answers. Every member of a mesh uses the same type. */
    readonly apiserver: MeshApiserverPlacement;
}

/** Everything the plan depends on. */
export interface MeshPlanInput {
    /** Members in mesh order. */
    readonly members: readonly MeshPlanMember[];
}

/** A clustermesh-apiserver endpoint. */
export interface MeshEndpoint {
    /** IPv4 address or DNS name. */
    readonly address: string;
    readonly port: number;
}

/** A peer as another cluster dials it. */
export interface MeshPeer extends MeshEndpoint {
    readonly name: string;
    readonly id: number;
}

/** The plan for one cluster. */
export interface MeshPlanEntry {
    readonly name: string;
    readonly id: number;
    /** How its clustermesh-apiserver Service is exposed (the member's placement). */
    readonly placement: MeshApiserverPlacement;
    /** Where this cluster's clustermesh-apiserver answers. */
    readonly apiserver: MeshEndpoint;
    /** Every other member exactly once, sorted by name. */
    readonly peers: readonly MeshPeer[];
}

/**
 * The address MetalLB would hand out first: the start of the first pool entry. A CIDR entry skips its network
 * address (a /24 pool that is the whole subnet must not give out .0); /31 and /32 entries have none to skip.
 */
export function firstPoolAddress(pool: readonly string[]): string {
    if (pool.length === 0) throw new Error("the MetalLB pool is empty");
    const parsed = parseAddressRange(pool[0]);
    if (typeof parsed === "string") throw new Error(`MetalLB pool entry "${pool[0]}" ${parsed}`);
    const isCidr = pool[0].includes("/");
    const size = parsed.last - parsed.first + 1;
    return intToIpv4(isCidr && size > 2 ? parsed.first + 1 : parsed.first);
}

/** True when `address` lies in one of the pool's entries. */
export function poolContains(pool: readonly string[], address: string): boolean {
    if (!isIpv4(address)) return false;
    const value = ipv4ToInt(address);
    return pool.some((entry) => {
        const parsed = parseAddressRange(entry);
        return typeof parsed !== "string" && contains(parsed, value);
    });
}

/** The endpoint peers dial for a placement. */
function endpointOf(placement: MeshApiserverPlacement): MeshEndpoint {
    switch (placement.type) {
        case "LoadBalancer":
        case "ClusterIP":
            return { address: placement.address, port: CLUSTERMESH_APISERVER_PORT };
        case "NodePort":
            return { address: placement.nodeAddress, port: placement.nodePort };
        default:
            return assertNever(placement);
    }
}

/** Code-unit order: the same on every machine and locale. */
function byName(a: { name: string }, b: { name: string }): number {
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The mesh plan: per member (in input order) its apiserver endpoint and every other member as a peer, exactly
 * once, sorted by name. Throws on duplicate names, ids or NodePorts, which would make two peers indistinguishable,
 * and on members of mixed placement types (Cilium's mesh needs one way for all; the config rules say so first).
 */
export function meshPlan(input: MeshPlanInput): MeshPlanEntry[] {
    const { members } = input;
    for (const [what, key] of [
        ["name", (m: MeshPlanMember) => m.name],
        ["id", (m: MeshPlanMember) => m.id],
        ["NodePort", (m: MeshPlanMember) => (m.apiserver.type === "NodePort" ? m.apiserver.nodePort : undefined)],
    ] as const) {
        const seen = new Set<unknown>();
        for (const member of members) {
            const value = key(member);
            if (value === undefined) continue;
            if (seen.has(value)) {
                throw new Error(`mesh members share the ${what} ${String(value)}${what === "NodePort" ? "; with kube-proxy replacement every cluster needs its own" : ""}`);
            }
            seen.add(value);
        }
    }
    const types = new Set(members.map((m) => m.apiserver.type));
    if (types.size > 1) throw new Error(`mesh members mix clustermesh-apiserver types (${[...types].sort().join(", ")}); every member must use the same`);
    const endpoints = members.map((member) => endpointOf(member.apiserver));
    const asPeer = (member: MeshPlanMember, index: number): MeshPeer => ({ name: member.name, id: member.id, ...endpoints[index] });
    return members.map((member, index) => ({
        name: member.name,
        id: member.id,
        placement: member.apiserver,
        apiserver: endpoints[index],
        peers: members
            .map((other, j) => (j === index ? undefined : asPeer(other, j)))
            .filter((peer): peer is MeshPeer => peer !== undefined)
            .sort(byName),
    }));
}

/** Options of one member's Cilium values fragment. */
export interface ClustermeshValuesOptions {
    /** `clustermesh.maxConnectedClusters`; identical in every cluster. */
    readonly maxConnectedClusters: MaxConnectedClusters;
    /** This member's Cilium chart version (a support-matrix release). @default DEFAULT_VERSIONS.cilium (components/versions.ts) */
    readonly ciliumVersion?: string;
}

/**
 * The leaf-certificate lifetime Kubeloom keeps on every Cilium version: the chart default up to 1.19 (values.yaml
 * clustermesh.apiserver.tls.auto.certValidityDuration: 1095). 1.20 lowers the default to 365, but with the `helm`
 * method the chart renews the certificates only when the release is rendered again (an upgrade), so a mesh whose
 * values did not change for a year would lose its connections; see ClusterMesh.ts for the renewal story.
 */
export const CLUSTERMESH_CERT_VALIDITY_DAYS = 1095;

/**
 * Where this Cilium version's chart reads the extra DNS names of the clustermesh-apiserver server certificate:
 * `clustermesh.apiserver.tls.server.extraDnsNames` up to 1.19; 1.20 moves it to `tls.auto.server.extraDnsNames`
 * (cilium@v1.20.0 templates/clustermesh-apiserver/_helpers.tpl server-dns-names still falls back to the old key,
 * but its values schema no longer lists it). Also whether certValidityDuration must be stated (1.20's default
 * is 365 days, see CLUSTERMESH_CERT_VALIDITY_DAYS).
 */
function clustermeshTlsLayout(ciliumVersion: string): { readonly dnsNamesUnderAuto: boolean; readonly pinValidity: boolean } {
    const release = ciliumRelease(ciliumVersion);
    if (!release) throw new Error(`Cluster Mesh: Cilium ${ciliumVersion} is not in the support matrix`);
    const from120 = compareVersions(release.version, "1.20.0") >= 0;
    return { dnsNamesUnderAuto: from120, pinValidity: from120 };
}

/**
 * One `clustermesh.config.clusters[]` entry. An IP becomes `ips`, so the agent dials `<name>.mesh.cilium.io` with
 * a host alias, which the chart's `*.mesh.cilium.io` server certificate SAN covers; a DNS name becomes `address`
 * (the peer adds it to its own certificate, see below). `port` has no chart default: always set.
 */
function peerConfigEntry(peer: MeshPeer): Record<string, unknown> {
    return isIpv4(peer.address) ? { name: peer.name, ips: [peer.address], port: peer.port } : { name: peer.name, address: peer.address, port: peer.port };
}

/**
 * The Cilium values keys of a mesh member (clustermeshCiliumValues, and the shared CA ClusterMesh adds), owned by
 * the `mesh` settings and the cluster's `clustermesh` placement (relative to the cluster).
 */
export const MESH_OWNED_VALUES = ownedValues("cilium", [
    { path: "clustermesh", use: "clustermesh (and the stack's mesh settings)" },
    { path: "tls.ca", use: "mesh (Kubeloom creates the shared mesh CA)" },
]);

/**
 * The Cilium Helm values that turn one cluster into a mesh member, without secret material (the shared CA goes in
 * `tls.ca` separately, see ClusterMesh.ts) and without `cluster.name`/`cluster.id` (the base values set them).
 * Keys checked against the chart schema of every Cilium release in the support matrix (the tests walk them) and
 * chart-facts.md §1.7; what differs by version is decided in clustermeshTlsLayout.
 */
export function clustermeshCiliumValues(entry: MeshPlanEntry, options: ClustermeshValuesOptions): Record<string, unknown> {
    const ciliumVersion = options.ciliumVersion ?? DEFAULT_VERSIONS.cilium;
    const layout = clustermeshTlsLayout(ciliumVersion);
    if (entry.placement.type === "ClusterIP" && compareVersions(ciliumVersion, EXTERNAL_APISERVER_SERVICE_FROM) < 0) {
        throw new Error(`Cluster Mesh: ${entry.name}'s ClusterIP clustermesh-apiserver needs Cilium ${EXTERNAL_APISERVER_SERVICE_FROM} or newer (clustermesh.apiserver.service.externallyCreated); it runs ${ciliumVersion}`);
    }
    const service = apiserverServiceValues(entry.placement);
    const auto: Record<string, unknown> = { enabled: true, method: CLUSTERMESH_TLS_METHOD };
    if (layout.pinValidity) auto.certValidityDuration = CLUSTERMESH_CERT_VALIDITY_DAYS;
    const tls: Record<string, unknown> = { auto };
    if (!isIpv4(entry.apiserver.address)) {
        // Peers dial this cluster by name (`address`), so its server certificate must carry that name.
        const server = { extraDnsNames: [entry.apiserver.address] };
        if (layout.dnsNamesUnderAuto) auto.server = server;
        else tls.server = server;
    }
    return sortKeysDeep({
        clustermesh: {
            useAPIServer: true,
            maxConnectedClusters: options.maxConnectedClusters,
            apiserver: { service, tls },
            config: { enabled: true, clusters: entry.peers.map(peerConfigEntry) },
        },
    });
}

/** The chart's `clustermesh.apiserver.service` values of a placement. */
function apiserverServiceValues(placement: MeshApiserverPlacement): Record<string, unknown> {
    switch (placement.type) {
        case "LoadBalancer":
            // The annotation, never also spec.loadBalancerIP: MetalLB refuses a Service that has both.
            return { type: "LoadBalancer", ...addressRequest(placement.provider ?? DEFAULT_LOAD_BALANCER_PROVIDER, placement.address) };
        case "NodePort":
            return { type: "NodePort", nodePort: placement.nodePort };
        case "ClusterIP":
            // Kubeloom creates the Service with the planned ClusterIP (clustermeshApiserverService); the chart's stays out.
            return { type: "ClusterIP", externallyCreated: true };
        default:
            return assertNever(placement);
    }
}

/**
 * The clustermesh-apiserver Service Kubeloom creates for a ClusterIP placement: what the chart's
 * templates/clustermesh-apiserver/service.yaml renders (1.19.6, 1.20.0: name, namespace, labels `k8s-app` /
 * `app.kubernetes.io/part-of` / `app.kubernetes.io/name`, selector `k8s-app: clustermesh-apiserver`, port 2379), with
 * `spec.clusterIP` fixed to the planned address, which the chart cannot set.
 */
export function clustermeshApiserverService(address: string): Record<string, unknown> {
    return sortKeysDeep({
        apiVersion: "v1",
        kind: "Service",
        metadata: {
            name: "clustermesh-apiserver",
            namespace: "kube-system",
            labels: { "k8s-app": "clustermesh-apiserver", "app.kubernetes.io/part-of": "cilium", "app.kubernetes.io/name": "clustermesh-apiserver" },
        },
        spec: { type: "ClusterIP", clusterIP: address, selector: { "k8s-app": "clustermesh-apiserver" }, ports: [{ port: CLUSTERMESH_APISERVER_PORT, protocol: "TCP" }] },
    });
}

/** Non-secret status of one mesh member for the stack output. */
export interface MeshSummaryEntry {
    readonly name: string;
    readonly id: number;
    readonly serviceType: MeshServiceType;
    readonly apiserverAddress: string;
    readonly apiserverPort: number;
    readonly peers: ReadonlyArray<{ readonly name: string; readonly address: string; readonly port: number }>;
}

/** The summary of a plan entry (what `pulumi stack output mesh` shows). */
export function meshSummary(entry: MeshPlanEntry): MeshSummaryEntry {
    return {
        name: entry.name,
        id: entry.id,
        serviceType: entry.placement.type,
        apiserverAddress: entry.apiserver.address,
        apiserverPort: entry.apiserver.port,
        peers: entry.peers.map((peer) => ({ name: peer.name, address: peer.address, port: peer.port })),
    };
}
