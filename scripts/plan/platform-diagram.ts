/**
 * The platform as a Mermaid flowchart: one box per cluster with its nodes, Cilium, load-balancer pool and tenants
 * (with their exposure), and the Cluster Mesh links between clusters. Given the base's view too, every element the
 * change adds, removes, replaces or changes is marked, by colour and in its label (so it reads without colour).
 * `npm run plan -- <stack> --diagram` prints it; the plan-diff comment embeds it (GitHub draws Mermaid).
 *
 * Emits a small subset of flowchart syntax — `flowchart LR`, `subgraph id["label"] … end`, `direction TB`,
 * `id["label"]`, `---`, `-->`, `-.->`, `<-. "label" .->`, `classDef`, `class` — with generated ids and quoted labels, so
 * no user text reaches the syntax. test/scripts/platform-diagram.test.ts parses it with mermaid's own parser.
 * Deterministic and pure.
 */
import type { ClusterView, PlatformView, TenantView } from "./platform-view";

/** How an element differs from the base. */
export type ElementChange = "added" | "removed" | "replaced" | "changed" | "unchanged";

/** Tenants drawn per cluster before one "… N more" box: a diagram with 200 tenants is unreadable anyway. */
export const TENANTS_DRAWN = 12;
/** Nodes drawn per cluster before one "… N more" box. */
export const NODES_DRAWN = 6;

/** What to draw: the head's view, and the base's for marks. */
export interface DiagramInput {
    /** The view after the change; null when the change deletes the stack. */
    readonly head: PlatformView | null;
    /**
     * The view before: null when the stack is new (everything is added); undefined when there is nothing to compare
     * with (then nothing is marked).
     */
    readonly base?: PlatformView | null;
    /** Element keys (see `elementKeys`) whose resources the change replaces. */
    readonly replaced?: ReadonlySet<string>;
}

/** One drawable element: a stable key (for comparing base and head), its label lines and its place. */
interface Element {
    readonly key: string;
    readonly cluster: string;
    readonly kind: "node" | "cilium" | "lb" | "tenant" | "more";
    readonly label: readonly string[];
}

/** Element keys, also used by the plan diff to name replaced elements. */
export const elementKeys = {
    cluster: (cluster: string) => `cluster:${cluster}`,
    node: (cluster: string, role: string, name: string) => `node:${cluster}/${role}/${name}`,
    cilium: (cluster: string) => `cilium:${cluster}`,
    lb: (cluster: string) => `lb:${cluster}`,
    tenant: (cluster: string, tenant: string) => `tenant:${cluster}/${tenant}`,
    mesh: (a: string, b: string) => `mesh:${[a, b].sort().join("~")}`,
} as const;

function clusterLabel(cluster: ClusterView): string[] {
    return [`cluster ${cluster.name} · id ${cluster.id}`, `${cluster.source.what}${cluster.apiEndpoint ? ` · API ${cluster.apiEndpoint}` : ""}`];
}

function tenantLabel(tenant: TenantView): string[] {
    return [
        `vCluster ${tenant.name} ${tenant.version}`,
        `${tenant.expose}${tenant.endpoint ? ` ${tenant.endpoint}` : ""}`,
        `${tenant.isolated ? "isolated" : "NOT isolated"} · ${tenant.podSecurityStandard}`,
    ];
}

