/**
 * The `up`-time upgrade check of `npm run up` / `npm run preview`: before Pulumi runs, read what the stack has
 * deployed — its own last `deployedVersions` output, which the program publishes only once the resources it names
 * were applied (stacks/platform.ts) — and refuse, with exit 2 and the config key, a step config/upgrade-rules.ts
 * refuses. The outputs are read with `pulumi stack output --json --non-interactive` without `--show-secrets`: the kubeconfigs stay
 * masked, and deployedVersions is not secret.
 *
 * The same check refuses destructive changes (config/change-rules.ts: K3s CIDRs, Cilium cluster id/name, server
 * topology, secrets encryption) against the stack's `clusters` output and its state, read with `pulumi stack export`
 * (no --show-secrets: secret values stay encrypted and are never read; scripts/diff/deployed-shape.ts reads the rest).
 *
 * What this covers and what not (docs/upgrades.md): every `npm run up|preview` (and the deploy workflow, which runs
 * `npm run up`). `pulumi up` run directly does not pass through here; the program then only warns (stacks/program.ts).
 * Config that is not in Pulumi.<stack>.yaml (Pulumi ESC environments) is not seen here.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { ClusterVersions, DeployedVersions, parseDeployedVersions, upgradeIssues, UPGRADE_CHECKED_ENV } from "../../config/upgrade-rules";
import { parseStackConfig } from "../../config/parse";
import { ConfigError } from "../../config/config-error";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { readStackFile } from "../plan/stack-file";
import { CliError, EXIT } from "../common/cli";
import type { StackTarget } from "./automation";
import { RecordedResource, resourcesFromStackExport, stackShapeChanges } from "../diff/deployed-shape";

/** How long reading the outputs may take (a remote backend over a slow link). */
const OUTPUT_TIMEOUT_MS = 120_000;

/** Where the deployed versions came from. */
export type DeployedSource = "deployedVersions" | "clusters" | "none";

/**
 * What a stack has deployed, from its outputs: `deployedVersions`, else — a stack last updated by a Kubeloom from
 * before that output — the Cilium versions of its `clusters` summary (the only version it recorded), else nothing.
 */
export function deployedFromOutputs(outputs: Record<string, unknown>, stack: string): { deployed: DeployedVersions; source: DeployedSource } {
    const recorded = parseDeployedVersions(outputs.deployedVersions, `stack ${stack}`);
    if (recorded) return { deployed: recorded, source: "deployedVersions" };
    const clusters = outputs.clusters;
    if (Array.isArray(clusters)) {
        const deployed: Record<string, ClusterVersions> = {};
        for (const cluster of clusters) {
            const { name, ciliumVersion } = (cluster ?? {}) as { name?: unknown; ciliumVersion?: unknown };
            if (typeof name === "string" && typeof ciliumVersion === "string") deployed[name] = { cilium: ciliumVersion, vclusters: {} };
        }
        if (Object.keys(deployed).length > 0) return { deployed, source: "clusters" };
    }
    return { deployed: {}, source: "none" };
}

/** Reads the stack's last outputs (masked) with the CLI; throws CliError (exit 1) when they cannot be read. */
export function readStackOutputs(target: StackTarget): Record<string, unknown> {
    return readCliJson(target, ["stack", "output", "--json", "--non-interactive", "--stack", target.stack], "outputs");
}

/**
 * The resources of the stack's state (`pulumi stack export`, without --show-secrets: secret values stay encrypted
 * and are never read), for the destructive-change check; throws CliError (exit 1) when it cannot be read.
 */
export function readStackResources(target: StackTarget): RecordedResource[] {
    return resourcesFromStackExport(readCliJson(target, ["stack", "export", "--non-interactive", "--stack", target.stack], "state"));
}

