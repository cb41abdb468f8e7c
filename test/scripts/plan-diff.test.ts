/**
 * plan:diff as a pure function: fixture plans (a vCluster added, the Cilium version changed, a secret rotated),
 * field-level details, summaries, secrecy of the report and determinism; then the same three changes planned with
 * the real program.
 */
import { strict as assert } from "node:assert";
import type { OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import { diffPlans, planDiffReport, StackDiff } from "../../scripts/diff/plan-diff";
import { compareSecureConfig } from "../../scripts/diff/secure-config";
import { diffText, summariseList } from "../../scripts/diff/value-diff";
import { renderMarkdown } from "../../scripts/diff/plan-diff-markdown";

const PREFIX = "urn:pulumi:dev::kubeloom::";
const PROVIDER = `${PREFIX}pulumi:providers:kubernetes::dev-k8s`;

function resource(qualifiedType: string, name: string, parent: string | null, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}): PlannedResource {
    return {
        urn: `${PREFIX}${qualifiedType}::${name}`,
        type: qualifiedType.split("$").pop()!,
        name,
        parent,
        provider: null,
        dependsOn: [],
        options: {},
        read: false,
        inputs,
        ...extra,
    };
}

const CILIUM = `${PREFIX}kubeloom:index:CiliumInstall::dev-cilium`;
const K3S = `${PREFIX}kubeloom:index:K3sHost::dev-k3s`;
const VC_A = `${PREFIX}kubeloom:index:VCluster::dev-vc-a`;
const VC_C = `${PREFIX}kubeloom:index:VCluster::dev-vc-c`;

function installScript(version: string): string {
    return ["#!/bin/sh", "set -eu", `export INSTALL_K3S_VERSION=${version}`, "curl -sfL https://get.k3s.io | sh -s - server \\", "  --flannel-backend=none", ""].join("\n");
}

function ciliumRelease(version: string, extraArgs: string[]): PlannedResource {
    return resource(
        "kubeloom:index:CiliumInstall$kubernetes:helm.sh/v3:Release",
        "dev-cilium-release",
        CILIUM,
        {
            chart: "cilium",
            version,
            namespace: "kube-system",
            values: {
                image: { tag: `v${version}` },
                hubble: { relay: { enabled: true } },
                k8sServiceHost: "[unknown]",
                extraArgs,
                podAnnotations: { "io.cilium/proxy-visibility": "<Egress/53/UDP/DNS>" },
            },
        },
        { provider: PROVIDER, dependsOn: [K3S] },
    );
}

function vcluster(name: string, url: string): PlannedResource[] {
    return [
        resource("kubeloom:index:VCluster", name, null, {}),
        resource("kubeloom:index:VCluster$kubernetes:helm.sh/v3:Release", `${name}-release`, url, { chart: "vcluster", version: "0.20.6", values: { controlPlane: {} } }, { provider: PROVIDER }),
    ];
}

const LIST = Array.from({ length: 40 }, (_, i) => `--arg-${String(i).padStart(2, "0")}`);

function plan(resources: PlannedResource[], outputs: Record<string, unknown> = {}): OfflinePlan {
    return { project: "kubeloom", stack: "dev", resources: [...resources].sort((a, b) => (a.urn < b.urn ? -1 : 1)), outputs };
}

function basePlan(): OfflinePlan {
    return plan(
        [
            resource("pulumi:providers:kubernetes", "dev-k8s", null, { kubeconfig: "[secret]", enableServerSideApply: true }),
            resource("kubeloom:index:K3sHost", "dev-k3s", null, {}),
            resource("kubeloom:index:K3sHost$command:remote:Command", "dev-k3s-install", K3S, {
                connection: { host: "192.0.2.10", user: "ubuntu", privateKey: "[secret]" },
                create: installScript("v1.28.13+k3s1"),
            }),
            resource("kubeloom:index:CiliumInstall", "dev-cilium", null, {}),
            ciliumRelease("1.16.18", LIST),
            ...vcluster("dev-vc-a", VC_A),
        ],
        { kubeconfigs: "[secret]", clusters: [{ name: "dev", vclusters: ["vc-a"] }] },
    );
}

