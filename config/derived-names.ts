/**
 * Names Kubeloom derives from the config, and the rule that they stay distinct: the logical names of the
 * resources the composition registers (stacks/ builds them with these functions, so the rule sees exactly the
 * names the program uses), the kubeconfig contexts of the `kubeconfigs` output, and global Services that would
 * take over a Service of the system or of Kubeloom itself. Two config keys deriving one name are a config error
 * naming both keys — never a "duplicate URN" failure of the engine, or a kubeconfig silently replaced in the map.
 */
import type { StackConfig } from "./schema";
import type { ConfigIssue } from "./config-error";
import { installsCilium, meshMembers } from "./resolve";
import { globalServiceResourceName } from "../components/mesh-services";
import { DEMO_NAMESPACE } from "../components/mesh-demo";
import { vclusterContextName, vclusterNamespace } from "../components/vcluster-values";
import { METALLB_NAMESPACE } from "../components/metallb-resources";
import { COMPONENT_TYPES } from "../components/identity";
import { quoteInput } from "../lib/user-input";

/** Logical names of the resources the composition registers at the top level (no parent). */
export const resourceNames = {
    k3sHost: (cluster: string) => `${cluster}-k3s`,
    kindCluster: (cluster: string) => `${cluster}-kind`,
    provider: (cluster: string) => `${cluster}-k8s`,
    stackReference: (cluster: string) => `${cluster}-stack`,
    cilium: (cluster: string) => `${cluster}-cilium`,
    ciliumNodes: (cluster: string) => `${cluster}-cilium-nodes`,
    ciliumVerify: (cluster: string) => `${cluster}-cilium-verify`,
    /** The IPsec key of a cluster outside a mesh; a mesh's one key is meshIpsecKey (no cluster prefix, so it never collides). */
    ipsecKey: (cluster: string) => `${cluster}-ipsec-key`,
    meshIpsecKey: () => "ipsec-key",
    ipsecSecret: (cluster: string) => `${cluster}-ipsec`,
    gatewayApiCrds: (cluster: string) => `${cluster}-gateway-api`,
    gateway: (cluster: string) => `${cluster}-gateway`,
    vcluster: (cluster: string, vcluster: string) => `${cluster}-${vcluster}`,
    starwarsDemo: (cluster: string, vcluster: string) => `${cluster}-${vcluster}-starwars`,
    starwarsVerify: (cluster: string, vcluster: string) => `${cluster}-${vcluster}-starwars-verify`,
    clusterMesh: () => "mesh",
    meshServices: (cluster: string) => `mesh-${cluster}-services`,
    meshDemo: (cluster: string) => `mesh-${cluster}-demo`,
    meshVerify: (cluster: string) => `mesh-${cluster}-verify`,
} as const;

/** A name the config derives: unique per `scope` (a resource type and parent, or the kubeconfig map). */
export interface DerivedName {
    readonly scope: string;
    readonly name: string;
    /** The key whose value makes the name. */
    readonly path: string;
    readonly what: string;
}

