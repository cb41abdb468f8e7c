/**
 * Rules on Cluster Mesh and the load balancers it needs: members, disjoint ranges and pools across the mesh, where
 * each clustermesh-apiserver answers, global services; and who serves LoadBalancer Services on each cluster.
 */
import type { ConfigIssue } from "../config-error";
import type { ClusterConfig } from "../schema";
import { DEFAULT_K3S_DISABLE } from "../../components/versions";
import { clusterLoadBalancer, clusterSource, installsCilium, loadBalancerAddresses, meshMembers } from "../resolve";
import { createsCluster, nodeAddress } from "../resolved-cluster";
import { compareVersions, LBIPAM_MIN_CILIUM } from "../../components/support-matrix";
import { contains, findOverlaps, intToIpv4, ipv4ToInt, LabelledInterval, parseAddressRange, parseCidr, Ipv4Interval } from "../../lib/cidr";
import { EXTERNAL_APISERVER_SERVICE_FROM } from "../../components/mesh-plan";
import { duplicates, Rule } from "./rule";
import { quoteInput } from "../../lib/user-input";

/**
 * Settings that would be silently ignored are refused, wherever they are: a cluster's `clustermesh` block when the
 * cluster is in no mesh, the mesh's settings when `mesh.enabled` is false, and Cilium settings on a cluster whose
 * Cilium this stack does not install (chaining and verify are ciliumManagedElsewhere's).
 */
export const settingsWithoutEffect: Rule = (config) => {
    const issues: ConfigIssue[] = [];
    const mesh = config.mesh;
    const members = new Set(meshMembers(config).map((c) => c.name));
    const meshOn = mesh?.enabled === true;
    config.clusters.forEach((c, i) => {
        if (c.clustermesh !== undefined && !(meshOn && members.has(c.name))) {
            const why = !mesh ? "there is no mesh (kubeloom:mesh is not set)" : !mesh.enabled ? "mesh.enabled is false" : `mesh.clusters does not list ${quoteInput(c.name)}`;
            issues.push({ path: `clusters[${i}].clustermesh`, message: `has no effect: ${why}, so this cluster is in no mesh; remove it or add the cluster to the mesh` });
        }
        if (!installsCilium(c)) {
            const unused = [
                ["operatorReplicas", c.cilium.operatorReplicas !== undefined],
                ["hubble.uiNodePort", c.cilium.hubble.uiNodePort !== undefined],
                ["nodeSelector", Object.keys(c.cilium.nodeSelector).length > 0],
                ["tolerations", c.cilium.tolerations.length > 0],
            ] as const;
            for (const [key, set] of unused) {
                if (set) issues.push({ path: `clusters[${i}].cilium.${key}`, message: "has no effect: cilium.install is false, so this stack renders no Cilium; set it in the stack that installs Cilium" });
            }
        }
    });
    if (mesh && !mesh.enabled) {
        const ignored: Array<[string, boolean]> = [
            ["clusters", mesh.clusters !== undefined],
            ["globalServices", mesh.globalServices.length > 0],
            ["demo", mesh.demo],
            ["verify", mesh.verify],
            ["serviceType", mesh.serviceType !== "LoadBalancer"],
            ["maxConnectedClusters", mesh.maxConnectedClusters !== 255],
        ];
        for (const [key, set] of ignored) {
            if (set) issues.push({ path: `mesh.${key}`, message: "has no effect: mesh.enabled is false; remove it or set mesh.enabled: true" });
        }
    }
    (mesh?.globalServices ?? []).forEach((svc, j) => {
        if (svc.createNamespace === true && (BUILT_IN_NAMESPACES as readonly string[]).includes(svc.namespace)) {
            issues.push({ path: `mesh.globalServices[${j}].createNamespace`, message: `has no effect: namespace ${quoteInput(svc.namespace)} exists in every cluster; remove it` });
        }
        const other = mesh!.globalServices.findIndex((o, k) => k < j && o.namespace === svc.namespace && o.createNamespace !== undefined && svc.createNamespace !== undefined && o.createNamespace !== svc.createNamespace);
        if (other >= 0) {
            issues.push({ path: `mesh.globalServices[${j}].createNamespace`, message: `is ${svc.createNamespace} but mesh.globalServices[${other}].createNamespace is ${!svc.createNamespace} for the same namespace ${quoteInput(svc.namespace)}; say once whether Kubeloom creates it` });
        }
    });
    return issues;
};

/** Namespaces every Kubernetes cluster has (the API server creates them). */
const BUILT_IN_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