/** The base with a vCluster added and the Cilium version changed. */
function headPlan(): OfflinePlan {
    const base = basePlan();
    const extraArgs = [...LIST.filter((a) => a !== "--arg-07"), "--arg-40", "--arg-41"];
    return plan(
        [...base.resources.filter((r) => r.name !== "dev-cilium-release"), ciliumRelease("1.16.19", extraArgs), ...vcluster("dev-vc-c", VC_C)],
        { kubeconfigs: "[secret]", clusters: [{ name: "dev", vclusters: ["vc-a", "vc-c"] }] },
    );
}

const CIPHER_OLD = "v1:AAAA-old-ciphertext-of-the-ssh-key";
const CIPHER_NEW = "v1:BBBB-new-ciphertext-of-the-ssh-key";
const CIPHER_KUBECONFIG = "v1:CCCC-ciphertext-of-a-kubeconfig";

function stackFile(sshCipher: string, extra = ""): string {
    return [
        "config:",
        "  kubeloom:clusters:",
        "    - name: dev",
        "  kubeloom:sshPrivateKey:",
        `    secure: ${sshCipher}`,
        "  kubeloom:sourceKubeconfigs:",
        "    dev:",
        `      secure: ${CIPHER_KUBECONFIG}`,
        extra,
    ].join("\n");
}

function fixtureDiff(): StackDiff {
    return diffPlans({ stack: "dev", base: basePlan(), head: headPlan(), secrets: compareSecureConfig(stackFile(CIPHER_OLD), stackFile(CIPHER_NEW), "kubeloom") });
}

