/**
 * The K3s topology rules, stated once: 1, 3 or 5 servers; a registration address with several servers; "localhost"
 * only as a lone server, and then with a registration address when agents join; an SSH user for every node but a
 * local server; an SSH key when any node is remote. K3sHost refuses the first problem before any child exists; the
 * config rules (config/rules/source-rules.ts and the k3s source schema) give each problem its key path — the
 * pattern of `chainingProblems` in cilium-values.ts.
 */

import { isLoopbackHost } from "../lib/cidr";
import { quoteInput } from "../lib/user-input";

/** The host that means "this machine": the server is installed with a local command, not over SSH. */
export const LOCALHOST = "localhost";

/** Where a lone local server's API answers: K3s always puts 127.0.0.1 in its serving certificate. */
export const LOCAL_API_ADDRESS = "127.0.0.1";

/**
 * Where a K3s cluster answers, stated once for K3sHost (which installs it) and the resolved model (which the rules and
 * composition read). A registration address may be a load balancer in front of the API port only, so NodePorts are
 * dialled on the first server — except a local server, whose only address others can know is the registration address.
 */
export interface K3sAddresses {
    /** Where agents and joining servers register: registrationAddress, else the first server's host. */
    readonly registrationHost: string;
    /** The API address in the kubeconfig and for Cilium: registrationAddress, else the first server (127.0.0.1 for a lone "localhost" server). */
    readonly apiHost: string;
    /** Where NodePorts answer: the first server; for a "localhost" server its registrationAddress, else 127.0.0.1. */
    readonly nodeAddress: string;
    /** True when apiHost and nodeAddress are 127.0.0.1: a lone "localhost" server without registrationAddress, reachable from this machine only. */
    readonly thisMachineOnly: boolean;
}

/** The addresses of a K3s cluster from its servers (the first one decides) and its registration address. */
export function k3sAddresses(servers: ReadonlyArray<{ readonly host: string }>, registrationAddress: string | undefined): K3sAddresses {
    const first = servers[0]?.host ?? "";
    if (!isLoopbackHost(first)) return { registrationHost: registrationAddress ?? first, apiHost: registrationAddress ?? first, nodeAddress: first, thisMachineOnly: false };
    // A 127.x server is reached over SSH like any other, but it is this machine as much as "localhost" is.
    if (first !== LOCALHOST) return { registrationHost: registrationAddress ?? first, apiHost: registrationAddress ?? first, nodeAddress: registrationAddress ?? first, thisMachineOnly: registrationAddress === undefined };
    const local = registrationAddress ?? LOCAL_API_ADDRESS;
    return { registrationHost: registrationAddress ?? first, apiHost: local, nodeAddress: local, thisMachineOnly: registrationAddress === undefined };
}

/** Embedded etcd keeps quorum with an odd number of members; K3s's HA guide and this project support 1, 3 or 5. */
export const K3S_SERVER_COUNTS: readonly number[] = [1, 3, 5];

/** What the topology rules read: the nodes as given, the registration address, and whether an SSH key is set. */
export interface K3sTopologyInput {
    readonly servers: ReadonlyArray<{ readonly host: string; readonly user?: string }>;
    readonly agents: ReadonlyArray<{ readonly host: string; readonly user?: string }>;
    /** @default - none: the first server's host */
    readonly registrationAddress?: string;
    /** Whether an SSH private key is available (the config: a key path or the secret; the component: the key). */
    readonly hasSshKey: boolean;
}

/**
 * One topology problem. `key` is relative to the K3s source / K3sHost args: `servers`, `registrationAddress`,
 * `servers[1].host`, `agents[0].user`, `sshPrivateKey`.
 */
export interface K3sTopologyProblem {
    readonly key: string;
    readonly message: string;
}

/** Said after a loopback address other than the name itself: the rules for "localhost" hold for all of 127.0.0.0/8. */
function loopbackNote(host: string): string {
    return host === LOCALHOST ? "" : ` (a loopback address, like ${quoteInput(LOCALHOST)})`;
}

