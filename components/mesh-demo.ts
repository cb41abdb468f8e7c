/**
 * Pure builders for the Cluster Mesh demo — the rebel-base / x-wing workloads of the Cilium guide, their global
 * Service and cross-cluster policy — and the `up`-time check that proves the mesh with them. Apart from the
 * product's global Services (mesh-services.ts): the demo is optional and nothing else depends on it.
 */
import { kubectlPrologue, scriptPreamble, shellQuote } from "../lib/shell";
import { sortKeysDeep } from "../lib/values-util";
import { crossClusterPolicy, GlobalServiceSpec, KubernetesObject } from "./mesh-services";

// ---------------------------------------------------------------------------------------------------------------
// The rebel-base / x-wing demo (Cilium docs, Cluster Mesh "Load-balancing with Global Services";
// cilium/cilium examples/kubernetes/clustermesh/global-service-example/cluster1.yaml).

/** Namespace of the demo in every mesh cluster. */
export const DEMO_NAMESPACE = "mesh-demo";
/** Images of the demo: nginx answering with a ConfigMap page; json-mock is the guide's client and carries curl. */
export const DEMO_IMAGES = {
    rebelBase: "docker.io/nginx:1.15.8",
    xWing: "quay.io/cilium/json-mock:v1.3.8@sha256:5aad04835eda9025fe4561ad31be77fd55309af8158ca8663a72f6abb78c2603",
} as const;

/** The global demo Service: rebel-base backends of every cluster. */
export function demoGlobalService(namespace: string = DEMO_NAMESPACE): GlobalServiceSpec {
    return { name: "rebel-base", namespace, ports: [{ port: 80 }], selector: { name: "rebel-base" }, affinity: "none", notSharedIn: [] };
}

/** The page rebel-base serves: JSON naming the cluster, which is how the verify step tells clusters apart. */
export function rebelBaseResponse(clusterName: string): string {
    return `${JSON.stringify({ Galaxy: "Alderaan", Cluster: clusterName })}\n`;
}

function demoDeployment(name: string, namespace: string, container: Record<string, unknown>, volumes?: unknown[]): KubernetesObject {
    return sortKeysDeep({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace, labels: { name } },
        spec: {
            replicas: 1,
            selector: { matchLabels: { name } },
            template: {
                metadata: { labels: { name } },
                spec: { containers: [container], ...(volumes ? { volumes } : {}) },
            },
        },
    });
}

/** The demo objects of one cluster: the response ConfigMap, rebel-base and x-wing. */
export function demoWorkloads(clusterName: string, namespace: string = DEMO_NAMESPACE): { configMap: KubernetesObject; rebelBase: KubernetesObject; xWing: KubernetesObject } {
    const curlProbe = { exec: { command: ["curl", "-sS", "-o", "/dev/null", "localhost"] } };
    return {
        configMap: sortKeysDeep({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "rebel-base-response", namespace },
            data: { message: rebelBaseResponse(clusterName) },
        }),
        rebelBase: demoDeployment(
            "rebel-base",
            namespace,
            {
                name: "rebel-base",
                image: DEMO_IMAGES.rebelBase,
                ports: [{ containerPort: 80 }],
                volumeMounts: [{ name: "html", mountPath: "/usr/share/nginx/html/" }],
                readinessProbe: { httpGet: { path: "/", port: 80 } },
            },
            [{ name: "html", configMap: { name: "rebel-base-response", items: [{ key: "message", path: "index.html" }] } }],
        ),
        xWing: demoDeployment("x-wing", namespace, { name: "x-wing-container", image: DEMO_IMAGES.xWing, readinessProbe: curlProbe, livenessProbe: curlProbe }),
    };
}

