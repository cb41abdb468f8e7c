/**
 * Cross-field rules of the stack config: what a single field's schema cannot see (uniqueness, overlaps, a
 * setting that needs another). Each rule returns issues with the key path of the value to change.
 */
import type { ConfigIssue, StackConfig, ClusterConfig } from "./schema";
import { DEFAULT_K3S_DISABLE } from "../components/versions";
import { clusterKubernetes, clusterLoadBalancer, createdNodeCount, installsCilium, k3sApiAddress, k3sNodes, loadBalancerAddresses, meshMembers } from "./resolve";
import { tenantPolicyIssues } from "./tenant-policy-rules";
import { ciliumFeatureIssues } from "./cilium-feature-rules";
import { ChartRelease, chartReleases, formatRange, supportsKubernetes } from "../components/support-matrix";
import { chainingProblems, chainsOntoPrimaryCni, ROUTER_CIDR_NODE_MASK } from "../components/cilium-values";
import { contains, findOverlaps, ipv4ToInt, isIpv4, LabelledInterval, overlaps, parseAddressRange, parseCidr, Ipv4Interval } from "../lib/cidr";

import { addressIssues } from "./address-rules";
import { registryRules } from "./port-registry";
import { derivedNameIssues } from "./derived-names";

type Rule = (config: StackConfig) => ConfigIssue[];



function duplicates<T>(items: readonly T[], key: (item: T) => unknown): number[] {
    const seen = new Map<unknown, number>();
    const repeated: number[] = [];
    items.forEach((item, index) => {
        const k = key(item);
        if (seen.has(k)) repeated.push(index);
        else seen.set(k, index);
    });
    return repeated;
}

const uniqueClusterNamesAndIds: Rule = (config) => {
    const issues: ConfigIssue[] = [];
    for (const i of duplicates(config.clusters, (c) => c.name)) {
        const first = config.clusters.findIndex((c) => c.name === config.clusters[i].name);
        issues.push({ path: `clusters[${i}].name`, message: `"${config.clusters[i].name}" is already used by clusters[${first}]; cluster names must be unique` });
    }
    for (const i of duplicates(config.clusters, (c) => c.id)) {
        const first = config.clusters.findIndex((c) => c.id === config.clusters[i].id);
        issues.push({ path: `clusters[${i}].id`, message: `${config.clusters[i].id} is already used by clusters[${first}]; cluster ids must be unique (1-255)` });
    }
    return issues;
};

const clusterIdRange: Rule = (config) => {
    const max = config.mesh?.enabled ? config.mesh.maxConnectedClusters : 255;
    return config.clusters.flatMap((c, i) =>
        c.id > max
            ? [{ path: `clusters[${i}].id`, message: `${c.id} is above ${max}; ids up to 511 need mesh.maxConnectedClusters: 511 (Cilium accepts only 255 or 511)` }]
            : [],
    );
};

const podAndServiceCidrsApart: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const pod = parseCidr(c.podCidr) as Ipv4Interval;
        const service = parseCidr(c.serviceCidr) as Ipv4Interval;
        return findOverlaps([
            { label: "podCidr", interval: pod },
            { label: "serviceCidr", interval: service },
        ]).length
            ? [{ path: `clusters[${i}].serviceCidr`, message: `"${c.serviceCidr}" overlaps the cluster's podCidr "${c.podCidr}"; pick disjoint ranges (K3s defaults: 10.42.0.0/16 and 10.43.0.0/16)` }]
            : [];
    });

const kubeProxyReplacementNeedsApiHost: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const derived = c.source.k3s !== undefined || c.source.kind !== undefined;
        if (!installsCilium(c) || !c.cilium.kubeProxyReplacement || derived || c.cilium.k8sServiceHost) return [];
        return [
            {
                path: `clusters[${i}].cilium.k8sServiceHost`,
                message: "is required when cilium.kubeProxyReplacement is true and the cluster is not created by Kubeloom (there is no kube-proxy to reach the API); set it to the API server's address, or set kubeProxyReplacement: false",
            },
        ];
    });

