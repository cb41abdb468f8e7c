/**
 * Pure builder of the `up`-time Cilium check: a POSIX sh script run on the machine running Pulumi with kubectl,
 * automating the manual checks of Documentation/network/kubernetes/kubeproxy-free.rst ("Validate the Setup"):
 * `cilium-dbg status` shows `KubeProxyReplacement: True`, no `KUBE-SVC` iptables rules remain, `cilium-dbg service
 * list` has the test Service's ClusterIP and NodePort entries, and both answer.
 *
 * The script never contains the kubeconfig: it arrives in the environment variable VERIFY_KUBECONFIG_ENV and is
 * written to a mode-600 temporary file that an EXIT trap removes, together with the test namespace.
 */
import { KUBECONFIG_ENV, kubectlPrologue, scriptPreamble, shellQuote } from "../lib/shell";
import { sortKeysDeep } from "../lib/values-util";

export { shellQuote } from "../lib/shell";

/** Environment variable that carries the kubeconfig (secret) into the scripts. */
export const VERIFY_KUBECONFIG_ENV = KUBECONFIG_ENV;

/** Image of the test server and client: busybox has both `httpd` and `wget`. */
export const DEFAULT_VERIFY_IMAGE = "busybox:1.36";

/** What the check needs to know about the cluster's Cilium. */
export interface CiliumVerifyInput {
    /** Cluster name, for messages. */
    readonly clusterName: string;
    /** Check KubeProxyReplacement: True, no KUBE-SVC rules and the NodePort entry (only when KPR is configured). */
    readonly kubeProxyReplacement: boolean;
    /** The agents' node selector: the test pods must run where Cilium runs. */
    readonly nodeSelector: Readonly<Record<string, string>>;
    /** The agents' tolerations, given to the test pods for the same reason. */
    readonly tolerations: ReadonlyArray<Readonly<Record<string, unknown>>>;
    /** Test image with `httpd` and `wget`. @default "busybox:1.36" */
    readonly image?: string;
    /** Seconds to wait for the agents and the test workload to become ready. @default 300 */
    readonly timeoutSeconds?: number;
    /** Tries per network check; Services take a moment to reach the datapath. @default 12 */
    readonly attempts?: number;
    /** Seconds between tries. @default 5 */
    readonly intervalSeconds?: number;
}

/** The test Deployment, NodePort Service and client Pod, as one compact JSON List (no namespace: kubectl -n sets it). */
export function verifyManifest(input: CiliumVerifyInput): string {
    const image = input.image ?? DEFAULT_VERIFY_IMAGE;
    const placement: Record<string, unknown> = {};
    if (Object.keys(input.nodeSelector).length > 0) placement.nodeSelector = { ...input.nodeSelector };
    if (input.tolerations.length > 0) placement.tolerations = input.tolerations.map((t) => ({ ...t }));
    // Compliant with the "restricted" Pod Security level, in case the cluster enforces it on new namespaces.
    const podSecurity = { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } };
    const containerSecurity = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
    const labels = { "app.kubernetes.io/name": "kubeloom-verify-echo" };
    const echo = {
        name: "echo",
        image,
        command: ["sh", "-c", "mkdir -p /tmp/www && echo kubeloom-verify > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"],
        ports: [{ containerPort: 8080 }],
        readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 },
        securityContext: containerSecurity,
    };
    const list = {
        apiVersion: "v1",
        kind: "List",
        items: [
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "echo", labels },
                spec: {
                    replicas: 1,
                    selector: { matchLabels: labels },
                    template: { metadata: { labels }, spec: { ...placement, securityContext: podSecurity, containers: [echo] } },
                },
            },
            {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "echo" },
                // A NodePort Service has a ClusterIP too: one Service checks both paths.
                spec: { type: "NodePort", selector: labels, ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }] },
            },
            {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "client" },
                spec: {
                    ...placement,
                    securityContext: podSecurity,
                    containers: [{ name: "client", image, command: ["sleep", "3600"], securityContext: containerSecurity }],
                },
            },
        ],
    };
    // One line: it goes into a quoted here-document, and a single JSON line can never equal the delimiter line.
    return JSON.stringify(sortKeysDeep(list));
}

/** Defaults of the check's waits and retries (CiliumVerifyInput). */
const VERIFY_DEFAULTS = { timeoutSeconds: 300, attempts: 12, intervalSeconds: 5 } as const;

/** Seconds one try of a retried check may take: the fetches bound theirs with `wget -T`. */
const FETCH_TIMEOUT_SECONDS = 5;

function verifySettings(input: CiliumVerifyInput): { timeout: number; attempts: number; interval: number } {
    return {
        timeout: input.timeoutSeconds ?? VERIFY_DEFAULTS.timeoutSeconds,
        attempts: input.attempts ?? VERIFY_DEFAULTS.attempts,
        interval: input.intervalSeconds ?? VERIFY_DEFAULTS.intervalSeconds,
    };
}