/** Every topology problem of a K3s node set, in a stable order (the count first). */
export function k3sTopologyProblems(topology: K3sTopologyInput): K3sTopologyProblem[] {
    const { servers, agents, registrationAddress } = topology;
    const problems: K3sTopologyProblem[] = [];
    if (!K3S_SERVER_COUNTS.includes(servers.length)) {
        problems.push({
            key: "servers",
            message: `has ${servers.length} servers; use 1, 3 or 5: embedded etcd needs a majority (${Math.floor(servers.length / 2) + 1} of ${servers.length}) to work, so an even count tolerates no more failures than one server fewer, and 2 servers tolerate none (docs.k3s.io/datastore/ha-embedded)`,
        });
    }
    if (servers.length > 1) {
        if (registrationAddress === undefined) {
            problems.push({ key: "registrationAddress", message: `is required with ${servers.length} servers: the fixed address (a VIP, DNS name or load balancer in front of the servers) that nodes join and kubeconfigs and Cilium use, so no single server is a point of failure` });
        }
        servers.forEach((s, i) => {
            if (isLoopbackHost(s.host)) problems.push({ key: `servers[${i}].host`, message: `cannot be ${quoteInput(s.host)}${loopbackNote(s.host)} with several servers: the other servers join it over the network; give its address` });
        });
    }
    if (registrationAddress !== undefined) {
        // Nodes join the registration address: it must be the servers' fixed address, reachable from every node.
        const key = (host: string) => host.toLowerCase().replace(/\.$/, "");
        const agent = agents.findIndex((a) => key(a.host) === key(registrationAddress));
        const laterServer = servers.findIndex((s, i) => i > 0 && key(s.host) === key(registrationAddress));
        if (isLoopbackHost(registrationAddress)) {
            problems.push({ key: "registrationAddress", message: `is ${quoteInput(registrationAddress)}, a loopback address (like ${quoteInput(LOCALHOST)}): every node would dial itself; give an address of the servers the nodes can reach` });
        } else if (agent >= 0) {
            problems.push({ key: "registrationAddress", message: `is agents[${agent}]'s host: an agent runs no API server or supervisor, so nothing could join; give the servers' VIP, load balancer or DNS name` });
        } else if (laterServer >= 0) {
            problems.push({ key: "registrationAddress", message: `is servers[${laterServer}]'s host, a server that itself joins through the registration address (only the first server initialises the cluster); give the servers' VIP, load balancer or DNS name` });
        }
    }
    if (servers.length === 1 && isLoopbackHost(servers[0].host) && agents.length > 0 && registrationAddress === undefined) {
        problems.push({
            key: "registrationAddress",
            message: `is required when host is ${quoteInput(LOCALHOST)} and there are agents: the address of this machine the agents join and Cilium's kube-proxy replacement dials; 127.0.0.1 works only on this machine`,
        });
    }
    servers.forEach((s, i) => {
        if (s.host !== LOCALHOST && !s.user) problems.push({ key: `servers[${i}].user`, message: `is required when host is not ${quoteInput(LOCALHOST)} (the SSH user, e.g. "ubuntu")` });
    });
    agents.forEach((a, i) => {
        if (!a.user) problems.push({ key: `agents[${i}].user`, message: "is required (no source.k3s.user to inherit)" });
        if (isLoopbackHost(a.host)) problems.push({ key: `agents[${i}].host`, message: `cannot be ${quoteInput(a.host)}${loopbackNote(a.host)}: agents join over SSH` });
    });
    if (!topology.hasSshKey && [...servers, ...agents].some((n) => n.host !== LOCALHOST)) {
        problems.push({ key: "sshPrivateKey", message: "is required to reach the nodes over SSH: set sshPrivateKeyPath, or the secret kubeloom:sshPrivateKey (`pulumi config set --secret kubeloom:sshPrivateKey < ~/.ssh/id_ed25519`)" });
    }
    return problems;
}
