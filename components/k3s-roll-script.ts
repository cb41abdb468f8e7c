/**
 * Pure builders for the rolling-upgrade steps of a multi-node K3s cluster: before a node's installer re-runs with a
 * new version it is cordoned and drained, afterwards it must come back Ready on that version before it is uncordoned
 * and the next node starts. K3sHost chains these steps with dependsOn, one node at a time, servers first.
 *
 * The steps run on the first server with `k3s kubectl` and the server's own admin kubeconfig (root-only, read with
 * sudo): nothing needs kubectl or the kubeconfig on the machine running Pulumi, and the first server's own drain does
 * not wait for a kubeconfig read-back that itself waits for that server. Each step has a no-op `create` (a node being
 * installed for the first time has nothing to drain, and stays NotReady until Cilium runs) and the real work as its
 * `update`, whose text names the target version, so Pulumi runs it exactly when the version changes.
 *
 * POSIX sh, deterministic, no secrets; every wait is bounded and every failure is one `kubeloom: …` line naming the
 * node, which stops the roll there (the later steps depend on it).
 */
import { locateK3sBinary, preamble } from "./k3s-install-script";
import { shellQuote, timeLimit } from "../lib/shell";
import { nodeNameProblem } from "../lib/k8s-formats";

/** Production limits of the roll steps, in seconds (or attempts); each overridable by the variable in its comment. */
export const ROLL_TIME_LIMITS = {
    /** KUBELOOM_DRAIN_TIMEOUT: `kubectl drain --timeout` (evictions wait for PodDisruptionBudgets). */
    drain: 600,
    /** KUBELOOM_KUBECTL_TIMEOUT: each other kubectl request (--request-timeout). */
    kubectl: 60,
    /** KUBELOOM_NODE_READY_ATTEMPTS × KUBELOOM_NODE_READY_INTERVAL: the wait for Ready on the new version (5 minutes). */
    readyAttempts: 60,
    readyInterval: 5,
    /** KUBELOOM_NODE_READY_REQUEST_TIMEOUT: one node status request of that wait. */
    readyRequest: 10,
} as const;

/** Seconds `timeout` allows a kubectl call beyond its --request-timeout (process start, connection set-up). */
const KUBECTL_GRACE = 5;

/**
 * Upper bound of a drain step: the node lookup and cordon (each bounded by `timeout` at request timeout + grace)
 * and the drain (bounded at drain timeout + request timeout). What its Command's customTimeouts must allow. Seconds.
 */
export const DRAIN_MAX_SECONDS = 2 * (ROLL_TIME_LIMITS.kubectl + KUBECTL_GRACE) + ROLL_TIME_LIMITS.drain + ROLL_TIME_LIMITS.kubectl;

/** Upper bound of a ready step: every status poll (request + grace) and pause, then the uncordon. Seconds. */
export const READY_MAX_SECONDS =
    ROLL_TIME_LIMITS.readyAttempts * (ROLL_TIME_LIMITS.readyRequest + KUBECTL_GRACE + ROLL_TIME_LIMITS.readyInterval) + ROLL_TIME_LIMITS.kubectl + KUBECTL_GRACE;

/** Markers around the node name a node-name script prints (a chatty login shell may print around it). */
export const NODE_NAME_MARKER = "kubeloom-node-name=";

/** One node of the roll. */
export interface RollNode {
    /** The node's Kubernetes name (K3s registers the lowercased hostname, see nodeNameScript). */
    readonly nodeName: string;
    /** Its address in the config, for messages. */
    readonly host: string;
    /** K3s release it is upgraded to, e.g. "v1.29.8+k3s1"; the kubelet reports exactly this as its version. */
    readonly version: string;
}

/**
 * Prints the name this node registers under: K3s uses the lowercased hostname unless --node-name is set, which
 * Kubeloom never sets (k3s pkg/agent/config/config.go, getHostnameAndIPs: `name = strings.ToLower(hostname)`).
 */
export function buildNodeNameScript(): string {
    return [
        ...preamble("read the node name"),
        'name=$(hostname) || fail "hostname failed"',
        `printf '${NODE_NAME_MARKER}%s\\n' "$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]')"`,
        "",
    ].join("\n");
}

/** The node name from a node-name script's stdout (the last marker line). Throws when there is none. */
export function extractNodeName(stdout: string): string {
    const line = stdout
        .split(/\r?\n/)
        .reverse()
        .find((l) => l.startsWith(NODE_NAME_MARKER));
    const name = line?.slice(NODE_NAME_MARKER.length).trim() ?? "";
    if (nodeNameProblem(name) !== undefined) {
        throw new Error(`the node-name read printed no valid node name (got ${JSON.stringify(name)}); output: ${JSON.stringify(stdout.slice(0, 200))}`);
    }
    return name;
}

