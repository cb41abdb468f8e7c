/**
 * The pure parts of the end-to-end run: the throwaway stack's name and config (Pulumi.mesh.yaml plus a vCluster on
 * the first cluster), what the mesh demo must answer in each cluster, and how to read answers and update summaries.
 * Kept apart from the suite so they are unit-tested on machines that cannot run it (test/e2e/harness.test.ts).
 */
import { randomBytes } from "crypto";
import type { ConfigMap, OpMap } from "@pulumi/pulumi/automation";
import type { StackFileConfig } from "../../scripts/plan/stack-file";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { parseStackConfig } from "../../config/parse";
import { meshMembers } from "../../config/resolve";

/** The vCluster the run adds to the first cluster, so "a vCluster's kubeconfig works" has something to check. */
export const E2E_VCLUSTER = {
    name: "e2e",
    // NodePort on the kind node's address on the Docker network: on Linux the host reaches that network directly,
    // so the kubeconfig the chart exports (https://<node IP>:31443, the IP in the certificate's SANs) works as is.
    // ClusterIP would need a `kubectl port-forward` kept alive beside the check.
    expose: "NodePort",
} as const;

/** A fresh stack name, e.g. `e2e-mesh-3f9a1c`: parallel or leftover runs never share a stack. */
export function e2eStackName(random: () => string = () => randomBytes(3).toString("hex")): string {
    return `e2e-mesh-${random()}`;
}

/** The throwaway stack's config and what the checks need to know about it. */
export interface E2eStackConfig {
    /** For `stack.setAllConfig`: every `kubeloom:*` key of the source stack file, plaintext. */
    readonly config: ConfigMap;
    /** Cluster names in config order (also the kind cluster names). */
    readonly clusterNames: readonly string[];
    /** Clusters of the mesh, in config order (meshMembers, as stacks/mesh.ts takes them). */
    readonly meshClusterNames: readonly string[];
    /** Every MetalLB pool entry; they must lie in the Docker network `kind`. */
    readonly metallbPools: readonly string[];
    /** Context of the added vCluster in the `kubeconfigs` output: `<cluster>-<vCluster>`. */
    readonly vclusterContext: string;
}

interface ClusterEntry {
    name: string;
    vclusters?: Array<Record<string, unknown>>;
}

/**
 * Turns the mesh stack file (as `readStackFile` flattens it: structured values as JSON text, the form the program
 * parses) into the throwaway stack's config: `protect: false` on every cluster, whatever the file says, because
 * the run must be able to destroy what it created; and the e2e vCluster on the first cluster. The result goes
 * through the program's own validator, so a config the program would reject fails here, before any cluster exists.
 * Refuses secret keys: they cannot be decrypted offline, and Pulumi.mesh.yaml has none.
 */
export function e2eStackConfig(source: StackFileConfig, stackName: string): E2eStackConfig {
    if (source.secretKeys.length > 0) {
        throw new Error(`the mesh stack file has secret keys (${source.secretKeys.join(", ")}); the e2e harness copies plaintext config only`);
    }
    const clustersText = source.config["kubeloom:clusters"];
    if (clustersText === undefined) throw new Error("the mesh stack file has no kubeloom:clusters");
    const clusters = JSON.parse(clustersText) as ClusterEntry[];
    if (!Array.isArray(clusters) || clusters.length === 0) throw new Error("kubeloom:clusters of the mesh stack file is not a non-empty list");
    const [first] = clusters;
    if ((first.vclusters ?? []).some((vc) => vc.name === E2E_VCLUSTER.name)) {
        throw new Error(`cluster ${first.name} already has a vCluster named ${E2E_VCLUSTER.name}`);
    }
    const changed = clusters.map((cluster, index) => ({
        ...cluster,
        protect: false,
        ...(index === 0 ? { vclusters: [...(cluster.vclusters ?? []), { ...E2E_VCLUSTER }] } : {}),
    }));
    const flat: Record<string, string> = {};
    for (const key of Object.keys(source.config).sort()) {
        if (key.startsWith("kubeloom:")) flat[key] = key === "kubeloom:clusters" ? JSON.stringify(changed) : source.config[key];
    }
    const parsed = parseStackConfig(rawConfigFromPulumi(flat), { stackName, secretKeys: [] });
    const members = meshMembers(parsed);
    if (members.length < 2) throw new Error("the mesh stack file must enable a mesh of at least two clusters");
    if (!parsed.mesh?.demo) throw new Error("the mesh stack file must enable kubeloom:mesh.demo: the checks use its rebel-base service");
    const config: ConfigMap = {};
    for (const [key, value] of Object.entries(flat)) config[key] = { value, secret: false };
    return {
        config,
        clusterNames: parsed.clusters.map((c) => c.name),
        meshClusterNames: members.map((c) => c.name),
        metallbPools: parsed.clusters.flatMap((c) => c.loadBalancer?.metallb?.addresses ?? []),
        vclusterContext: `${first.name}-${E2E_VCLUSTER.name}`,
    };
}

