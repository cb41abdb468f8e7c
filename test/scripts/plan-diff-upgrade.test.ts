/**
 * plan:diff's upgrade check with the real program on both sides: a copy of this project in a throwaway git
 * repository, the base as committed, the working tree with Pulumi.dev.yaml's K3s moved two minors on. Both plans are
 * real offline plans, so this is the base's `deployedVersions` output, read back and checked end to end.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";

function git(cwd: string, ...args: string[]): string {
    const result = spawnSync("git", ["-c", "user.email=test@example.com", "-c", "user.name=test", ...args], { cwd, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
}

describe("plan:diff upgrade check on the real dev stack", function () {
    this.timeout(120_000);
    let repo: string;

    before(() => {
        repo = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-diff-real-"));
        // The project as it is in this checkout (tracked and new files), without node_modules (linked) or state.
        const files = git(PROJECT_DIR, "ls-files", "-co", "--exclude-standard").split("\n").filter(Boolean);
        for (const file of files) {
            const source = path.join(PROJECT_DIR, file);
            if (!fs.existsSync(source)) continue;
            fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
            fs.copyFileSync(source, path.join(repo, file));
        }
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(repo, "node_modules"), "dir");
        git(repo, "init", "-q", "-b", "main");
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "base");
    });

    after(() => {
        if (repo) fs.rmSync(repo, { recursive: true, force: true });
    });

    function withK3s(version: string) {
        const file = path.join(repo, "Pulumi.dev.yaml");
        const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
        const changed = text.replace(/version: v1\.28\.13\+k3s1/, `version: ${version}`);
        assert.notEqual(changed, text, "Pulumi.dev.yaml pins the K3s version");
        fs.writeFileSync(file, changed);
        const result = spawnSync(process.execPath, ["-r", TS_REGISTER, path.join(repo, "scripts", "diff", "diff-cli.ts"), "dev", "--base", "main", "--project", repo], {
            cwd: repo,
            encoding: "utf8",
            env: { ...process.env, GITHUB_STEP_SUMMARY: "" },
            timeout: 110_000,
        });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    it("fails K3s v1.28 → v1.30 with exit 2 naming clusters[0].source.k3s.version", () => {
        const { status, stderr } = withK3s("v1.30.6+k3s1");
        assert.equal(status, 2, stderr);
        assert.match(stderr, /Pulumi\.dev\.yaml: clusters\[0\]\.source\.k3s\.version: "v1\.30\.6\+k3s1" cannot be applied to the deployed K3s v1\.28\.13\+k3s1: it skips Kubernetes 1\.29/);
    });

    it("allows K3s v1.28 → v1.29 (exit 1: a change)", () => {
        const { status, stdout, stderr } = withK3s("v1.29.15+k3s1");
        assert.equal(status, 1, stderr);
        assert.doesNotMatch(stderr, /refused/);
        assert.match(stdout, /deployedVersions/, "the output change shows in the diff");
    });
});
