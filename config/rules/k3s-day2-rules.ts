/**
 * Rules on a K3s source's day-2 settings: node addresses only where they name one node, etcd snapshots only with
 * embedded etcd, and the secrets each setting needs (S3 keys, registry passwords) present and matched to a cluster
 * and registry that use them.
 */
import type { ConfigIssue } from "../config-error";
import { k3sNodes } from "../resolve";
import { Rule } from "./rule";

export const k3sDay2Settings: Rule = (config) => {
    const issues: ConfigIssue[] = [];
    config.clusters.forEach((c, i) => {
        const k3s = c.source.k3s;
        if (!k3s) return;
        const at = `clusters[${i}].source.k3s`;
        if (k3s.servers !== undefined) {
            for (const key of ["nodeIp", "externalIp"] as const) {
                if (k3s[key] !== undefined) issues.push({ path: `${at}.${key}`, message: `names one node's address: with servers, set it on each server (servers[i].${key}) or agent` });
            }
        }
        const { servers } = k3sNodes(k3s, at);
        const snapshots = k3s.etcdSnapshots;
        if (snapshots && servers.length === 1) {
            issues.push({
                path: `${at}.etcdSnapshots`,
                message:
                    "needs embedded etcd (3 or 5 servers): a lone server runs SQLite, which K3s does not snapshot; K3s backs it up by copying " +
                    "/var/lib/rancher/k3s/server/db/ and the token while K3s is stopped (docs/k3s-day-2.md → Backups), or list 3 servers, which converts it to etcd",
            });
        }
        const keys = config.etcdS3Keys?.[c.name];
        if (snapshots?.s3 && keys === undefined) {
            issues.push({ path: `${at}.etcdSnapshots.s3`, message: `needs its access keys as the secret kubeloom:etcdS3Keys.${c.name} ({ accessKey, secretKey }): \`pulumi config set --secret --path 'kubeloom:etcdS3Keys.${c.name}.accessKey' <key id>\` and the same for secretKey` });
        }
        const passwords = config.registryPasswords?.[c.name] ?? {};
        for (const [host, registry] of Object.entries(k3s.registries?.configs ?? {})) {
            if (registry.username !== undefined && passwords[host] === undefined) {
                issues.push({ path: `${at}.registries.configs["${host}"].username`, message: `needs the password as the secret kubeloom:registryPasswords.${c.name}.${host}: \`pulumi config set --secret --path 'kubeloom:registryPasswords.${c.name}.${host}' <password>\`` });
            }
        }
        for (const host of Object.keys(passwords)) {
            if (k3s.registries?.configs[host]?.username === undefined) {
                issues.push({ path: `registryPasswords.${c.name}`, message: `has a password for "${host}", which source.k3s.registries.configs of ${c.name} gives no username; add the username or remove the password` });
            }
        }
    });
    const k3sNames = new Set(config.clusters.filter((c) => c.source.k3s).map((c) => c.name));
    for (const [key, map] of [["etcdS3Keys", config.etcdS3Keys], ["registryPasswords", config.registryPasswords]] as const) {
        for (const name of Object.keys(map ?? {})) {
            if (!k3sNames.has(name)) issues.push({ path: key, message: `has an entry for "${name}", which is not a K3s cluster of this stack; remove it` });
        }
    }
    return issues;
};
