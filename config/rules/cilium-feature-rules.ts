/**
 * Cross-field rules of the Cilium features (encryption, Hubble metrics, tunnel protocol, devices, Gateway API) per
 * cluster, and what every Cluster Mesh member must agree on. The per-cluster feature rules themselves are stated once
 * in components/cilium-features.ts (ciliumFeatureProblems); this file gives them key paths and adds what needs the
 * rest of the config (the load balancer, K3s's packaged Traefik, the other mesh members).
 */
import type { ConfigIssue } from "../config-error";
import { quoteInput } from "../../lib/user-input";
import type { ClusterConfig, StackConfig } from "../schema";
import { encryptionOf, gatewayApiOn, installsCilium, meshMembers } from "../resolve";
import { ciliumFeatureProblems, coveringCidr, DEFAULT_TUNNEL_PROTOCOL, prefixLength, WIDEST_NATIVE_ROUTING_PREFIX } from "../../components/cilium-features";
import { DEFAULT_K3S_DISABLE } from "../../components/versions";
import { ANY_CLUSTER, KAFKA_RULES_REMOVED_IN } from "../../components/mesh-services";
import { DEMO_NAMESPACE } from "../../components/mesh-demo";
import { compareVersions } from "../../components/support-matrix";
import { contains, ipv4ToInt, parseAddressRange, Ipv4Interval } from "../../lib/cidr";

/** Issues of one cluster's Cilium features. */
function clusterFeatureIssues(c: ClusterConfig, i: number): ConfigIssue[] {
    if (!installsCilium(c)) return [];
    const at = `clusters[${i}].cilium`;
    const cilium = c.cilium;
    const issues: ConfigIssue[] = ciliumFeatureProblems({
        ciliumVersion: cilium.version,
        kubeProxyReplacement: { enabled: cilium.kubeProxyReplacement },
        routingMode: cilium.routingMode,
        chainingMode: cilium.chaining?.mode,
        encryption: encryptionOf(c),
        tunnelProtocol: cilium.tunnelProtocol,
        hubbleMetrics: cilium.hubble.metrics ? { enabled: cilium.hubble.metrics, serviceMonitor: cilium.hubble.serviceMonitor } : undefined,
        gatewayAPI: gatewayApiOn(c) ? { enabled: true } : undefined,
    }).map((p) => ({ path: `${at}.${p.key}`, message: p.message }));

    if (cilium.encryption?.keyId !== undefined && cilium.encryption.type !== "ipsec") {
        issues.push({ path: `${at}.encryption.keyId`, message: "numbers the IPsec key and is only used with type: ipsec (WireGuard nodes make and exchange their own keys); remove it" });
    }
    if (cilium.hubble.serviceMonitor && !cilium.hubble.metrics) {
        issues.push({ path: `${at}.hubble.serviceMonitor`, message: "scrapes the Hubble metrics, which are off; set hubble.metrics (e.g. [dns, drop, tcp, flow, port-distribution, icmp, http]) or remove serviceMonitor" });
    }
    const lbDevices = c.loadBalancer?.cilium?.devices ?? [];
    if (cilium.devices && lbDevices.length > 0) {
        const missing = lbDevices.filter((d) => !cilium.devices!.includes(d));
        if (missing.length > 0) {
            issues.push({ path: `clusters[${i}].loadBalancer.cilium.devices`, message: `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not among cilium.devices (${cilium.devices.join(", ")}): the agent answers ARP for announced addresses only on its own devices; add ${missing.length === 1 ? "it" : "them"} to cilium.devices` });
        }
    }
    if (cilium.gatewayAPI?.gateway && !gatewayApiOn(c)) {
        issues.push({ path: `${at}.gatewayAPI.gateway`, message: "needs gatewayAPI.enabled: true (the Gateway's class is Cilium's); remove the gateway or enable gatewayAPI" });
    }
    const k3s = c.source.k3s;
    if (gatewayApiOn(c) && k3s && !(k3s.disable ?? DEFAULT_K3S_DISABLE).includes("traefik")) {
        issues.push({
            path: `${at}.gatewayAPI`,
            message: "cannot be used with K3s's packaged Traefik (source.k3s.disable leaves traefik on): both would be the cluster's HTTP entry point, their LoadBalancer Services asking the same pool for ports 80/443, and K3s's Traefik chart manages Gateway API CRDs of its own release beside the ones Cilium needs. Add traefik to source.k3s.disable, or turn gatewayAPI off",
        });
    }
    const gateway = cilium.gatewayAPI?.gateway;
    if (gateway && gatewayApiOn(c)) {
        const pool = c.loadBalancer?.cilium?.addresses ?? c.loadBalancer?.metallb?.addresses;
        if (!pool) {
            issues.push({ path: `${at}.gatewayAPI.gateway.address`, message: "needs a load balancer to assign it: loadBalancer.cilium (LB-IPAM) or loadBalancer.metallb" });
        } else {
            const ranges = pool.map(parseAddressRange).filter((r): r is Ipv4Interval => typeof r !== "string");
            if (ranges.length > 0 && !ranges.some((r) => contains(r, ipv4ToInt(gateway.address)))) {
                issues.push({ path: `${at}.gatewayAPI.gateway.address`, message: `"${gateway.address}" is outside this cluster's load balancer pool (${pool.join(", ")}); it would never be assigned` });
            }
        }
    }
    return issues;
}

