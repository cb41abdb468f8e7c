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
 *     NodePort that differs per cluster (32379 + the cluster's index in the mesh unless set; with kube-proxy
 *     replacement the same NodePort in two clusters breaks the connection, cilium#24692).
 * So all clusters' Cilium values can list all their peers in the same `pulumi up`, none waits for another
 * cluster, and adding a cluster at the end of the list changes only the existing clusters' peer lists (their
 * own address and port stay put). Inserting a cluster in the middle shifts the derived NodePorts of the ones
 * after it: append, or pin `clustermesh.nodePort`.
 *
 * The node address of a kind cluster is only known once the container exists; callers resolve such Inputs and
 * then call these functions with plain strings (see ClusterMesh.ts).
 */
import { contains, intToIpv4, ipv4ToInt, isIpv4, parseAddressRange } from "../lib/cidr";
import { CLUSTERMESH_NODEPORT_BASE, DEFAULT_VERSIONS } from "./versions";
import { ciliumRelease, compareVersions } from "./support-matrix";
import { sortKeysDeep } from "../lib/values-util";

/** Port of the clustermesh-apiserver Service (hard-coded in the Service template of every chart in the matrix). */
export const CLUSTERMESH_APISERVER_PORT = 2379;

/** MetalLB's address-request annotation: the deprecated name both 0.14.9 and 0.16.1 still read (see vcluster-values.ts). */
export const METALLB_IP_ANNOTATION = "metallb.universe.tf/loadBalancerIPs";

/**
 * How the clustermesh-apiserver certificates are issued. `helm`: the chart signs them with the shared CA given
 * as `tls.ca` whenever the release is installed or upgraded. See ClusterMesh.ts for why not `cronJob` or
 * certificates derived in the program.
 */
export const CLUSTERMESH_TLS_METHOD = "helm";

/** How peers reach a cluster's clustermesh-apiserver. */
export type MeshServiceType = "LoadBalancer" | "NodePort";

/** Cilium accepts only these two values, and every cluster of a mesh must use the same one. */
export type MaxConnectedClusters = 255 | 511;

/** One mesh member as the plan needs it; every value plain (resolve Outputs before calling). */
export interface MeshPlanMember {
    /** Cilium cluster.name. */
    readonly name: string;
    /** Cilium cluster.id. */
    readonly id: number;
    /** MetalLB pool entries (CIDRs or `a.b.c.d-e.f.g.h` ranges). @default - none; required for LoadBalancer */
    readonly pool?: readonly string[];
    /** LoadBalancer IP of the clustermesh-apiserver. @default - the first address of `pool` */
    readonly apiserverIP?: string;
    /** NodePort of the clustermesh-apiserver. @default - 32379 + the member's index in the mesh */
    readonly nodePort?: number;
    /** Address peers dial with NodePort: an IPv4 address or a DNS name. @default - none; required for NodePort */
    readonly nodeAddress?: string;
}

