/**
 * Destructive changes that look like ordinary updates: given the shape a stack has deployed (read from the base
 * commit's plan by plan:diff, or from the stack's state by `npm run up|preview`) and the shape a new config asks
 * for, the changes Kubeloom refuses, each under its config key with why and what to do instead — the same contract
 * as the upgrade-step refusals (config/upgrade-rules.ts): exit 2, nothing changed.
 *
 * What is refused, and why:
 * - A K3s cluster's `podCidr` / `serviceCidr`: K3s takes `--cluster-cidr` / `--service-cidr` when the cluster is
 *   initialised; the nodes keep the podCIDRs already allocated from the old range (a Node's `spec.podCIDR` is
 *   immutable) and the `kubernetes` Service keeps its ClusterIP from the old service range. docs.k3s.io
 *   datastore/ha-embedded lists both among the "critical configuration values" every server must share.
 * - A Cilium cluster's `id` or `name` (`cluster.id` / `cluster.name` of the cilium chart, cilium values.yaml): Cilium
 *   encodes the cluster in every security identity and mesh peers know the cluster by both, so a change re-identifies
 *   every endpoint and peers disagree until every agent and pod restarted. A cluster's name also names every
 *   resource Kubeloom creates for it: a renamed K3s cluster would be uninstalled and installed anew.
 * - K3s server topology K3s cannot change in place:
 *   - 3 or 5 servers → 1: the datastore is embedded etcd; K3s has no way back to SQLite ("If an etcd datastore is
 *     found on disk … the datastore arguments are ignored", docs.k3s.io datastore/ha-embedded), and removing two
 *     members of three at once loses quorum.
 *   - the first server replaced (its host changed or removed): it is the server Kubeloom installs with
 *     `--cluster-init` (or the only one), whose command would now install a fresh cluster on another host.
 *   1 → 3 or 5 servers is NOT refused: K3s documents it ("Existing single-node clusters", available as of
 *   v1.22.2+k3s1, below every supported line: restart the SQLite server with `--cluster-init`, then join the
 *   others). Kubeloom plans it as that ordered step — the first server's installer re-runs with `--cluster-init` and
 *   must answer /readyz before the next server joins — and says so (`topologyNotes`).
 *
 * - `source.k3s.secretsEncryption` turned on for a cluster started without it (K3s: "Starting K3s without encryption
 *   and enabling it at a later time is currently not supported", docs.k3s.io security/secrets-encryption), or turned
 *   off (stored Secrets would become unreadable; K3s's `secrets-encrypt disable` + `reencrypt` must run first).
 *
 * Each refusal can be overridden for someone who means it, per cluster and per key, with
 * `clusters[i].allowDestructive: [podCidr, serviceCidr, id, name, servers, secretsEncryption]`; an overridden change is listed in
 * plan:diff's report and logged by `npm run up`, never silently applied.
 */
import { DESTRUCTIVE_KEYS, type StackConfig } from "./schema";
import type { ConfigIssue } from "./config-error";
import { installsCilium, k3sNodes } from "./resolve";

export { DESTRUCTIVE_KEYS };
/** One key a destructive change can be allowed for. */
export type DestructiveKey = (typeof DESTRUCTIVE_KEYS)[number];

/** README section every refusal that tells a user to restore points at. */
export const RESTORE_DOC = "docs/k3s-day-2.md → Restoring from an etcd snapshot";

/** The first server of a deployed K3s cluster, as far as its install command tells. */
export type DeployedFirstServer =
    /** Installed on the machine running Pulumi (host "localhost"). */
    | { readonly local: true }
    /** Installed over SSH; `names` are the addresses in its certificate (its host is always one of them). */
    | { readonly local: false; readonly names: readonly string[] };

/** What of a K3s cluster's topology is deployed or asked for. */
export interface K3sShape {
    readonly podCidr: string;
    readonly serviceCidr: string;
    /** How many servers: 1 (SQLite) or 3/5 (embedded etcd). */
    readonly servers: number;
    /** The first server. In a requested shape, `names` holds exactly its host. */
    readonly first: DeployedFirstServer;
    /** Whether the servers encrypt Secrets at rest (--secrets-encryption). */
    readonly secretsEncryption: boolean;
}

/** One cluster's shape: what the guard rails compare. */
export interface ClusterShape {
    /** Cilium's cluster id (cluster.id), when Kubeloom installs Cilium on the cluster. */
    readonly ciliumId?: number;
    /** Set for clusters Kubeloom installs K3s on. */
    readonly k3s?: K3sShape;
}

/** Cluster name → shape. */
export type StackShape = Readonly<Record<string, ClusterShape>>;

/** Per cluster name (new config): the keys whose destructive change its author allowed. */
export type DestructiveOverrides = Readonly<Record<string, readonly DestructiveKey[]>>;