const secretsPresent: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const issues: ConfigIssue[] = [];
        const k3s = c.source.k3s;
        const nodes = k3s ? k3sNodes(k3s, "") : undefined;
        const needsKey = k3s && !k3s.sshPrivateKeyPath && [...nodes!.servers, ...nodes!.agents].some((n) => n.host !== "localhost");
        if (needsKey && !config.sshPrivateKey) {
            issues.push({
                path: `clusters[${i}].source.k3s.sshPrivateKeyPath`,
                message: "no SSH key: set sshPrivateKeyPath, or the secret kubeloom:sshPrivateKey (`pulumi config set --secret kubeloom:sshPrivateKey < ~/.ssh/id_ed25519`)",
            });
        }
        if (c.source.kubeconfig && !c.source.kubeconfig.path && config.sourceKubeconfigs?.[c.name] === undefined) {
            issues.push({
                path: `clusters[${i}].source.kubeconfig.path`,
                message: `no kubeconfig: set path, or the secret kubeloom:sourceKubeconfigs.${c.name} (\`pulumi config set --secret --path 'kubeloom:sourceKubeconfigs.${c.name}' "$(cat kubeconfig)"\`)`,
            });
        }
        return issues;
    });

/** Embedded etcd keeps quorum with an odd number of members; K3s's HA guide and this project support 1, 3 or 5. */
const K3S_SERVER_COUNTS = [1, 3, 5];

const k3sTopology: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const k3s = c.source.k3s;
        if (!k3s) return [];
        const issues: ConfigIssue[] = [];
        const at = `clusters[${i}].source.k3s`;
        const { servers, agents } = k3sNodes(k3s, at);
        if (!K3S_SERVER_COUNTS.includes(servers.length)) {
            issues.push({
                path: `${at}.servers`,
                message: `has ${servers.length} servers; use 1, 3 or 5: embedded etcd needs a majority (${Math.floor(servers.length / 2) + 1} of ${servers.length}) to work, so an even count tolerates no more failures than one server fewer, and 2 servers tolerate none (docs.k3s.io/datastore/ha-embedded)`,
            });
        }
        if (servers.length > 1) {
            if (k3s.registrationAddress === undefined) {
                issues.push({ path: `${at}.registrationAddress`, message: `is required with ${servers.length} servers: the fixed address (a VIP, DNS name or load balancer in front of the servers) that nodes join and kubeconfigs and Cilium use, so no single server is a point of failure` });
            }
            servers.forEach((s) => {
                if (s.host === "localhost") issues.push({ path: s.path, message: "cannot be \"localhost\" with several servers: the other servers join it over the network; give its address" });
            });
        }
        if (servers.length === 1 && servers[0].host === "localhost" && agents.length > 0 && k3s.registrationAddress === undefined) {
            issues.push({
                path: `${at}.registrationAddress`,
                message: "is required when host is \"localhost\" and there are agents: the address of this machine the agents join and Cilium's kube-proxy replacement dials; 127.0.0.1 works only on this machine",
            });
        }
        // A host listed twice (in this cluster or another) is config/port-registry.ts's.
        const nodes = [...servers, ...agents];
        k3s.skipUninstall.forEach((host, j) => {
            if (!nodes.some((n) => n.host === host)) {
                issues.push({ path: `${at}.skipUninstall[${j}]`, message: `"${host}" is not a node of this cluster (${nodes.map((n) => n.host).join(", ")}); list the servers or agents that no longer exist` });
            }
        });
        return issues;
    });

const ciliumManagedElsewhere: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const issues: ConfigIssue[] = [];
        const at = `clusters[${i}]`;
        if (!installsCilium(c)) {
            if (c.source.k3s || c.source.kind) {
                issues.push({ path: `${at}.cilium.install`, message: "cannot be false for a cluster this stack creates: it would have no CNI (nodes stay NotReady); remove it" });
            }
            if (c.cilium.chaining || c.cilium.verify) {
                issues.push({ path: `${at}.cilium.${c.cilium.chaining ? "chaining" : "verify"}`, message: "configures a Cilium this stack does not install (cilium.install is false); set it in the stack that installs Cilium" });
            }
        }
        const existing = c.source.kubeconfig ?? c.source.stackReference;
        if (existing && existing.nodeAddress === undefined && c.cilium.k8sServiceHost === undefined) {
            // Kubeloom did not create these nodes, so it cannot know an address where a NodePort answers; guessing
            // (localhost) would export a kubeconfig that works nowhere but on the node itself.
            const kind = c.source.kubeconfig ? "kubeconfig" : "stackReference";
            c.vclusters.forEach((vc, j) => {
                if (vc.expose === "NodePort") {
                    issues.push({ path: `${at}.source.${kind}.nodeAddress`, message: `is required for vclusters[${j}] (expose: NodePort): the address of a node every client can reach, where the NodePort answers (or set cilium.k8sServiceHost)` });
                }
            });
        }
        if (c.source.stackReference) {
            // The referenced stack's vClusters already use NodePorts from 31443 up; a default here would collide.
            c.vclusters.forEach((vc, j) => {
                if (vc.expose === "NodePort" && vc.nodePort === undefined) {
                    issues.push({ path: `${at}.vclusters[${j}].nodePort`, message: "is required on a cluster another stack manages: the default (31443 + index) restarts in every stack and would collide with that stack's vClusters; pick a free port in 30000-32767" });
                }
            });
        }
        return issues;
    });

