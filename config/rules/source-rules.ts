/**
 * Rules on a cluster's source: the API endpoint of a cluster Kubeloom does not create, the credentials a source
 * needs, the K3s topology, and what a cluster managed elsewhere cannot be given.
 */
import type { ConfigIssue } from "../config-error";
import { clusterSource, installsCilium, k3sNodes } from "../resolve";
import { createsCluster, nodeAddress } from "../resolved-cluster";
import { k3sTopologyProblems } from "../../components/k3s-topology";
import { isNodeFieldProblem } from "../shape/source";
import { Rule } from "./rule";
import { VCLUSTER_NODEPORT_BASE } from "../../components/versions";
import { NODE_PORT_RANGE_TEXT } from "../../lib/k8s-formats";
import { quoteInput } from "../../lib/user-input";

export const kubeProxyReplacementNeedsApiHost: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const derived = createsCluster(clusterSource(c));
        if (!installsCilium(c) || !c.cilium.kubeProxyReplacement || derived || c.cilium.k8sServiceHost) return [];
        return [
            {
                path: `clusters[${i}].cilium.k8sServiceHost`,
                message: "is required when cilium.kubeProxyReplacement is true and the cluster is not created by Kubeloom (there is no kube-proxy to reach the API); set it to the API server's address, or set kubeProxyReplacement: false",
            },
        ];
    });

/**
 * One rule for an existing cluster's API endpoint: `cilium.k8sServiceHost` and `cilium.k8sServicePort` together or
 * not at all. There is no default port: it varies (6443 with kubeadm and K3s, 443 on EKS and GKE), and a guessed one
 * would reach Cilium's kube-proxy replacement and the `clusters` output as a wrong address.
 */
export const existingClusterApiEndpoint: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        if (createsCluster(clusterSource(c)) || c.cilium.k8sServiceHost === undefined || c.cilium.k8sServicePort !== undefined) return [];
        return [
            {
                path: `clusters[${i}].cilium.k8sServicePort`,
                message: `is required with cilium.k8sServiceHost on a cluster Kubeloom does not create: the API server's port varies (6443 with kubeadm, 443 on EKS), so Kubeloom does not guess it; set the port of ${c.cilium.k8sServiceHost}`,
            },
        ];
    });

export const secretsPresent: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const issues: ConfigIssue[] = [];
        const k3s = c.source.k3s;
        const nodes = k3s ? k3sNodes(k3s, "") : undefined;
        if (k3s && nodes) {
            const hasSshKey = k3s.sshPrivateKeyPath !== undefined || config.sshPrivateKey !== undefined;
            for (const problem of k3sTopologyProblems({ ...nodes, registrationAddress: k3s.registrationAddress, hasSshKey })) {
                if (problem.key === "sshPrivateKey") issues.push({ path: `clusters[${i}].source.k3s.sshPrivateKeyPath`, message: problem.message });
            }
        }
        if (c.source.kubeconfig && !c.source.kubeconfig.path && config.sourceKubeconfigs?.[c.name] === undefined) {
            issues.push({
                path: `clusters[${i}].source.kubeconfig.path`,
                message: `no kubeconfig: set path, or the secret kubeloom:sourceKubeconfigs.${c.name} (\`pulumi config set --secret --path 'kubeloom:sourceKubeconfigs.${c.name}' "$(cat kubeconfig)"\`)`,
            });
        }
        return issues;
    });

export const k3sTopology: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const k3s = c.source.k3s;
        if (!k3s) return [];
        const issues: ConfigIssue[] = [];
        const at = `clusters[${i}].source.k3s`;
        const { servers, agents } = k3sNodes(k3s, at);
        // The topology rules are components/k3s-topology.ts's (K3sHost runs them too); here they get key paths. The
        // node-field problems are the schema's, the SSH key secretsPresent's.
        for (const problem of k3sTopologyProblems({ servers, agents, registrationAddress: k3s.registrationAddress, hasSshKey: true })) {
            if (!isNodeFieldProblem(problem.key)) issues.push({ path: `${at}.${problem.key}`, message: problem.message });
        }
        // A host listed twice (in this cluster or another) is config/port-registry.ts's.
        const nodes = [...servers, ...agents];
        k3s.skipUninstall.forEach((host, j) => {
            if (!nodes.some((n) => n.host === host)) {
                issues.push({ path: `${at}.skipUninstall[${j}]`, message: `${quoteInput(host)} is not a node of this cluster (${nodes.map((n) => n.host).join(", ")}); list the servers or agents that no longer exist` });
            }
        });
        return issues;
    });

export const ciliumManagedElsewhere: Rule = (config) =>
    config.clusters.flatMap((c, i) => {
        const issues: ConfigIssue[] = [];
        const at = `clusters[${i}]`;
        if (!installsCilium(c)) {
            if (createsCluster(clusterSource(c))) {
                issues.push({ path: `${at}.cilium.install`, message: "cannot be false for a cluster this stack creates: it would have no CNI (nodes stay NotReady); remove it" });
            }
            if (c.cilium.chaining || c.cilium.verify) {
                issues.push({ path: `${at}.cilium.${c.cilium.chaining ? "chaining" : "verify"}`, message: "configures a Cilium this stack does not install (cilium.install is false); set it in the stack that installs Cilium" });
            }
        }
        if (nodeAddress(c).type === "unknown") {
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
            // The referenced stack's vClusters already use NodePorts from VCLUSTER_NODEPORT_BASE up; a default here would collide.
            c.vclusters.forEach((vc, j) => {
                if (vc.expose === "NodePort" && vc.nodePort === undefined) {
                    issues.push({ path: `${at}.vclusters[${j}].nodePort`, message: `is required on a cluster another stack manages: the default (${VCLUSTER_NODEPORT_BASE} + index) restarts in every stack and would collide with that stack's vClusters; pick a free port in ${NODE_PORT_RANGE_TEXT}` });
                }
            });
        }
        return issues;
    });
