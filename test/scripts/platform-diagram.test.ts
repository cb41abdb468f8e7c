/**
 * The platform diagram (scripts/plan/platform-diagram.ts): valid Mermaid for every shipped stack and for changes
 * (parsed by mermaid's own parser), deterministic, and marking what a change adds, removes, replaces or changes.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { PROJECT_DIR } from "../../lib/project";
import { readStackFile } from "../../scripts/plan/stack-file";
import type { StackConfig } from "../../config/schema";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { parseStackConfig } from "../../config/parse";
import { platformView, PlatformView } from "../../scripts/plan/platform-view";
import { elementKeys, platformDiagram, TENANTS_DRAWN } from "../../scripts/plan/platform-diagram";
import { parseMermaid } from "../support/mermaid";
import { devConfig } from "../support/fixtures";

const STACKS: Array<[string, string]> = [
    ["dev", "Pulumi.dev.yaml"],
    ["mesh", "Pulumi.mesh.yaml"],
    ["chain", "Pulumi.chain.yaml"],
    ["seed", "examples/Pulumi.seed.yaml"],
];

function stackView(stack: string, file: string): PlatformView {
    const config = parseStackConfig(rawConfigFromPulumi(readStackFile(path.join(PROJECT_DIR, file), "kubeloom").config), { stackName: stack });
    return platformView(config, stack);
}

function viewOf(raw: Record<string, any>): PlatformView {
    return platformView(parseStackConfig({ ...raw, sshPrivateKey: "[secret]" }, { stackName: "dev" }) as StackConfig, "dev");
}

/** The node line of the element whose label contains `text`. */
function lineWith(diagram: string, text: string): string {
    const line = diagram.split("\n").find((l) => l.includes(text));
    assert.ok(line, `no line with ${text} in\n${diagram}`);
    return line;
}

/** The class a node id is assigned to by `class a,b name` lines, or undefined. */
function classOf(diagram: string, line: string): string | undefined {
    const id = /^\s*(\w+)/.exec(line)![1];
    for (const l of diagram.split("\n")) {
        const m = /^\s*class ([\w,]+) (\w+)$/.exec(l);
        if (m && m[1].split(",").includes(id)) return m[2];
    }
    return undefined;
}

describe("platform diagram", function () {
    this.timeout(60_000);

    for (const [stack, file] of STACKS) {
        it(`is valid Mermaid for the ${stack} stack`, async () => {
            const diagram = platformDiagram({ head: stackView(stack, file) });
            const parsed = await parseMermaid(diagram);
            assert.equal(parsed.diagramType, "flowchart-v2");
            assert.equal(platformDiagram({ head: stackView(stack, file) }), diagram, "same input, same text");
        });
    }

    it("rejects what is not Mermaid (the parser is real)", async () => {
        await assert.rejects(parseMermaid("flowchart LR\n  a[\"x\"] --> \n  subgraph"), /Parse error/);
    });

    it("draws clusters, nodes, Cilium, the pool, tenants with their exposure and mesh links", () => {
        const mesh = platformDiagram({ head: stackView("mesh", "Pulumi.mesh.yaml") });
        assert.match(mesh, /subgraph c\d+\["cluster c1 · id 1<br\/>kind kindest\/node:v1\.36\.1"\]/);
        assert.match(mesh, /"worker c2-worker"/);
        assert.match(mesh, /\[\/"MetalLB<br\/>172\.22\.0\.50-172\.22\.0\.100"\/\]/);
        assert.match(mesh, /clustermesh-apiserver 172\.22\.0\.101:2379/);
        assert.match(mesh, /<-\. "Cluster Mesh" \.->/);
        const dev = platformDiagram({ head: stackView("dev", "Pulumi.dev.yaml") });
        assert.match(lineWith(dev, "vCluster vc-a"), /\(\["vCluster vc-a 0\.36\.1<br\/>NodePort https:\/\/192\.0\.2\.10:31443<br\/>isolated · baseline"\]\)/);
        assert.equal(dev.includes("classDef"), false, "nothing is marked without a base");
    });

    it("marks an added tenant, a removed one, a changed one and a replaced one", async () => {
        const before = devConfig();
        before.clusters[0].vclusters = [
            { name: "keep", version: "0.36.1", expose: "NodePort" },
            { name: "gone", version: "0.36.1" },
            { name: "moved", version: "0.36.1", expose: "ClusterIP" },
        ];
        const after = structuredClone(before);
        after.clusters[0].vclusters = [
            { name: "keep", version: "0.36.1", expose: "NodePort" },
            { name: "moved", version: "0.36.1", expose: "NodePort" },
            { name: "fresh", version: "0.36.1" },
        ];
        const diagram = platformDiagram({ head: viewOf(after), base: viewOf(before), replaced: new Set([elementKeys.cilium("dev")]) });
        await parseMermaid(diagram);
        assert.equal(classOf(diagram, lineWith(diagram, "vCluster fresh")), "added");
        assert.match(lineWith(diagram, "vCluster fresh"), /\(\+ new\)/);
        assert.equal(classOf(diagram, lineWith(diagram, "vCluster gone")), "removed");
        assert.equal(classOf(diagram, lineWith(diagram, "vCluster moved")), "changed");
        assert.equal(classOf(diagram, lineWith(diagram, "Cilium 1.20.0")), "replaced");
        assert.equal(classOf(diagram, lineWith(diagram, "vCluster keep")), undefined);
    });

    it("marks a new stack's elements as added and a deleted stack's as removed", async () => {
        const view = stackView("mesh", "Pulumi.mesh.yaml");
        const added = platformDiagram({ head: view, base: null });
        await parseMermaid(added);
        assert.match(added, /class [\w,]+ added/);
        assert.doesNotMatch(added, /class [\w,]+ (removed|changed|replaced)/);
        assert.match(added, /Cluster Mesh \(\+ new\)/);
        const removed = platformDiagram({ head: null, base: view });
        await parseMermaid(removed);
        assert.match(removed, /class [\w,]+ removed/);
        assert.doesNotMatch(removed, /class [\w,]+ added/);
    });

    it("folds tenants beyond the limit into one box, drawing the changed ones first", async () => {
        const before = devConfig();
        before.clusters[0].vclusters = Array.from({ length: 30 }, (_, i) => ({ name: `t${i}`, version: "0.36.1" }));
        const after = structuredClone(before);
        after.clusters[0].vclusters.push({ name: "t99", version: "0.36.1" });
        const diagram = platformDiagram({ head: viewOf(after), base: viewOf(before) });
        await parseMermaid(diagram);
        assert.equal((diagram.match(/"vCluster t\d+ /g) ?? []).length, TENANTS_DRAWN);
        assert.match(diagram, /… 19 more vClusters/);
        assert.match(lineWith(diagram, "vCluster t99"), /\+ new/);
    });

    it("keeps user text inside its label", async () => {
        const raw = devConfig();
        raw.clusters[0].source = { kubeconfig: { path: 'a"] --> x["b' } };
        raw.clusters[0].cilium = { k8sServiceHost: "192.0.2.30", k8sServicePort: 6443 };
        const diagram = platformDiagram({ head: viewOf(raw) });
        await parseMermaid(diagram);
        assert.match(diagram, /kubeconfig a#quot;\] --#gt; x\[#quot;b/);
    });
});