/** The `create` of a roll step: a first install has nothing to drain or wait for. */
export function buildRollStepCreateScript(step: "drain" | "ready", host: string): string {
    const what = step === "drain" ? "nothing to drain" : "it becomes Ready once Cilium runs on it";
    return [`#!/bin/sh`, `# Kubeloom: ${step} step of ${host}, first install. Generated; edit components/k3s-roll-script.ts instead.`, `echo ${shellQuote(`kubeloom: ${host} is installed, not upgraded: ${what}`)}`, ""].join("\n");
}

/**
 * Cordons and drains `node` before its upgrade to `node.version`. DaemonSet pods stay (Cilium must keep running);
 * emptyDir data is discarded; `--force` also evicts pods without a controller, which is what vCluster's synced
 * tenant pods look like on the host (their controllers inside the vCluster recreate them elsewhere) — without it
 * every node running a tenant pod would stop the roll. Evictions honour PodDisruptionBudgets, bounded by the drain
 * timeout; on failure the node stays cordoned and the roll stops.
 */
export function buildDrainScript(node: RollNode): string {
    requireNode(node);
    const who = `node ${node.nodeName} (${node.host})`;
    return [
        ...preamble(`drain ${who} before upgrading it to ${node.version}`),
        ...timeLimit("drain_timeout", "KUBELOOM_DRAIN_TIMEOUT", ROLL_TIME_LIMITS.drain),
        ...kubectlOnServer(),
        `node=${shellQuote(node.nodeName)}`,
        `k get node "$node" >/dev/null || fail ${shellQuote(`${who} is not in the cluster (or the API did not answer); the roll stops before upgrading it`)}`,
        `k cordon "$node" >/dev/null || fail ${shellQuote(`cannot cordon ${who}; the roll stops before upgrading it`)}`,
        `$SUDO timeout "$((drain_timeout + kubectl_timeout))" "$K3S_BIN" kubectl --request-timeout="\${kubectl_timeout}s" drain "$node" --ignore-daemonsets --delete-emptydir-data --force --timeout="\${drain_timeout}s" >/dev/null || fail "${who} was not drained within \${drain_timeout}s (a PodDisruptionBudget?); it stays cordoned and the roll stops before upgrading it"`,
        `echo ${shellQuote(`kubeloom: ${who} is cordoned and drained`)}`,
        "",
    ].join("\n");
}

/**
 * Waits (bounded) until `node` is Ready and its kubelet reports `node.version`, then uncordons it. On timeout the
 * node stays cordoned and the roll stops, naming the node and what it last reported.
 */
export function buildReadyScript(node: RollNode): string {
    requireNode(node);
    const who = `node ${node.nodeName} (${node.host})`;
    const jsonpath = '{.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}';
    return [
        ...preamble(`wait for ${who} to be Ready on ${node.version}`),
        ...timeLimit("ready_attempts", "KUBELOOM_NODE_READY_ATTEMPTS", ROLL_TIME_LIMITS.readyAttempts),
        ...timeLimit("ready_interval", "KUBELOOM_NODE_READY_INTERVAL", ROLL_TIME_LIMITS.readyInterval),
        ...timeLimit("ready_request", "KUBELOOM_NODE_READY_REQUEST_TIMEOUT", ROLL_TIME_LIMITS.readyRequest),
        ...kubectlOnServer(),
        `node=${shellQuote(node.nodeName)}`,
        `want=${shellQuote(`${node.version} True`)}`,
        "attempt=0",
        'seen=""',
        "while :; do",
        `    seen=$($SUDO timeout "$((ready_request + ${KUBECTL_GRACE}))" "$K3S_BIN" kubectl --request-timeout="\${ready_request}s" get node "$node" -o jsonpath=${shellQuote(jsonpath)} 2>/dev/null) || seen=""`,
        '    [ "$seen" = "$want" ] && break',
        "    attempt=$((attempt + 1))",
        '    if [ "$attempt" -ge "$ready_attempts" ]; then',
        `        fail "${who} is not Ready on ${node.version} after $ready_attempts checks every \${ready_interval}s (last seen: '\${seen:-no answer}'); it stays cordoned and the roll stops here; check 'journalctl -u k3s' / 'journalctl -u k3s-agent' on ${node.host}"`,
        "    fi",
        '    sleep "$ready_interval"',
        "done",
        `k uncordon "$node" >/dev/null || fail ${shellQuote(`${who} is Ready on ${node.version} but could not be uncordoned; the roll stops here`)}`,
        `echo ${shellQuote(`kubeloom: ${who} is Ready on ${node.version} and uncordoned`)}`,
        "",
    ].join("\n");
}

