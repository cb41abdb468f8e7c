/**
 * End to end, on real kind clusters: `up` of the mesh environment (Pulumi.mesh.yaml plus a vCluster on c1) in a
 * throwaway stack on a temporary local backend, then the global rebel-base Service asked from each cluster, the
 * vCluster's kubeconfig used, a second `up` that must change nothing, and `destroy`. See docs/e2e.md.
 *
 * Opt-in and self-skipping: it runs only with KUBELOOM_E2E=1 and every tool present (test/e2e/prerequisites.ts);
 * otherwise `before` prints one line naming what is missing and skips — a skip, never a pass. The default mocha
 * spec of `npm test` matches this file too, so that run shows the line; `npm run test:e2e` runs only this file.
 */
import { strict as assert } from "node:assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack, pulumiErrorLine, resolveBackend } from "../../scripts/cli/automation";
import { mergeKubeconfigs } from "../../lib/kubeconfig";
import { readStackFile } from "../../scripts/plan/stack-file";
import { DEMO_NAMESPACE } from "../../components/mesh-demo";
import { answersProblem, clusterFromAnswer, DemoExpectation, demoExpectations, E2eStackConfig, e2eStackConfig, e2eStackName, expectationSeen, NO_ANSWER, resourceChangesOtherThanSame } from "./harness";
import { detectPrerequisites, existingKindClusters, skipLine } from "./prerequisites";
import { PROJECT_DIR } from "../../lib/project";

const projectDir = PROJECT_DIR;
const MINUTE = 60_000;

/**
 * Limits per step, well above what each should take (estimates, the run has not been timed on real hardware:
 * first `up` 10–20 min with image pulls, checks under a minute each, second `up` 1–3 min, destroy 1–3 min).
 */
const LIMITS = { prepare: 5 * MINUTE, up: 40 * MINUTE, check: 10 * MINUTE, secondUp: 15 * MINUTE, destroy: 20 * MINUTE, cleanup: 25 * MINUTE };
/** Time Pulumi gets to wind down after an interrupt, on top of a step's limit, before mocha gives up on it. */
const GRACE = 5 * MINUTE;

/** Requests per cluster before the answers are judged (with two backends, missing one by chance in 20 is ~2e-6). */
const MIN_REQUESTS = 20;
/** How long to keep asking for a cluster that has not answered yet: global services take a few seconds to sync. */
const SAMPLE_DEADLINE_MS = 4 * MINUTE;

/** Pulumi's progress, streamed as it happens: a 20-minute `up` must not look hung. */
const stream = { onOutput: (text: string) => process.stdout.write(text), onError: (text: string) => process.stderr.write(text) };

interface CommandResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs a command without a shell; never rejects (the caller judges the exit code). */
function runCommand(command: string, args: readonly string[], timeoutMs: number): Promise<CommandResult> {
    return new Promise((resolve) => {
        execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        });
    });
}

function firstLine(text: string): string {
    return text.split("\n").map((l) => l.trim()).find(Boolean) ?? "(no output)";
}

