/**
 * The one registry of ports, addresses and hosts a stack claims: every NodePort of every cluster (vClusters, Hubble
 * UI, the clustermesh-apiserver; derived defaults included), every host port Kubeloom binds (K3s API and SSH ports,
 * kind API server ports on the machine running Pulumi), the ports K3s and Cilium bind themselves, every
 * LoadBalancer address (vClusters, the clustermesh-apiserver's planned one), and every K3s host. Two claims on one
 * value in one scope are an error naming both keys. Pure: `portRegistry` lists the claims, `registryIssues`
 * checks any list of claims (property-tested on its own), `registryRules` is both for config/rules.ts.
 * Pre-flight's `node-port` check (scripts/plan/preflight/checks.ts) checks NodePorts again, on purpose, in the
 * rendered Services: the charts' own ports are only known there.
 */
import type { StackConfig } from "./schema";
import type { ConfigIssue } from "./config-error";
import { clustermeshNodePort, k3sNodes, meshApiserver, meshMembers, vclusterNodePort } from "./resolve";
import { resolvedLoadBalancer } from "./resolved-cluster";
import { isIpv4, isLoopbackHost, parseAddressRange } from "../lib/cidr";
import { NODE_PORT_RANGE } from "../lib/k8s-formats";
import { CLUSTERMESH_NODEPORT_BASE, VCLUSTER_NODEPORT_BASE } from "../components/versions";
import { DEFAULT_TUNNEL_PROTOCOL, HUBBLE_METRICS_PORT, TUNNEL_UDP_PORTS, WIREGUARD_UDP_PORT } from "../components/cilium-features";
import { chainsOntoPrimaryCni } from "../components/cilium-values";
import type { ClusterConfig } from "./schema";
import { installsCilium } from "./resolve";
import { quoteInput } from "../lib/user-input";
import { K3S_DEFAULT_API_PORT } from "../components/defaults";

/**
 * TCP ports K3s binds on a server, beside its API port (docs.k3s.io/installation/requirements, "Inbound Rules"
 * and "Local Ports", k3s-io/docs docs/installation/requirements.md), and that Cilium's host-network agent binds
 * (cilium/pkg/defaults/defaults.go ClusterHealthPort 4240, AgentHealthPort 9879; chart 1.16.19 values.yaml:1235
 * hubble.listenAddress ":4244", :2209 envoy healthPort 9878; templates/cilium-operator/deployment.yaml:187 9234 —
 * the same values in every chart of the support matrix, 1.17.18 to 1.20.0).
 * UDP ports are claimed apart (kind "udpPort", nodeUdpPorts below): the API port and SSH are TCP and cannot clash there.
 */
export const RESERVED_SERVER_PORTS: ReadonlyArray<{ readonly port: number; readonly what: string }> = [
    { port: 2379, what: "etcd client (K3s embedded etcd)" },
    { port: 2380, what: "etcd peer (K3s embedded etcd)" },
    { port: 2381, what: "etcd metrics (K3s)" },
    { port: 2382, what: "etcd legacy HTTP API (K3s)" },
    { port: 4240, what: "cilium-health" },
    { port: 4244, what: "Hubble server (Cilium agent)" },
    { port: 5001, what: "Spegel embedded registry (K3s)" },
    { port: 6444, what: "kube-apiserver local access (K3s runs the API server there behind its supervisor)" },
    { port: 9234, what: "cilium-operator health" },
    { port: 9878, what: "cilium-envoy health" },
    { port: 9879, what: "Cilium agent health" },
    { port: 10010, what: "containerd streaming (K3s)" },
    { port: 10248, what: "kubelet health" },
    { port: 10249, what: "kube-proxy metrics" },
    { port: 10250, what: "kubelet API" },
    { port: 10256, what: "kube-proxy health" },
    { port: 10257, what: "kube-controller-manager" },
    { port: 10258, what: "cloud-controller-manager" },
    { port: 10259, what: "kube-scheduler" },
];

/** What a claim is on: a NodePort, a TCP or UDP port of a host, a LoadBalancer address, a host (as a node). */
export type ClaimKind = "nodePort" | "hostPort" | "udpPort" | "address" | "host";

/**
 * The UDP ports Cilium binds on every node of a cluster, which the network between nodes (and, in a mesh, between
 * clusters) must let through: the tunnel's (VXLAN 8472 or Geneve 6081, tunnel mode only; components/cilium-features.ts
 * TUNNEL_UDP_PORTS) and WireGuard's 51871 (WIREGUARD_UDP_PORT). Native routing and chaining onto a primary CNI bind no
 * tunnel port.
 */