/** Upper bound of a removal step (drain: as a roll's drain step; forget: one request). Seconds. */
export const REMOVAL_MAX_SECONDS = DRAIN_MAX_SECONDS;

/**
 * The `delete` of a node's evict step, run on the first server before the node's uninstall when the node leaves the
 * config: cordon and drain it (as before an upgrade), so its pods move while it still runs. A node already gone from
 * the cluster is nothing to drain. On a drain that does not finish the removal stops, the node cordoned.
 */
export function buildEvictScript(nodeName: string, host: string): string {
    requireNode({ nodeName, host, version: "-" });
    const who = `node ${nodeName} (${host})`;
    return [
        ...preamble(`drain ${who} before removing it`),
        ...timeLimit("drain_timeout", "KUBELOOM_DRAIN_TIMEOUT", ROLL_TIME_LIMITS.drain),
        ...kubectlOnServer(),
        `node=${shellQuote(nodeName)}`,
        `k get node "$node" >/dev/null 2>&1 || { echo ${shellQuote(`kubeloom: ${who} is not in the cluster; nothing to drain`)}; exit 0; }`,
        `k cordon "$node" >/dev/null || fail ${shellQuote(`cannot cordon ${who}; it is not removed`)}`,
        `$SUDO timeout "$((drain_timeout + kubectl_timeout))" "$K3S_BIN" kubectl --request-timeout="\${kubectl_timeout}s" drain "$node" --ignore-daemonsets --delete-emptydir-data --force --timeout="\${drain_timeout}s" >/dev/null || fail "${who} was not drained within \${drain_timeout}s (a PodDisruptionBudget?); it stays cordoned and is not removed"`,
        `echo ${shellQuote(`kubeloom: ${who} is drained; it is uninstalled next`)}`,
        "",
    ].join("\n");
}

/**
 * The `delete` of a node's forget step, run on the first server after the node's uninstall: deletes its Node object
 * (K3s also removes a deleted server's etcd member), so no NotReady node stays behind.
 */
export function buildForgetScript(nodeName: string, host: string): string {
    requireNode({ nodeName, host, version: "-" });
    const who = `node ${nodeName} (${host})`;
    return [
        ...preamble(`delete the Node object of ${who}`),
        ...kubectlOnServer(),
        `k delete node ${shellQuote(nodeName)} --ignore-not-found >/dev/null || fail ${shellQuote(`cannot delete the Node object of ${who}; delete it with kubectl`)}`,
        `echo ${shellQuote(`kubeloom: the Node object of ${who} is deleted`)}`,
        "",
    ].join("\n");
}

/** The `create` of a removal step: nothing happens until the node leaves the config. */
export function buildRemovalStepCreateScript(step: "evict" | "forget", host: string): string {
    return [`#!/bin/sh`, `# Kubeloom: ${step} step of ${host}; it runs when ${host} is removed. Generated; edit components/k3s-roll-script.ts instead.`, "true", ""].join("\n");
}

/** `k`: the first server's own kubectl with its admin kubeconfig (root-only, hence sudo), bounded per request. */
function kubectlOnServer(): string[] {
    return [
        ...timeLimit("kubectl_timeout", "KUBELOOM_KUBECTL_TIMEOUT", ROLL_TIME_LIMITS.kubectl),
        ...locateK3sBinary(),
        '[ -x "$K3S_BIN" ] || fail "no k3s binary on this server (/usr/local/bin/k3s or /opt/bin/k3s); the roll steps run on the first server"',
        `k() { $SUDO timeout "$((kubectl_timeout + ${KUBECTL_GRACE}))" "$K3S_BIN" kubectl --request-timeout="\${kubectl_timeout}s" "$@"; }`,
    ];
}

function requireNode(node: RollNode): void {
    if (nodeNameProblem(node.nodeName) !== undefined) {
        throw new Error(`k3s roll: nodeName must be a Kubernetes node name (lowercase DNS subdomain), got ${JSON.stringify(node.nodeName)}`);
    }
    if (!/^\S+$/.test(node.version)) {
        throw new Error(`k3s roll: version must be a release like "v1.28.13+k3s1", got ${JSON.stringify(node.version)}`);
    }
    if (!/^[A-Za-z0-9.:-]+$/.test(node.host)) {
        // It lands inside double-quoted shell text: only address characters, so nothing in it is expanded.
        throw new Error(`k3s roll: host must be a DNS name or IP address, got ${JSON.stringify(node.host)}`);
    }
}
