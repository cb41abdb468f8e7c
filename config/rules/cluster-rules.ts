/**
 * Rules on a cluster's identity and ranges: unique names and ids, the id range the mesh allows, pod and Service
 * CIDRs apart, and the support matrix's combinations of each chart release with the cluster's Kubernetes.
 */
import type { ConfigIssue } from "../config-error";
import { clusterKubernetes, installsCilium } from "../resolve";
import { ChartRelease, chartReleases, formatRange, supportsKubernetes } from "../../components/support-matrix";
import { findOverlaps, overlaps, parseCidr, Ipv4Interval } from "../../lib/cidr";
import { duplicates, Rule } from "./rule";
import { quoteInput } from "../../lib/user-input";

export const uniqueClusterNamesAndIds: Rule = (config) => {
    const issues: ConfigIssue[] = [];
    for (const i of duplicates(config.clusters, (c) => c.name)) {
        const first = config.clusters.findIndex((c) => c.name === config.clusters[i].name);
        issues.push({ path: `clusters[${i}].name`, message: `${quoteInput(config.clusters[i].name)} is already used by clusters[${first}]; cluster names must be unique` });
    }
    for (const i of duplicates(config.clusters, (c) => c.id)) {
        const first = config.clusters.findIndex((c) => c.id === config.clusters[i].id);
        issues.push({ path: `clusters[${i}].id`, message: `${config.clusters[i].id} is already used by clusters[${first}]; cluster ids must be unique (1-255)` });
    }
    return issues;
};

export const clusterIdRange: Rule = (config) => {
    const max = config.mesh?.enabled ? config.mesh.maxConnectedClusters : 255;
    return config.clusters.flatMap((c, i) =>
        c.id > max
            ? [{ path: `clusters[${i}].id`, message: `${c.id} is above ${max}; ids up to 511 need mesh.maxConnectedClusters: 511 (Cilium accepts only 255 or 511)` }]
            : [],
    );
};

export const podAndServiceCidrsApart: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const pod = parseCidr(c.podCidr) as Ipv4Interval;
        const service = parseCidr(c.serviceCidr) as Ipv4Interval;
        return findOverlaps([
            { label: "podCidr", interval: pod },
            { label: "serviceCidr", interval: service },
        ]).length
            ? [{ path: `clusters[${i}].serviceCidr`, message: `${quoteInput(c.serviceCidr)} overlaps the cluster's podCidr ${quoteInput(c.podCidr)}; pick disjoint ranges (K3s defaults: 10.42.0.0/16 and 10.43.0.0/16)` }]
            : [];
    });

/**
 * The support matrix's combinations (components/support-matrix.ts): each chart release this stack installs must
 * support the Kubernetes version its cluster runs (K3s line, kind node image, or an existing cluster's stated
 * `kubernetesVersion`; not checked when an existing cluster states none). The single-field schema has already
 * refused any version that is not in the matrix at all.
 */
export const supportMatrixCombinations: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const kube = clusterKubernetes(c);
        if (!kube) return [];
        const at = `clusters[${i}]`;
        const issue = (component: "cilium" | "vcluster" | "metallb", label: string, version: string, key: string) => {
            const release = chartReleases(component).find((r) => r.version === version.replace(/^v/, ""));
            if (!release || supportsKubernetes(release.kubernetes, kube.minor)) return [];
            return [{ path: `${at}.${key}`, message: combinationMessage(component, label, release, kube.minor, `${at}.${kube.key}`) }];
        };
        return [
            ...(installsCilium(c) ? issue("cilium", "Cilium", c.cilium.version, "cilium.version") : []),
            ...c.vclusters.flatMap((vc, j) => issue("vcluster", "vCluster", vc.version, `vclusters[${j}].version`)),
            ...(c.loadBalancer?.metallb ? issue("metallb", "MetalLB", c.loadBalancer.metallb.version, "loadBalancer.metallb.version") : []),
        ];
    });

/** "Cilium 1.20.0 supports Kubernetes 1.33–1.36, but ... runs 1.32; on Kubernetes 1.32 the matrix has Cilium 1.17.18, ..." */
function combinationMessage(component: "cilium" | "vcluster" | "metallb", label: string, release: ChartRelease, minor: string, kubeKey: string): string {
    const host = component === "vcluster" ? "host Kubernetes" : "Kubernetes";
    const fitting = chartReleases(component).filter((r) => supportsKubernetes(r.kubernetes, minor)).map((r) => r.version);
    const all = chartReleases(component).map((r) => `${r.version}: ${formatRange(r.kubernetes)}`).join(", ");
    const instead = fitting.length > 0 ? `use ${label} ${fitting.join(" or ")}` : `no ${label} release Kubeloom supports runs on Kubernetes ${minor} (${all})`;
    return `${quoteInput(release.version)} supports ${host} ${formatRange(release.kubernetes)}, but ${kubeKey} is Kubernetes ${minor}, a combination outside Kubeloom's support matrix; ${instead}, or move the cluster to a Kubernetes line in ${formatRange(release.kubernetes)}`;
}
