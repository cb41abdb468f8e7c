/**
 * The human summary `npm run plan -- <stack>` prints by default: per cluster the source and versions, the nodes,
 * Cilium with its modes, the load balancer, tenants and their endpoints; the mesh links; pre-flight findings; the
 * kubeconfig contexts the stack outputs; the next commands. Short by construction (long lists are cut with a
 * count) and deterministic. Pure: a function of the platform view and the plan.
 */
import type { OfflinePlan } from "./offline-plan";
import type { Finding } from "./preflight/model";
import { ClusterView, PlatformView, viewContexts } from "./platform-view";

/** Tenants listed per cluster before "… and N more"; keeps a 200-tenant stack's summary one screen. */
export const TENANTS_SHOWN = 8;
/** Nodes listed per cluster before "… and N more". */
export const NODES_SHOWN = 5;
/** Pre-flight findings listed before "… and N more". */
export const FINDINGS_SHOWN = 10;

/** What the summary needs beside the view. */
export interface PlanSummaryInput {
    readonly view: PlatformView;
    readonly plan: OfflinePlan;
    /** Pre-flight findings when the plan was rendered (`--render`), else undefined. */
    readonly preflight?: readonly Finding[];
    /** How the stack was named on the command line, for the next commands (`dev`, `seed --config examples/…`). */
    readonly stackArgs: string;
}

function ciliumLine(cluster: ClusterView): string {
    const cilium = cluster.cilium;
    if (!cilium) return "not installed by this stack (another stack owns it)";
    const parts = [
        cilium.version,
        cilium.kubeProxyReplacement ? "kube-proxy replacement" : "with kube-proxy",
        ...(cilium.chaining ? [`chained (${cilium.chaining})`] : []),
        `${cilium.routingMode} routing`,
        `IPAM ${cilium.ipamMode}`,
        cilium.hubble.relay || cilium.hubble.ui ? `Hubble ${[cilium.hubble.relay ? "relay" : "", cilium.hubble.ui ? "UI" : ""].filter(Boolean).join(" + ")}` : "Hubble off",
    ];
    return parts.join(" · ");
}

function limited<T>(items: readonly T[], shown: number, line: (item: T) => string, more: (n: number) => string): string[] {
    const lines = items.slice(0, shown).map(line);
    if (items.length > shown) lines.push(more(items.length - shown));
    return lines;
}

/** Two-column rows: a label padded to one width, continuation lines indented under the value. */
function rows(label: string, values: readonly string[]): string[] {
    const pad = "  " + " ".repeat(11);
    return values.map((value, i) => (i === 0 ? `  ${label.padEnd(11)}${value}` : `${pad}${value}`));
}

function clusterLines(cluster: ClusterView): string[] {
    const created = cluster.source.created ? `, created by Kubeloom${cluster.source.type === "k3s" ? " over SSH" : ""}` : "";
    const lines = [`cluster ${cluster.name} (id ${cluster.id}) · ${cluster.source.what}${created}`];
    lines.push(...rows("API", [cluster.apiEndpoint ?? "known after deploy"]));
    if (cluster.nodes.length > 0) {
        lines.push(
            ...rows(
                "nodes",
                limited(
                    cluster.nodes,
                    NODES_SHOWN,
                    (n) => `${n.role} ${n.name}${n.ssh ? ` (ssh ${n.ssh})` : ""}`,
                    (n) => `… and ${n} more`,
                ),
            ),
        );
    }
    lines.push(...rows("CIDRs", [`pods ${cluster.podCidr} · services ${cluster.serviceCidr}`]));
    lines.push(...rows("Cilium", [ciliumLine(cluster)]));
    if (cluster.loadBalancer) {
        lines.push(...rows("LB", [`${cluster.loadBalancer.type === "metallb" ? "MetalLB" : "Cilium LB-IPAM"} pool ${cluster.loadBalancer.addresses.join(", ")}`]));
    }
    if (cluster.tenants.length > 0) {
        const width = Math.max(...cluster.tenants.slice(0, TENANTS_SHOWN).map((t) => t.name.length));
        lines.push(
            ...rows(
                "tenants",
                limited(
                    cluster.tenants,
                    TENANTS_SHOWN,
                    (t) =>
                        [
                            `${t.name.padEnd(width)}  vCluster ${t.version}`,
                            `${t.expose}${t.endpoint ? ` ${t.endpoint}` : " (address known after deploy)"}`,
                            t.isolated ? "isolated" : "NOT isolated",
                            t.podSecurityStandard,
                            ...(t.networkPolicies > 0 ? [`${t.networkPolicies} network polic${t.networkPolicies === 1 ? "y" : "ies"}`] : []),
                        ].join(" · "),
                    (n) => `… and ${n} more (--json lists them all)`,
                ),
            ),
        );
    }
    return lines;
}

/** The summary text (ends with a newline). */
export function planSummary(input: PlanSummaryInput): string {
    const { view, plan } = input;
    const lines: string[] = [
        `Kubeloom plan of stack ${view.stack}: ${view.clusters.length} cluster${view.clusters.length === 1 ? "" : "s"}, ${plan.resources.length} resources (offline: nothing is deployed)`,
        "",
    ];
    for (const cluster of view.clusters) lines.push(...clusterLines(cluster), "");
    if (view.mesh) {
        const mesh = view.mesh;
        lines.push(`mesh · Cilium Cluster Mesh of ${mesh.members.map((m) => m.cluster).join(", ")} · apiservers by ${mesh.serviceType}`);
        lines.push(...rows("apiservers", mesh.members.map((m) => `${m.cluster} ${m.apiserver}`)));
        const extras = [...(mesh.globalServices.length > 0 ? [`global services ${mesh.globalServices.join(", ")}`] : []), ...(mesh.demo ? ["rebel-base / x-wing demo"] : [])];
        if (extras.length > 0) lines.push(...rows("services", [extras.join(" · ")]));
        lines.push("");
    }
    if (input.preflight === undefined) {
        lines.push("pre-flight  not run: add --render to render the charts and check them before deploying");
    } else {
        const errors = input.preflight.filter((f) => f.severity === "error").length;
        const warnings = input.preflight.filter((f) => f.severity === "warning").length;
        lines.push(`pre-flight  ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}, ${input.preflight.length - errors - warnings} note${input.preflight.length - errors - warnings === 1 ? "" : "s"}`);
        const serious = input.preflight.filter((f) => f.severity !== "info");
        lines.push(
            ...limited(
                serious,
                FINDINGS_SHOWN,
                (f) => `  ${f.severity} ${f.cluster} ${f.object} [${f.check}] ${f.message}`,
                (n) => `  … and ${n} more (--json has them all under "preflight")`,
            ),
        );
    }
    const contexts = viewContexts(view);
    lines.push(`contexts    ${contexts.join(", ")} (the secret output \`kubeconfigs\`)`, "");
    const next = [
        ...(input.preflight === undefined ? [[`npm run plan -- ${input.stackArgs} --render`, "render the charts and pre-flight them (needs helm)"]] : []),
        [`npm run plan -- ${input.stackArgs} --json`, "the full plan as JSON (--out <file> writes it to a file)"],
        [`npm run plan -- ${input.stackArgs} --diagram`, "the platform as a Mermaid diagram"],
        [`npm run up -- ${view.stack}`, "deploy it (needs the Pulumi CLI; `npm run preview` shows the diff first)"],
    ];
    const width = Math.max(...next.map(([command]) => command.length));
    lines.push("next:", ...next.map(([command, what]) => `  ${command.padEnd(width)}  ${what}`));
    return `${lines.join("\n")}\n`;
}
