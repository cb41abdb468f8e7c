/**
 * plan:diff's guard rails for destructive changes (config/change-rules.ts) with the real program on both sides: a
 * copy of this project in a throwaway git repository whose base commit holds one variant of the dev stack per case,
 * then the change under review edits each. Both sides are real offline plans, so this is the base plan's `clusters`
 * output and K3s server commands, read back (scripts/diff/deployed-shape.ts) and checked end to end, in one run.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";
import { renderMarkdown } from "../../scripts/diff/plan-diff-markdown";

function git(cwd: string, ...args: string[]): string {
    const result = spawnSync("git", ["-c", "user.email=test@example.com", "-c", "user.name=test", ...args], { cwd, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
}

const devFile = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
const edit = (text: string, from: string | RegExp, to: string) => {
    const next = text.replace(from, to);
    assert.notEqual(next, text, `Pulumi.dev.yaml no longer holds ${from}`);
    return next;
};
const HOST = "          host: 192.0.2.10\n";
const threeServers = (first: string) =>
    edit(devFile, HOST, `          registrationAddress: 192.0.2.100\n          servers:\n            - host: ${first}\n            - host: 192.0.2.11\n            - host: 192.0.2.12\n`);

/** Stack name → [base text, head text]; several cases per stack keep the number of plans (and the time) down. */
const CASES: Record<string, [string, string]> = {
    // Pod and service CIDR, the Cilium cluster id and secrets encryption turned on, of one cluster.
    cidr: [devFile, edit(edit(edit(edit(devFile, "podCidr: 10.42.0.0/16", "podCidr: 10.50.0.0/16"), "serviceCidr: 10.43.0.0/16", "serviceCidr: 10.51.0.0/16"), "      id: 1\n", "      id: 2\n"), "          port: 22\n", "          port: 22\n          secretsEncryption: true\n")],
    rename: [devFile, edit(devFile, "    - name: dev\n", "    - name: prod\n")],
    // 1 → 3 servers (an ordered step), and a pod CIDR change its author allows.
    ha: [devFile, edit(edit(threeServers("192.0.2.10"), "podCidr: 10.42.0.0/16", "podCidr: 10.50.0.0/16"), "      id: 1\n", "      id: 1\n      allowDestructive: [podCidr]\n")],
    // 3 → 1 servers, the one left not the first, and secrets encryption turned off.
    shrink: [edit(threeServers("192.0.2.10"), "          port: 22\n", "          port: 22\n          secretsEncryption: true\n"), edit(devFile, HOST, "          host: 192.0.2.20\n")],
};
describe("plan:diff guard rails for destructive changes, on the real dev stack", function () {
    this.timeout(300_000);
    let repo: string;
    let result: { status: number | null; stderr: string; markdown: string; report: Record<string, unknown> & { refusedChanges: Array<{ stack: string; path: string; message: string }>; allowedDestructiveChanges: Array<{ stack: string; path: string; message: string }>; steps: Array<{ stack: string; note: string }> } };

    before(() => {
        repo = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-guard-"));
        const files = git(PROJECT_DIR, "ls-files", "-co", "--exclude-standard").split("\n").filter(Boolean);
        for (const file of files) {
            const source = path.join(PROJECT_DIR, file);
            if (!fs.existsSync(source) || /^Pulumi\.\w+\.yaml$/.test(file)) continue;
            fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
            fs.copyFileSync(source, path.join(repo, file));
        }
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(repo, "node_modules"), "dir");
        for (const [stack, [base]] of Object.entries(CASES)) fs.writeFileSync(path.join(repo, `Pulumi.${stack}.yaml`), base);
        git(repo, "init", "-q", "-b", "main");
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "base");
        for (const [stack, [, head]] of Object.entries(CASES)) fs.writeFileSync(path.join(repo, `Pulumi.${stack}.yaml`), head);
        const out = path.join(repo, "report.json");
        const run = spawnSync(process.execPath, ["-r", TS_REGISTER, path.join(repo, "scripts", "diff", "diff-cli.ts"), ...Object.keys(CASES), "--base", "main", "--project", repo, "--format", "json", "--out", out], {
            cwd: repo,
            encoding: "utf8",
            env: { ...process.env, GITHUB_STEP_SUMMARY: "" },
            timeout: 280_000,
        });
        const report = JSON.parse(fs.readFileSync(out, "utf8"));
        result = { status: run.status, stderr: run.stderr, markdown: renderMarkdown(report), report };
    });

    after(() => {
        if (repo) fs.rmSync(repo, { recursive: true, force: true });
    });

    const refusedPaths = () => result.report.refusedChanges.map((r) => `${r.stack} ${r.path}`);

    it("fails with exit 2, each refusal on stderr under its stack and key", () => {
        assert.equal(result.status, 2, result.stderr);
        assert.deepEqual(refusedPaths(), [
            "cidr clusters[0].id",
            "cidr clusters[0].podCidr",
            "cidr clusters[0].serviceCidr",
            "cidr clusters[0].source.k3s.secretsEncryption",
            "rename clusters[0].name",
            "shrink clusters[0].source.k3s.host",
            "shrink clusters[0].source.k3s.secretsEncryption",
            "shrink clusters[0].source.k3s.servers",
        ]);
        for (const line of refusedPaths()) {
            const [stack, key] = line.split(" ");
            assert.ok(result.stderr.includes(`Pulumi.${stack}.yaml: ${key}: `), `stderr names ${line}`);
        }
    });

    it("says why and what to do instead, pointing a restore at the README's procedure", () => {
        const message = (stack: string, key: string) => result.report.refusedChanges.find((r) => r.stack === stack && r.path === `clusters[0].${key}`)!.message;
        assert.match(message("cidr", "podCidr"), /"10\.50\.0\.0\/16" cannot replace the pod CIDR 10\.42\.0\.0\/16 .* K3s takes --cluster-cidr when the cluster is initialised/);
        assert.match(message("cidr", "podCidr"), /set clusters\[0\]\.allowDestructive: \[podCidr\]/);
        assert.match(message("cidr", "serviceCidr"), /cannot replace the service CIDR 10\.43\.0\.0\/16/);
        assert.match(message("cidr", "id"), /2 cannot replace the deployed Cilium cluster id 1/);
        assert.match(message("cidr", "source.k3s.secretsEncryption"), /true cannot be applied .* enabling it at a later time is currently not supported/);
        assert.match(message("rename", "name"), /cannot rename the deployed cluster "dev"/);
        assert.match(message("shrink", "source.k3s.host"), /"192\.0\.2\.20" cannot replace the first server/);
        assert.match(message("shrink", "source.k3s.servers"), /no way back to SQLite/);
        assert.match(message("shrink", "source.k3s.secretsEncryption"), /false cannot be applied .* `k3s secrets-encrypt disable`/);
        for (const refused of result.report.refusedChanges) assert.match(refused.message, /docs\/k3s-day-2\.md → Restoring from an etcd snapshot/);
    });

    it("applies a change its key allows with allowDestructive, and shows it in the report", () => {
        assert.deepEqual(result.report.allowedDestructiveChanges.map((r) => `${r.stack} ${r.path}`), ["ha clusters[0].podCidr"]);
        assert.match(result.report.allowedDestructiveChanges[0].message, /^allowed by clusters\[0\]\.allowDestructive \(podCidr\)/);
        assert.match(result.markdown, /Destructive changes allowed by `allowDestructive`/);
        assert.match(result.markdown, /`Pulumi\.ha\.yaml` `clusters\[0\]\.podCidr`/);
        assert.match(result.stderr, /destructive change allowed: Pulumi\.ha\.yaml: clusters\[0\]\.podCidr/);
    });

    it("plans 1 → 3 servers as K3s's documented SQLite → etcd conversion: not refused, an ordered step in the report", () => {
        assert.ok(!refusedPaths().some((p) => p.startsWith("ha ")), refusedPaths().join("\n"));
        assert.equal(result.report.steps.length, 1);
        assert.equal(result.report.steps[0].stack, "ha");
        assert.match(result.report.steps[0].note, /--cluster-init and must answer \/readyz before the 2 new servers join one at a time/);
        assert.match(result.markdown, /\*\*Ordered steps\*\*/);
        assert.match(result.markdown, /\*\*Refused destructive changes\*\*/);
    });
});