export const meshRules: Rule = (config) => {
    const mesh = config.mesh;
    if (!mesh || !mesh.enabled) return [];
    const issues: ConfigIssue[] = [];
    const names = config.clusters.map((c) => c.name);
    (mesh.clusters ?? []).forEach((name, j) => {
        if (!names.includes(name)) {
            issues.push({ path: `mesh.clusters[${j}]`, message: `${quoteInput(name)} is not a cluster in this stack (clusters: ${names.join(", ")})` });
        }
    });
    for (const j of duplicates(mesh.clusters ?? [], (n) => n)) {
        issues.push({ path: `mesh.clusters[${j}]`, message: `${quoteInput(mesh.clusters![j])} is listed twice` });
    }
    const members = meshMembers(config);
    if (members.length < 2) {
        issues.push({ path: mesh.clusters ? "mesh.clusters" : "clusters", message: `a mesh needs at least two clusters (got ${members.length}); add a cluster or set mesh.enabled: false` });
        return issues;
    }
    const indexOf = (c: ClusterConfig) => config.clusters.indexOf(c);
    for (const c of members) {
        if (!installsCilium(c)) {
            issues.push({ path: `clusters[${indexOf(c)}].cilium.install`, message: "is false, but a mesh member's Cilium carries the mesh settings: install Cilium in this stack or leave the cluster out of mesh.clusters" });
        }
        if (c.cilium.chaining) {
            issues.push({ path: `clusters[${indexOf(c)}].cilium.chaining`, message: "Cluster Mesh needs Cilium as the cluster's own CNI (its pod CIDR, its identities); Kubeloom does not mesh chained clusters: leave this cluster out of mesh.clusters" });
        }
    }

    const podRanges: LabelledInterval[] = [];
    for (const c of members) {
        podRanges.push({ label: `clusters[${indexOf(c)}].podCidr`, interval: parseCidr(c.podCidr) as Ipv4Interval });
        podRanges.push({ label: `clusters[${indexOf(c)}].serviceCidr`, interval: parseCidr(c.serviceCidr) as Ipv4Interval });
    }
    for (const [a, b] of findOverlaps(podRanges)) {
        const [first, second] = [a, b].sort((x, y) => x.label.localeCompare(y.label, "en", { numeric: true }));
        if (first.label.replace(/\.\w+$/, "") === second.label.replace(/\.\w+$/, "")) continue; // same cluster: own rule
        issues.push({ path: second.label, message: `overlaps ${first.label}; pod and service CIDRs must not overlap across the mesh (Cilium routes between them)` });
    }

    const pools: LabelledInterval[] = [];
    members.forEach((c) => {
        const i = indexOf(c);
        const metallb = c.loadBalancer?.metallb;
        const lb = clusterLoadBalancer(c);
        const lbKey = lb?.type === "cilium" ? "cilium" : "metallb";
        const lbName = lb?.type === "cilium" ? "Cilium LB-IPAM" : "MetalLB";
        const ownPool: Ipv4Interval[] = [];
        (loadBalancerAddresses(c) ?? []).forEach((text, k) => {
            const parsed = parseAddressRange(text);
            if (typeof parsed === "string") {
                // LB-IPAM entries are checked by the ciliumLoadBalancer rule, for mesh members and others alike.
                if (lbKey === "metallb") issues.push({ path: `clusters[${i}].loadBalancer.${lbKey}.addresses[${k}]`, message: `${quoteInput(text)} ${parsed}` });
                return;
            }
            ownPool.push(parsed);
            pools.push({ label: `clusters[${i}].loadBalancer.${lbKey}.addresses[${k}]`, interval: parsed });
        });
        if (mesh.serviceType === "LoadBalancer") {
            if (!lb) {
                issues.push({
                    path: `clusters[${i}].loadBalancer.metallb`,
                    message: "is required with mesh.serviceType LoadBalancer (or loadBalancer.cilium): the clustermesh-apiserver needs a pre-planned address from a pool (e.g. addresses: [\"172.22.0.50-172.22.0.100\"]); or use mesh.serviceType: NodePort",
                });
            }
            const ip = c.clustermesh?.apiserverIP;
            if (ip !== undefined && ownPool.length > 0 && !ownPool.some((r) => contains(r, ipv4ToInt(ip)))) {
                issues.push({ path: `clusters[${i}].clustermesh.apiserverIP`, message: `${quoteInput(ip)} is outside this cluster's ${lbName} pool (${(loadBalancerAddresses(c) ?? []).join(", ")}); ${lbName} would never assign it` });
            }
            for (const key of ["nodePort", "nodeAddress"] as const) {
                if (c.clustermesh?.[key] !== undefined) {
                    issues.push({ path: `clusters[${i}].clustermesh.${key}`, message: "is only used with mesh.serviceType NodePort (it is LoadBalancer); remove it or change mesh.serviceType" });
                }
            }
        } else if (mesh.serviceType === "ClusterIP") {
            issues.push(...clusterIpApiserverIssues(c, i));
        } else if (c.clustermesh?.apiserverIP !== undefined) {
            issues.push({ path: `clusters[${i}].clustermesh.apiserverIP`, message: "is only used with mesh.serviceType LoadBalancer or ClusterIP (it is NodePort); remove it or change mesh.serviceType" });
        }
        // MetalLB owns LoadBalancer Services only if K3s' own ServiceLB (klipper-lb) is off; both would answer.
        if (metallb && c.source.k3s && !c.source.k3s.disable.includes("servicelb")) {
            issues.push({
                path: `clusters[${i}].source.k3s.disable`,
                message: `must include "servicelb" when loadBalancer.metallb is set: K3s' ServiceLB would also claim the LoadBalancer Services (add "servicelb" to the list, or leave disable unset for the default ${JSON.stringify(DEFAULT_K3S_DISABLE)})`,
            });
        }
    });
    for (const [a, b] of findOverlaps(pools)) {
        const [first, second] = [a, b].sort((x, y) => x.label.localeCompare(y.label, "en", { numeric: true }));
        if (first.label.split(".")[0] === second.label.split(".")[0]) continue;
        issues.push({ path: second.label, message: `overlaps ${first.label}; load-balancer pools of different clusters must not overlap` });
    }
    // A LoadBalancer address inside a pod or service range would be routed to pods or Services instead.
    for (const [a, b] of findOverlaps([...pools, ...podRanges])) {
        const [pool, range] = a.label.includes(".loadBalancer.") ? [a, b] : [b, a];
        if (!pool.label.includes(".loadBalancer.") || range.label.includes(".loadBalancer.")) continue;
        // The cluster's own ranges are config/address-rules.ts's, for every cluster (mesh or not).
        if (pool.label.split(".")[0] === range.label.split(".")[0]) continue;
        issues.push({ path: pool.label, message: `overlaps ${range.label}; MetalLB addresses must lie outside every mesh pod and service CIDR (on the nodes' network)` });
    }

    if (mesh.serviceType === "NodePort") {
        // NodePorts (unique per cluster and across the mesh, in range) are config/port-registry.ts's.
        members.forEach((c) => {
            const i = indexOf(c);
            const derived = nodeAddress(c);
            if (c.clustermesh?.nodeAddress === undefined && (derived.type === "unknown" || derived.type === "thisMachine")) {
                issues.push({
                    path: `clusters[${i}].clustermesh.nodeAddress`,
                    message: `is required with mesh.serviceType NodePort: ${derived.type === "thisMachine" ? "the K3s host is \"localhost\", which other clusters cannot dial" : "Kubeloom does not know a node address of this cluster"}; set the address other clusters reach its nodes on`,
                });
            }
        });
    }

    const serviceKeys = mesh.globalServices.map((svc) => `${svc.namespace}/${svc.name}`);
    for (const j of duplicates(serviceKeys, (key) => key)) {
        issues.push({ path: `mesh.globalServices[${j}].name`, message: `${quoteInput(serviceKeys[j])} is declared twice` });
    }
    mesh.globalServices.forEach((svc, j) => {
        if (mesh.demo && svc.namespace === "mesh-demo" && svc.name === "rebel-base") {
            issues.push({ path: `mesh.globalServices[${j}].name`, message: "\"mesh-demo/rebel-base\" is the demo's own global Service (mesh.demo is on); pick another name or namespace" });
        }
        svc.notSharedIn.forEach((name, k) => {
            if (!members.some((m) => m.name === name)) {
                issues.push({ path: `mesh.globalServices[${j}].notSharedIn[${k}]`, message: `${quoteInput(name)} is not a mesh cluster (${members.map((m) => m.name).join(", ")})` });
            }
        });
    });
    if (mesh.verify && !mesh.demo) {
        issues.push({ path: "mesh.verify", message: "checks the demo global service; set mesh.demo: true as well" });
    }
    return issues;
};