const vclustersConsistent: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const issues: ConfigIssue[] = [];
        for (const j of duplicates(c.vclusters, (v) => v.name)) {
            issues.push({ path: `clusters[${i}].vclusters[${j}].name`, message: `"${c.vclusters[j].name}" is already used in this cluster; vCluster names must be unique per cluster` });
        }
        c.vclusters.forEach((v, j) => {
            const at = `clusters[${i}].vclusters[${j}]`;
            if (v.nodePort !== undefined && v.expose !== "NodePort") {
                issues.push({ path: `${at}.nodePort`, message: `is only used with expose: NodePort (expose is ${v.expose}); remove it or change expose` });
            }
            if (v.loadBalancerIP !== undefined && v.expose !== "LoadBalancer") {
                issues.push({ path: `${at}.loadBalancerIP`, message: `is only used with expose: LoadBalancer (expose is ${v.expose}); remove it or change expose` });
            }
            if (!v.quota && v.resourceQuota !== undefined) {
                issues.push({ path: `${at}.resourceQuota`, message: "is set but quota is false (no ResourceQuota renders); remove it or set quota: true" });
            }
            if (!v.quota && v.limitRange !== undefined) {
                issues.push({ path: `${at}.limitRange`, message: "is set but quota is false (no LimitRange renders); remove it or set quota: true" });
            }
            for (const k of duplicates(v.networkPolicies, (p) => p.name)) {
                issues.push({ path: `${at}.networkPolicies[${k}].name`, message: `"${v.networkPolicies[k].name}" is already used by another policy of this vCluster; policy names must be unique` });
            }
            issues.push(...tenantPolicyIssues(v, at));
            if (v.expose === "LoadBalancer" && v.loadBalancerIP === undefined) {
                issues.push({ path: `${at}.loadBalancerIP`, message: "is required with expose: LoadBalancer, so the exported kubeconfig and the certificate can name the server; pick a free address from the cluster's LoadBalancer pool" });
            }
        });
        return issues;
    });


/**
 * The operator's replicas must fit the nodes: the 1.16 chart gives cilium-operator a required pod anti-affinity on
 * kubernetes.io/hostname (values.yaml operator.affinity), so each replica needs its own node and the rest stay
 * Pending. Kind workers count, as do K3s agents; clusters Kubeloom did not create are not known here.
 */
const operatorReplicasFit: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const nodes = createdNodeCount(c);
        const replicas = c.cilium.operatorReplicas;
        return installsCilium(c) && nodes !== undefined && replicas !== undefined && replicas > nodes
            ? [{ path: `clusters[${i}].cilium.operatorReplicas`, message: `${replicas} is more than the cluster's ${nodes} node${nodes === 1 ? "" : "s"} (${c.source.kind ? "kind control plane + workers" : "K3s server + agents"}); each operator replica needs its own node (required anti-affinity), the rest would stay Pending` }]
            : [];
    });

const hubbleConsistent: Rule = (config) =>
    config.clusters.flatMap((c, i) =>
        c.cilium.hubble.uiNodePort !== undefined && !c.cilium.hubble.ui
            ? [{ path: `clusters[${i}].cilium.hubble.uiNodePort`, message: "needs cilium.hubble.ui: true (there is no UI to expose)" }]
            : [],
    );

/**
 * chaining.routerCidr for a mode that keeps a primary CNI (required: see chainingProblems): a network address with room for a few per-node
 * /28 blocks, and disjoint from the ranges the cluster's pods, Services and API server use.
 */
