/**
 * The GitHub workflows, parsed and checked for what matters: triggers, least-privilege permissions, one deploy
 * concurrency group and environment per stack, the PR comment, `run:` steps that only call npm scripts which
 * exist, actions pinned to a major version, and no secret or `${{ }}` expression inside a shell command.
 */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_DIR } from "../../lib/project";

const projectDir = PROJECT_DIR;
const workflowDir = path.join(projectDir, ".github", "workflows");

interface Step {
    readonly id?: string;
    readonly name?: string;
    readonly if?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly with?: Record<string, unknown>;
    readonly env?: Record<string, string>;
}

interface Job {
    readonly "runs-on": string;
    readonly needs?: string | string[];
    readonly if?: string;
    readonly permissions?: Record<string, string>;
    readonly strategy?: { matrix?: Record<string, unknown>; "fail-fast"?: boolean };
    readonly concurrency?: { group: string; "cancel-in-progress"?: boolean };
    readonly environment?: string;
    readonly env?: Record<string, string>;
    readonly outputs?: Record<string, string>;
    readonly steps: Step[];
}

interface Workflow {
    readonly name: string;
    readonly on: Record<string, any>;
    readonly permissions: Record<string, string>;
    readonly concurrency?: unknown;
    readonly jobs: Record<string, Job>;
}

function load(file: string): Workflow {
    return parse(fs.readFileSync(path.join(workflowDir, file), "utf8")) as Workflow;
}

const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
const files = fs.readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f)).sort();

function steps(workflow: Workflow): Array<Step & { job: string }> {
    return Object.entries(workflow.jobs).flatMap(([job, definition]) => definition.steps.map((step) => ({ ...step, job })));
}

function step(workflow: Workflow, job: string, predicate: (s: Step) => boolean): Step {
    const found = workflow.jobs[job].steps.filter(predicate);
    assert.equal(found.length, 1, `job ${job}: expected one matching step`);
    return found[0];
}