/**
 * LoadBalancer Services need something that assigns addresses. Kubeloom installs MetalLB on mesh members (the
 * `loadBalancer.metallb` block); clusters it creates have nothing else (K3s' servicelb is disabled by default and
 * cannot honour a requested address), so a LoadBalancer vCluster there would wait forever for its address.
 */
export const loadBalancersServed: Rule = (config) => {
    const members = new Set(meshMembers(config));
    return config.clusters.flatMap((c, i) => {
        const issues: ConfigIssue[] = [];
        const metallb = c.loadBalancer?.metallb;
        if (metallb && !members.has(c)) {
            issues.push({ path: `clusters[${i}].loadBalancer.metallb`, message: `MetalLB is installed only on mesh members and ${quoteInput(c.name)} is not one; add it to the mesh (kubeloom:mesh) or remove the block` });
        }
        // LB-IPAM is part of Cilium, so it serves any cluster; MetalLB only mesh members (above).
        const served = c.loadBalancer?.cilium ?? (metallb && members.has(c) ? metallb : undefined);
        const lbName = c.loadBalancer?.cilium ? "Cilium LB-IPAM" : "MetalLB";
        const pools = served ? served.addresses.map(parseAddressRange).filter((r): r is Ipv4Interval => typeof r !== "string") : undefined;
        c.vclusters.forEach((vc, j) => {
            if (vc.expose !== "LoadBalancer" || vc.loadBalancerIP === undefined) return;
            const at = `clusters[${i}].vclusters[${j}]`;
            if (!pools && createsCluster(clusterSource(c))) {
                issues.push({ path: `${at}.expose`, message: `LoadBalancer needs a load balancer: loadBalancer.cilium (Cilium ≥ ${LBIPAM_MIN_CILIUM}), or MetalLB, which Kubeloom installs only on mesh members with loadBalancer.metallb; or use expose: NodePort` });
            } else if (pools && pools.length > 0 && !pools.some((r) => contains(r, ipv4ToInt(vc.loadBalancerIP!)))) {
                issues.push({ path: `${at}.loadBalancerIP`, message: `${quoteInput(vc.loadBalancerIP)} is outside this cluster's ${lbName} pool (${served!.addresses.join(", ")}); ${lbName} would never assign it` });
            }
        });
        return issues;
    });
};