describe("plan:diff", () => {
    it("reports exactly the added vCluster, the changed Cilium release and the rotated secret", () => {
        const diff = fixtureDiff();
        assert.equal(diff.headline, "dev: +2 ~1 -0 (1 secret changed, outputs changed)");
        assert.deepEqual(diff.counts, { add: 2, change: 1, remove: 0, replace: 0 });
        assert.equal(diff.changed, true);
        assert.deepEqual(
            diff.components.map((c) => [c.name, c.resources.map((r) => `${r.change} ${r.name}`)]),
            [
                ["dev-cilium", ["change dev-cilium-release"]],
                ["dev-vc-c", ["add dev-vc-c", "add dev-vc-c-release"]],
            ],
        );
        assert.deepEqual(diff.secrets, [
            { key: "kubeloom:sourceKubeconfigs.dev", status: "unchanged" },
            { key: "kubeloom:sshPrivateKey", status: "changed" },
        ]);
    });

    it("diffs inputs field by field, keys sorted, Helm values included, long lists summarised", () => {
        const release = fixtureDiff().components[0].resources[0];
        assert.deepEqual(release.fields, [
            { section: "inputs", path: "values.extraArgs", kind: "changed", summary: "list of 41 items: 2 added, 1 removed" },
            { section: "inputs", path: "values.image.tag", kind: "changed", before: "v1.16.18", after: "v1.16.19" },
            { section: "inputs", path: "version", kind: "changed", before: "1.16.18", after: "1.16.19" },
        ]);
    });

    it("diffs stack outputs", () => {
        assert.deepEqual(fixtureDiff().outputs, [{ section: "outputs", path: "clusters[0].vclusters[1]", kind: "added", after: "vc-c" }]);
    });

    it("shows a secret input only as changed, never its neighbours' values on the other side", () => {
        const base = basePlan();
        const head = plan(
            base.resources.map((r) =>
                r.name === "dev-k8s" ? { ...r, inputs: { ...r.inputs, kubeconfig: "apiVersion: v1 # now plain" } } : r.name === "dev-k3s-install" ? { ...r, inputs: { ...r.inputs, token: "[secret]" } } : r,
            ),
            base.outputs,
        );
        const fields = diffPlans({ stack: "dev", base, head }).components.flatMap((c) => c.resources.flatMap((r) => r.fields));
        assert.deepEqual(fields, [
            { section: "inputs", path: "token", kind: "added", secret: true },
            { section: "inputs", path: "kubeconfig", kind: "changed", secret: true },
        ]);
        const markdown = renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diffPlans({ stack: "dev", base, head })]));
        assert.match(markdown, /`kubeconfig`: changed \(secret\)/);
        assert.doesNotMatch(markdown, /now plain/);
    });

    it("diffs multi-line text (scripts) by line", () => {
        const result = diffText(installScript("v1.28.13+k3s1"), installScript("v1.29.8+k3s1"));
        assert.deepEqual(result, {
            summary: "text of 6 lines: 1 added, 1 removed",
            lines: ["- export INSTALL_K3S_VERSION=v1.28.13+k3s1", "+ export INSTALL_K3S_VERSION=v1.29.8+k3s1"],
        });
    });

    it("summarises lists: added, removed, reordered", () => {
        assert.equal(summariseList([1, 2, 3], [3, 2, 1]), "list of 3 items: reordered");
        assert.equal(summariseList([{ a: 1 }], [{ a: 2 }, { a: 1 }]), "list of 2 items: 1 added");
    });

    it("quotes keys that are not plain names and records option, provider and dependency changes", () => {
        const base = basePlan();
        const head = plan(
            base.resources.map((r) =>
                r.name === "dev-cilium-release"
                    ? { ...r, provider: `${PREFIX}pulumi:providers:kubernetes::other-k8s`, dependsOn: [], options: { protect: true }, inputs: { ...r.inputs, values: { ...(r.inputs.values as object), podAnnotations: {} } } }
                    : r,
            ),
            base.outputs,
        );
        const fields = diffPlans({ stack: "dev", base, head }).components[0].resources[0].fields;
        assert.deepEqual(
            fields.map((f) => `${f.section} ${f.path} ${f.kind}`),
            ['inputs values.podAnnotations["io.cilium/proxy-visibility"] removed', "options protect added", "provider  changed", "dependsOn  removed"],
        );
    });

    it("treats a stack file missing at the base as all added, and a deleted one as all removed", () => {
        const added = diffPlans({ stack: "dev", base: null, head: basePlan() });
        assert.equal(added.headline, "dev: +7 ~0 -0 (new stack, outputs changed)");
        assert.ok(added.components.every((c) => c.resources.every((r) => r.change === "add")));
        const removed = diffPlans({ stack: "dev", base: basePlan(), head: null });
        assert.equal(removed.headline, "dev: +0 ~0 -7 (stack file deleted, outputs changed)");
    });

    it("says no changes when the plans are equal, and lists unchanged secrets without flagging them", () => {
        const diff = diffPlans({ stack: "dev", base: basePlan(), head: basePlan(), secrets: compareSecureConfig(stackFile(CIPHER_OLD), stackFile(CIPHER_OLD), "kubeloom") });
        assert.equal(diff.changed, false);
        assert.equal(diff.headline, "dev: +0 ~0 -0");
        const markdown = renderMarkdown(planDiffReport({ ref: "origin/main", commit: "0123456789abcdef" }, [diff]));
        assert.match(markdown, /^- dev: \+0 ~0 -0 — no changes$/m);
        assert.doesNotMatch(markdown, /### /);
    });

    it("compares secure config per key path: added, removed, changed, unnamespaced keys", () => {
        const base = stackFile(CIPHER_OLD, "  token:\n    secure: v1:tok");
        const head = stackFile(CIPHER_OLD, "  kubeloom:other:\n    - secure: v1:list-item");
        assert.deepEqual(compareSecureConfig(base, head, "kubeloom"), [
            { key: "kubeloom:other[0]", status: "added" },
            { key: "kubeloom:sourceKubeconfigs.dev", status: "unchanged" },
            { key: "kubeloom:sshPrivateKey", status: "unchanged" },
            { key: "kubeloom:token", status: "removed" },
        ]);
        assert.deepEqual(compareSecureConfig(null, null, "kubeloom"), []);
    });

    it("never puts ciphertext (or anything derived from it) in the Markdown or JSON report", () => {
        const report = planDiffReport({ ref: "origin/main", commit: "0123456789abcdef" }, [fixtureDiff()]);
        const texts = [renderMarkdown(report), JSON.stringify(report)];
        for (const text of texts) {
            for (const secret of [CIPHER_OLD, CIPHER_NEW, CIPHER_KUBECONFIG, "AAAA", "BBBB", "CCCC"]) assert.ok(!text.includes(secret), `report contains ${secret}`);
            assert.doesNotMatch(text, /[0-9a-f]{32}/, "no digest-like strings");
        }
    });

    it("renders Markdown grouped by component with a headline per stack", () => {
        const markdown = renderMarkdown(planDiffReport({ ref: "origin/main", commit: "0123456789abcdef" }, [fixtureDiff()]));
        assert.match(markdown, /^- \*\*dev: \+2 ~1 -0 \(1 secret changed, outputs changed\)\*\*$/m);
        assert.match(markdown, /^#### dev-cilium · `kubeloom:index:CiliumInstall`$/m);
        assert.match(markdown, /^- `~` \*\*dev-cilium-release\*\* `kubernetes:helm\.sh\/v3:Release`$/m);
        assert.match(markdown, /^ {2}- `version`: `"1\.16\.18"` → `"1\.16\.19"`$/m);
        assert.match(markdown, /^ {2}- `values\.extraArgs`: list of 41 items: 2 added, 1 removed$/m);
        assert.match(markdown, /^- `\+` \*\*dev-vc-c-release\*\*/m);
        assert.match(markdown, /^- `kubeloom:sshPrivateKey`: changed$/m);
        assert.match(markdown, /^- `kubeloom:sourceKubeconfigs\.dev`: unchanged$/m);
    });

    it("is deterministic: same plans → byte-identical reports", () => {
        const render = () => {
            const report = planDiffReport({ ref: "origin/main", commit: "0123456789abcdef" }, [fixtureDiff()]);
            return renderMarkdown(report) + JSON.stringify(report);
        };
        assert.equal(render(), render());
    });

    it("fits a comment: drops field details first when the report is too long", () => {
        const report = planDiffReport({ ref: "main", commit: null }, [fixtureDiff()]);
        const full = renderMarkdown(report);
        const compact = renderMarkdown(report, { maxChars: full.length - 1 });
        assert.ok(compact.length < full.length);
        assert.match(compact, /trimmed to fit: field details were left out\. The full report: run `npm run plan:diff -- <stack>` locally/);
        assert.match(renderMarkdown(report, { maxChars: full.length - 1, fullReport: "the plan-diff artifact of https://ci.example/run/1" }), /The full report: the plan-diff artifact of https:\/\/ci\.example\/run\/1\./);
        assert.doesNotMatch(compact, /`version`:/);
        assert.ok(renderMarkdown(report, { maxChars: 300 }).length <= 300);
    });
});

