/**
 * `npm run up|preview|destroy` without a real Pulumi CLI: the CLI-missing line (PATH stripped of any pulumi), the
 * checks that run before Pulumi does, and — with a stand-in `pulumi` script that records its calls — what the
 * Automation API asks the CLI to do. A real CLI is only used when one is installed.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findPulumiCli, preflightProblem, resolveBackend, ensureBackend, missingCliMessage } from "../../scripts/cli/automation";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";
import { plannedVersions } from "../../config/upgrade-rules";
import { parseStackConfig } from "../../config/parse";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { readStackFile } from "../../scripts/plan/stack-file";
import { CILIUM_RELEASES, K3S_LINES, minorDistance } from "../../components/support-matrix";

const projectDir = PROJECT_DIR;
const CLI = path.join(projectDir, "scripts", "cli", "stack-cli.ts");

/** PATH without any directory that holds a `pulumi`. */
function pathWithoutPulumi(): string {
    return (process.env.PATH ?? "")
        .split(path.delimiter)
        .filter((dir) => dir && !fs.existsSync(path.join(dir, "pulumi")))
        .join(path.delimiter);
}

/** The environment of a machine without Pulumi: no CLI anywhere, no backend, no passphrase, not CI. */
function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutPulumi(), HOME: home, PULUMI_HOME: path.join(home, ".pulumi") };
    for (const key of ["CI", "GITHUB_ACTIONS", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN"]) delete env[key];
    return { ...env, ...extra };
}

function run(env: NodeJS.ProcessEnv, ...args: string[]) {
    const result = spawnSync(process.execPath, ["-r", TS_REGISTER, CLI, ...args], { cwd: projectDir, env, encoding: "utf8", timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, lines: `${result.stdout}${result.stderr}`.split("\n").filter(Boolean) };
}

/** A stand-in `pulumi` that answers what the Automation API asks and logs each call with its backend URL. */
function installFakePulumi(dir: string): string {
    const log = path.join(dir, "calls.log");
    const script = `#!/bin/sh
echo "$* | checked=$KUBELOOM_UPGRADE_CHECKED | backend=$PULUMI_BACKEND_URL" >> "${log}"
case "$1 $2" in
  "version "*) echo "v3.205.0" ;;
  "stack output") if [ -n "$KUBELOOM_FAKE_OUTPUTS" ]; then cat "$KUBELOOM_FAKE_OUTPUTS"; else echo "{}"; fi ;;
  "stack history") echo "[]" ;;
  "stack export") if [ -n "$KUBELOOM_FAKE_EXPORT" ]; then cat "$KUBELOOM_FAKE_EXPORT"; else echo '{"deployment":{"resources":[]}}'; fi ;;
  "up "*) echo "Updating (dev):" ; echo " + pulumi:pulumi:Stack kubeloom-dev create" ;;
esac
exit 0
`;
    fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
    fs.writeFileSync(path.join(dir, "bin", "pulumi"), script, { mode: 0o755 });
    return log;
}

describe("npm run up|preview|destroy", function () {
    this.timeout(60_000);
    let home: string;

    beforeEach(() => {
        home = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-stack-cli-"));
    });
    afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

    it("fails without the Pulumi CLI: exit 127 and exactly one line with the install hint", () => {
        const result = run(cleanEnv(home), "up", "dev");
        assert.equal(result.status, 127);
        assert.equal(result.stdout, "");
        assert.deepEqual(result.lines, [missingCliMessage("up")]);
        assert.match(result.lines[0], /^kubeloom: the Pulumi CLI is not installed \(needed for up\)\. Install it: curl -fsSL https:\/\/get\.pulumi\.com \| sh/);
        assert.ok(!fs.existsSync(path.join(home, ".pulumi")), "nothing was installed or created");
    });

    it("finds a CLI in $PULUMI_HOME/bin when it is not on PATH, and stops at a missing passphrase with one line", () => {
        const log = installFakePulumi(path.join(home, ".pulumi"));
        const state = path.join(home, "state");
        const result = run(cleanEnv(home, { PULUMI_BACKEND_URL: `file://${state}` }), "preview", "dev");
        assert.equal(result.status, 2, result.stderr);
        assert.deepEqual(result.lines, [
            `kubeloom: using the backend file://${state} (from PULUMI_BACKEND_URL)`,
            "kubeloom: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): this backend encrypts the stack's secrets with a passphrase",
        ]);
        assert.deepEqual(
            fs.readFileSync(log, "utf8").trim().split("\n").map((l) => l.split(" ")[0]),
            ["version"],
            "only `pulumi version` ran",
        );
    });

    it("runs `pulumi up` through the Automation API on the configured backend, streaming its output", () => {
        const log = installFakePulumi(path.join(home, ".pulumi"));
        const state = path.join(home, "state");
        const result = run(cleanEnv(home, { PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "test-only" }), "up", "dev");
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /Updating \(dev\):/);
        const calls = fs.readFileSync(log, "utf8").trim().split("\n");
        const up = calls.find((c) => c.startsWith("up "));
        assert.ok(up, `no up call in ${calls.join("; ")}`);
        assert.match(up, /--yes .*--stack dev/);
        assert.ok(calls.some((c) => c.startsWith("stack select --stack dev")));
        assert.ok(calls.every((c) => c.endsWith(`backend=file://${state}`)), "every call used the configured backend");
    });

    it("refuses the local default backend in CI, and destroy without --yes", () => {
        installFakePulumi(path.join(home, ".pulumi"));
        const ci = run(cleanEnv(home, { CI: "true", PULUMI_CONFIG_PASSPHRASE: "test-only" }), "up", "dev");
        assert.equal(ci.status, 2);
        assert.match(ci.lines[ci.lines.length - 1], /CI run without PULUMI_BACKEND_URL/);
        const destroy = run(cleanEnv(home), "destroy", "dev");
        assert.equal(destroy.status, 2);
        assert.deepEqual(destroy.lines, ["kubeloom: destroy deletes every resource of stack dev; run it again with --yes to confirm"]);
    });

    it("with a real Pulumi CLI installed, reports the backend and the missing passphrase before running Pulumi", function () {
        const real = findPulumiCli(process.env);
        if (!real) {
            // Only this branch needs the real CLI; everything else above runs without it.
            console.log("      (skipped: no Pulumi CLI installed here; install it to exercise the real-CLI path)");
            this.skip();
        }
        const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_BACKEND_URL: `file://${path.join(home, "state")}` };
        delete env.PULUMI_CONFIG_PASSPHRASE;
        delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
        delete env.CI;
        const result = run(env, "preview", "dev");
        assert.equal(result.status, 2);
        assert.match(result.lines[result.lines.length - 1], /PULUMI_CONFIG_PASSPHRASE/);
    });
});