describe("GitHub workflows", () => {
    it("are pr.yml, pr-comment.yml and deploy.yml", () => {
        for (const file of ["deploy.yml", "pr-comment.yml", "pr.yml"]) assert.ok(files.includes(file), `${file} exists`);
    });

    for (const file of files) {
        describe(file, () => {
            const workflow = load(file);

            it("is structurally valid: jobs run somewhere, steps do one thing, needs and step ids resolve", () => {
                assert.equal(typeof workflow.name, "string");
                assert.ok(workflow.on && typeof workflow.on === "object", "has triggers");
                for (const [name, job] of Object.entries(workflow.jobs)) {
                    assert.equal(job["runs-on"], "ubuntu-latest", `${name}: runs-on`);
                    assert.ok(Array.isArray(job.steps) && job.steps.length > 0, `${name}: has steps`);
                    for (const need of [job.needs ?? []].flat()) assert.ok(workflow.jobs[need], `${name}: needs unknown job ${need}`);
                    const ids = new Set(job.steps.map((s) => s.id).filter(Boolean));
                    for (const s of job.steps) {
                        assert.ok((s.uses === undefined) !== (s.run === undefined), `${name}: a step has exactly one of uses/run`);
                        for (const ref of `${s.if ?? ""} ${JSON.stringify(s.with ?? {})}`.matchAll(/steps\.([\w-]+)\./g)) {
                            assert.ok(ids.has(ref[1]), `${name}: refers to unknown step ${ref[1]}`);
                        }
                    }
                }
            });

            it("grants contents: read at the top and write access only per job, only to pull requests", () => {
                assert.deepEqual(workflow.permissions, { contents: "read" });
                for (const [name, job] of Object.entries(workflow.jobs)) {
                    for (const [scope, level] of Object.entries(job.permissions ?? {})) {
                        if (level === "write") assert.equal(scope, "pull-requests", `${name}: only pull-requests may be written`);
                        else assert.equal(level, "read", `${name}: ${scope}`);
                    }
                }
            });

            it("sets up Node 24, the major of package.json engines", () => {
                for (const s of steps(workflow).filter((s) => s.uses?.startsWith("actions/setup-node@"))) assert.equal(s.with?.["node-version"], 24, `${s.job}: node-version`);
            });

            it("pins every action to a major version", () => {
                for (const s of steps(workflow).filter((s) => s.uses)) assert.match(s.uses!, /^[\w.-]+\/[\w.-]+@v\d+$/, `${s.job}: ${s.uses}`);
            });

            it("runs only npm ci, npm test and npm scripts that exist in package.json", () => {
                for (const s of steps(workflow).filter((s) => s.run)) {
                    const commands = s.run!.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
                    for (const command of commands) {
                        const script = /^npm run ([\w:-]+)(?: -- .*)?$/.exec(command)?.[1];
                        assert.ok(/^npm (ci|test)\b/.test(command) || script !== undefined, `${s.job}: "${command}" is not an npm script`);
                        if (script) assert.ok(scripts.includes(script), `${s.job}: npm script "${script}" is not in package.json`);
                    }
                }
            });

            it("never expands an expression or a secret inside a shell command, and never echoes", () => {
                for (const s of steps(workflow).filter((s) => s.run)) {
                    assert.doesNotMatch(s.run!, /\$\{\{/, `${s.job}: pass values through env:, not \${{ }} in run:`);
                    assert.doesNotMatch(s.run!, /\b(echo|printf|cat|env|printenv|set -x)\b/, `${s.job}: prints from a shell`);
                }
                // Secrets may only be handed to actions and commands through env: or with:.
                const text = fs.readFileSync(path.join(workflowDir, file), "utf8");
                for (const line of text.split("\n").filter((l) => l.includes("secrets."))) {
                    assert.match(line.trim(), /^[A-Za-z_-]+: \$\{\{ secrets\.[A-Z_]+ \}\}$/, `secret used outside a plain env/with mapping: ${line.trim()}`);
                }
            });
        });
    }

    describe("pr.yml", () => {
        const pr = load("pr.yml");

        it("runs on pull requests to main, one run per PR at a time", () => {
            assert.deepEqual(Object.keys(pr.on), ["pull_request"]);
            assert.deepEqual(pr.on.pull_request.branches, ["main"]);
            assert.deepEqual(pr.concurrency, { group: "pr-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
        });

        it("installs with npm ci and runs the tests", () => {
            const runs = pr.jobs.test.steps.map((s) => s.run).filter(Boolean);
            assert.ok(runs.some((r) => r!.startsWith("npm ci")));
            assert.ok(runs.includes("npm test"));
        });

        it("diffs every stack against the PR's base without failing on changes, from full history", () => {
            const job = pr.jobs["plan-diff"];
            assert.equal(job.steps.find((s) => s.uses?.startsWith("actions/checkout@"))?.with?.["fetch-depth"], 0);
            const diff = step(pr, "plan-diff", (s) => s.run?.includes("plan:diff") ?? false);
            assert.match(diff.run!, /--all/);
            assert.match(diff.run!, /--base "origin\/\$BASE_REF"/);
            assert.match(diff.run!, /--exit-zero/);
            assert.match(diff.run!, /--render/, "the comment shows rendered object diffs and pre-flight findings");
            assert.match(diff.run!, /--out plan-diff\.md/);
            assert.equal(diff.env?.BASE_REF, "${{ github.base_ref }}");
        });

        for (const job of ["test", "plan-diff"]) {
            it(`${job}: installs Helm at an exact version and restores the artifact cache keyed on the lock before using them`, () => {
                const all = pr.jobs[job].steps;
                const helm = step(pr, job, (s) => s.uses?.startsWith("azure/setup-helm@") ?? false);
                assert.match(String(helm.with?.version), /^v3\.\d+\.\d+$/, "an exact Helm version");
                const cache = step(pr, job, (s) => s.uses?.startsWith("actions/cache@") ?? false);
                assert.deepEqual(cache.with, { path: "~/.cache/kubeloom", key: "kubeloom-artifacts-${{ hashFiles('artifacts.lock.json') }}" });
                const prefetch = all.findIndex((s) => s.run === "npm run artifacts -- prefetch");
                const use = all.findIndex((s) => s.run === "npm test" || (s.run?.includes("plan:diff") ?? false));
                assert.ok(all.indexOf(helm) < use && all.indexOf(cache) < prefetch && prefetch < use, "helm, cache and prefetch come before the tests / the diff");
            });
        }

        it("posts one sticky comment, updated in place, for PRs from this repository", () => {
            const comment = step(pr, "plan-diff", (s) => s.uses?.startsWith("marocchino/sticky-pull-request-comment@") ?? false);
            assert.deepEqual(comment.with, { header: "kubeloom-plan-diff", path: "plan-diff.md" });
            // Also when plan:diff exited 2 after writing the report (a refused upgrade step), so the PR learns why.
            assert.equal(comment.if, "${{ !cancelled() && hashFiles('plan-diff.md') != '' && github.event.pull_request.head.repo.full_name == github.repository }}");
            assert.deepEqual(pr.jobs["plan-diff"].permissions, { contents: "read", "pull-requests": "write" });
            const upload = step(pr, "plan-diff", (s) => s.uses?.startsWith("actions/upload-artifact@") ?? false);
            assert.equal(upload.with?.name, "plan-diff", "forks' reports go to pr-comment.yml as an artifact");
            assert.equal(upload.if, "${{ !cancelled() && hashFiles('plan-diff.md') != '' }}");
        });

        it("previews with the Pulumi action only when PULUMI_ACCESS_TOKEN is available, commenting on the PR", () => {
            const job = pr.jobs.preview;
            assert.equal(job.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
            assert.equal(job.strategy?.matrix?.stack, "${{ fromJSON(needs.stacks.outputs.stacks) }}");
            for (const s of job.steps) assert.equal(s.if, "env.PULUMI_ACCESS_TOKEN != ''", "every step is skipped without the token");
            const preview = step(pr, "preview", (s) => s.uses?.startsWith("pulumi/actions@") ?? false);
            assert.equal(preview.with?.command, "preview");
            assert.equal(preview.with?.["comment-on-pr"], true);
            assert.equal(preview.with?.diff, true);
            assert.equal(preview.with?.["stack-name"], "${{ matrix.stack }}");
        });
    });

    describe("pr-comment.yml", () => {
        const comment = load("pr-comment.yml");

        it("comments for forks after the PR workflow, without running any of their code", () => {
            assert.deepEqual(comment.on, { workflow_run: { workflows: [load("pr.yml").name], types: ["completed"] } });
            assert.match(comment.jobs.comment.if!, /head_repository\.full_name != github\.repository/);
            const all = steps(comment);
            assert.ok(all.every((s) => s.run === undefined && !s.uses!.startsWith("actions/checkout@")), "no checkout, no shell");
            const sticky = all.find((s) => s.uses?.startsWith("marocchino/sticky-pull-request-comment@"));
            assert.equal(sticky?.with?.header, "kubeloom-plan-diff", "the same comment as pr.yml updates");
            assert.equal(sticky?.with?.number, "${{ steps.pr.outputs.number }}");
        });
    });

    describe("deploy.yml", () => {
        const deploy = load("deploy.yml");

        it("runs on push to main and by hand for one stack", () => {
            assert.deepEqual(Object.keys(deploy.on).sort(), ["push", "workflow_dispatch"]);
            assert.deepEqual(deploy.on.push.branches, ["main"]);
            assert.deepEqual(deploy.on.workflow_dispatch.inputs.stack, { description: "Stack to deploy (the <stack> of Pulumi.<stack>.yaml)", required: true, type: "string" });
        });

        it("selects the changed stacks (or the dispatched one) for a matrix", () => {
            const select = step(deploy, "stacks", (s) => s.run?.includes("ci:stacks") ?? false);
            assert.equal(select.id, "changed");
            assert.equal(select.run, 'npm run ci:stacks -- --stack "$STACK" --changed-since "$BEFORE"');
            assert.deepEqual(select.env, { STACK: "${{ inputs.stack }}", BEFORE: "${{ github.event.before }}" });
            assert.equal(deploy.jobs.stacks.outputs?.stacks, "${{ steps.changed.outputs.stacks }}");
            assert.equal(deploy.jobs.up.strategy?.matrix?.stack, "${{ fromJSON(needs.stacks.outputs.stacks) }}");
            assert.equal(deploy.jobs.up.strategy?.["fail-fast"], false, "one environment failing does not cancel the others");
        });

        it("runs npm run up per stack in its own concurrency group and GitHub environment", () => {
            const up = deploy.jobs.up;
            assert.deepEqual(up.concurrency, { group: "deploy-${{ matrix.stack }}", "cancel-in-progress": false });
            assert.equal(up.environment, "${{ matrix.stack }}");
            const run = step(deploy, "up", (s) => s.run?.startsWith("npm run up") ?? false);
            assert.equal(run.run, 'npm run up -- "$STACK"');
            assert.equal(run.env?.STACK, "${{ matrix.stack }}");
            assert.equal(run.env?.PULUMI_BACKEND_URL, "${{ vars.PULUMI_BACKEND_URL }}");
            const cli = step(deploy, "up", (s) => s.uses?.startsWith("pulumi/actions@") ?? false);
            assert.equal(cli.with, undefined, "installs the CLI only");
        });
    });
});