/**
 * What every mesh member must agree on: the datapath mode (Cluster Mesh guide, "Cluster Addressing Requirements":
 * "All clusters must be configured with the same datapath mode") and tunnel protocol; encryption, all or none and of
 * one type (WireGuard guide, "Cluster Mesh": "mixed mode is currently not supported"; IPsec: one key for the mesh, so
 * one key id); and, with native routing, a native-routing CIDR covering every member's pod CIDR that is not wider than
 * a /8 (coveringCidr says why).
 */
function meshFeatureIssues(config: StackConfig): ConfigIssue[] {
    const members = meshMembers(config).filter(installsCilium);
    if (members.length < 2) return [];
    const index = (c: ClusterConfig) => config.clusters.indexOf(c);
    const first = members[0];
    const at = (c: ClusterConfig, key: string) => `clusters[${index(c)}].cilium.${key}`;
    const issues: ConfigIssue[] = [];
    const describe = (c: ClusterConfig) => (c.cilium.encryption ? `type ${c.cilium.encryption.type}` : "off");
    for (const c of members.slice(1)) {
        if (c.cilium.routingMode !== first.cilium.routingMode) {
            issues.push({ path: at(c, "routingMode"), message: `"${c.cilium.routingMode}" differs from the mesh's first member ${first.name} ("${first.cilium.routingMode}"); Cilium's Cluster Mesh needs one datapath mode in every cluster` });
        } else if (c.cilium.routingMode === "tunnel" && (c.cilium.tunnelProtocol ?? DEFAULT_TUNNEL_PROTOCOL) !== (first.cilium.tunnelProtocol ?? DEFAULT_TUNNEL_PROTOCOL)) {
            issues.push({ path: at(c, "tunnelProtocol"), message: `"${c.cilium.tunnelProtocol ?? DEFAULT_TUNNEL_PROTOCOL}" differs from ${first.name}'s "${first.cilium.tunnelProtocol ?? DEFAULT_TUNNEL_PROTOCOL}"; mesh members must tunnel alike` });
        }
        const ours = c.cilium.encryption;
        const theirs = first.cilium.encryption;
        if (ours?.type !== theirs?.type) {
            issues.push({ path: at(c, "encryption"), message: `is ${describe(c)} and ${first.name}'s is ${describe(first)}: every mesh member must use the same encryption (Cilium supports no mixed mode; unencrypted and encrypted members cannot reach each other's pods)` });
        } else if (ours?.type === "ipsec" && (ours.keyId ?? 1) !== (theirs?.keyId ?? 1)) {
            issues.push({ path: at(c, "encryption.keyId"), message: `${ours.keyId ?? 1} differs from ${first.name}'s ${theirs?.keyId ?? 1}: the mesh shares one IPsec key, so one key id; set the same keyId on every member` });
        }
    }
    if (first.cilium.routingMode === "native" && members.every((c) => c.cilium.routingMode === "native")) {
        const covering = coveringCidr(members.map((c) => c.podCidr));
        if (prefixLength(covering) < WIDEST_NATIVE_ROUTING_PREFIX) {
            issues.push({
                path: `clusters[${index(members[members.length - 1])}].podCidr`,
                message: `with native routing every mesh member's native-routing CIDR must cover all members' pod CIDRs (Cilium's Cluster Mesh guide), and these need ${covering}, wider than a /${WIDEST_NATIVE_ROUTING_PREFIX}: traffic to that much of the address space would leave unmasqueraded. Pick pod CIDRs from one /${WIDEST_NATIVE_ROUTING_PREFIX} (e.g. 10.0.0.0/8), or use routingMode: tunnel`,
            });
        }
    }
    return issues;
}