/** The demo's cross-cluster policy: x-wing in `from` may reach rebel-base in `to` (port 80) and DNS, nothing else. */
export function demoPolicy(from: string, to: string, namespace: string = DEMO_NAMESPACE): KubernetesObject {
    return crossClusterPolicy({
        name: "x-wing-to-rebel-base",
        namespace,
        from: { cluster: from, labels: { name: "x-wing" } },
        to: { cluster: to, labels: { name: "rebel-base" } },
        ports: [80],
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Verification

/** What the verify step of one cluster expects from the global service. */
export interface MeshVerifyInput {
    /** Cluster whose x-wing sends the requests. */
    readonly clusterName: string;
    /** Clusters that must answer at least once. */
    readonly expect: readonly string[];
    /** Clusters that must never answer (a policy denies them). @default - none */
    readonly forbid?: readonly string[];
    readonly namespace?: string;
    /** Requests per round. @default 10 */
    readonly requests?: number;
    /** Rounds before giving up; global services take a few seconds to sync. @default 12 */
    readonly rounds?: number;
}

/**
 * POSIX shell that curls the global rebel-base Service from x-wing until every expected cluster has answered,
 * failing if a forbidden one answers or the rounds run out. The kubeconfig comes from the environment (KUBECONFIG_ENV) and lives
 * only in a mode-600 temporary file removed on exit; it needs kubectl on the machine running Pulumi.
 */
/** Seconds the mesh check waits for the x-wing Deployment. */
const MESH_ROLLOUT_SECONDS = 300;
/** Seconds one request to the global service may take (curl --max-time in x-wing). */
const MESH_REQUEST_SECONDS = 3;
/** Seconds between rounds: global services take a few seconds to sync. */
const MESH_ROUND_PAUSE_SECONDS = 5;
/** Defaults of MeshVerifyInput. */
const MESH_VERIFY_DEFAULTS = { requests: 10, rounds: 12 } as const;

/**
 * Upper bound of the mesh check for `input`, in seconds: the rollout wait plus every round's requests and pause.
 * Each request's kubectl exec is counted as prompt (curl --max-time bounds the request itself): an API server that
 * stops answering can take each exec to KUBELOOM_KUBECTL_TIMEOUT, and then Pulumi's limit ends the check.
 */
export function meshVerifyMaxSeconds(input: MeshVerifyInput): number {
    const rounds = input.rounds ?? MESH_VERIFY_DEFAULTS.rounds;
    const requests = input.requests ?? MESH_VERIFY_DEFAULTS.requests;
    return MESH_ROLLOUT_SECONDS + rounds * (requests * MESH_REQUEST_SECONDS + MESH_ROUND_PAUSE_SECONDS);
}

export function meshVerifyScript(input: MeshVerifyInput): string {
    const namespace = input.namespace ?? DEMO_NAMESPACE;
    const requests = input.requests ?? MESH_VERIFY_DEFAULTS.requests;
    const rounds = input.rounds ?? MESH_VERIFY_DEFAULTS.rounds;
    const expect = input.expect.map(shellQuote).join(" ");
    const forbid = (input.forbid ?? []).map(shellQuote).join(" ");
    const where = `mesh verify (${input.clusterName})`;
    return [
        'kubeconfig=""',
        'cleanup() { [ -z "$kubeconfig" ] || rm -f "$kubeconfig"; }',
        ...scriptPreamble(where),
        ...kubectlPrologue("kubectl is not installed on the machine running Pulumi; install kubectl, or set verify: false in kubeloom:mesh"),
        `kn() { k --namespace ${shellQuote(namespace)} "$@"; }`,
        `kn rollout status deployment/x-wing --timeout=${MESH_ROLLOUT_SECONDS}s >/dev/null || fail ${shellQuote(`deployment x-wing in namespace ${namespace} did not become ready within ${MESH_ROLLOUT_SECONDS}s`)}`,
        'seen=""',
        "round=0",
        "while :; do",
        "  round=$((round + 1))",
        "  i=0",
        `  while [ "$i" -lt ${requests} ]; do`,
        "    i=$((i + 1))",
        `    answer=$(kn exec deployment/x-wing -- curl -sS --max-time ${MESH_REQUEST_SECONDS} http://rebel-base 2>/dev/null || true)`,
        `    cluster=$(printf '%s' "$answer" | sed -n 's/.*"Cluster": *"\\([^"]*\\)".*/\\1/p')`,
        '    [ -n "$cluster" ] || continue',
        '    case " $seen " in *" $cluster "*) ;; *) seen="$seen $cluster" ;; esac',
        "  done",
        ...(forbid
            ? [
                  `  for c in ${forbid}; do`,
                  '    case " $seen " in *" $c "*)',
                  `      fail "cluster $c answered although the cross-cluster policy should deny it (answers from:$seen)" ;;`,
                  "    esac",
                  "  done",
              ]
            : []),
        '  missing=""',
        `  for c in ${expect}; do`,
        '    case " $seen " in *" $c "*) ;; *) missing="$missing $c" ;; esac',
        "  done",
        '  if [ -z "$missing" ]; then',
        '    echo "$kubeloom_where: rebel-base answered from:$seen"',
        "    exit 0",
        "  fi",
        `  if [ "$round" -ge ${rounds} ]; then`,
        `    fail "after $((round * ${requests})) requests the global service was answered from:\${seen:- nowhere}; never from:$missing. Check 'cilium clustermesh status' and the clustermesh-apiserver Service address in each cluster."`,
        "  fi",
        `  sleep ${MESH_ROUND_PAUSE_SECONDS}`,
        "done",
        "",
    ].join("\n");
}