export function nodeUdpPorts(c: ClusterConfig): Array<{ readonly port: number; readonly what: string; readonly path: string }> {
    if (!installsCilium(c)) return [];
    const ports: Array<{ port: number; what: string; path: string }> = [];
    if (c.cilium.routingMode === "tunnel" && !chainsOntoPrimaryCni(c.cilium.chaining?.mode)) {
        const protocol = c.cilium.tunnelProtocol ?? DEFAULT_TUNNEL_PROTOCOL;
        ports.push({ port: TUNNEL_UDP_PORTS[protocol], what: `Cilium's ${protocol === "vxlan" ? "VXLAN" : "Geneve"} tunnel`, path: "cilium.tunnelProtocol" });
    }
    if (c.cilium.encryption?.type === "wireguard") ports.push({ port: WIREGUARD_UDP_PORT, what: "Cilium's WireGuard device", path: "cilium.encryption.type" });
    return ports;
}

/** One value a stack claims, in one scope, at one key (or reserved by K3s/Cilium, then `path` is undefined). */
export interface Claim {
    readonly kind: ClaimKind;
    /** Where the value must be unique: `cluster 0`, `mesh`, `host 192.0.2.10`, `stack`. */
    readonly scope: string;
    readonly value: string | number;
    /** The config key that sets (or, when derived, would set) the value; undefined for a reserved port. */
    readonly path?: string;
    /** What claims it, for the message: "vCluster vc-a", "kubelet API". */
    readonly what: string;
    /** False when the value is a default Kubeloom derived (the key is not set). */
    readonly explicit: boolean;
    /** The cluster the claim belongs to, for "a host in one cluster only". */
    readonly cluster?: number;
}

/** The machine-wide name of a host: lower case, no trailing dot; localhost and 127/8 are the machine running Pulumi. */
export function hostKey(host: string): string {
    return isLoopbackHost(host) ? "localhost" : host.toLowerCase().replace(/\.$/, "");
}

