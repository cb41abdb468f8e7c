/**
 * Merging a stack's `kubeconfigs` output: two K3s clusters and two vClusters whose kubeconfigs all use the same
 * names, merged into one valid kubeconfig with unique contexts; then the CLI's --stdin path, file mode 0600 and
 * silence about secrets.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { KubeconfigMergeError, mergeKubeconfigs } from "../../lib/kubeconfig";
import { fakeK3sKubeconfig } from "../support/fixtures";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";

const projectDir = PROJECT_DIR;

/** A kubeconfig as the vCluster chart writes it: everything named after the vCluster's service. */
function vclusterKubeconfig(server: string, marker: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "  - name: my-vcluster",
        "    cluster:",
        `      server: ${server}`,
        "      certificate-authority-data: TU9DSy1DQQ==",
        "contexts:",
        "  - name: my-vcluster",
        "    context: { cluster: my-vcluster, user: my-vcluster, namespace: team-a }",
        "current-context: my-vcluster",
        "users:",
        "  - name: my-vcluster",
        "    user:",
        `      client-key-data: ${Buffer.from(marker).toString("base64")}`,
        `      token: ${marker}-token`,
        "",
    ].join("\n");
}

const MARKERS = ["KEY-DEV-CLUSTER", "KEY-EDGE-CLUSTER", "KEY-VC-A", "KEY-VC-B"];

/** Two clusters (both call everything "default") and two vClusters (both "my-vcluster"). */
function fixture(): Record<string, string> {
    return {
        edge: fakeK3sKubeconfig(MARKERS[1]).replace("https://127.0.0.1:6443", "https://198.51.100.7:6443"),
        dev: fakeK3sKubeconfig(MARKERS[0]).replace("https://127.0.0.1:6443", "https://192.0.2.10:6443"),
        "dev-vc-b": vclusterKubeconfig("https://192.0.2.10:31444", MARKERS[3]),
        "dev-vc-a": vclusterKubeconfig("https://192.0.2.10:31443", MARKERS[2]),
    };
}

interface Kubeconfig {
    clusters: Array<{ name: string; cluster: { server: string } }>;
    users: Array<{ name: string; user: Record<string, string> }>;
    contexts: Array<{ name: string; context: { cluster: string; user: string; namespace?: string } }>;
    "current-context": string;
    apiVersion: string;
    kind: string;
}

/** Parses a merged kubeconfig and checks it is structurally valid: unique names, no dangling references. */
function parseValid(text: string): Kubeconfig {
    const doc = parse(text) as Kubeconfig;
    assert.equal(doc.apiVersion, "v1");
    assert.equal(doc.kind, "Config");
    for (const field of ["clusters", "users", "contexts"] as const) {
        const names = doc[field].map((e) => e.name);
        assert.equal(new Set(names).size, names.length, `${field} names are unique`);
    }
    for (const { name, context } of doc.contexts) {
        assert.ok(doc.clusters.some((c) => c.name === context.cluster), `context ${name}: cluster ${context.cluster} exists`);
        assert.ok(doc.users.some((u) => u.name === context.user), `context ${name}: user ${context.user} exists`);
    }
    assert.ok(doc.contexts.some((c) => c.name === doc["current-context"]), "current-context exists");
    return doc;
}

