/**
 * plan:diff's upgrade check with the real program on both sides: a copy of this project in a throwaway git
 * repository, the base as committed, the base's Pulumi.dev.yaml two K3s lines below the shipped one (a skip) and a copy one line below (a step). Both plans are
 * real offline plans, so this is the base's `deployedVersions` output, read back and checked end to end.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";
import { K3S_LINES, minorDistance } from "../../components/support-matrix";

function git(cwd: string, ...args: string[]): string {
    const result = spawnSync("git", ["-c", "user.email=test@example.com", "-c", "user.name=test", ...args], { cwd, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
}

/** The K3s line `delta` minors from the one of `version`, as the matrix's example release of it. */
function k3sLineFrom(version: string, delta: number): string {
    const line = K3S_LINES.find((l) => minorDistance(version, l.example) === delta);
    assert.ok(line, `no K3s line ${delta} minors from ${version} in the matrix`);
    return line.example;
}

describe("plan:diff upgrade check on the real dev stack", function () {
    this.timeout(120_000);
    let repo: string;
    const devFile = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
    const current = /version: (v\d+\.\d+\.\d+\+k3s\d+)/.exec(devFile)?.[1] ?? "";
    const withK3s = (version: string) => devFile.replace(current, version);

    before(() => {
        assert.ok(current, "Pulumi.dev.yaml pins the K3s version");
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
        // The base: dev two K3s lines below the shipped one, a copy of it ("step") one line below.
        fs.writeFileSync(path.join(repo, "Pulumi.dev.yaml"), withK3s(k3sLineFrom(current, -2)));
        fs.writeFileSync(path.join(repo, "Pulumi.step.yaml"), withK3s(k3sLineFrom(current, -1)));
        git(repo, "init", "-q", "-b", "main");
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "base");
        // The change: both at the shipped version.
        fs.writeFileSync(path.join(repo, "Pulumi.dev.yaml"), devFile);
        fs.writeFileSync(path.join(repo, "Pulumi.step.yaml"), devFile);
    });

    after(() => {
        if (repo) fs.rmSync(repo, { recursive: true, force: true });
    });

    function diff(stack: string) {
        const result = spawnSync(process.execPath, ["-r", TS_REGISTER, path.join(repo, "scripts", "diff", "diff-cli.ts"), stack, "--base", "main", "--project", repo], {
            cwd: repo,
            encoding: "utf8",
            env: { ...process.env, GITHUB_STEP_SUMMARY: "" },
            timeout: 110_000,
        });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    it("fails a K3s skip of one minor line with exit 2 naming clusters[0].source.k3s.version", () => {
        const { status, stderr } = diff("dev");
        assert.equal(status, 2, stderr);
        const from = k3sLineFrom(current, -2).replace(/[.+]/g, "\\$&");
        assert.match(stderr, new RegExp(`Pulumi\\.dev\\.yaml: clusters\\[0\\]\\.source\\.k3s\\.version: "${current.replace(/[.+]/g, "\\$&")}" cannot be applied to the deployed K3s ${from}: it skips Kubernetes`));
    });

    it("allows one K3s minor (exit 1: a change, the deployedVersions output among it)", () => {
        const { status, stdout, stderr } = diff("step");
        assert.equal(status, 1, stderr);
        assert.doesNotMatch(stderr, /refused/);
        assert.match(stdout, /deployedVersions/);
    });
});