function readCliJson(target: StackTarget, args: string[], what: string): Record<string, unknown> {
    const result = spawnSync(target.cli.command, args, {
        cwd: target.projectDir,
        env: { ...process.env, PULUMI_BACKEND_URL: target.backend.url, PULUMI_SKIP_UPDATE_CHECK: "true" },
        encoding: "utf8",
        timeout: OUTPUT_TIMEOUT_MS,
        stdio: ["ignore", "pipe", "pipe"],
    });
    const failed = (reason: string) =>
        new CliError(`kubeloom: cannot read the ${what} of stack ${target.stack} to check the upgrade steps (${reason}); nothing was changed`, EXIT.failed);
    if (result.error) throw failed(result.error.message);
    if (result.status !== 0) throw failed((result.stderr || result.stdout).trim().split("\n")[0] || `exit ${result.status}`);
    try {
        const parsed: unknown = JSON.parse(result.stdout || "{}");
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a JSON object");
        return parsed as Record<string, unknown>;
    } catch (error) {
        throw failed(`the output is not JSON: ${(error as Error).message}`);
    }
}

/** What a stack records of itself: its last outputs, and (when it has clusters) the resources of its state. */
export interface StackRecord {
    readonly outputs: Record<string, unknown>;
    readonly resources: readonly RecordedResource[];
}

/**
 * The refused steps and destructive changes from what the stack records to the stack file's config, as one
 * CliError (exit 2) in the config-error format, or undefined; destructive changes the config allows
 * (`allowDestructive`) and ordered steps are logged. An invalid stack file is reported the same way (the program
 * would refuse it too).
 */
export function upgradeRefusal(projectDir: string, stack: string, project: string, deployed: DeployedVersions, record?: StackRecord, log: (line: string) => void = () => {}): CliError | undefined {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    try {
        const stackFile = readStackFile(file, project);
        const config = parseStackConfig(rawConfigFromPulumi(stackFile.config), {
            stackName: stack,
            secretKeys: stackFile.secretKeys.map((key) => key.slice(key.indexOf(":") + 1)),
        });
        const shape = stackShapeChanges(record ?? null, config);
        for (const allowed of shape.overridden) log(`kubeloom: destructive change allowed: ${allowed.path}: ${allowed.message}`);
        for (const note of shape.notes) log(`kubeloom: ordered step: ${note}`);
        const issues = [...upgradeIssues(deployed, config), ...shape.refused];
        if (issues.length === 0) return undefined;
        const error = new ConfigError(issues);
        return new CliError(`kubeloom: stack ${stack} cannot be updated from what it runs (nothing was changed):\n${error.message}`, EXIT.invalid);
    } catch (error) {
        if (error instanceof ConfigError) return new CliError(`kubeloom: Pulumi.${stack}.yaml:\n${error.message}`, EXIT.invalid);
        throw error;
    }
}

/** The whole check of `npm run up|preview`: read, compare, say what was checked; throws CliError on a refusal. */
export function checkUpgradeSteps(target: StackTarget, project: string, log: (line: string) => void): void {
    const outputs = readStackOutputs(target);
    const { deployed, source } = deployedFromOutputs(outputs, target.stack);
    // The destructive-change check needs the clusters output (ids, names) and the state's K3s commands; a stack
    // without that output has deployed nothing it could compare.
    const record = Array.isArray(outputs.clusters) ? { outputs, resources: readStackResources(target) } : undefined;
    switch (source) {
        case "none":
            log(`kubeloom: stack ${target.stack} records no deployed versions (a new stack, or last updated before Kubeloom recorded them); upgrade steps not checked`);
            if (!record) {
                markUpgradeChecked();
                return;
            }
            break;
        case "clusters":
            log(`kubeloom: stack ${target.stack} records only its Cilium versions (last updated before deployedVersions); checking Cilium steps only`);
            break;
        case "deployedVersions":
            break;
    }
    const refusal = upgradeRefusal(target.projectDir, target.stack, project, deployed, record, log);
    if (refusal) throw refusal;
    log(`kubeloom: upgrade steps checked against what stack ${target.stack} runs: none skipped${record ? "; no destructive change refused" : ""}`);
    markUpgradeChecked();
}

/** Tells the program (through the CLI's environment, which the Automation API passes on) that the check ran. */
export function markUpgradeChecked(env: NodeJS.ProcessEnv = process.env): void {
    env[UPGRADE_CHECKED_ENV] = "1";
}