describe("kubeconfig merge", () => {
    it("gives every cluster and vCluster its own context, cluster and user, named after the output key", () => {
        const merged = mergeKubeconfigs(fixture());
        const doc = parseValid(merged.text);
        assert.deepEqual(merged.contexts, ["dev", "dev-vc-a", "dev-vc-b", "edge"]);
        assert.deepEqual(
            doc.contexts.map((c) => [c.name, c.context.cluster, c.context.user]),
            merged.contexts.map((name) => [name, name, name]),
        );
        const server = (name: string) => doc.clusters.find((c) => c.name === name)!.cluster.server;
        assert.equal(server("dev"), "https://192.0.2.10:6443");
        assert.equal(server("edge"), "https://198.51.100.7:6443");
        assert.equal(server("dev-vc-a"), "https://192.0.2.10:31443");
        assert.equal(server("dev-vc-b"), "https://192.0.2.10:31444");
        const user = (name: string) => doc.users.find((u) => u.name === name)!.user;
        assert.equal(Buffer.from(user("dev-vc-b")["client-key-data"], "base64").toString(), "KEY-VC-B", "each user keeps its own credentials");
        assert.equal(doc.contexts.find((c) => c.name === "dev-vc-a")!.context.namespace, "team-a", "context fields such as namespace are kept");
    });

    it("makes the first context current by default, or the one asked for", () => {
        assert.equal(parseValid(mergeKubeconfigs(fixture()).text)["current-context"], "dev");
        assert.equal(parseValid(mergeKubeconfigs(fixture(), { currentContext: "dev-vc-b" }).text)["current-context"], "dev-vc-b");
    });

    it("fails on an unknown --context, listing the available ones", () => {
        assert.throws(() => mergeKubeconfigs(fixture(), { currentContext: "prod" }), /--context prod: no such context \(available: dev, dev-vc-a, dev-vc-b, edge\)/);
    });

    const failures: Array<{ name: string; entries: Array<[string, string]>; expect: RegExp }> = [
        { name: "fails on a name used twice", entries: [["dev", fakeK3sKubeconfig()], ["dev", fakeK3sKubeconfig()]], expect: /kubeconfigs\["dev"\]: the name is used twice/ },
        { name: "fails on a masked value", entries: [["dev", "[secret]"]], expect: /masked .*--show-secrets/ },
        { name: "fails on invalid YAML without quoting it", entries: [["dev", "clusters: [\n  KEY-IN-BROKEN-YAML: {"]], expect: /kubeconfigs\["dev"\]: not valid YAML/ },
        { name: "fails on several contexts and no current-context", entries: [["dev", fakeK3sKubeconfig().replace("current-context: default\n", "").replace("contexts:\n", "contexts:\n- name: other\n  context: {cluster: default, user: default}\n")]], expect: /no current-context and 2 contexts/ },
        { name: "fails on a context that refers to a missing user", entries: [["dev", fakeK3sKubeconfig().replace("    user: default", "    user: nobody")]], expect: /names a user "nobody" the file does not define/ },
        { name: "fails on an empty output", entries: [], expect: /empty/ },
    ];
    for (const { name, entries, expect } of failures) {
        it(name, () => {
            assert.throws(
                () => mergeKubeconfigs(entries),
                (error: unknown) => error instanceof KubeconfigMergeError && expect.test(error.message) && !/KEY-|MOCK-CLIENT-KEY/.test(error.message),
            );
        });
    }

    it("is deterministic: same output → byte-identical kubeconfig", () => {
        const reordered = Object.fromEntries(Object.entries(fixture()).reverse());
        assert.equal(mergeKubeconfigs(fixture()).text, mergeKubeconfigs(reordered).text);
    });
});

describe("npm run kubeconfig -- --stdin", function () {
    this.timeout(60_000);
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-kubeconfig-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    function run(input: string, ...args: string[]) {
        const result = spawnSync(process.execPath, ["-r", TS_REGISTER, path.join(projectDir, "scripts", "cli", "kubeconfig-cli.ts"), ...args], {
            cwd: dir,
            input,
            encoding: "utf8",
        });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    const stackOutput = () => JSON.stringify({ clusters: [{ name: "dev" }], kubeconfigs: fixture() });

    it("writes the merged kubeconfig with mode 0600, replacing an existing file's mode, and prints no secret", () => {
        const out = path.join(dir, "kubeconfig-dev.yaml");
        fs.writeFileSync(out, "old", { mode: 0o644 });
        fs.chmodSync(out, 0o644);
        const { status, stdout, stderr } = run(stackOutput(), "dev", "--stdin", "--context", "dev-vc-a");
        assert.equal(status, 0, stderr);
        assert.equal(fs.statSync(out).mode & 0o777, 0o600);
        const doc = parseValid(fs.readFileSync(out, "utf8"));
        assert.equal(doc["current-context"], "dev-vc-a");
        assert.equal(doc.contexts.length, 4);
        assert.equal(stdout, "", "nothing on stdout without --print");
        assert.match(stderr, /^kubeloom: wrote 4 contexts \(dev, dev-vc-a, dev-vc-b, edge\) to kubeconfig-dev\.yaml \(mode 0600\)/);
        for (const marker of MARKERS) {
            assert.ok(!stderr.includes(marker) && !stderr.includes(Buffer.from(marker).toString("base64")), `stderr leaks ${marker}`);
        }
        assert.deepEqual(fs.readdirSync(dir), ["kubeconfig-dev.yaml"], "no temporary file left behind");
    });

    it("writes a new file with mode 0600 to --out", () => {
        const out = path.join(dir, "nested-name.yaml");
        const { status, stderr } = run(stackOutput(), "--stdin", "--out", out);
        assert.equal(status, 0, stderr);
        assert.equal(fs.statSync(out).mode & 0o777, 0o600);
        assert.equal(parseValid(fs.readFileSync(out, "utf8"))["current-context"], "dev");
    });

    it("prints only with --print, and writes nothing then", () => {
        const { status, stdout } = run(stackOutput(), "dev", "--stdin", "--print");
        assert.equal(status, 0);
        assert.equal(parseValid(stdout).contexts.length, 4);
        assert.deepEqual(fs.readdirSync(dir), []);
    });

    it("fails with exit 2 and one line on an unknown context or masked outputs, writing nothing", () => {
        const unknown = run(stackOutput(), "dev", "--stdin", "--context", "prod");
        assert.equal(unknown.status, 2);
        assert.equal(unknown.stderr, "kubeloom: --context prod: no such context (available: dev, dev-vc-a, dev-vc-b, edge)\n");
        const masked = run(JSON.stringify({ kubeconfigs: "[secret]" }), "dev", "--stdin");
        assert.equal(masked.status, 2);
        assert.match(masked.stderr, /--show-secrets/);
        assert.deepEqual(fs.readdirSync(dir), []);
    });
});
