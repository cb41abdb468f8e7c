/**
 * Pure builders for what runs on top of a Cluster Mesh: global Services (Cilium 1.16 annotations), cross-cluster
 * CiliumNetworkPolicies, the rebel-base / x-wing demo from the Cilium Cluster Mesh guide, and the shell script
 * that checks the demo from the machine running Pulumi.
 */
import { KUBECONFIG_ENV, kubectlPrologue, scriptPreamble, shellQuote } from "../lib/shell";
import { sortKeysDeep } from "../lib/values-util";

/** Cilium 1.16 global-service annotations (`service.cilium.io/*` only arrives in later releases). */
export const GLOBAL_SERVICE_ANNOTATION = "io.cilium/global-service";
export const SHARED_SERVICE_ANNOTATION = "io.cilium/shared-service";
export const SERVICE_AFFINITY_ANNOTATION = "io.cilium/service-affinity";
/** Endpoint label Cilium sets to the cluster name; selectors use it to name a cluster in policies. */
export const CLUSTER_LABEL = "io.cilium.k8s.policy.cluster";

/** A Service served by the backends of every mesh cluster. */
export interface GlobalServiceSpec {
    readonly name: string;
    readonly namespace: string;
    readonly ports: ReadonlyArray<{ readonly port: number; readonly targetPort?: number; readonly name?: string }>;
    readonly selector: Readonly<Record<string, string>>;
    /** Prefer local or remote backends, or none. */
    readonly affinity: "none" | "local" | "remote";
    /** Clusters whose backends are not offered to the others (they still use the others'). */
    readonly notSharedIn: readonly string[];
}

/** A Kubernetes object as the resource constructors take it. */
export interface KubernetesObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
    readonly spec?: Record<string, unknown>;
    readonly data?: Record<string, string>;
}

/**
 * The Service `svc` as declared in `clusterName`: a ClusterIP Service annotated as global, not shared where the
 * config says so, with the affinity when it is not the default `none`. The same name and namespace in every
 * cluster is what makes Cilium merge the backends.
 */
export function globalServiceManifest(svc: GlobalServiceSpec, clusterName: string): KubernetesObject {
    const annotations: Record<string, string> = { [GLOBAL_SERVICE_ANNOTATION]: "true" };
    if (svc.notSharedIn.includes(clusterName)) annotations[SHARED_SERVICE_ANNOTATION] = "false";
    if (svc.affinity !== "none") annotations[SERVICE_AFFINITY_ANNOTATION] = svc.affinity;
    const named = svc.ports.length > 1;
    return sortKeysDeep({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: svc.name, namespace: svc.namespace, annotations },
        spec: {
            type: "ClusterIP",
            selector: { ...svc.selector },
            ports: svc.ports.map((p) => ({
                // Kubernetes requires a name on every port once there is more than one.
                ...(p.name !== undefined ? { name: p.name } : named ? { name: `port-${p.port}` } : {}),
                port: p.port,
                targetPort: p.targetPort ?? p.port,
                protocol: "TCP",
            })),
        },
    });
}

/**
 * Logical names of the Services a MeshServices component `component` creates: `<component>-<namespace>-<name>` per
 * global Service, and the demo's. Distinct (namespace, name) pairs can give one name ("a-b"/"c", "a"/"b-c"): the
 * config rules reject that before two resources would share a URN.
 */
export function globalServiceResourceName(component: string, svc: { readonly namespace: string; readonly name: string }): string {
    return `${component}-${svc.namespace}-${svc.name}`;
}

/** Logical name of the demo's global Service in a MeshServices component. */
export function demoServiceResourceName(component: string): string {
    return `${component}-rebel-base-service`;
}

/** Endpoints in one cluster, by labels. */
export interface ClusterEndpoints {
    readonly cluster: string;
    readonly labels: Readonly<Record<string, string>>;
}

/** What a cross-cluster policy allows. */
export interface CrossClusterPolicySpec {
    readonly name: string;
    /** Namespace of the policy and of both endpoint sets. */
    readonly namespace: string;
    readonly from: ClusterEndpoints;
    readonly to: ClusterEndpoints;
    /** TCP ports allowed; @default - every port */
    readonly ports?: readonly number[];
}

