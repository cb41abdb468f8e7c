/**
 * Pure builders for the tenant demo of seed 000: the Star Wars app of Cilium's getting-started guide (deathstar,
 * tiefighter, xwing; cilium/cilium examples/minikube/http-sw-app.yaml at v1.16.19) inside one vCluster, and the
 * `up`-time check seed 000 does by hand — a tiefighter (org=empire) lands on the Death Star, and, when the tenant's
 * policy guards the Death Star (README "Tenants", the deathstar-landing example), an xwing (org=alliance) is refused.
 */
import { kubectlPrologue, scriptPreamble, shellQuote } from "../lib/shell";
import { sortKeysDeep } from "../lib/values-util";
import { DEMO_IMAGES } from "./mesh-demo";
import type { KubernetesObject } from "./mesh-services";

/** The virtual namespace the demo runs in (the guide's). */
export const STARWARS_NAMESPACE = "default";

/** The guide's images: the Death Star API, and json-mock (which carries curl) for the ships. */
export const STARWARS_IMAGES = {
    deathstar: "quay.io/cilium/starwars:v2.1@sha256:833d915ec68fca3ce83668fc5dae97c455b2134d8f23ef96586f55b894cfb1e8",
    ship: DEMO_IMAGES.xWing,
} as const;

/** Labels of each demo workload, as the guide sets them (the tenant's policies select on them). */
export const STARWARS_LABELS = {
    deathstar: { org: "empire", class: "deathstar" },
    tiefighter: { org: "empire", class: "tiefighter" },
    xwing: { org: "alliance", class: "xwing" },
} as const;

/** What the Death Star answers a permitted landing request with (the starwars image's /v1/request-landing). */
export const SHIP_LANDED = "Ship landed";

/** The demo's objects in the tenant, to be created through a provider on the vCluster's kubeconfig. */
export function starwarsObjects(namespace: string = STARWARS_NAMESPACE): { deathstarService: KubernetesObject; deathstar: KubernetesObject; tiefighter: KubernetesObject; xwing: KubernetesObject } {
    const ship = (name: "tiefighter" | "xwing"): KubernetesObject =>
        sortKeysDeep({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace, labels: { ...STARWARS_LABELS[name], "app.kubernetes.io/name": name } },
            spec: { containers: [{ name: "spaceship", image: STARWARS_IMAGES.ship }] },
        });
    return {
        deathstarService: sortKeysDeep({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "deathstar", namespace, labels: { ...STARWARS_LABELS.deathstar } },
            spec: { type: "ClusterIP", ports: [{ port: 80 }], selector: { ...STARWARS_LABELS.deathstar } },
        }),
        deathstar: sortKeysDeep({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "deathstar", namespace, labels: { ...STARWARS_LABELS.deathstar } },
            spec: {
                replicas: 2,
                selector: { matchLabels: { ...STARWARS_LABELS.deathstar } },
                template: {
                    metadata: { labels: { ...STARWARS_LABELS.deathstar, "app.kubernetes.io/name": "deathstar" } },
                    spec: { containers: [{ name: "deathstar", image: STARWARS_IMAGES.deathstar }] },
                },
            },
        }),
        tiefighter: ship("tiefighter"),
        xwing: ship("xwing"),
    };
}

/** A tenant network policy as the verify step looks at it (config shape, config/shape/vcluster.ts). */
export interface DemoPolicyView {
    readonly namespace?: string;
    readonly podSelector: Readonly<Record<string, string>>;
    readonly ingress: ReadonlyArray<{ readonly fromPods?: Readonly<Record<string, string>>; readonly fromEntities?: readonly string[]; readonly fromNamespace?: string }>;
}

const matches = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * Whether the tenant's policies refuse an xwing at the Death Star: some policy selects the Death Star's pods and none
 * of the policies that select them admits the xwing (a `fromPods` it matches, in its namespace, or any entity).
 */
export function xwingRefused(policies: readonly DemoPolicyView[], namespace: string = STARWARS_NAMESPACE): boolean {
    const guarding = policies.filter((p) => (p.namespace === undefined || p.namespace === namespace) && matches(p.podSelector, STARWARS_LABELS.deathstar) && p.ingress.length > 0);
    if (guarding.length === 0) return false;
    return !guarding.some((p) => p.ingress.some((rule) => rule.fromEntities !== undefined || (rule.fromPods !== undefined && matches(rule.fromPods, STARWARS_LABELS.xwing) && (rule.fromNamespace === undefined || rule.fromNamespace === namespace))));
}