/** The outcome: refused changes (exit 2), overridden ones (listed, applied), notes about ordered steps. */
export interface ShapeChangeReport {
    readonly refused: readonly ConfigIssue[];
    readonly overridden: readonly ConfigIssue[];
    readonly notes: readonly string[];
}

/** The shape a valid config deploys (the `npm run up` side). */
export function plannedShape(config: StackConfig): StackShape {
    const result: Record<string, ClusterShape> = {};
    for (const cluster of config.clusters) {
        const k3s = cluster.source.k3s;
        const servers = k3s ? k3sNodes(k3s, "").servers : [];
        const first = servers[0]?.host;
        result[cluster.name] = {
            ...(installsCilium(cluster) ? { ciliumId: cluster.id } : {}),
            ...(k3s && first !== undefined
                ? {
                      k3s: {
                          podCidr: cluster.podCidr,
                          serviceCidr: cluster.serviceCidr,
                          servers: servers.length,
                          first: first === "localhost" ? { local: true as const } : { local: false as const, names: [first] },
                          secretsEncryption: k3s.secretsEncryption,
                      },
                  }
                : {}),
        };
    }
    return result;
}

/** The overrides of a valid config. */
export function configOverrides(config: StackConfig): DestructiveOverrides {
    return Object.fromEntries(config.clusters.map((c) => [c.name, c.allowDestructive]));
}

/** Where each cluster name sits in the new config (for key paths). */
export type ClusterNames = readonly string[];

interface Finding {
    readonly cluster: string;
    readonly key: DestructiveKey;
    readonly path: string;
    readonly message: string;
}

/**
 * Every destructive change from `deployed` to `requested`, split by the overrides of the new config. Clusters are
 * matched by name; a cluster whose name is gone is matched by its Cilium id to a new name (a rename).
 */
export function shapeChanges(deployed: StackShape, requested: StackShape, order: ClusterNames, overrides: DestructiveOverrides): ShapeChangeReport {
    const findings: Finding[] = [];
    const notes: string[] = [];
    const at = (name: string) => {
        const i = order.indexOf(name);
        return i >= 0 ? `clusters[${i}]` : `clusters[name=${name}]`;
    };
    const instead = (name: string, key: DestructiveKey) =>
        `If you mean to rebuild it, set ${at(name)}.allowDestructive: [${key}] and restore or redeploy its workloads afterwards (${RESTORE_DOC})`;

    for (const [name, after] of Object.entries(requested).sort(([a], [b]) => a.localeCompare(b))) {
        const before = deployed[name];
        if (before) {
            if (before.ciliumId !== undefined && after.ciliumId !== undefined && before.ciliumId !== after.ciliumId) {
                findings.push({
                    cluster: name,
                    key: "id",
                    path: `${at(name)}.id`,
                    message:
                        `${after.ciliumId} cannot replace the deployed Cilium cluster id ${before.ciliumId} in place: Cilium encodes the cluster id in every ` +
                        `security identity, so every endpoint is re-identified and, in a mesh, peers disagree about this cluster until every Cilium agent and pod restarted. ` +
                        `Keep id ${before.ciliumId}; give another cluster a different id instead. ${instead(name, "id")}`,
                });
            }
            if (before.k3s && after.k3s) findings.push(...k3sFindings(name, at(name), before.k3s, after.k3s, instead, notes));
            continue;
        }
        // A name the deployed stack does not have: a rename when a deployed cluster with its Cilium id is gone.
        const renamedFrom = Object.entries(deployed).find(
            ([old, shape]) => requested[old] === undefined && shape.ciliumId !== undefined && shape.ciliumId === after.ciliumId,
        )?.[0];
        if (renamedFrom !== undefined) {
            findings.push({
                cluster: name,
                key: "name",
                path: `${at(name)}.name`,
                message:
                    `"${name}" cannot rename the deployed cluster "${renamedFrom}" (Cilium cluster id ${after.ciliumId}) in place: Cilium's cluster.name identifies it ` +
                    `to mesh peers and in every identity, and the name names every resource Kubeloom creates for it, so ${renamedFrom}'s resources would be deleted ` +
                    `(a K3s cluster uninstalled from its hosts) and created anew under ${name}. Keep the name "${renamedFrom}". ${instead(name, "name")}`,
            });
        }
    }

    const refused: ConfigIssue[] = [];
    const overridden: ConfigIssue[] = [];
    for (const finding of findings) {
        const allowed = (overrides[finding.cluster] ?? []).includes(finding.key);
        (allowed ? overridden : refused).push({
            path: finding.path,
            message: allowed ? `allowed by ${at(finding.cluster)}.allowDestructive (${finding.key}): ${finding.message}` : finding.message,
        });
    }
    const byPath = (a: ConfigIssue, b: ConfigIssue) => a.path.localeCompare(b.path, undefined, { numeric: true });
    return { refused: refused.sort(byPath), overridden: overridden.sort(byPath), notes };
}