function routerCidrIssues(c: ClusterConfig, path: string): ConfigIssue[] {
    const routerCidr = c.cilium.chaining?.routerCidr;
    // Missing: a chaining problem (chainingProblems) reports it.
    if (routerCidr === undefined) return [];
    const router = parseCidr(routerCidr);
    if (typeof router === "string") return []; // the field schema reported it
    const prefix = Number(routerCidr.split("/")[1]);
    const issues: ConfigIssue[] = [];
    if (prefix > ROUTER_CIDR_NODE_MASK - 2) {
        issues.push({ path, message: `"${routerCidr}" holds fewer than 4 nodes: Cilium gives each node a /${ROUTER_CIDR_NODE_MASK}; use a /${ROUTER_CIDR_NODE_MASK - 2} or larger (a /20 holds 256 nodes)` });
    }
    for (const field of ["podCidr", "serviceCidr"] as const) {
        const other = parseCidr(c[field]);
        if (typeof other !== "string" && overlaps(router, other)) {
            issues.push({ path, message: `"${routerCidr}" overlaps the cluster's ${field} "${c[field]}": the router IPs must come from a range no pod or Service uses` });
        }
    }
    const host = c.cilium.k8sServiceHost;
    if (host !== undefined && isIpv4(host) && contains(router, ipv4ToInt(host))) {
        issues.push({ path, message: `"${routerCidr}" contains cilium.k8sServiceHost ${host}: the router IPs must not collide with node addresses` });
    }
    return issues;
}

/**
 * CNI chaining, per the Cilium 1.16 install guides (Documentation/installation/cni-chaining-*.rst): generic-veth,
 * aws-cni and flannel keep the cluster's CNI as the primary one (its IPAM, its routing), portmap keeps Cilium primary.
 */
const chainingConsistent: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const chaining = c.cilium.chaining;
        if (!chaining) return [];
        const at = `clusters[${i}].cilium`;
        const mode = chaining.mode;
        const issues: ConfigIssue[] = [];
        if (c.source.k3s || c.source.kind) {
            issues.push({
                path: `${at}.chaining`,
                message: "is for clusters that keep their own CNI; Kubeloom creates this cluster without one (k3s/kind source), so Cilium must be the only CNI. Remove chaining, or use a kubeconfig / stackReference source",
            });
        }
        // The chaining rules themselves are stated once, in components/cilium-values.ts; here they get key paths.
        for (const problem of chainingProblems({ chaining, routingMode: c.cilium.routingMode, ipamMode: c.cilium.ipamMode, kubeProxyReplacement: { enabled: c.cilium.kubeProxyReplacement } })) {
            issues.push({ path: `${at}.${problem.key}`, message: problem.message });
        }
        if (chainsOntoPrimaryCni(mode)) issues.push(...routerCidrIssues(c, `${at}.chaining.routerCidr`));
        if (c.cilium.kubeProxyReplacement && c.cilium.k8sServicePort === undefined && !c.source.k3s && !c.source.kind) {
            issues.push({
                path: `${at}.k8sServicePort`,
                message: "is required with chaining and kubeProxyReplacement: true: the agents dial the API server directly and an existing cluster's port varies (6443 with kubeadm, 443 on EKS); set the port of cilium.k8sServiceHost",
            });
        }
        if (chaining.nodes.length > 0 && Object.keys(c.cilium.nodeSelector).length === 0) {
            issues.push({ path: `${at}.nodeSelector`, message: "is empty but chaining.nodes is set: add a nodeSelector (e.g. kubeloom.io/cilium: \"true\") so the agents stay on the nodes you selected" });
        }
        for (const j of duplicates(chaining.nodes, (node) => node)) {
            issues.push({ path: `${at}.chaining.nodes[${j}]`, message: `"${chaining.nodes[j]}" is listed twice` });
        }
        return issues;
    });