/**
 * A ClusterIP member's clustermesh-apiserver: its fixed ClusterIP (`clustermesh.apiserverIP`) is required and must be
 * a usable address of its service CIDR (not the network address, nor the first one, which the API server gives the
 * `kubernetes` Service); Cilium ≥ 1.19, whose chart lets Kubeloom create the Service (mesh-plan.ts
 * EXTERNAL_APISERVER_SERVICE_FROM); no NodePort keys. That the members' ClusterIPs are routable between the clusters
 * (Cilium's Cluster Mesh guide: "This requires the ClusterIPs are routable between clusters") is the network's, and
 * cannot be checked here.
 */
function clusterIpApiserverIssues(c: ClusterConfig, i: number): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const at = `clusters[${i}].clustermesh`;
    const ip = c.clustermesh?.apiserverIP;
    const service = parseCidr(c.serviceCidr) as Ipv4Interval;
    if (ip === undefined) {
        issues.push({ path: `${at}.apiserverIP`, message: `is required with mesh.serviceType ClusterIP: the clustermesh-apiserver Service's fixed ClusterIP, which the other clusters dial (an address of serviceCidr ${c.serviceCidr}, e.g. ${intToIpv4(service.first + 10)})` });
    } else if (!contains(service, ipv4ToInt(ip)) || ipv4ToInt(ip) <= service.first + 1 || ipv4ToInt(ip) >= service.last) {
        issues.push({ path: `${at}.apiserverIP`, message: `"${ip}" is not a usable ClusterIP of serviceCidr ${c.serviceCidr} (inside it, past the network address and the kubernetes Service's first address, before the broadcast address)` });
    }
    if (compareVersions(c.cilium.version, EXTERNAL_APISERVER_SERVICE_FROM) < 0) {
        issues.push({ path: `clusters[${i}].cilium.version`, message: `"${c.cilium.version}" cannot serve mesh.serviceType ClusterIP: only Cilium 1.19 or newer lets Kubeloom create the clustermesh-apiserver Service with a fixed ClusterIP (clustermesh.apiserver.service.externallyCreated); use 1.19.6 or 1.20.0, or another serviceType` });
    }
    for (const key of ["nodePort", "nodeAddress"] as const) {
        if (c.clustermesh?.[key] !== undefined) issues.push({ path: `${at}.${key}`, message: "is only used with mesh.serviceType NodePort (it is ClusterIP); remove it or change mesh.serviceType" });
    }
    return issues;
}