/** Every derived name, in config order. */
export function derivedNames(config: StackConfig): DerivedName[] {
    const names: DerivedName[] = [];
    config.clusters.forEach((c, i) => {
        const at = `clusters[${i}]`;
        names.push({ scope: "kubeconfig context", name: c.name, path: `${at}.name`, what: `the context of cluster ${c.name}` });
        if (installsCilium(c) && c.cilium.verify) {
            names.push({ scope: COMPONENT_TYPES.KubectlCheck, name: resourceNames.ciliumVerify(c.name), path: `${at}.cilium.verify`, what: `the Cilium check of ${c.name}` });
        }
        c.vclusters.forEach((vc, j) => {
            const path = `${at}.vclusters[${j}].name`;
            names.push({ scope: "kubeconfig context", name: vclusterContextName(c.name, vc.name), path, what: `the context of vCluster ${vc.name} in ${c.name}` });
            names.push({ scope: COMPONENT_TYPES.VCluster, name: resourceNames.vcluster(c.name, vc.name), path, what: `the VCluster component of ${vc.name} in ${c.name}` });
            if (vc.demo) names.push({ scope: COMPONENT_TYPES.StarwarsDemo, name: resourceNames.starwarsDemo(c.name, vc.name), path, what: `the Star Wars demo of ${vc.name} in ${c.name}` });
            if (vc.demo && vc.verify) names.push({ scope: COMPONENT_TYPES.KubectlCheck, name: resourceNames.starwarsVerify(c.name, vc.name), path, what: `the Star Wars check of ${vc.name} in ${c.name}` });
        });
    });
    const mesh = config.mesh;
    const members = meshMembers(config);
    if (mesh && members.length > 0) {
        // Every member declares the same global Services, so one member's MeshServices shows any collision.
        const component = resourceNames.meshServices(members[0].name);
        const scope = `kubernetes:core/v1:Service in ${component}`;
        mesh.globalServices.forEach((svc, j) => {
            names.push({ scope, name: globalServiceResourceName(component, svc), path: `mesh.globalServices[${j}].name`, what: `global Service ${svc.namespace}/${svc.name}` });
        });
        for (const member of members) {
            if (mesh.verify) {
                const i = config.clusters.indexOf(member);
                names.push({ scope: COMPONENT_TYPES.KubectlCheck, name: resourceNames.meshVerify(member.name), path: `clusters[${i}].name`, what: `the mesh check of ${member.name} (mesh.verify)` });
            }
        }
    }
    return names;
}

/** Services a global Service must never take over: the API server's, cluster DNS, and what Kubeloom installs. */
export const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", METALLB_NAMESPACE] as const;

function systemServiceProblem(config: StackConfig, svc: { namespace: string; name: string }): string | undefined {
    if (svc.namespace === "default" && svc.name === "kubernetes") {
        return "\"default/kubernetes\" is the API server's own Service; a global one would send API traffic to other clusters";
    }
    if ((SYSTEM_NAMESPACES as readonly string[]).includes(svc.namespace)) {
        return `namespace ${quoteInput(svc.namespace)} holds system Services (kube-dns, metrics-server, hubble-relay, MetalLB's webhook...); a global Service there would merge them across clusters. Use an application namespace`;
    }
    for (const c of config.clusters) {
        const tenant = c.vclusters.find((vc) => vclusterNamespace(vc.name) === svc.namespace);
        if (tenant) return `namespace ${quoteInput(svc.namespace)} is vCluster ${tenant.name}'s host namespace in ${c.name} (its syncer owns the Services there); use an application namespace`;
    }
    return undefined;
}

/** Collisions of derived names, and global Services over system ones. */
export function derivedNameIssues(config: StackConfig): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const owners = new Map<string, DerivedName>();
    for (const derived of derivedNames(config)) {
        const key = `${derived.scope}\u0000${derived.name}`;
        const owner = owners.get(key);
        if (!owner) {
            owners.set(key, derived);
            continue;
        }
        const kind = derived.scope === "kubeconfig context" ? "kubeconfig context" : `resource name (${derived.scope.replace(/ in .*/, "")})`;
        issues.push({
            path: derived.path,
            message: `derives the ${kind} ${quoteInput(derived.name)} (${derived.what}), which ${owner.path} already derives (${owner.what}); rename one of them`,
        });
    }
    config.mesh?.globalServices.forEach((svc, j) => {
        const problem = systemServiceProblem(config, svc);
        if (problem) issues.push({ path: `mesh.globalServices[${j}].${svc.namespace === "default" ? "name" : "namespace"}`, message: problem });
        if (svc.namespace === DEMO_NAMESPACE && config.mesh?.demo) {
            // The demo owns its namespace (its own rebel-base Service included) and deletes it with everything inside
            // when mesh.demo is turned off.
            issues.push({ path: `mesh.globalServices[${j}].namespace`, message: `${quoteInput(DEMO_NAMESPACE)} is the demo's namespace (mesh.demo is on), deleted with the demo; use another namespace` });
        }
    });
    return issues;
}