/**
 * Upper bound of the check script for `input`, in seconds: its three waits (DaemonSet, test Deployment, client
 * Pod: timeoutSeconds each) plus every try and pause of its retried checks (ClusterIP and NodePort entries in the
 * service table with kube-proxy replacement, the two fetches). The other kubectl calls and the tries themselves are
 * counted as prompt (one request each, wget -T for the fetches): an API server that stops answering can take each
 * request to KUBELOOM_KUBECTL_TIMEOUT, and then Pulumi's limit, not the script's, ends the check.
 */
export function ciliumVerifyMaxSeconds(input: CiliumVerifyInput): number {
    const { timeout, attempts, interval } = verifySettings(input);
    const retriedChecks = input.kubeProxyReplacement ? 4 : 3;
    return 3 * timeout + retriedChecks * attempts * (FETCH_TIMEOUT_SECONDS + interval);
}

/**
 * The check script. Each failed check prints one line `cilium verify (<cluster>): <what failed>` to stderr; the
 * script exits 1 when any failed, after all independent checks ran. Same input → byte-identical text.
 */
export function ciliumVerifyScript(input: CiliumVerifyInput): string {
    const { timeout, attempts, interval } = verifySettings(input);
    const where = `cilium verify (${input.clusterName})`;
    const selector = Object.keys(input.nodeSelector).length > 0 ? JSON.stringify(sortKeysDeep(input.nodeSelector)) : "(none)";
    const kpr = input.kubeProxyReplacement;
    return [
        ...cleanupLines(),
        ...scriptPreamble(where),
        ...kubectlPrologue(`kubectl is not installed on the machine running Pulumi; install kubectl, or set cilium.verify: false`),
        // Independent checks collect their problems; the script ends with one kubeloom line naming them all.
        'problems=""; failures=0; skipped=""',
        'check_failed() { failures=$((failures + 1)); problems="${problems:+$problems; }$*"; }',
        // retry CMD...: runs CMD until it succeeds, at most `attempts` times.
        `retry() { n=0; while ! "$@"; do n=$((n + 1)); [ "$n" -lt ${attempts} ] || return 1; sleep ${interval}; done; }`,
        // url_host ADDRESS: an IPv6 literal in brackets (RFC 3986), anything else as is.
        "url_host() { case \"$1\" in *:*) printf '[%s]' \"$1\" ;; *) printf '%s' \"$1\" ;; esac; }",
        "",
        "# 1. The agents run, on the selected nodes.",
        `k -n kube-system rollout status daemonset/cilium --timeout=${timeout}s >/dev/null 2>&1 || fail "the cilium DaemonSet did not become ready within ${timeout}s (kubectl -n kube-system get pods -l k8s-app=cilium -o wide)"`,
        `agents=$(k -n kube-system get pods -l k8s-app=cilium -o jsonpath='{range .items[*]}{.metadata.name}{"="}{.spec.nodeName}{"\\n"}{end}') || fail "cannot list the Cilium agent pods in kube-system"`,
        `[ -n "$agents" ] || fail ${shellQuote(`no Cilium agent runs: no node matches cilium.nodeSelector ${selector}; label the nodes or list them in cilium.chaining.nodes`)}`,
        'first_pod=""; first_node=""',
        "for agent in $agents; do",
        '  pod=${agent%%=*}; node=${agent#*=}',
        '  [ -n "$first_pod" ] || { first_pod=$pod; first_node=$node; }',
        ...(kpr
            ? [
                  "  # 2. kube-proxy replacement is on and kube-proxy is gone from this node.",
                  '  if status=$(k -n kube-system exec "$pod" -c cilium-agent -- cilium-dbg status 2>/dev/null); then',
                  "    line=$(printf '%s\\n' \"$status\" | grep '^KubeProxyReplacement:' || true)",
                  "    printf '%s' \"$line\" | grep -q '^KubeProxyReplacement:[[:space:]]*True' || check_failed \"node $node: cilium-dbg status shows '${line:-no KubeProxyReplacement line}', expected KubeProxyReplacement: True\"",
                  "  else",
                  '    check_failed "node $node: cilium-dbg status failed in pod $pod"',
                  "  fi",
                  // The agent runs in the host network namespace, so its iptables-save is the node's. A failed exec
                  // is a failed check; only a missing iptables-save is a skipped one, and is reported as SKIPPED.
                  "  if rules=$(k -n kube-system exec \"$pod\" -c cilium-agent -- sh -c 'command -v iptables-save >/dev/null 2>&1 || { echo unavailable; exit 0; }; iptables-save 2>/dev/null | grep -c KUBE-SVC || true' 2>/dev/null); then",
                  '    case "$rules" in',
                  '      unavailable) skipped="${skipped:+$skipped, }KUBE-SVC check on node $node (no iptables-save in pod $pod)" ;;',
                  "      0) ;;",
                  '      *) check_failed "node $node: $rules KUBE-SVC iptables rules, so kube-proxy still runs there; keep kube-proxy off the Cilium nodes (e.g. a nodeAffinity on its DaemonSet)" ;;',
                  "    esac",
                  "  else",
                  '    check_failed "node $node: cannot exec into pod $pod to count KUBE-SVC iptables rules"',
                  "  fi",
              ]
            : ["  : # kube-proxy replacement is off: nothing to check per agent"]),
        "done",
        "",
        "# 3. A test Service in a temporary namespace (removed by the EXIT trap).",
        'ns_name="kubeloom-verify-$$-$(date +%s)"',
        'k create namespace "$ns_name" >/dev/null || fail "cannot create a test namespace"',
        'ns=$ns_name',
        "k -n \"$ns\" apply -f - >/dev/null <<'KUBELOOM_MANIFEST' || fail \"cannot create the test Deployment, Service and Pod in namespace $ns\"",
        verifyManifest(input),
        "KUBELOOM_MANIFEST",
        `k -n "$ns" rollout status deployment/echo --timeout=${timeout}s >/dev/null 2>&1 || fail "the test Deployment did not become ready within ${timeout}s on the Cilium nodes (image ${input.image ?? DEFAULT_VERIFY_IMAGE} pullable? nodes schedulable?)"`,
        `k -n "$ns" wait --for=condition=Ready pod/client --timeout=${timeout}s >/dev/null 2>&1 || fail "the test client Pod did not become ready within ${timeout}s"`,
        "cluster_ip=$(k -n \"$ns\" get service echo -o jsonpath='{.spec.clusterIP}') || fail \"cannot read the test Service's ClusterIP\"",
        "node_port=$(k -n \"$ns\" get service echo -o jsonpath='{.spec.ports[0].nodePort}') || fail \"cannot read the test Service's NodePort\"",
        "client_node=$(k -n \"$ns\" get pod client -o jsonpath='{.spec.nodeName}') || fail \"cannot read the test client Pod's node\"",
        // A dual-stack node lists two InternalIPs; jsonpath joins them with a space. The first one is used.
        "node_ips=$(k get node \"$first_node\" -o jsonpath='{.status.addresses[?(@.type==\"InternalIP\")].address}') || fail \"cannot read the addresses of node $first_node\"",
        'node_ip=""; for address in $node_ips; do node_ip=$address; break; done',
        "",
        "# 4. Cilium's service table has the Service.",
        `services() { k -n kube-system exec "$first_pod" -c cilium-agent -- cilium-dbg service list 2>/dev/null; }`,
        'cluster_url_host=$(url_host "$cluster_ip")',
        "has_cluster_ip() { services | grep -F -q \"$cluster_url_host:80\"; }",
        'retry has_cluster_ip || check_failed "cilium-dbg service list in pod $first_pod has no ClusterIP entry $cluster_url_host:80"',
        ...(kpr
            ? [
                  "has_node_port() { services | grep -E -q \":$node_port[[:space:]]+NodePort\"; }",
                  'retry has_node_port || check_failed "cilium-dbg service list in pod $first_pod has no NodePort entry for port $node_port"',
              ]
            : []),
        "",
        "# 5. The Service answers through its ClusterIP and through a Cilium node's NodePort.",
        `fetch() { k -n "$ns" exec client -- wget -q -O- -T ${FETCH_TIMEOUT_SECONDS} "$1" 2>/dev/null | grep -q kubeloom-verify; }`,
        'retry fetch "http://$cluster_url_host:80/" || check_failed "ClusterIP $cluster_url_host:80 did not answer from a pod on node $client_node"',
        'node_url_host=$(url_host "$node_ip")',
        '[ -n "$node_ip" ] || check_failed "node $first_node has no InternalIP address to try the NodePort on"',
        '[ -z "$node_ip" ] || retry fetch "http://$node_url_host:$node_port/" || check_failed "NodePort $node_url_host:$node_port (node $first_node) did not answer from a pod on node $client_node"',
        "",
        '[ "$failures" -eq 0 ] || fail "$failures check(s) failed: $problems"',
        ...(kpr
            ? [
                  'if [ -n "$skipped" ]; then',
                  '  echo "$kubeloom_where: OK: KubeProxyReplacement True on every agent, ClusterIP $cluster_url_host:80 and NodePort $node_url_host:$node_port answered; SKIPPED: $skipped"',
                  "else",
                  '  echo "$kubeloom_where: OK: KubeProxyReplacement True on every agent, no KUBE-SVC rules, ClusterIP $cluster_url_host:80 and NodePort $node_url_host:$node_port answered"',
                  "fi",
              ]
            : ['echo "$kubeloom_where: OK: ClusterIP $cluster_url_host:80 and NodePort $node_url_host:$node_port answered"']),
        "",
    ].join("\n");
}

/** The EXIT handler: delete the test namespace (if one was created) and the kubeconfig file. */
function cleanupLines(): string[] {
    return [
        'kubeconfig=""; ns=""',
        "cleanup() {",
        '  if [ -n "$ns" ] && [ -n "$kubeconfig" ]; then kubectl --kubeconfig "$kubeconfig" delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; fi',
        '  [ -z "$kubeconfig" ] || rm -f "$kubeconfig"',
        "}",
    ];
}