function clusterElements(cluster: ClusterView, mesh: PlatformView["mesh"]): Element[] {
    const elements: Element[] = [];
    const nodes = cluster.nodes.length > 0 ? cluster.nodes : [{ role: "existing", name: "nodes not managed by Kubeloom" }];
    for (const node of nodes.slice(0, NODES_DRAWN)) {
        elements.push({ key: elementKeys.node(cluster.name, node.role, node.name), cluster: cluster.name, kind: "node", label: [`${node.role} ${node.name}`] });
    }
    if (nodes.length > NODES_DRAWN) {
        elements.push({ key: `more:${cluster.name}/nodes`, cluster: cluster.name, kind: "more", label: [`… ${nodes.length - NODES_DRAWN} more nodes`] });
    }
    const member = mesh?.members.find((m) => m.cluster === cluster.name);
    const cilium = cluster.cilium;
    elements.push({
        key: elementKeys.cilium(cluster.name),
        cluster: cluster.name,
        kind: "cilium",
        label: cilium
            ? [
                  `Cilium ${cilium.version}`,
                  [cilium.kubeProxyReplacement ? "kube-proxy replacement" : "with kube-proxy", cilium.chaining ? `chained on ${cilium.chaining}` : cilium.routingMode].join(" · "),
                  ...(member ? [`clustermesh-apiserver ${member.apiserver}`] : []),
              ]
            : ["Cilium (owned by another stack)"],
    });
    if (cluster.loadBalancer) {
        elements.push({
            key: elementKeys.lb(cluster.name),
            cluster: cluster.name,
            kind: "lb",
            label: [cluster.loadBalancer.type === "metallb" ? "MetalLB" : "Cilium LB-IPAM", cluster.loadBalancer.addresses.join(", ")],
        });
    }
    for (const tenant of cluster.tenants) {
        elements.push({ key: elementKeys.tenant(cluster.name, tenant.name), cluster: cluster.name, kind: "tenant", label: tenantLabel(tenant) });
    }
    return elements;
}

/** The mesh links as element keys with their two clusters, in a stable order. */
function meshLinks(view: PlatformView | null | undefined): Array<{ key: string; a: string; b: string }> {
    const members = view?.mesh?.members.map((m) => m.cluster) ?? [];
    const links: Array<{ key: string; a: string; b: string }> = [];
    for (let i = 0; i < members.length; i++) {
        for (let j = i + 1; j < members.length; j++) links.push({ key: elementKeys.mesh(members[i], members[j]), a: members[i], b: members[j] });
    }
    return links;
}

const MARK: Record<Exclude<ElementChange, "unchanged">, string> = { added: "+ new", removed: "− removed", replaced: "± replaced", changed: "~ changed" };

/** `"a<br/>b"`: each line escaped so no text can end the quoted label. */
function quoted(lines: readonly string[]): string {
    return `"${lines.map((l) => l.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")).join("<br/>")}"`;
}

function changeOf(key: string, inHead: boolean, inBase: boolean, sameLabel: boolean, input: DiagramInput): ElementChange {
    if (input.base === undefined) return "unchanged";
    if (!inBase) return "added";
    if (!inHead) return "removed";
    if (input.replaced?.has(key)) return "replaced";
    return sameLabel ? "unchanged" : "changed";
}