function k3sFindings(name: string, at: string, before: K3sShape, after: K3sShape, instead: (name: string, key: DestructiveKey) => string, notes: string[]): Finding[] {
    const findings: Finding[] = [];
    for (const [key, flag, kind] of [
        ["podCidr", "--cluster-cidr", "pod"],
        ["serviceCidr", "--service-cidr", "service"],
    ] as const) {
        if (before[key] !== after[key]) {
            findings.push({
                cluster: name,
                key,
                path: `${at}.${key}`,
                message:
                    `"${after[key]}" cannot replace the ${kind} CIDR ${before[key]} of the deployed K3s cluster ${name}: K3s takes ${flag} when the cluster is ` +
                    `initialised and cannot change it afterwards (${kind === "pod" ? "each Node keeps the podCIDR allocated from the old range; spec.podCIDR is immutable" : "the kubernetes Service and every ClusterIP stay in the old range"}). ` +
                    `Keep ${before[key]}; or build a new cluster (a new name) with ${after[key]} and move the workloads to it. ${instead(name, key)}`,
            });
        }
    }
    if (before.secretsEncryption !== after.secretsEncryption) {
        findings.push({
            cluster: name,
            key: "secretsEncryption",
            path: `${at}.source.k3s.secretsEncryption`,
            message: after.secretsEncryption
                ? `true cannot be applied to the deployed K3s cluster ${name}, which was started without it: K3s documents "Starting K3s without encryption and enabling it at a later time is currently not supported" ` +
                  `(docs.k3s.io security/secrets-encryption), and the Secrets already stored would stay unencrypted. Keep it false here, or build a new cluster (a new name) with ` +
                  `secretsEncryption: true and move the workloads. ${instead(name, "secretsEncryption")}`
                : `false cannot be applied to the deployed K3s cluster ${name}, whose Secrets are encrypted: restarting the servers without --secrets-encryption leaves every stored ` +
                  `Secret unreadable. Keep it true; to turn it off, first run \`k3s secrets-encrypt disable\` on a server, restart every server, run \`k3s secrets-encrypt reencrypt\` ` +
                  `and wait for reencrypt_finished (docs.k3s.io cli/secrets-encrypt), then set false and set ${at}.allowDestructive: [secretsEncryption] (take an etcd snapshot first: ${RESTORE_DOC})`,
        });
    }
    if (before.servers > 1 && after.servers === 1) {
        findings.push({
            cluster: name,
            key: "servers",
            path: `${at}.source.k3s.servers`,
            message:
                `1 server cannot replace the ${before.servers} deployed servers of ${name}: they run embedded etcd, K3s has no way back to SQLite (a server finding ` +
                `etcd data on disk ignores the datastore flags) and removing ${before.servers - 1} members at once loses etcd quorum. Keep ${before.servers} servers. ${instead(name, "servers")}`,
        });
    }
    const firstHost = after.first.local ? "localhost" : after.first.names[0];
    const sameFirst = before.first.local ? after.first.local : !after.first.local && before.first.names.includes(firstHost);
    if (!sameFirst) {
        const path = after.servers > 1 ? `${at}.source.k3s.servers[0].host` : `${at}.source.k3s.host`;
        findings.push({
            cluster: name,
            key: "servers",
            path,
            message:
                `"${firstHost}" cannot replace the first server of the deployed K3s cluster ${name} (${before.first.local ? "localhost" : `certificate names ${before.first.names.join(", ")}`}): ` +
                `the first server holds the cluster's datastore (it was installed ${before.servers > 1 ? "with --cluster-init" : "alone, on SQLite"}), so its command would install a new, ` +
                `empty cluster on "${firstHost}" and leave the old server running outside Kubeloom. Keep the first server first (servers after it can be added and removed); ` +
                `to move the cluster to other hosts, build a new cluster (a new name) and move the workloads, or restore a snapshot onto the new host (${RESTORE_DOC}). ${instead(name, "servers")}`,
        });
    }
    if (before.servers === 1 && after.servers > 1 && sameFirst) {
        notes.push(
            `${name}: 1 → ${after.servers} servers is K3s's documented conversion of a single SQLite server to embedded etcd (docs.k3s.io datastore/ha-embedded, ` +
                `"Existing single-node clusters", v1.22.2+k3s1 and later): the first server's installer re-runs with --cluster-init and must answer /readyz before the ` +
                `${after.servers - 1} new servers join one at a time through the registration address, which must reach the first server.`,
        );
    }
    return findings;
}