describe("npm run up|preview: upgrade steps from what the stack runs", function () {
    this.timeout(60_000);
    let home: string;
    let log: string;
    let state: string;

    beforeEach(() => {
        home = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-upgrade-cli-"));
        log = installFakePulumi(path.join(home, ".pulumi"));
        state = path.join(home, "state");
    });
    afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

    /** Runs the CLI against a stack whose last outputs are `outputs` (what the fake `pulumi stack output` prints). */
    function withOutputs(outputs: unknown, ...args: string[]) {
        const file = path.join(home, "outputs.json");
        fs.writeFileSync(file, JSON.stringify(outputs));
        return run(cleanEnv(home, { PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "test-only", KUBELOOM_FAKE_OUTPUTS: file }), ...args);
    }
    const calls = () => fs.readFileSync(log, "utf8").trim().split("\n");
    // What Pulumi.dev.yaml deploys (read with the same parser the check uses), and versions around it from the matrix.
    const shipped = plannedVersions(parseStackConfig(rawConfigFromPulumi(readStackFile(path.join(projectDir, "Pulumi.dev.yaml"), "kubeloom").config), { stackName: "dev" })).dev;
    const k3sBelow = (delta: number) => K3S_LINES.find((l) => minorDistance(l.example, shipped.k3s!) === delta)!.example;
    const ciliumBelow = (delta: number) => CILIUM_RELEASES.find((r) => minorDistance(r.version, shipped.cilium!) === delta)!.version;
    const deployed = (dev: Record<string, unknown>) => ({ kubeconfigs: "[secret]", deployedVersions: { dev: { ...shipped, ...dev } } });
    const escaped = (text: string) => text.replace(/[.+]/g, "\\$&");

    it("runs up when every step is at most one minor, and tells the program the check ran", () => {
        const result = withOutputs(deployed({ k3s: k3sBelow(1), cilium: ciliumBelow(1) }), "up", "dev");
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stderr, /upgrade steps checked against what stack dev runs: none skipped/);
        const up = calls().find((c) => c.startsWith("up "));
        assert.ok(up, "pulumi up ran");
        assert.match(up, /\| checked=1 \|/);
        const read = calls().find((c) => c.startsWith("stack output"));
        assert.ok(read && !read.includes("--show-secrets"), "the outputs are read masked: no kubeconfig is decrypted");
    });

    it("fails a K3s minor skip with exit 2 naming clusters[0].source.k3s.version, before Pulumi runs up", () => {
        const result = withOutputs(deployed({ k3s: k3sBelow(2) }), "up", "dev");
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, new RegExp(`clusters\\[0\\]\\.source\\.k3s\\.version: "${escaped(shipped.k3s!)}" cannot be applied to the deployed K3s ${escaped(k3sBelow(2))}: it skips Kubernetes`));
        assert.ok(!calls().some((c) => c.startsWith("up ")), "pulumi up did not run");
    });

    it("fails a Cilium minor skip, and a vCluster minor downgrade, each under its key — for preview too", () => {
        const [major, minor] = shipped.vclusters["vc-b"].split(".").map(Number);
        const newer = `${major}.${minor + 1}.0`;
        const result = withOutputs(deployed({ cilium: ciliumBelow(2), vclusters: { ...shipped.vclusters, "vc-b": newer } }), "preview", "dev");
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, new RegExp(`clusters\\[0\\]\\.cilium\\.version: "${escaped(shipped.cilium!)}" cannot be applied to the deployed Cilium ${escaped(ciliumBelow(2))}: it skips`));
        assert.match(result.stderr, new RegExp(`clusters\\[0\\]\\.vclusters\\[1\\]\\.version: .* deployed vCluster vc-b ${escaped(newer)}: a downgrade`));
        assert.ok(!calls().some((c) => c.startsWith("preview ")), "pulumi preview did not run");
    });

    it("fails a vCluster tenant deployed at 0.20 that the stack file moves to the k8s-distro release, with the migration path", function () {
        if (!shipped.vclusters["vc-a"].startsWith("0.36.")) this.skip();
        const result = withOutputs(deployed({ vclusters: { "vc-a": "0.20.6", "vc-b": shipped.vclusters["vc-b"] } }), "up", "dev");
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /clusters\[0\]\.vclusters\[0\]\.version: "0\.36\.\d+" cannot be applied to the deployed vCluster vc-a 0\.20\.6: the tenant runs the k3s distro/);
        assert.match(result.stderr, /add a new tenant \(a new name\)/);
    });

    it("a stack last updated before deployedVersions: checks the Cilium versions of its clusters output", () => {
        const result = withOutputs({ clusters: [{ name: "dev", ciliumVersion: ciliumBelow(2) }] }, "up", "dev");
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /records only its Cilium versions/);
        assert.match(result.stderr, /clusters\[0\]\.cilium\.version: .* it skips/);
    });

    it("outputs it cannot read: exit 1 with one line, and Pulumi does not run up (fails closed)", () => {
        const file = path.join(home, "outputs.json");
        fs.writeFileSync(file, "error: not JSON");
        const result = run(cleanEnv(home, { PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "test-only", KUBELOOM_FAKE_OUTPUTS: file }), "up", "dev");
        assert.equal(result.status, 1, result.stderr);
        assert.match(result.lines[result.lines.length - 1], /^kubeloom: cannot read the outputs of stack dev to check the upgrade steps \(the output is not JSON: .*\); nothing was changed$/);
        assert.ok(!calls().some((c) => c.startsWith("up ")), "pulumi up did not run");
    });

    describe("destructive changes, from the stack's outputs and state (pulumi stack export)", () => {
        let plan: { outputs: Record<string, unknown>; resources: Array<{ urn: string; type: string; inputs: Record<string, unknown> }> };
        before(function () {
            this.timeout(120_000);
            const out = path.join(os.tmpdir(), `kubeloom-dev-plan-${process.pid}.json`);
            const planned = spawnSync(process.execPath, ["-r", TS_REGISTER, path.join(projectDir, "scripts", "plan", "plan-cli.ts"), "dev", "--out", out], { cwd: projectDir, encoding: "utf8", timeout: 110_000 });
            assert.equal(planned.status, 0, planned.stderr);
            plan = JSON.parse(fs.readFileSync(out, "utf8"));
            fs.rmSync(out, { force: true });
        });
        /** Runs the CLI against a stack whose outputs and state are the dev plan's, after `edit` on the state's JSON text. */
        function withState(edit: (text: string) => string, ...args: string[]) {
            const outputs = path.join(home, "outputs.json");
            const exported = path.join(home, "export.json");
            fs.writeFileSync(outputs, edit(JSON.stringify(plan.outputs)));
            const resources = plan.resources.map((r) => ({ urn: r.urn, type: r.type, inputs: r.inputs }));
            fs.writeFileSync(exported, edit(JSON.stringify({ version: 3, deployment: { resources } })));
            return run(cleanEnv(home, { PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "test-only", KUBELOOM_FAKE_OUTPUTS: outputs, KUBELOOM_FAKE_EXPORT: exported }), ...args);
        }

        it("runs up when the stack file deploys what the state records, reading the state masked", () => {
            const result = withState((t) => t, "up", "dev");
            assert.equal(result.status, 0, result.stderr);
            assert.match(result.stderr, /none skipped; no destructive change refused/);
            const exported = calls().find((c) => c.startsWith("stack export"));
            assert.ok(exported && !exported.includes("--show-secrets"), "the state is read without decrypting secrets");
        });

        it("fails a pod CIDR and a Cilium id the stack file would change, exit 2 under each key, before Pulumi runs", () => {
            const result = withState((t) => t.replace(/--cluster-cidr=10\.42\.0\.0\/16/g, "--cluster-cidr=10.60.0.0/16").replace(/"id":1,/g, '"id":7,'), "preview", "dev");
            assert.equal(result.status, 2, result.stderr);
            assert.match(result.stderr, /clusters\[0\]\.podCidr: "10\.42\.0\.0\/16" cannot replace the pod CIDR 10\.60\.0\.0\/16 of the deployed K3s cluster dev/);
            assert.match(result.stderr, /clusters\[0\]\.id: 1 cannot replace the deployed Cilium cluster id 7/);
            assert.ok(!calls().some((c) => c.startsWith("preview ")), "pulumi preview did not run");
        });

        it("fails a first server the stack file moved to another host", () => {
            const result = withState((t) => t.replace(/--tls-san=192\.0\.2\.10/g, "--tls-san=192.0.2.99"), "up", "dev");
            assert.equal(result.status, 2, result.stderr);
            assert.match(result.stderr, /clusters\[0\]\.source\.k3s\.host: "192\.0\.2\.10" cannot replace the first server/);
        });
    });

    it("a new stack (no outputs): says nothing was checked, and runs up", () => {
        const result = withOutputs({}, "up", "dev");
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stderr, /records no deployed versions .* upgrade steps not checked/);
    });
});