/** The Mermaid source (no fences), ending with a newline. */
export function platformDiagram(input: DiagramInput): string {
    const head = input.head;
    const base = input.base ?? null;
    const clusterNames: string[] = [];
    for (const c of [...(head?.clusters ?? []), ...(base?.clusters ?? [])]) if (!clusterNames.includes(c.name)) clusterNames.push(c.name);
    const lines = ["flowchart LR"];
    const ids = new Map<string, string>();
    const idOf = (key: string, prefix: string) => {
        if (!ids.has(key)) ids.set(key, `${prefix}${ids.size + 1}`);
        return ids.get(key)!;
    };
    const marks: Array<{ id: string; change: ElementChange; subgraph: boolean }> = [];
    const edges: string[] = [];
    for (const name of clusterNames) {
        const headCluster = head?.clusters.find((c) => c.name === name);
        const baseCluster = base?.clusters.find((c) => c.name === name);
        const shown = (headCluster ?? baseCluster)!;
        const clusterKey = elementKeys.cluster(name);
        const clusterChange = changeOf(clusterKey, !!headCluster, !!baseCluster, JSON.stringify(clusterLabel(shown)) === JSON.stringify(baseCluster && clusterLabel(baseCluster)), input);
        const subgraphId = idOf(clusterKey, "c");
        const mark = clusterChange === "unchanged" ? [] : [`(${MARK[clusterChange]})`];
        lines.push(`  subgraph ${subgraphId}[${quoted([...clusterLabel(shown), ...mark])}]`, "    direction TB");
        marks.push({ id: subgraphId, change: clusterChange, subgraph: true });
        const headElements = headCluster ? clusterElements(headCluster, head?.mesh) : [];
        const baseElements = baseCluster ? clusterElements(baseCluster, base?.mesh) : [];
        const union: Array<{ element: Element; change: ElementChange }> = [];
        for (const element of headElements) {
            const before = baseElements.find((e) => e.key === element.key);
            union.push({ element, change: changeOf(element.key, true, !!before, JSON.stringify(element.label) === JSON.stringify(before?.label), input) });
        }
        for (const element of baseElements) {
            if (!headElements.some((e) => e.key === element.key)) union.push({ element, change: changeOf(element.key, false, true, false, input) });
        }
        // Tenants beyond the limit fold into one box; changed ones are drawn first so the change stays visible.
        const tenants = union.filter((u) => u.element.kind === "tenant");
        const drawnTenants = [...tenants.filter((u) => u.change !== "unchanged"), ...tenants.filter((u) => u.change === "unchanged")].slice(0, TENANTS_DRAWN);
        const drawn = union.filter((u) => u.element.kind !== "tenant" || drawnTenants.includes(u));
        if (tenants.length > drawnTenants.length) {
            drawn.push({ element: { key: `more:${name}/tenants`, cluster: name, kind: "more", label: [`… ${tenants.length - drawnTenants.length} more vClusters`] }, change: "unchanged" });
        }
        const ciliumId = idOf(elementKeys.cilium(name), "n");
        for (const { element, change } of drawn) {
            const id = idOf(element.key, "n");
            const label = change === "unchanged" ? element.label : [...element.label, `(${MARK[change]})`];
            const shape = element.kind === "tenant" ? [`([`, `])`] : element.kind === "lb" ? [`[/`, `/]`] : [`[`, `]`];
            // A stadium for tenants and a parallelogram for the pool: the shape says the kind without colour.
            lines.push(`    ${id}${shape[0]}${quoted(label)}${shape[1]}`);
            marks.push({ id, change, subgraph: false });
            if (element.kind === "node" || (element.kind === "more" && element.key.endsWith("/nodes"))) edges.push(`  ${id} --- ${ciliumId}`);
            if (element.kind === "tenant" || (element.kind === "more" && element.key.endsWith("/tenants"))) edges.push(`  ${ciliumId} --> ${id}`);
            if (element.kind === "lb") edges.push(`  ${id} -.-> ${ciliumId}`);
        }
        lines.push("  end");
    }
    lines.push(...edges);
    const headLinks = meshLinks(head);
    const baseLinks = meshLinks(base);
    const allLinks = [...headLinks, ...baseLinks.filter((l) => !headLinks.some((h) => h.key === l.key))];
    let linkIndex = edges.length;
    const linkStyles: string[] = [];
    for (const link of allLinks) {
        const change = changeOf(link.key, headLinks.some((l) => l.key === link.key), baseLinks.some((l) => l.key === link.key), true, input);
        const label = change === "unchanged" ? "Cluster Mesh" : `Cluster Mesh (${MARK[change]})`;
        lines.push(`  ${idOf(elementKeys.cilium(link.a), "n")} <-. ${quoted([label])} .-> ${idOf(elementKeys.cilium(link.b), "n")}`);
        if (change !== "unchanged") linkStyles.push(`  linkStyle ${linkIndex} stroke:${change === "removed" ? "#cb2431" : "#22863a"},stroke-width:2px`);
        linkIndex++;
    }
    lines.push(...linkStyles);
    const used = new Set(marks.filter((m) => m.change !== "unchanged").map((m) => m.change));
    const classDefs: Record<Exclude<ElementChange, "unchanged">, string> = {
        added: "fill:#e6ffed,stroke:#22863a,stroke-width:2px",
        removed: "fill:#ffeef0,stroke:#cb2431,stroke-width:2px,stroke-dasharray:5 5",
        replaced: "fill:#fff5b1,stroke:#b08800,stroke-width:2px",
        changed: "stroke:#0366d6,stroke-width:2px",
    };
    for (const change of ["added", "removed", "replaced", "changed"] as const) {
        if (!used.has(change)) continue;
        lines.push(`  classDef ${change} ${classDefs[change]}`);
        lines.push(`  class ${marks.filter((m) => m.change === change).map((m) => m.id).join(",")} ${change}`);
    }
    return `${lines.join("\n")}\n`;
}

/** One line that explains the marks, for Markdown beside the diagram. */
export const DIAGRAM_LEGEND = "Marks: green `+ new`, red dashed `− removed`, amber `± replaced`, blue `~ changed`; stadium boxes are vCluster tenants, slanted boxes load-balancer pools.";