const meshRules: Rule = (config) => {
    const mesh = config.mesh;
    if (!mesh || !mesh.enabled) return [];
    const issues: ConfigIssue[] = [];
    const names = config.clusters.map((c) => c.name);
    (mesh.clusters ?? []).forEach((name, j) => {
        if (!names.includes(name)) {
            issues.push({ path: `mesh.clusters[${j}]`, message: `"${name}" is not a cluster in this stack (clusters: ${names.join(", ")})` });
        }
    });
    for (const j of duplicates(mesh.clusters ?? [], (n) => n)) {
        issues.push({ path: `mesh.clusters[${j}]`, message: `"${mesh.clusters![j]}" is listed twice` });
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
                if (lbKey === "metallb") issues.push({ path: `clusters[${i}].loadBalancer.${lbKey}.addresses[${k}]`, message: `"${text}" ${parsed}` });
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
                issues.push({ path: `clusters[${i}].clustermesh.apiserverIP`, message: `"${ip}" is outside this cluster's ${lbName} pool (${(loadBalancerAddresses(c) ?? []).join(", ")}); ${lbName} would never assign it` });
            }
            for (const key of ["nodePort", "nodeAddress"] as const) {
                if (c.clustermesh?.[key] !== undefined) {
                    issues.push({ path: `clusters[${i}].clustermesh.${key}`, message: "is only used with mesh.serviceType NodePort (it is LoadBalancer); remove it or change mesh.serviceType" });
                }
            }
        } else if (c.clustermesh?.apiserverIP !== undefined) {
            issues.push({ path: `clusters[${i}].clustermesh.apiserverIP`, message: "is only used with mesh.serviceType LoadBalancer (it is NodePort); remove it or change mesh.serviceType" });
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
        issues.push({ path: pool.label, message: `overlaps ${range.label}; MetalLB addresses must lie outside every mesh pod and service CIDR (on the nodes' network)` });
    }

    if (mesh.serviceType === "NodePort") {
        // NodePorts (unique per cluster and across the mesh, in range) are config/port-registry.ts's.
        members.forEach((c) => {
            const i = indexOf(c);
            const derivedAddress = c.source.k3s ? k3sApiAddress(c.source.k3s) : c.source.kind ? "kind" : c.cilium.k8sServiceHost;
            if (c.clustermesh?.nodeAddress === undefined && (derivedAddress === undefined || derivedAddress === "localhost")) {
                issues.push({
                    path: `clusters[${i}].clustermesh.nodeAddress`,
                    message: `is required with mesh.serviceType NodePort: ${derivedAddress === "localhost" ? "the K3s host is \"localhost\", which other clusters cannot dial" : "Kubeloom does not know a node address of this cluster"}; set the address other clusters reach its nodes on`,
                });
            }
        });
    }

    const serviceKeys = mesh.globalServices.map((svc) => `${svc.namespace}/${svc.name}`);
    for (const j of duplicates(serviceKeys, (key) => key)) {
        issues.push({ path: `mesh.globalServices[${j}].name`, message: `"${serviceKeys[j]}" is declared twice` });
    }
    mesh.globalServices.forEach((svc, j) => {
        if (mesh.demo && svc.namespace === "mesh-demo" && svc.name === "rebel-base") {
            issues.push({ path: `mesh.globalServices[${j}].name`, message: "\"mesh-demo/rebel-base\" is the demo's own global Service (mesh.demo is on); pick another name or namespace" });
        }
        svc.notSharedIn.forEach((name, k) => {
            if (!members.some((m) => m.name === name)) {
                issues.push({ path: `mesh.globalServices[${j}].notSharedIn[${k}]`, message: `"${name}" is not a mesh cluster (${members.map((m) => m.name).join(", ")})` });
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
const loadBalancersServed: Rule = (config) => {
    const members = new Set(meshMembers(config));
    return config.clusters.flatMap((c, i) => {
        const issues: ConfigIssue[] = [];
        const metallb = c.loadBalancer?.metallb;
        if (metallb && !members.has(c)) {
            issues.push({ path: `clusters[${i}].loadBalancer.metallb`, message: `MetalLB is installed only on mesh members and "${c.name}" is not one; add it to the mesh (kubeloom:mesh) or remove the block` });
        }
        // LB-IPAM is part of Cilium, so it serves any cluster; MetalLB only mesh members (above).
        const served = c.loadBalancer?.cilium ?? (metallb && members.has(c) ? metallb : undefined);
        const lbName = c.loadBalancer?.cilium ? "Cilium LB-IPAM" : "MetalLB";
        const pools = served ? served.addresses.map(parseAddressRange).filter((r): r is Ipv4Interval => typeof r !== "string") : undefined;
        c.vclusters.forEach((vc, j) => {
            if (vc.expose !== "LoadBalancer" || vc.loadBalancerIP === undefined) return;
            const at = `clusters[${i}].vclusters[${j}]`;
            if (!pools && (c.source.k3s || c.source.kind)) {
                issues.push({ path: `${at}.expose`, message: "LoadBalancer needs a load balancer: loadBalancer.cilium (Cilium ≥ 1.18), or MetalLB, which Kubeloom installs only on mesh members with loadBalancer.metallb; or use expose: NodePort" });
            } else if (pools && pools.length > 0 && !pools.some((r) => contains(r, ipv4ToInt(vc.loadBalancerIP!)))) {
                issues.push({ path: `${at}.loadBalancerIP`, message: `"${vc.loadBalancerIP}" is outside this cluster's ${lbName} pool (${served!.addresses.join(", ")}); ${lbName} would never assign it` });
            }
        });
        return issues;
    });
};

/** Cilium minor of a version text ("1.18.12" → 18). */
function ciliumMinor(version: string): number {
    return Number(/^v?1\.(\d+)\./.exec(version)?.[1] ?? "0");
}

/**
 * Cilium's own load balancer: never together with MetalLB (both would claim every Service without a
 * loadBalancerClass); only where this stack installs Cilium ≥ 1.18 (LB-IPAM pools are cilium.io/v2 from 1.18) with
 * kube-proxy replacement (L2 announcements need it); address entries valid; and K3s' ServiceLB off.
 */
const ciliumLoadBalancer: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const cilium = c.loadBalancer?.cilium;
        if (!cilium) return [];
        const at = `clusters[${i}].loadBalancer`;
        const issues: ConfigIssue[] = [];
        if (c.loadBalancer?.metallb) {
            issues.push({ path: at, message: "sets both metallb and cilium; pick one: both would claim every LoadBalancer Service that names no loadBalancerClass" });
        }
        if (!installsCilium(c)) {
            issues.push({ path: `${at}.cilium`, message: "needs Cilium installed by this stack (cilium.install is false here): LB-IPAM and L2 announcements are agent and operator settings" });
        } else if (ciliumMinor(c.cilium.version) < 18) {
            issues.push({ path: `${at}.cilium`, message: `needs Cilium 1.18 or newer (cilium.version is ${c.cilium.version}): CiliumLoadBalancerIPPool is cilium.io/v2 from 1.18; use loadBalancer.metallb on older Cilium` });
        }
        if (!c.cilium.kubeProxyReplacement) {
            issues.push({ path: `${at}.cilium`, message: "needs cilium.kubeProxyReplacement: true: L2 announcements only work with kube-proxy replacement" });
        }
        cilium.addresses.forEach((text, k) => {
            const parsed = parseAddressRange(text);
            if (typeof parsed === "string") issues.push({ path: `${at}.cilium.addresses[${k}]`, message: `"${text}" ${parsed}` });
        });
        if (c.source.k3s && !c.source.k3s.disable.includes("servicelb")) {
            issues.push({ path: `clusters[${i}].source.k3s.disable`, message: `must include "servicelb" when loadBalancer.cilium is set: K3s' ServiceLB would also claim the LoadBalancer Services (leave disable unset for the default ${JSON.stringify(DEFAULT_K3S_DISABLE)})` });
        }
        return issues;
    });

/**
 * The support matrix's combinations (components/support-matrix.ts): each chart release this stack installs must
 * support the Kubernetes version its cluster runs (K3s line, kind node image, or an existing cluster's stated
 * `kubernetesVersion`; not checked when an existing cluster states none). The single-field schema has already
 * refused any version that is not in the matrix at all.
 */
const supportMatrixCombinations: Rule = (config) =>
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
    return `"${release.version}" supports ${host} ${formatRange(release.kubernetes)}, but ${kubeKey} is Kubernetes ${minor}, a combination outside Kubeloom's support matrix; ${instead}, or move the cluster to a Kubernetes line in ${formatRange(release.kubernetes)}`;
}

/** Every cross-field rule, in the order their messages are reported. */
export const CROSS_FIELD_RULES: readonly Rule[] = [
    uniqueClusterNamesAndIds,
    clusterIdRange,
    supportMatrixCombinations,
    podAndServiceCidrsApart,
    addressIssues,
    registryRules,
    kubeProxyReplacementNeedsApiHost,
    secretsPresent,
    k3sTopology,
    ciliumManagedElsewhere,
    vclustersConsistent,
    hubbleConsistent,
    operatorReplicasFit,
    chainingConsistent,
    meshRules,
    loadBalancersServed,
    ciliumLoadBalancer,
    ciliumFeatureIssues,
    derivedNameIssues,
];

/** Runs every cross-field rule on a config whose fields are individually valid. */
export function crossFieldIssues(config: StackConfig): ConfigIssue[] {
    return CROSS_FIELD_RULES.flatMap((rule) => rule(config));
}
