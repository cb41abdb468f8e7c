/**
 * The plan:diff CLI end to end, on a throwaway git repository whose `npm run plan` is a stand-in (it turns a
 * stack file's `kubeloom:resources` list into a plan), so the git worktree, dependency linking, child-process
 * planning, secret comparison and exit codes are all exercised in a few seconds.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";

const projectRoot = PROJECT_DIR;
const CLI = path.join(projectRoot, "scripts", "diff", "diff-cli.ts");

const FAKE_PLAN_SCRIPT = `
const fs = require("fs");
const { parse } = require("yaml");
const [stack, , out, ...rest] = process.argv.slice(2);
const render = rest.includes("--render");
const config = (parse(fs.readFileSync("Pulumi." + stack + ".yaml", "utf8")) || {}).config || {};
const resources = (config["kubeloom:resources"] || []).map((r) => ({
    urn: "urn:pulumi:" + stack + "::fixture::" + r.type + "::" + r.name,
    type: r.type, name: r.name, parent: null, provider: null, dependsOn: [], options: {}, read: false, inputs: r.inputs || {},
    ...(render ? { rendered: [] } : {}),
}));
const preflight = render ? config["kubeloom:preflight"] || [] : undefined;
fs.writeFileSync(out, JSON.stringify({ project: "fixture", stack, resources, outputs: {}, ...(preflight ? { preflight } : {}) }));
// As \`plan --render\`: the plan is written, and a pre-flight error exits 3.
if (preflight && preflight.some((f) => f.severity === "error")) process.exit(3);
`;

const OLD_CIPHER = "v1:OLDCIPHERTEXTOLDCIPHERTEXT";
const NEW_CIPHER = "v1:NEWCIPHERTEXTNEWCIPHERTEXT";

function stackFile(resources: Array<{ name: string; type: string; inputs?: Record<string, unknown> }>, cipher: string, preflight?: unknown[]): string {
    return `${JSON.stringify({ config: { "kubeloom:resources": resources, "kubeloom:sshPrivateKey": { secure: cipher }, ...(preflight ? { "kubeloom:preflight": preflight } : {}) } }, null, 2)}\n`;
}

function git(cwd: string, ...args: string[]): string {
    const result = spawnSync("git", ["-c", "user.email=test@example.com", "-c", "user.name=test", ...args], { cwd, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
}

const release = (version: string) => ({ name: "dev-cilium-release", type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "cilium", version } });

describe("plan:diff CLI (fixture repository)", function () {
    this.timeout(60_000);
    let repo: string;

    before(() => {
        repo = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-diff-fixture-"));
        fs.mkdirSync(path.join(repo, "scripts"));
        fs.writeFileSync(path.join(repo, "scripts", "plan.js"), FAKE_PLAN_SCRIPT);
        fs.writeFileSync(path.join(repo, "Pulumi.yaml"), "name: kubeloom\nruntime: nodejs\n");
        fs.writeFileSync(path.join(repo, "package.json"), '{ "name": "fixture", "private": true, "scripts": { "plan": "node scripts/plan.js" } }\n');
        fs.writeFileSync(path.join(repo, "package-lock.json"), '{ "name": "fixture", "lockfileVersion": 3 }\n');
        fs.writeFileSync(path.join(repo, ".gitignore"), "node_modules\n");
        fs.writeFileSync(path.join(repo, "Pulumi.dev.yaml"), stackFile([release("1.16.18")], OLD_CIPHER));
        fs.writeFileSync(path.join(repo, "Pulumi.prod.yaml"), stackFile([release("1.16.18")], OLD_CIPHER));
        fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(repo, "node_modules"), "dir");
        git(repo, "init", "-q", "-b", "main");
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "base");
        // The change under review: the Cilium version, a vCluster, a rotated key, and a new stack.
        const vcluster = { name: "dev-vc-c", type: "kubeloom:index:VCluster" };
        fs.writeFileSync(path.join(repo, "Pulumi.dev.yaml"), stackFile([release("1.16.19"), vcluster], NEW_CIPHER));
        fs.writeFileSync(path.join(repo, "Pulumi.staging.yaml"), stackFile([release("1.16.19")], OLD_CIPHER));
        // Only a --render plan reports these (and then exits 3, as plan --render does on a pre-flight error).
        const finding = { severity: "error", cluster: "prod", object: "ConfigMap/kube-system/cilium-config", check: "cni-chaining", message: "chaining mode generic-veth: ipam kubernetes" };
        fs.writeFileSync(path.join(repo, "Pulumi.prod.yaml"), stackFile([release("1.16.18")], OLD_CIPHER, [finding]));
    });

    after(() => {
        if (repo) fs.rmSync(repo, { recursive: true, force: true });
    });

    function run(...args: string[]) {
        const result = spawnSync(process.execPath, ["-r", TS_REGISTER, CLI, "--project", repo, ...args], {
            cwd: repo,
            encoding: "utf8",
            env: { ...process.env, GITHUB_STEP_SUMMARY: "" },
        });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    function assertNoSecrets(...texts: string[]) {
        for (const text of texts) {
            for (const cipher of [OLD_CIPHER, NEW_CIPHER]) assert.ok(!text.includes(cipher), "ciphertext printed");
            assert.doesNotMatch(text, /CIPHERTEXT/);
        }
    }

    it("reports the changes as Markdown and exits 1, leaving no worktree behind", () => {
        const { status, stdout, stderr } = run("dev", "--base", "main");
        assert.equal(status, 1, stderr);
        assert.match(stdout, /^- \*\*dev: \+1 ~1 -0 \(1 secret changed\)\*\*$/m);
        assert.match(stdout, /^ {2}- `version`: `"1\.16\.18"` → `"1\.16\.19"`$/m);
        assert.match(stdout, /^- `\+` \*\*dev-vc-c\*\* `kubeloom:index:VCluster`$/m);
        assert.match(stdout, /^- `kubeloom:sshPrivateKey`: changed$/m);
        assertNoSecrets(stdout, stderr);
        assert.equal(git(repo, "worktree", "list").trim().split("\n").length, 1, "the base worktree was removed");
    });

    it("gives the same data as JSON for every stack with --all, new stacks all added; --exit-zero exits 0", () => {
        const { status, stdout, stderr } = run("--all", "--format", "json", "--exit-zero");
        assert.equal(status, 0, stderr);
        const report = JSON.parse(stdout);
        assert.equal(report.base.ref, "main", "default base: origin/main when it exists, else main");
        assert.deepEqual(
            report.stacks.map((s: { headline: string }) => s.headline),
            ["dev: +1 ~1 -0 (1 secret changed)", "prod: +0 ~0 -0", "staging: +1 ~0 -0 (new stack, 1 secret added)"],
        );
        assert.equal(report.changed, true);
        assertNoSecrets(stdout, stderr);
    });

    it("exits 0 when nothing changed", () => {
        const { status, stdout, stderr } = run("prod");
        assert.equal(status, 0, stderr);
        assert.match(stdout, /^- prod: \+0 ~0 -0 — no changes$/m);
    });

    it("with --render: passes --render to the head's plan, keeps its plan despite exit 3 and lists its pre-flight findings; a base without --render is compared without objects", () => {
        const { status, stdout, stderr } = run("prod", "--render", "--format", "json");
        assert.equal(status, 0, stderr);
        const [prod] = JSON.parse(stdout).stacks;
        assert.equal(prod.changed, false);
        assert.equal(prod.rendered, false, "the fixture base has no scripts/plan/plan-cli.ts with --render");
        assert.deepEqual(prod.preflight.map((f: { object: string }) => f.object), ["ConfigMap/kube-system/cilium-config"]);
        assert.match(prod.headline, /1 pre-flight error/);
        const markdown = run("prod", "--render").stdout;
        assert.match(markdown, /#### Pre-flight findings\n\n- \*\*error\*\* prod `ConfigMap\/kube-system\/cilium-config` \[cni-chaining\]/);
        assert.equal(run("prod").stdout.includes("Pre-flight"), false, "without --render no findings exist");
    });

    it("exits 2 with one message on errors", () => {
        const missing = run("dev", "--base", "no-such-branch");
        assert.equal(missing.status, 2);
        assert.match(missing.stderr, /--base no-such-branch: no such commit/);
        const nowhere = run("qa");
        assert.equal(nowhere.status, 2);
        assert.match(nowhere.stderr, /no Pulumi\.qa\.yaml in the working tree or at main/);
    });
});

/** A stand-in plan whose outputs are the stack file's `kubeloom:outputs` (e.g. deployedVersions) and whose resources are `kubeloom:resources`. */
const FAKE_PLAN_WITH_OUTPUTS = `
const fs = require("fs");
const { parse } = require("yaml");
const [stack, , out] = process.argv.slice(2);
const config = (parse(fs.readFileSync("Pulumi." + stack + ".yaml", "utf8")) || {}).config || {};
const resources = (config["kubeloom:resources"] || []).map((r) => ({
    urn: "urn:pulumi:" + stack + "::kubeloom::" + r.type + "::" + r.name,
    type: r.type, name: r.name, parent: null, provider: null, dependsOn: [], options: {}, read: false, inputs: r.inputs || {},
}));
fs.writeFileSync(out, JSON.stringify({ project: "kubeloom", stack, resources, outputs: config["kubeloom:outputs"] || {} }));
`;