/** Writes a kubeconfig into the run's private (0700) directory as a new file only its owner can read. */
function writePrivateFile(file: string, text: string): string {
    // "wx": never reuse an existing file, whose mode could be wider; the umask can only remove bits from 0600.
    fs.writeFileSync(file, text, { mode: 0o600, flag: "wx" });
    return file;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a Pulumi operation under its own deadline, shorter than mocha's: at the deadline the CLI is interrupted
 * (the Automation API sends SIGINT, Pulumi's graceful cancel) and awaited. A mocha timeout alone would leave the
 * operation running, and the cleanup hook would then start `destroy` while `up` still holds the stack.
 */
async function withDeadline<T>(what: string, limitMs: number, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let interrupted = false;
    const timer = setTimeout(() => {
        interrupted = true;
        controller.abort();
    }, limitMs);
    try {
        return await operation(controller.signal);
    } catch (error) {
        if (interrupted) throw new Error(`${what} did not finish within ${limitMs / MINUTE} min and was interrupted`);
        throw error;
    } finally {
        clearTimeout(timer);
    }
}

/** Asks the global rebel-base Service from x-wing in `expectation.from`, counting which cluster answered. */
async function sampleRebelBase(kubeconfig: string, expectation: DemoExpectation): Promise<Map<string, number>> {
    const kubectl = (args: string[], timeoutMs: number) =>
        runCommand("kubectl", ["--kubeconfig", kubeconfig, "--context", expectation.from, "--namespace", DEMO_NAMESPACE, ...args], timeoutMs);
    const rollout = await kubectl(["rollout", "status", "deployment/x-wing", "--timeout=300s"], 6 * MINUTE);
    if (rollout.code !== 0) throw new Error(`x-wing in ${expectation.from} is not ready: ${firstLine(rollout.stderr)}`);
    const counts = new Map<string, number>();
    const deadline = Date.now() + SAMPLE_DEADLINE_MS;
    for (let sent = 1; ; sent++) {
        // --max-time 3: in the policy-fenced cluster, requests that land on local backends are dropped, not refused.
        const reply = await kubectl(["exec", "deployment/x-wing", "--", "curl", "-s", "--max-time", "3", "http://rebel-base"], 30_000);
        const cluster = (reply.code === 0 ? clusterFromAnswer(reply.stdout) : undefined) ?? NO_ANSWER;
        counts.set(cluster, (counts.get(cluster) ?? 0) + 1);
        if ((sent >= MIN_REQUESTS && expectationSeen(expectation, counts)) || Date.now() > deadline) return counts;
    }
}

describe("e2e: the mesh environment on kind (KUBELOOM_E2E=1)", function () {
    const stackFileOf = (name: string) => path.join(projectDir, `Pulumi.${name}.yaml`);
    let stackName: string;
    let e2e: E2eStackConfig;
    let workDir: string | undefined;
    let stack: Stack | undefined;
    let upStarted = false;
    let upSucceeded = false;
    let destroyed = false;
    let stackRemoved = false;
    /** Set once `before` has checked that no file of this name existed: only then may cleanup delete it. */
    let stackFileIsOurs = false;
    let mergedKubeconfig: string;
    let vclusterKubeconfig: string;

    before(async function () {
        this.timeout(LIMITS.prepare);
        stackName = e2eStackName();
        // Built first (pure, fast): its MetalLB pools are what the Docker network must hold.
        e2e = e2eStackConfig(readStackFile(path.join(projectDir, "Pulumi.mesh.yaml"), "kubeloom"), stackName);
        const found = detectPrerequisites({ kindNetworkPools: e2e.metallbPools });
        if (found.missing.length > 0 || !found.cli) {
            console.log(skipLine(found.missing));
            this.skip();
        }
        // A failure, not a skip: the run was asked for and could go ahead, but would adopt and then delete these.
        const conflicts = existingKindClusters(e2e.clusterNames);
        if (conflicts.length > 0) {
            throw new Error(
                `kind already has clusters named ${conflicts.join(", ")}; the e2e run creates and deletes clusters of these names. Destroy the mesh stack (npm run destroy -- mesh --yes) or run: kind delete clusters ${conflicts.join(" ")}`,
            );
        }
        if (fs.existsSync(stackFileOf(stackName))) throw new Error(`${stackFileOf(stackName)} exists; refusing to overwrite it`);
        stackFileIsOurs = true;

        // mkdtemp creates the directory with mode 0700: the state (secrets encrypted) and the kubeconfigs live here.
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-e2e-"));
        const stateDir = path.join(workDir, "state");
        fs.mkdirSync(stateDir);
        // Isolated: this URL wins over any PULUMI_BACKEND_URL of the caller (openStack passes it to every command).
        const backend = resolveBackend(projectDir, { PULUMI_BACKEND_URL: `file://${stateDir}` });
        console.log(`e2e: stack ${stackName} on ${backend.url}, Pulumi ${found.cli.version}`);
        stack = await openStack({ projectDir, stack: stackName, cli: found.cli, backend }, true);
        // `pulumi config set-all --plaintext`: structured values are stored as JSON text in Pulumi.<stack>.yaml,
        // which is how the program receives structured config anyway (config/schema.ts rawConfigFromPulumi).
        await stack.setAllConfig(e2e.config);
    });

    after(async function () {
        this.timeout(LIMITS.destroy + LIMITS.cleanup);
        if (!stack) {
            // Skipped, or failed before the stack could be opened: nothing was deployed.
            if (stackFileIsOurs) fs.rmSync(stackFileOf(stackName), { force: true });
            if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
            return;
        }
        const problems: string[] = [];
        if (upStarted && !destroyed) {
            console.log(`e2e: cleaning up stack ${stackName} after a failed or interrupted run`);
            try {
                await withDeadline("destroy", LIMITS.destroy, (signal) => stack!.destroy({ ...stream, signal }));
                destroyed = true;
            } catch (error) {
                problems.push(`destroy failed: ${pulumiErrorLine(error)}`);
            }
        }
        let clustersGone = destroyed || !upStarted;
        if (!clustersGone) {
            // Last resort. Everything the stack creates lives inside its kind clusters, and `before` made sure no
            // cluster of these names existed, so deleting them removes only what this run made.
            const results = await Promise.all(e2e.clusterNames.map((name) => runCommand("kind", ["delete", "cluster", "--name", name], 5 * MINUTE)));
            const failed = e2e.clusterNames.filter((_, i) => results[i].code !== 0);
            if (failed.length > 0) problems.push(`kind delete cluster failed for ${failed.join(", ")}`);
            else console.log(`e2e: deleted the kind clusters ${e2e.clusterNames.join(", ")} instead`);
            clustersGone = failed.length === 0;
        }
        if (!stackRemoved) {
            try {
                // --force when destroy did not finish: the state still lists resources, which are gone with the clusters.
                await stack.workspace.removeStack(stackName, { force: !destroyed });
                stackRemoved = true;
            } catch (error) {
                problems.push(`stack rm failed: ${pulumiErrorLine(error)}`);
            }
        }
        // `stack rm` deletes the stack file; this covers a failed rm.
        if (stackFileIsOurs) fs.rmSync(stackFileOf(stackName), { force: true });
        if (workDir && clustersGone) fs.rmSync(workDir, { recursive: true, force: true });
        // Fail the hook only when something may be left behind; a destroy failure alone is already a failed test.
        if (!clustersGone || !stackRemoved) {
            const kept = workDir && !clustersGone ? `; state kept in ${workDir}` : "";
            throw new Error(`e2e cleanup incomplete: ${problems.join("; ")}${kept}. See docs/e2e.md, "If a run is interrupted".`);
        }
        if (problems.length > 0) console.log(`e2e: cleanup done despite: ${problems.join("; ")}`);
    });

    it("up creates the kind clusters, Cilium, the mesh, the demo and a vCluster", async function () {
        this.timeout(LIMITS.up + GRACE);
        upStarted = true;
        const result = await withDeadline("up", LIMITS.up, (signal) => stack!.up({ ...stream, signal }));
        assert.equal(result.summary.result, "succeeded");
        const output = result.outputs.kubeconfigs;
        assert.ok(output, "the stack has a kubeconfigs output");
        assert.equal(output.secret, true, "the kubeconfigs output is a secret");
        const kubeconfigs = output.value as Record<string, string>;
        for (const context of [...e2e.clusterNames, e2e.vclusterContext]) assert.ok(kubeconfigs[context], `kubeconfigs has ${context}`);
        mergedKubeconfig = writePrivateFile(path.join(workDir!, "kubeconfig.yaml"), mergeKubeconfigs(kubeconfigs).text);
        vclusterKubeconfig = writePrivateFile(
            path.join(workDir!, "vcluster.yaml"),
            mergeKubeconfigs({ [e2e.vclusterContext]: kubeconfigs[e2e.vclusterContext] }).text,
        );
        assert.equal(fs.statSync(mergedKubeconfig).mode & 0o777, 0o600);
        upSucceeded = true;
    });

    it("the global rebel-base service answers from both clusters, as the demo policy allows", async function () {
        this.timeout(LIMITS.check);
        if (!upSucceeded) this.skip();
        const problems: string[] = [];
        for (const expectation of demoExpectations(e2e.meshClusterNames)) {
            const counts = await sampleRebelBase(mergedKubeconfig, expectation);
            const answered = [...counts.entries()].map(([cluster, n]) => `${cluster} ×${n}`).join(", ");
            console.log(`e2e: from ${expectation.from}: ${answered}`);
            const problem = answersProblem(expectation, counts);
            if (problem) problems.push(problem);
        }
        assert.deepEqual(problems, []);
    });

    it("the vCluster's kubeconfig works: kubectl get namespaces", async function () {
        this.timeout(LIMITS.check);
        if (!upSucceeded) this.skip();
        let last: CommandResult | undefined;
        // The Helm release waited for the control plane; the retries cover the NodePort path settling.
        for (let attempt = 0; attempt < 24; attempt++) {
            last = await runCommand("kubectl", ["--kubeconfig", vclusterKubeconfig, "get", "namespaces", "-o", "name", "--request-timeout=10s"], 30_000);
            if (last.code === 0) break;
            await sleep(5_000);
        }
        assert.equal(last!.code, 0, `kubectl get namespaces in ${e2e.vclusterContext} failed: ${firstLine(last!.stderr)}`);
        assert.match(last!.stdout, /^namespace\/default$/m);
        assert.match(last!.stdout, /^namespace\/kube-system$/m);
    });

    it("a second up changes nothing", async function () {
        this.timeout(LIMITS.secondUp + GRACE);
        if (!upSucceeded) this.skip();
        const result = await withDeadline("second up", LIMITS.secondUp, (signal) => stack!.up({ ...stream, signal }));
        assert.equal(result.summary.result, "succeeded");
        assert.deepEqual(resourceChangesOtherThanSame(result.summary.resourceChanges), [], "every resource is `same`");
    });

    it("destroy removes everything, then the stack is removed", async function () {
        this.timeout(LIMITS.destroy + GRACE);
        if (!upSucceeded) this.skip();
        await withDeadline("destroy", LIMITS.destroy, (signal) => stack!.destroy({ ...stream, signal }));
        destroyed = true;
        await stack!.workspace.removeStack(stackName);
        stackRemoved = true;
        assert.deepEqual(existingKindClusters(e2e.clusterNames), [], "no kind cluster of the stack is left");
        assert.equal(fs.existsSync(stackFileOf(stackName)), false, "stack rm deleted the stack file");
    });
});
