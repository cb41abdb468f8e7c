/**
 * What `npm run up|preview|destroy|kubeconfig` share before they touch a stack through the Automation API:
 * finding the Pulumi CLI (PATH, then $PULUMI_HOME/bin, then ~/.pulumi/bin), choosing the backend (the project's
 * `.pulumi-state/` unless PULUMI_BACKEND_URL says otherwise), and checking that secrets can be decrypted — each
 * failure as one line, before any Pulumi command runs.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import type { LocalWorkspaceOptions, Stack } from "@pulumi/pulumi/automation";
import { CliError, EXIT } from "../common/cli";

/** How to install the CLI, in the words of its installer. */
export const INSTALL_HINT = "curl -fsSL https://get.pulumi.com | sh";

/** A Pulumi CLI that answered `pulumi version`. */
export interface PulumiCli {
    /** Absolute path, or "pulumi" when found on PATH. */
    readonly command: string;
    /** Installation root (the directory holding bin/pulumi) when not on PATH. */
    readonly root?: string;
    readonly version: string;
}

/**
 * Looks for the Pulumi CLI the way people install it: on PATH, in $PULUMI_HOME/bin, in ~/.pulumi/bin (where the
 * installer puts it without editing PATH for non-login shells). Each candidate must answer `pulumi version`
 * within the timeout; a broken or hanging binary counts as missing.
 */
export function findPulumiCli(env: NodeJS.ProcessEnv = process.env, timeoutMs = 15_000): PulumiCli | undefined {
    const home = env.HOME || os.homedir();
    const candidates: Array<{ command: string; root?: string }> = [{ command: "pulumi" }];
    for (const root of [env.PULUMI_HOME, home && path.join(home, ".pulumi")]) {
        if (root) candidates.push({ command: path.join(root, "bin", "pulumi"), root });
    }
    for (const candidate of candidates) {
        if (candidate.root && !fs.existsSync(candidate.command)) continue;
        const result = spawnSync(candidate.command, ["version"], {
            env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" },
            encoding: "utf8",
            timeout: timeoutMs,
            stdio: ["ignore", "pipe", "ignore"],
        });
        const version = result.status === 0 ? /v?\d+\.\d+\.\d+\S*/.exec(result.stdout)?.[0] : undefined;
        if (version) return { ...candidate, version };
    }
    return undefined;
}

/** The one line shown when the CLI is missing. */
export function missingCliMessage(operation: string): string {
    return `kubeloom: the Pulumi CLI is not installed (needed for ${operation}). Install it: ${INSTALL_HINT} — or run the offline plan: npm run plan -- dev`;
}

/** The backend a command will use and why. */
export interface Backend {
    readonly url: string;
    /** True for the project's own `.pulumi-state/` (the default). */
    readonly isDefault: boolean;
    /** Self-managed backends (file, s3, gs, azblob) encrypt secrets with a passphrase unless told otherwise. */
    readonly selfManaged: boolean;
}