/** What asking the global rebel-base Service from one cluster's x-wing must show. */
export interface DemoExpectation {
    /** Cluster whose x-wing asks. */
    readonly from: string;
    /** Clusters that must answer at least once. */
    readonly expect: readonly string[];
    /** Clusters that must never answer. */
    readonly forbid: readonly string[];
}

/**
 * The demo's expectations, as stacks/mesh.ts wires the demo (and its own mesh.verify check confirms it): the first mesh
 * cluster's x-wing is fenced in by a CiliumNetworkPolicy that allows only rebel-base in the second cluster, so from
 * there only the second answers (requests that land on local backends are dropped); from every other cluster all
 * clusters answer.
 */
export function demoExpectations(meshClusterNames: readonly string[]): DemoExpectation[] {
    const [first, target] = meshClusterNames;
    return meshClusterNames.map((from) =>
        from === first ? { from, expect: [target], forbid: meshClusterNames.filter((n) => n !== target) } : { from, expect: [...meshClusterNames], forbid: [] },
    );
}

/** The cluster named in a rebel-base answer (`{"Galaxy":"Alderaan","Cluster":"c2"}`), or undefined for anything else. */
export function clusterFromAnswer(text: string): string | undefined {
    try {
        const parsed = JSON.parse(text.trim()) as { Cluster?: unknown } | null;
        return typeof parsed?.Cluster === "string" && parsed.Cluster !== "" ? parsed.Cluster : undefined;
    } catch {
        return undefined;
    }
}

/** Label for a request that got no usable answer (a timeout, a drop by the policy, an error page). */
export const NO_ANSWER = "(no answer)";

/** What is wrong with the answers counted from one cluster, or undefined when they meet the expectation. */
export function answersProblem(expectation: DemoExpectation, counts: ReadonlyMap<string, number>): string | undefined {
    const seen = [...counts.entries()].map(([cluster, n]) => `${cluster} ×${n}`).join(", ") || "nothing";
    const forbidden = expectation.forbid.filter((c) => counts.has(c));
    if (forbidden.length > 0) return `from ${expectation.from}: ${forbidden.join(", ")} answered although the demo policy denies it (answers: ${seen})`;
    const silent = expectation.expect.filter((c) => !counts.has(c));
    if (silent.length > 0) return `from ${expectation.from}: ${silent.join(", ")} never answered (answers: ${seen})`;
    return undefined;
}

/** True once the counts already show every expected cluster (sampling can stop after its minimum). */
export function expectationSeen(expectation: DemoExpectation, counts: ReadonlyMap<string, number>): boolean {
    return expectation.expect.every((c) => counts.has(c));
}

/** The operations of an update summary other than `same`, e.g. `["update: 1", "create: 2"]`; empty for no changes. */
export function resourceChangesOtherThanSame(changes: OpMap | undefined): string[] {
    return Object.entries(changes ?? {})
        .filter(([op, count]) => op !== "same" && (count ?? 0) > 0)
        .map(([op, count]) => `${op}: ${count}`)
        .sort();
}