/** Every claim of the config, in config order (the first claim of a value owns it). */
export function portRegistry(config: StackConfig): Claim[] {
    const claims: Claim[] = [];
    const members = meshMembers(config);
    const mesh = config.mesh;
    config.clusters.forEach((c, i) => {
        const at = `clusters[${i}]`;
        const cluster = `cluster ${i}`;
        c.vclusters.forEach((vc, j) => {
            if (vc.expose === "NodePort") {
                claims.push({ kind: "nodePort", scope: cluster, value: vclusterNodePort(c, j), path: `${at}.vclusters[${j}].nodePort`, what: `the NodePort of vCluster ${vc.name}${vc.nodePort === undefined ? `, by default ${VCLUSTER_NODEPORT_BASE} + index ${j}` : ""}`, explicit: vc.nodePort !== undefined, cluster: i });
            }
        });
        if (c.cilium.hubble.ui && c.cilium.hubble.uiNodePort !== undefined) {
            claims.push({ kind: "nodePort", scope: cluster, value: c.cilium.hubble.uiNodePort, path: `${at}.cilium.hubble.uiNodePort`, what: "the Hubble UI NodePort", explicit: true, cluster: i });
        }
        const m = members.indexOf(c);
        if (m >= 0 && mesh?.serviceType === "NodePort") {
            const port = clustermeshNodePort(c, m);
            const explicit = c.clustermesh?.nodePort !== undefined;
            const what = `the clustermesh-apiserver NodePort of ${c.name}${explicit ? "" : `, by default ${CLUSTERMESH_NODEPORT_BASE} + mesh index ${m}`}`;
            claims.push({ kind: "nodePort", scope: cluster, value: port, path: `${at}.clustermesh.nodePort`, what, explicit, cluster: i });
            // With kube-proxy replacement the same NodePort in two clusters breaks the connection (cilium#24692).
            claims.push({ kind: "nodePort", scope: "mesh", value: port, path: `${at}.clustermesh.nodePort`, what, explicit, cluster: i });
        }
        // LoadBalancer addresses: the vClusters', then the one the mesh plan reserves for the clustermesh-apiserver.
        c.vclusters.forEach((vc, j) => {
            if (vc.expose === "LoadBalancer" && vc.loadBalancerIP !== undefined) {
                claims.push({ kind: "address", scope: cluster, value: vc.loadBalancerIP, path: `${at}.vclusters[${j}].loadBalancerIP`, what: `the LoadBalancer address of vCluster ${vc.name}`, explicit: true, cluster: i });
            }
        });
        const gateway = c.cilium.gatewayAPI?.enabled ? c.cilium.gatewayAPI.gateway : undefined;
        if (gateway) {
            claims.push({ kind: "address", scope: cluster, value: gateway.address, path: `${at}.cilium.gatewayAPI.gateway.address`, what: `the LoadBalancer address of Gateway ${gateway.namespace}/${gateway.name}`, explicit: true, cluster: i });
        }
        // The planned address (config/resolve.ts meshApiserver), once it can be derived: an explicit address, or a pool
        // whose first entry parses (a broken pool has its own issue).
        // Either pool (MetalLB or Cilium LB-IPAM), read from the same resolved load balancer as meshApiserver.
        const lb = resolvedLoadBalancer(c);
        const pool = lb.type === "none" ? [] : lb.addresses;
        const derivable = c.clustermesh?.apiserverIP !== undefined || (pool.length > 0 && typeof parseAddressRange(pool[0]) !== "string");
        const placement = m >= 0 && mesh?.serviceType === "LoadBalancer" && derivable ? meshApiserver(config, c, m) : undefined;
        if (placement?.type === "LoadBalancer") {
            const explicit = c.clustermesh?.apiserverIP !== undefined;
            const what = `the clustermesh-apiserver address of ${c.name}${explicit ? "" : `, by default the first address of ${lb.type === "none" ? "loadBalancer.metallb.addresses" : lb.key}[0], which Kubeloom reserves`}`;
            claims.push({ kind: "address", scope: cluster, value: placement.address, path: `${at}.clustermesh.apiserverIP`, what, explicit, cluster: i });
            claims.push({ kind: "address", scope: "mesh", value: placement.address, path: `${at}.clustermesh.apiserverIP`, what, explicit, cluster: i });
        }
        // Host ports: a K3s server's API and SSH ports beside what K3s and Cilium bind there; kind API server ports
        // on the machine running Pulumi (kind publishes them on 127.0.0.1).
        const k3s = c.source.k3s;
        if (k3s) {
            const { servers, agents } = k3sNodes(k3s, `${at}.source.k3s`);
            for (const node of servers) {
                const server = `host ${hostKey(node.host)}`;
                for (const reserved of RESERVED_SERVER_PORTS) {
                    claims.push({ kind: "hostPort", scope: server, value: reserved.port, what: `reserved: ${reserved.what}`, explicit: true, cluster: i });
                }
                if (installsCilium(c) && c.cilium.hubble.metrics) {
                    // The agent runs on the host network: its metrics server takes the port on every node (values.yaml hubble.metrics.port).
                    claims.push({ kind: "hostPort", scope: server, value: HUBBLE_METRICS_PORT, what: "reserved: Hubble metrics server (Cilium agent, with cilium.hubble.metrics)", explicit: true, cluster: i });
                }
                claims.push({ kind: "hostPort", scope: server, value: k3s.apiPort, path: `${at}.source.k3s.apiPort`, what: `the K3s API port of ${c.name}`, explicit: true, cluster: i });
                if (hostKey(node.host) !== "localhost") {
                    // The SSH port's key: source.k3s.port for the `host` shorthand, servers[n].port otherwise.
                    claims.push({ kind: "hostPort", scope: server, value: node.port, path: node.path.replace(/\.host$/, ".port"), what: `the SSH port of ${c.name}'s server`, explicit: true, cluster: i });
                }
            }
            [...servers, ...agents].forEach((node) => {
                claims.push({ kind: "host", scope: "stack", value: hostKey(node.host), path: node.path, what: `a node of ${c.name}`, explicit: true, cluster: i });
                for (const udp of nodeUdpPorts(c)) {
                    claims.push({ kind: "udpPort", scope: `host ${hostKey(node.host)}`, value: udp.port, path: `${at}.${udp.path}`, what: `UDP ${udp.port}: ${udp.what}`, explicit: true, cluster: i });
                }
            });
            // The registration address (a VIP or load balancer in front of the servers) is this cluster's too: another
            // cluster's node or registration address there would join the wrong cluster. Within the cluster it may be
            // the first server's own address (config/rules.ts k3sTopology says which nodes it may not be).
            if (k3s.registrationAddress !== undefined) {
                claims.push({ kind: "host", scope: "stack", value: hostKey(k3s.registrationAddress), path: `${at}.source.k3s.registrationAddress`, what: `the registration address of ${c.name}`, explicit: true, cluster: i });
            }
        }
        const kind = c.source.kind;
        if (kind?.apiServerPort !== undefined) {
            claims.push({ kind: "hostPort", scope: "host localhost", value: kind.apiServerPort, path: `${at}.source.kind.apiServerPort`, what: `the kind API server port of ${c.name}`, explicit: true, cluster: i });
        }
    });
    return claims;
}