/** PULUMI_BACKEND_URL when set (and not empty), else `file://<projectDir>/.pulumi-state`. */
export function resolveBackend(projectDir: string, env: NodeJS.ProcessEnv = process.env): Backend {
    const configured = env.PULUMI_BACKEND_URL?.trim();
    const url = configured ? configured : `file://${path.join(path.resolve(projectDir), ".pulumi-state")}`;
    return { url, isDefault: !configured, selfManaged: !/^https?:\/\//.test(url) };
}

/** The one line that says which backend is used. */
export function backendLine(backend: Backend): string {
    return backend.isDefault
        ? `kubeloom: using the local backend ${backend.url} (set PULUMI_BACKEND_URL to use another)`
        : `kubeloom: using the backend ${backend.url} (from PULUMI_BACKEND_URL)`;
}

/** Creates `.pulumi-state/` for the default backend. */
export function ensureBackend(backend: Backend): void {
    if (backend.isDefault) fs.mkdirSync(backend.url.slice("file://".length), { recursive: true });
}

/**
 * Refuses what would go wrong later with a worse message: the default local backend on a CI runner (its state
 * would vanish with the runner, and the next run would create everything again), and a passphrase-encrypted
 * stack without PULUMI_CONFIG_PASSPHRASE(_FILE). Returns the problem as one line, or undefined.
 */
export function preflightProblem(backend: Backend, stackFile: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (backend.isDefault && isTruthy(env.CI)) {
        return "kubeloom: CI run without PULUMI_BACKEND_URL: the local backend would lose the stack state with the runner; set PULUMI_BACKEND_URL (e.g. https://api.pulumi.com or s3://bucket)";
    }
    if (backend.selfManaged && usesPassphrase(stackFile)) {
        const file = env.PULUMI_CONFIG_PASSPHRASE_FILE?.trim();
        if (file && !fs.existsSync(file)) return `kubeloom: PULUMI_CONFIG_PASSPHRASE_FILE points to ${file}, which does not exist`;
        if (!file && !env.PULUMI_CONFIG_PASSPHRASE) {
            return "kubeloom: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): this backend encrypts the stack's secrets with a passphrase";
        }
    }
    return undefined;
}

function isTruthy(value: string | undefined): boolean {
    return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

/** True unless the stack file names a secrets provider other than the passphrase (awskms://, gcpkms://, ...). */
function usesPassphrase(stackFile: string): boolean {
    if (!fs.existsSync(stackFile)) return true;
    const doc = parse(fs.readFileSync(stackFile, "utf8")) as { secretsprovider?: unknown } | null;
    const provider = doc?.secretsprovider;
    return typeof provider !== "string" || provider === "passphrase";
}

/** Everything a command needs to open a stack. */
export interface StackTarget {
    readonly projectDir: string;
    readonly stack: string;
    readonly cli: PulumiCli;
    readonly backend: Backend;
}

/**
 * Opens the stack of this project (a local program in `projectDir`) through the Automation API. `create`
 * creates it when missing (up, preview); otherwise it must exist (destroy, kubeconfig).
 */
export async function openStack(target: StackTarget, create: boolean): Promise<Stack> {
    // Loaded here: the Automation API pulls in gRPC, which the CLI-missing path does not need.
    const { LocalWorkspace, PulumiCommand } = await import("@pulumi/pulumi/automation");
    const options: LocalWorkspaceOptions = {
        envVars: { PULUMI_BACKEND_URL: target.backend.url, PULUMI_SKIP_UPDATE_CHECK: "true" },
        ...(target.cli.root ? { pulumiCommand: await PulumiCommand.get({ root: target.cli.root }) } : {}),
    };
    const args = { stackName: target.stack, workDir: target.projectDir };
    return create ? LocalWorkspace.createOrSelectStack(args, options) : LocalWorkspace.selectStack(args, options);
}

/** Finds the CLI or throws the one-line "not installed" failure (exit 127). Call before anything else. */
export function requireCli(operation: string, env: NodeJS.ProcessEnv = process.env): PulumiCli {
    const cli = findPulumiCli(env);
    if (!cli) throw new CliError(missingCliMessage(operation), EXIT.missingTool);
    return cli;
}

/** Says which backend is used, runs the preflight checks and creates `.pulumi-state/` when it is the backend. */
export function prepareBackend(projectDir: string, stack: string, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Backend {
    const backend = resolveBackend(projectDir, env);
    log(backendLine(backend));
    const problem = preflightProblem(backend, path.join(projectDir, `Pulumi.${stack}.yaml`), env);
    if (problem) throw new CliError(problem, EXIT.invalid);
    ensureBackend(backend);
    return backend;
}

/** The first line of Pulumi's own error output from an Automation API failure, for a one-line message. */
export function pulumiErrorLine(error: unknown): string {
    const result = (error as { commandResult?: { stderr?: string; stdout?: string } }).commandResult;
    const text = `${result?.stderr ?? ""}\n${result?.stdout ?? ""}`;
    const line = text.split("\n").map((l) => l.trim()).find((l) => l.startsWith("error:")) ?? text.split("\n").map((l) => l.trim()).find(Boolean);
    return line ?? (error instanceof Error ? error.message.split("\n")[0] : String(error));
}