describe("backend and preflight rules", () => {
    it("defaults to file://<project>/.pulumi-state, created when missing; PULUMI_BACKEND_URL overrides", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-backend-"));
        try {
            const backend = resolveBackend(dir, {});
            assert.deepEqual(backend, { url: `file://${dir}/.pulumi-state`, isDefault: true, selfManaged: true });
            ensureBackend(backend);
            assert.ok(fs.statSync(path.join(dir, ".pulumi-state")).isDirectory());
            assert.deepEqual(resolveBackend(dir, { PULUMI_BACKEND_URL: "https://api.pulumi.com" }), { url: "https://api.pulumi.com", isDefault: false, selfManaged: false });
            assert.equal(resolveBackend(dir, { PULUMI_BACKEND_URL: "  " }).isDefault, true, "an empty variable (an unset CI var) is not a backend");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("needs a passphrase only for passphrase-encrypted stacks on self-managed backends", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-preflight-"));
        try {
            const kms = path.join(dir, "Pulumi.kms.yaml");
            fs.writeFileSync(kms, "secretsprovider: awskms://alias/kubeloom\nconfig: {}\n");
            const local = resolveBackend(dir, {});
            assert.match(preflightProblem(local, path.join(dir, "Pulumi.dev.yaml"), {}) ?? "", /PULUMI_CONFIG_PASSPHRASE/);
            assert.equal(preflightProblem(local, path.join(dir, "Pulumi.dev.yaml"), { PULUMI_CONFIG_PASSPHRASE: "x" }), undefined);
            assert.equal(preflightProblem(local, kms, {}), undefined);
            assert.equal(preflightProblem(resolveBackend(dir, { PULUMI_BACKEND_URL: "https://api.pulumi.com" }), path.join(dir, "Pulumi.dev.yaml"), {}), undefined);
            assert.match(preflightProblem(local, path.join(dir, "Pulumi.dev.yaml"), { PULUMI_CONFIG_PASSPHRASE_FILE: path.join(dir, "missing") }) ?? "", /does not exist/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