function describe(claim: Claim): string {
    return claim.path ? `${claim.path} (${claim.what})` : claim.what;
}

function collisionMessage(kind: ClaimKind, value: string | number, other: Claim, sameCluster: boolean): string {
    switch (kind) {
        case "nodePort":
            return `${value} is also ${describe(other)}; ${other.scope === "mesh" ? "with kube-proxy replacement each mesh cluster needs its own clustermesh-apiserver NodePort (cilium#24692)" : "each NodePort of a cluster must be unique"}: pick a free port in ${NODE_PORT_RANGE.first}-${NODE_PORT_RANGE.last}`;
        case "hostPort":
            return `${value} is also ${describe(other)} on the same machine; pick a free port`;
        case "udpPort":
            return `UDP ${value} is also ${describe(other)} on the same machine`;
        case "address":
            return `${quoteInput(value)} is also ${describe(other)}; each LoadBalancer Service needs its own address`;
        case "host":
            if (other.path?.endsWith(".registrationAddress")) return `${quoteInput(value)} is also ${describe(other)}: a host can be in one cluster only, and nodes registering there would join ${other.what.replace("the registration address of ", "")}`;
            return sameCluster
                ? `${quoteInput(value)} is also ${other.path}; each node is installed once`
                : `${quoteInput(value)} is also ${describe(other)}: a host can be in one cluster only (a second K3s install reconfigures the first cluster's K3s, and destroying either uninstalls both)`;
    }
}

/** Collisions (two claims on one value in one scope) and out-of-range values, each with both keys named. */
export function registryIssues(claims: readonly Claim[]): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const owners = new Map<string, Claim>();
    for (const claim of claims) {
        if (claim.kind === "nodePort" && claim.scope !== "mesh" && (Number(claim.value) < NODE_PORT_RANGE.first || Number(claim.value) > NODE_PORT_RANGE.last)) {
            issues.push({ path: claim.path ?? "(root)", message: `${claim.what} is ${claim.value}, outside the NodePort range ${NODE_PORT_RANGE.first}-${NODE_PORT_RANGE.last}; set a free NodePort explicitly` });
        }
        if (claim.kind === "hostPort" && claim.path?.endsWith(".apiPort") && Number(claim.value) >= NODE_PORT_RANGE.first && Number(claim.value) <= NODE_PORT_RANGE.last) {
            issues.push({ path: claim.path, message: `${claim.value} is inside the NodePort range ${NODE_PORT_RANGE.first}-${NODE_PORT_RANGE.last}: a NodePort Service on that port would take the API server's traffic (Cilium serves NodePorts on every node address); use ${K3S_DEFAULT_API_PORT} or another port below ${NODE_PORT_RANGE.first}` });
        }
        const key = `${claim.kind}\u0000${claim.scope}\u0000${claim.value}`;
        const owner = owners.get(key);
        if (!owner) {
            owners.set(key, claim);
            continue;
        }
        // A node runs one Cilium agent, so one UDP port on a host twice means a host listed twice, which the host rule
        // reports; the UDP claims are there to say which ports the nodes' network must let through.
        if (claim.kind === "udpPort") continue;
        // A registration address and a node of the same cluster: k3sTopology's (it may be the first server).
        if (claim.kind === "host" && claim.cluster === owner.cluster && [claim, owner].some((c) => c.path?.endsWith(".registrationAddress"))) continue;
        // Two K3s clusters on one host: the host rule reports it once, not again for each port they share.
        if (claim.kind === "hostPort" && claim.cluster !== owner.cluster && owner.path?.includes(".source.k3s.") && claim.path?.includes(".source.k3s.")) continue;
        // Report at the key the user set: the later claim, unless only the earlier one is explicit.
        const [reportAt, other] = claim.path && (claim.explicit || !owner.explicit || !owner.path) ? [claim, owner] : [owner, claim];
        if (!reportAt.path) continue;
        issues.push({ path: reportAt.path, message: collisionMessage(claim.kind, claim.value, other, claim.cluster === owner.cluster) });
    }
    return issues;
}

/** The registry's rule for config/rules.ts. */
export function registryRules(config: StackConfig): ConfigIssue[] {
    return registryIssues(portRegistry(config));
}
