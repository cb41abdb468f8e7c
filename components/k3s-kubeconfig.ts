/**
 * Pure rewriting of the admin kubeconfig K3s writes (/etc/rancher/k3s/k3s.yaml): it points at
 * https://127.0.0.1:<port> and names its cluster, user and context "default", which is useless off the host and
 * collides as soon as two clusters are merged into one kubeconfig.
 *
 * The input embeds the cluster-admin client key, so no error message here ever quotes the input.
 */
import { parseDocument } from "yaml";
import { pickKubeconfigContext, singleContextKubeconfig } from "../lib/kubeconfig";

/** The entry name K3s gives its cluster, user and context. */
const K3S_DEFAULT_NAME = "default";

/** `https://<host>:<port>`, with an IPv6 literal in brackets (RFC 3986). */
export function formatServerUrl(host: string, port: number): string {
    if (host.length === 0 || /[\s/]/.test(host)) {
        throw new Error(`formatServerUrl: host must be a hostname or IP address, got ${JSON.stringify(host)}`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`formatServerUrl: port must be an integer from 1 to 65535, got ${port}`);
    }
    const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    return `https://${bracketed}:${port}`;
}

/**
 * Rewrites K3s's kubeconfig: the cluster's server → `target.server`, and the cluster, user and context named
 * "default" → `target.name` (current-context too). Throws when the input is not a kubeconfig with exactly one
 * cluster, user and context named "default" wired together — anything else means the file is not what K3s wrote.
 * Output is YAML with sorted keys, so the same input always yields the same text.
 */
export function rewriteK3sKubeconfig(raw: string, target: { server: string; name: string }): string {
    if (target.name.length === 0) {
        throw new Error("rewriteK3sKubeconfig: target name must not be empty");
    }
    if (!/^https:\/\/\S+$/.test(target.server)) {
        throw new Error(`rewriteK3sKubeconfig: target server must be an https:// URL, got ${JSON.stringify(target.server)}`);
    }
    const config = parseKubeconfig(raw);

    const cluster = onlyEntry(config, "clusters", "cluster");
    onlyEntry(config, "users", "user");
    const context = onlyEntry(config, "contexts", "context");
    if (typeof cluster.cluster.server !== "string") {
        fail("its cluster \"default\" has no server");
    }
    if (context.context.cluster !== K3S_DEFAULT_NAME || context.context.user !== K3S_DEFAULT_NAME) {
        fail("its context \"default\" does not use cluster \"default\" and user \"default\"");
    }
    if (config["current-context"] !== K3S_DEFAULT_NAME) {
        fail("its current-context is not \"default\"");
    }

    // The strict checks above are K3s-specific (one entry of each, all "default"); picking and rewriting is shared.
    return singleContextKubeconfig(pickKubeconfigContext(config, K3S_DEFAULT_NAME), target.name, target.server);
}

type Entry<K extends string> = { name: unknown } & { [key in K]: Record<string, unknown> };

function parseKubeconfig(raw: string): Record<string, unknown> {
    // prettyErrors off and the parser's own message dropped: both would quote the offending line, which may be key data.
    const doc = parseDocument(raw, { prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
        fail(`it is not valid YAML (${doc.errors.length} syntax error${doc.errors.length === 1 ? "" : "s"})`);
    }
    let config: unknown;
    try {
        // K3s never writes aliases; refusing them all also rules out alias-expansion bombs.
        config = doc.toJS({ maxAliasCount: 0 });
    } catch {
        fail("it uses YAML aliases, which a K3s kubeconfig never does");
    }
    if (!isRecord(config)) {
        fail("it is not a YAML mapping");
    }
    if (config.kind !== "Config" || config.apiVersion !== "v1") {
        fail("it is not a kind: Config, apiVersion: v1 document");
    }
    return config;
}

/** The single entry of a kubeconfig list, which must be named "default" and hold a `field` mapping. */
function onlyEntry<K extends string>(config: Record<string, unknown>, list: string, field: K): Entry<K> {
    const entries = config[list];
    if (!Array.isArray(entries) || entries.length !== 1) {
        fail(`it must have exactly one entry in ${list} (got ${Array.isArray(entries) ? entries.length : "none"})`);
    }
    const entry: unknown = entries[0];
    if (!isRecord(entry) || entry.name !== K3S_DEFAULT_NAME || !isRecord(entry[field])) {
        fail(`its ${list} entry is not a ${field} named "default"`);
    }
    return entry as Entry<K>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(reason: string): never {
    throw new Error(`the K3s kubeconfig (/etc/rancher/k3s/k3s.yaml) cannot be rewritten: ${reason}; contents not shown, they hold a client key`);
}