/** Label selector for kube-dns (CoreDNS keeps the k8s-app=kube-dns label on kind and K3s). */
const KUBE_DNS_SELECTOR = { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" };

/**
 * A CiliumNetworkPolicy (cilium.io/v2) selecting `from` in its cluster and allowing egress to `to` in the other
 * cluster only, plus DNS to kube-dns: once any egress rule selects a pod, everything else is denied, name
 * lookups included. Apply it in the `from` cluster, where the egress is enforced. The chart ships no CRDs: the
 * Cilium operator creates them at run time, so this can only be applied after the Cilium release is ready.
 */
export function crossClusterPolicy(spec: CrossClusterPolicySpec): KubernetesObject {
    const target: Record<string, unknown> = { toEndpoints: [{ matchLabels: { ...spec.to.labels, [CLUSTER_LABEL]: spec.to.cluster } }] };
    if (spec.ports && spec.ports.length > 0) {
        target.toPorts = [{ ports: spec.ports.map((port) => ({ port: String(port), protocol: "TCP" })) }];
    }
    const describe = (e: ClusterEndpoints) => `${Object.entries(e.labels).map(([k, v]) => `${k}=${v}`).join(",")} in ${e.cluster}`;
    return sortKeysDeep({
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: { name: spec.name, namespace: spec.namespace },
        spec: {
            description: `Allow ${describe(spec.from)} to reach ${describe(spec.to)}, and DNS`,
            endpointSelector: { matchLabels: { ...spec.from.labels, [CLUSTER_LABEL]: spec.from.cluster } },
            egress: [
                target,
                {
                    toEndpoints: [{ matchLabels: { ...KUBE_DNS_SELECTOR } }],
                    toPorts: [
                        {
                            ports: [
                                { port: "53", protocol: "UDP" },
                                { port: "53", protocol: "TCP" },
                            ],
                            // Through Cilium's DNS proxy, so the names x-wing looks up are visible in Hubble.
                            rules: { dns: [{ matchPattern: "*" }] },
                        },
                    ],
                },
            ],
        },
    });
}

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

/** Environment variable that carries the kubeconfig (secret) into the verify script. */
export const VERIFY_KUBECONFIG_ENV = KUBECONFIG_ENV;

/**
 * POSIX shell that curls the global rebel-base Service from x-wing until every expected cluster has answered,
 * failing if a forbidden one answers or the rounds run out. The kubeconfig comes from the environment and lives
 * only in a mode-600 temporary file removed on exit; it needs kubectl on the machine running Pulumi.
 */
/** Bound on the whole mesh check: a 300 s rollout wait plus 12 rounds of 10 requests (≤ 3 s each) and 5 s pauses. */
export const MESH_VERIFY_TIMEOUT = "15m";

export function meshVerifyScript(input: MeshVerifyInput): string {
    const namespace = input.namespace ?? DEMO_NAMESPACE;
    const requests = input.requests ?? 10;
    const rounds = input.rounds ?? 12;
    const expect = input.expect.map(shellQuote).join(" ");
    const forbid = (input.forbid ?? []).map(shellQuote).join(" ");
    const where = `mesh verify (${input.clusterName})`;
    return [
        'kubeconfig=""',
        'cleanup() { [ -z "$kubeconfig" ] || rm -f "$kubeconfig"; }',
        ...scriptPreamble(where),
        ...kubectlPrologue("kubectl is not installed on the machine running Pulumi; install kubectl, or set verify: false in kubeloom:mesh"),
        `kn() { k --namespace ${shellQuote(namespace)} "$@"; }`,
        `kn rollout status deployment/x-wing --timeout=300s >/dev/null || fail ${shellQuote(`deployment x-wing in namespace ${namespace} did not become ready within 300s`)}`,
        'seen=""',
        "round=0",
        "while :; do",
        "  round=$((round + 1))",
        "  i=0",
        `  while [ "$i" -lt ${requests} ]; do`,
        "    i=$((i + 1))",
        '    answer=$(kn exec deployment/x-wing -- curl -sS --max-time 3 http://rebel-base 2>/dev/null || true)',
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
        "  sleep 5",
        "done",
        "",
    ].join("\n");
}