/**
 * The mesh's cross-cluster policies: `from` names a member (its Cilium enforces the egress), `to` a member or "*";
 * Kafka rules need ports and a `from` member on Cilium before 1.20, whose CNP CRD no longer has them; one policy name
 * per cluster and namespace; not in the demo's namespace while the demo (which deletes it) is on.
 */
function meshPolicyIssues(config: StackConfig): ConfigIssue[] {
    const mesh = config.mesh;
    if (!mesh?.enabled) return [];
    const members = meshMembers(config);
    const byName = new Map(members.map((c) => [c.name, c]));
    const issues: ConfigIssue[] = [];
    mesh.policies.forEach((policy, k) => {
        const at = `mesh.policies[${k}]`;
        const from = byName.get(policy.from.cluster);
        if (!from) issues.push({ path: `${at}.from.cluster`, message: `${quoteInput(policy.from.cluster)} is not a mesh member (${members.map((c) => c.name).join(", ")}); the policy is applied in that cluster` });
        if (policy.to.cluster !== ANY_CLUSTER && !byName.has(policy.to.cluster)) {
            issues.push({ path: `${at}.to.cluster`, message: `${quoteInput(policy.to.cluster)} is not a mesh member (${members.map((c) => c.name).join(", ")}); use a member's name, or "${ANY_CLUSTER}" for every cluster` });
        }
        if (policy.kafka && !policy.ports) issues.push({ path: `${at}.kafka`, message: "applies to ports: list the Kafka brokers' ports in ports" });
        if (policy.kafka && from && compareVersions(from.cilium.version, KAFKA_RULES_REMOVED_IN) >= 0) {
            issues.push({
                path: `${at}.kafka`,
                message: `cannot be enforced by ${from.name}'s Cilium ${from.cilium.version}: Cilium 1.20 removed Kafka rules (its CiliumNetworkPolicy CRD has no toPorts.rules.kafka, so the API server would refuse the policy). Remove kafka (the ports stay allowed at L4), or run Cilium 1.19 in ${from.name}`,
            });
        }
        // The resource name joins namespace and name with "-" (components/MeshServices.ts), so "a-b"/"c" and "a"/"b-c" meet.
        const resourceName = (p: { namespace: string; name: string }) => `${p.namespace}-${p.name}`;
        const first = mesh.policies.findIndex((p) => p.from.cluster === policy.from.cluster && resourceName(p) === resourceName(policy));
        if (first < k) {
            const same = mesh.policies[first].namespace === policy.namespace;
            issues.push({ path: `${at}.name`, message: same ? `"${policy.name}" is also mesh.policies[${first}] in ${policy.from.cluster}/${policy.namespace}; policy names must be unique per cluster and namespace` : `with namespace "${policy.namespace}" gives the resource name of mesh.policies[${first}] (namespace "${mesh.policies[first].namespace}", name "${mesh.policies[first].name}"); rename one` });
        }
        if (mesh.demo && policy.namespace === DEMO_NAMESPACE) {
            issues.push({ path: `${at}.namespace`, message: `"${DEMO_NAMESPACE}" is the demo's namespace (mesh.demo is on), deleted with the demo; use another namespace` });
        }
    });
    return issues;
}

/** Every issue of the Cilium features, in cluster order, then the mesh's. */
export function ciliumFeatureIssues(config: StackConfig): ConfigIssue[] {
    return [...config.clusters.flatMap((c, i) => clusterFeatureIssues(c, i)), ...meshFeatureIssues(config), ...meshPolicyIssues(config)];
}