/** What the verify step of one tenant expects. */
export interface StarwarsVerifyInput {
    /** The tenant, for messages: `<cluster>/<vcluster>`. */
    readonly tenant: string;
    /** The xwing must be refused (the tenant's policy guards the Death Star) or must land too (no policy). */
    readonly xwing: "refused" | "landed";
    readonly namespace?: string;
}

/** Seconds the check waits for the Death Star and the ships. */
const STARWARS_READY_SECONDS = 300;
/** Seconds one landing request may take; a refused one (dropped by policy) runs into this. */
const STARWARS_REQUEST_SECONDS = 5;
/** Attempts of the tiefighter's landing: the first can race the policy's and the Service's propagation. */
const STARWARS_ATTEMPTS = 6;
/** Seconds between attempts. */
const STARWARS_PAUSE_SECONDS = 5;

/** Upper bound of the check in seconds: the waits, every attempt at its limit, and the xwing's request. */
export function starwarsVerifyMaxSeconds(): number {
    return 3 * STARWARS_READY_SECONDS + STARWARS_ATTEMPTS * (STARWARS_REQUEST_SECONDS + STARWARS_PAUSE_SECONDS) + STARWARS_REQUEST_SECONDS;
}

/**
 * POSIX shell run with kubectl on the vCluster's kubeconfig (from the environment; a mode-600 temp file removed on
 * every exit): waits for the Death Star and the ships, then expects "Ship landed" for the tiefighter and, per
 * `input.xwing`, a refused or a landed request for the xwing. Fails with one `kubeloom:` line.
 */
export function starwarsVerifyScript(input: StarwarsVerifyInput): string {
    const namespace = input.namespace ?? STARWARS_NAMESPACE;
    const land = (ship: string) => `kn exec ${ship} -- curl -sS --max-time ${STARWARS_REQUEST_SECONDS} -XPOST http://deathstar.${namespace}.svc.cluster.local/v1/request-landing 2>&1 || true`;
    return [
        'kubeconfig=""',
        'cleanup() { [ -z "$kubeconfig" ] || rm -f "$kubeconfig"; }',
        ...scriptPreamble(`star wars demo (${input.tenant})`),
        ...kubectlPrologue("kubectl is not installed on the machine running Pulumi; install kubectl, or set verify: false on this vCluster"),
        `kn() { k --namespace ${shellQuote(namespace)} "$@"; }`,
        `kn rollout status deployment/deathstar --timeout=${STARWARS_READY_SECONDS}s >/dev/null || fail ${shellQuote(`the deathstar Deployment did not become ready within ${STARWARS_READY_SECONDS}s`)}`,
        "for ship in tiefighter xwing; do",
        `  kn wait --for=condition=Ready "pod/$ship" --timeout=${STARWARS_READY_SECONDS}s >/dev/null || fail "pod $ship did not become ready within ${STARWARS_READY_SECONDS}s"`,
        "done",
        "attempt=0",
        "while :; do",
        "  attempt=$((attempt + 1))",
        `  answer=$(${land("tiefighter")})`,
        `  case "$answer" in *${shellQuote(SHIP_LANDED)}*) break ;; esac`,
        `  [ "$attempt" -lt ${STARWARS_ATTEMPTS} ] || fail "tiefighter (org=empire) was not allowed to land after ${STARWARS_ATTEMPTS} attempts: $(printf '%s' "$answer" | head -c 200)"`,
        `  sleep ${STARWARS_PAUSE_SECONDS}`,
        "done",
        `answer=$(${land("xwing")})`,
        ...(input.xwing === "refused"
            ? [`case "$answer" in *${shellQuote(SHIP_LANDED)}*) fail "xwing (org=alliance) landed, but the tenant's policy should refuse it" ;; esac`, 'echo "$kubeloom_where: tiefighter landed; xwing refused"']
            : [`case "$answer" in *${shellQuote(SHIP_LANDED)}*) ;; *) fail "xwing (org=alliance) was refused, but no tenant policy guards the Death Star: $(printf '%s' "$answer" | head -c 200)" ;; esac`, 'echo "$kubeloom_where: tiefighter and xwing landed (no policy guards the Death Star)"']),
        "",
    ].join("\n");
}