/** Everything the plan depends on. */
export interface MeshPlanInput {
    readonly serviceType: MeshServiceType;
    /** Members in mesh order (the order decides the derived NodePorts). */
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
    readonly serviceType: MeshServiceType;
    /** Where this cluster's clustermesh-apiserver answers. */
    readonly apiserver: MeshEndpoint;
    /** The IP requested from MetalLB (LoadBalancer only). */
    readonly loadBalancerIP?: string;
    /** The Service NodePort (NodePort only). */
    readonly nodePort?: number;
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

/** The NodePort of the member at `index`: explicit, else 32379 + index. */
export function meshNodePort(index: number, explicit?: number): number {
    return explicit ?? CLUSTERMESH_NODEPORT_BASE + index;
}

/** Each member's own clustermesh-apiserver endpoint; throws on anything the config rules should have caught. */
function ownEndpoint(member: MeshPlanMember, index: number, serviceType: MeshServiceType): Omit<MeshPlanEntry, "peers" | "name" | "id" | "serviceType"> {
    if (serviceType === "LoadBalancer") {
        if (!member.pool || member.pool.length === 0) {
            throw new Error(`mesh member ${member.name}: serviceType LoadBalancer needs a MetalLB pool to take the clustermesh-apiserver address from`);
        }
        const ip = member.apiserverIP ?? firstPoolAddress(member.pool);
        if (!poolContains(member.pool, ip)) {
            throw new Error(`mesh member ${member.name}: clustermesh-apiserver address ${ip} is outside its MetalLB pool (${member.pool.join(", ")})`);
        }
        return { apiserver: { address: ip, port: CLUSTERMESH_APISERVER_PORT }, loadBalancerIP: ip };
    }
    if (!member.nodeAddress) {
        throw new Error(`mesh member ${member.name}: serviceType NodePort needs a node address peers can dial (clustermesh.nodeAddress)`);
    }
    const nodePort = meshNodePort(index, member.nodePort);
    return { apiserver: { address: member.nodeAddress, port: nodePort }, nodePort };
}

/** Code-unit order: the same on every machine and locale. */
function byName(a: { name: string }, b: { name: string }): number {
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The mesh plan: per member (in input order) its apiserver endpoint and every other member as a peer, exactly
 * once, sorted by name. Throws on duplicate names, ids or NodePorts, which would make two peers indistinguishable.
 */
export function meshPlan(input: MeshPlanInput): MeshPlanEntry[] {
    const { members, serviceType } = input;
    for (const [what, key] of [
        ["name", (m: MeshPlanMember) => m.name],
        ["id", (m: MeshPlanMember) => m.id],
    ] as const) {
        const seen = new Set<unknown>();
        for (const member of members) {
            if (seen.has(key(member))) throw new Error(`mesh members share the ${what} ${String(key(member))}`);
            seen.add(key(member));
        }
    }
    const endpoints = members.map((member, index) => ownEndpoint(member, index, serviceType));
    if (serviceType === "NodePort") {
        const ports = endpoints.map((e) => e.nodePort);
        const repeated = ports.find((port, i) => ports.indexOf(port) !== i);
        if (repeated !== undefined) {
            throw new Error(`mesh members share the NodePort ${repeated}; with kube-proxy replacement every cluster needs its own`);
        }
    }
    const asPeer = (member: MeshPlanMember, index: number): MeshPeer => ({
        name: member.name,
        id: member.id,
        address: endpoints[index].apiserver.address,
        port: endpoints[index].apiserver.port,
    });
    return members.map((member, index) => ({
        name: member.name,
        id: member.id,
        serviceType,
        ...endpoints[index],
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
 * The Cilium Helm values that turn one cluster into a mesh member, without secret material (the shared CA goes in
 * `tls.ca` separately, see ClusterMesh.ts) and without `cluster.name`/`cluster.id` (the base values set them).
 * Keys checked against the chart schema of every Cilium release in the support matrix (the tests walk them) and
 * chart-facts.md §1.7; what differs by version is decided in clustermeshTlsLayout.
 */
export function clustermeshCiliumValues(entry: MeshPlanEntry, options: ClustermeshValuesOptions): Record<string, unknown> {
    const layout = clustermeshTlsLayout(options.ciliumVersion ?? DEFAULT_VERSIONS.cilium);
    const service: Record<string, unknown> =
        entry.serviceType === "LoadBalancer"
            ? // The annotation, never also spec.loadBalancerIP: MetalLB refuses a Service that has both.
              { type: "LoadBalancer", annotations: { [METALLB_IP_ANNOTATION]: entry.loadBalancerIP } }
            : { type: "NodePort", nodePort: entry.nodePort };
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
        serviceType: entry.serviceType,
        apiserverAddress: entry.apiserver.address,
        apiserverPort: entry.apiserver.port,
        peers: entry.peers.map((peer) => ({ name: peer.name, address: peer.address, port: peer.port })),
    };
}