describe("plan:diff on the real program", function () {
    // Planning the program twice takes a few seconds under ts-node.
    this.timeout(60_000);

    it("reports exactly a vCluster added, the Cilium version changed and a secret rotated", async () => {
        // Imported here so that the fixture tests above do not load the program.
        const { planConfig } = await import("../support/helpers");
        const { devConfig } = await import("../support/fixtures");
        // Kubernetes 1.34, where both Cilium 1.19.6 and 1.20.0 run (the support matrix).
        const baseConfig = devConfig();
        baseConfig.clusters[0].source.k3s.version = "v1.34.4+k3s1";
        baseConfig.clusters[0].cilium.version = "1.19.6";
        const headConfig = devConfig();
        headConfig.clusters[0].source.k3s.version = "v1.34.4+k3s1";
        headConfig.clusters[0].cilium.version = "1.20.0";
        headConfig.clusters[0].vclusters.push({ name: "vc-c" });
        const base = await planConfig(baseConfig);
        const head = await planConfig(headConfig);
        const diff = diffPlans({ stack: "dev", base, head, secrets: compareSecureConfig(stackFile(CIPHER_OLD), stackFile(CIPHER_NEW), "kubeloom") });

        assert.deepEqual(
            diff.components.map((c) => [c.name, [...new Set(c.resources.map((r) => r.change))]]),
            [
                ["dev-cilium", ["change"]],
                ["dev-vc-c", ["add"]],
            ],
        );
        assert.equal(diff.counts.remove, 0);
        const ciliumFields = diff.components[0].resources.flatMap((r) => r.fields.map((f) => ({ ...f, resource: r.name })));
        assert.ok(ciliumFields.length > 0);
        for (const field of ciliumFields) {
            assert.ok(field.kind === "changed" && JSON.stringify([field.before, field.after]) === JSON.stringify(["1.19.6", "1.20.0"]), `unexpected Cilium change ${JSON.stringify(field)}`);
        }
        assert.ok(diff.components[1].resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release"));
        assert.deepEqual(
            diff.secrets.filter((s) => s.status !== "unchanged"),
            [{ key: "kubeloom:sshPrivateKey", status: "changed" }],
        );
        const markdown = renderMarkdown(planDiffReport({ ref: "main", commit: null }, [diff]));
        assert.match(markdown, new RegExp(`^- \\*\\*dev: \\+${diff.counts.add} ~${diff.counts.change} -0 \\(1 secret changed, outputs changed\\)\\*\\*$`, "m"));
        for (const secret of [CIPHER_OLD, CIPHER_NEW, "MOCK-CLIENT-KEY"]) assert.ok(!markdown.includes(secret));
    });
});