describe("plan:diff refuses upgrade steps from the base (fixture repository)", function () {
    this.timeout(60_000);
    let repo: string;

    const clusters = [{ name: "other" }, { name: "dev", vclusters: [{ name: "vc-a" }, { name: "vc-b" }] }];
    const versions = (cilium: string, vcB = "0.20.6") => ({ deployedVersions: { dev: { cilium, vclusters: { "vc-a": "0.20.6", "vc-b": vcB } }, other: { cilium: "1.16.19", vclusters: {} } } });
    const file = (config: Record<string, unknown>) => `${JSON.stringify({ config: { "kubeloom:clusters": clusters, ...config } }, null, 2)}\n`;
    const write = (stack: string, config: Record<string, unknown>) => fs.writeFileSync(path.join(repo, `Pulumi.${stack}.yaml`), file(config));

    before(() => {
        repo = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-diff-upgrade-"));
        fs.mkdirSync(path.join(repo, "scripts"));
        fs.writeFileSync(path.join(repo, "scripts", "plan.js"), FAKE_PLAN_WITH_OUTPUTS);
        fs.writeFileSync(path.join(repo, "Pulumi.yaml"), "name: kubeloom\nruntime: nodejs\n");
        fs.writeFileSync(path.join(repo, "package.json"), '{ "name": "fixture", "private": true, "scripts": { "plan": "node scripts/plan.js" } }\n');
        fs.writeFileSync(path.join(repo, "package-lock.json"), '{ "name": "fixture", "lockfileVersion": 3 }\n');
        fs.writeFileSync(path.join(repo, ".gitignore"), "node_modules\n");
        fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(repo, "node_modules"), "dir");
        for (const stack of ["skip", "step", "tenant"]) write(stack, { "kubeloom:outputs": versions("1.16.19") });
        // A base planned by a Kubeloom from before the deployedVersions output: only its resources say the versions.
        write("legacy", { "kubeloom:resources": [{ ...release("1.16.19"), name: "dev-cilium-release" }] });
        git(repo, "init", "-q", "-b", "main");
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "base");
        write("skip", { "kubeloom:outputs": versions("1.18.12") });
        write("step", { "kubeloom:outputs": versions("1.17.18") });
        write("tenant", { "kubeloom:outputs": versions("1.16.19", "0.36.1") });
        write("legacy", { "kubeloom:outputs": versions("1.18.12") });
    });

    after(() => {
        if (repo) fs.rmSync(repo, { recursive: true, force: true });
    });

    function run(...args: string[]) {
        const result = spawnSync(process.execPath, ["-r", TS_REGISTER, CLI, "--project", repo, ...args], { cwd: repo, encoding: "utf8", env: { ...process.env, GITHUB_STEP_SUMMARY: "" } });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    it("fails a Cilium minor skip with exit 2 — even with --exit-zero — naming the key, the reason and the next step", () => {
        const { status, stdout, stderr } = run("skip", "--exit-zero");
        assert.equal(status, 2, stderr);
        assert.match(stderr, /Pulumi\.skip\.yaml: clusters\[1\]\.cilium\.version: "1\.18\.12" cannot be applied to the deployed Cilium 1\.16\.19: it skips 1\.17/);
        assert.match(stderr, /Upgrade to 1\.17\.x first/);
        assert.match(stdout, /\*\*Refused upgrade steps\*\*/, "the report (the PR comment) says so too");
        assert.match(stdout, /`clusters\[1\]\.cilium\.version`/);
    });

    it("allows one minor at a time: 1.16 → 1.17 is an ordinary change (exit 1)", () => {
        const { status, stderr } = run("step", "--format", "json");
        assert.equal(status, 1, stderr);
        assert.doesNotMatch(stderr, /refused/);
    });

    it("fails vCluster 0.20 → 0.36 under clusters[1].vclusters[1].version, in the JSON report too", () => {
        const { status, stdout, stderr } = run("tenant", "--format", "json");
        assert.equal(status, 2, stderr);
        const report = JSON.parse(stdout);
        assert.deepEqual(report.refusedUpgrades.map((r: { stack: string; path: string }) => `${r.stack} ${r.path}`), ["tenant clusters[1].vclusters[1].version"]);
        assert.match(report.refusedUpgrades[0].message, /upstream migrates k3s → k8s automatically only on 0\.25–0\.32/);
    });

    it("reads an older base's versions from its resources when its plan has no deployedVersions output", () => {
        const { status, stderr } = run("legacy");
        assert.equal(status, 2, stderr);
        assert.match(stderr, /Pulumi\.legacy\.yaml: clusters\[1\]\.cilium\.version: "1\.18\.12" cannot be applied to the deployed Cilium 1\.16\.19/);
    });
});
