/**
 * What the end-to-end run needs on the machine, and what is missing: the opt-in `KUBELOOM_E2E=1`, the Pulumi CLI
 * (found the way `npm run up` finds it), a reachable Docker engine, the Docker network `kind` holding the MetalLB
 * pools, kind, kubectl, and a passphrase for the temporary local backend.
 *
 * Every probe runs through an injectable runner with a timeout, and the environment is a parameter, so the
 * detection is testable with a fake PATH (test/e2e/prerequisites.test.ts) on a machine that has none of these.
 */
import { spawnSync } from "child_process";
import { findPulumiCli, preflightProblem, PulumiCli, resolveBackend } from "../../scripts/cli/automation";
import { Ipv4Interval, parseAddressRange, parseCidr } from "../../lib/cidr";

/** The environment variable that opts in to the end-to-end run. */
export const E2E_ENV = "KUBELOOM_E2E";

/** Subnet the docs tell people to give the Docker network `kind` (the MetalLB pools of Pulumi.mesh.yaml lie in it). */
export const KIND_NETWORK_SUBNET = "172.22.0.0/16";

/** How long one probe may take before its tool counts as missing (a hung `docker info` must not hang the run). */
export const DEFAULT_PROBE_TIMEOUT_MS = 20_000;

/** What a probe command did. */
export interface ProbeResult {
    /** Exit status; null when the command could not start or was killed. */
    readonly status: number | null;
    readonly stdout: string;
    /** The command is not on PATH. */
    readonly notFound: boolean;
}

/** Runs one command without a shell, with the given environment (its PATH decides what is found) and a timeout. */
export type CommandRunner = (command: string, args: readonly string[], options: { readonly env: NodeJS.ProcessEnv; readonly timeoutMs: number }) => ProbeResult;

/** The real runner: spawnSync, stdout captured, stderr dropped, killed at the timeout. */
export const spawnRunner: CommandRunner = (command, args, { env, timeoutMs }) => {
    const result = spawnSync(command, [...args], { env, encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "ignore"] });
    const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
    return { status: result.error ? null : result.status, stdout: result.stdout ?? "", notFound: code === "ENOENT" };
};

/** Options of the detection; every default is the real machine. */
export interface PrerequisiteOptions {
    /** Environment to read and to run the probes with. @default process.env */
    readonly env?: NodeJS.ProcessEnv;
    /** Runs docker, kind and kubectl. @default spawnRunner */
    readonly run?: CommandRunner;
    /** Finds the Pulumi CLI. @default findPulumiCli from scripts/cli/automation.ts (PATH, $PULUMI_HOME/bin, ~/.pulumi/bin) */
    readonly findCli?: (env: NodeJS.ProcessEnv, timeoutMs: number) => PulumiCli | undefined;
    /** Per-probe timeout. @default 20000 */
    readonly timeoutMs?: number;
    /** MetalLB pools that must lie inside the Docker network `kind`. @default - the network is not checked */
    readonly kindNetworkPools?: readonly string[];
}

/** The outcome: what is missing (in a fixed order, empty when the run can go ahead) and the CLI found. */
export interface Prerequisites {
    readonly missing: readonly string[];
    readonly cli?: PulumiCli;
}

/** Labels of the missing items, as they appear in the skip line. */
export const MISSING = {
    optIn: `${E2E_ENV}=1`,
    pulumi: "pulumi CLI",
    dockerClient: "docker",
    dockerEngine: "docker engine",
    kindNetwork: `docker network kind (${KIND_NETWORK_SUBNET})`,
    kind: "kind",
    kubectl: "kubectl",
    passphrase: "PULUMI_CONFIG_PASSPHRASE",
    passphraseFile: "readable PULUMI_CONFIG_PASSPHRASE_FILE",
} as const;

/**
 * Probes everything (not only up to the first gap), so one skip line names every missing piece. The Docker
 * network is only checked when the engine answers: without it nothing can be said about the network.
 */
export function detectPrerequisites(options: PrerequisiteOptions = {}): Prerequisites {
    const env = options.env ?? process.env;
    const run = options.run ?? spawnRunner;
    const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    const probe = (command: string, ...args: string[]) => run(command, args, { env, timeoutMs });
    const missing: string[] = [];

    // Exactly "1": KUBELOOM_E2E=0 or =false must not start a run that creates clusters.
    if (env[E2E_ENV] !== "1") missing.push(MISSING.optIn);

    const cli = (options.findCli ?? findPulumiCli)(env, timeoutMs);
    if (!cli) missing.push(MISSING.pulumi);

    const info = probe("docker", "info", "--format", "{{.ServerVersion}}");
    if (info.notFound) missing.push(MISSING.dockerClient);
    else if (info.status !== 0) missing.push(MISSING.dockerEngine);
    else if (options.kindNetworkPools) {
        const network = probe("docker", "network", "inspect", "kind", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}");
        if (network.status !== 0 || !subnetsHoldPools(network.stdout.split(/\s+/), options.kindNetworkPools)) missing.push(MISSING.kindNetwork);
    }

    if (probe("kind", "version").status !== 0) missing.push(MISSING.kind);
    // --client: kubectl must not try to reach a cluster here; there is none yet.
    if (probe("kubectl", "version", "--client").status !== 0) missing.push(MISSING.kubectl);

    const passphrase = passphraseProblem(env);
    if (passphrase) missing.push(passphrase);

    return { missing, ...(cli ? { cli } : {}) };
}

/**
 * The passphrase check of `npm run up` (preflightProblem) applied to a file backend: the throwaway stack has no
 * stack file yet, so it will get the default passphrase secrets provider, which needs PULUMI_CONFIG_PASSPHRASE or
 * a PULUMI_CONFIG_PASSPHRASE_FILE that exists.
 */
function passphraseProblem(env: NodeJS.ProcessEnv): string | undefined {
    const fileBackend = resolveBackend(".", { PULUMI_BACKEND_URL: "file:///kubeloom-e2e" });
    const noStackFileYet = "";
    if (!preflightProblem(fileBackend, noStackFileYet, env)) return undefined;
    return env.PULUMI_CONFIG_PASSPHRASE_FILE?.trim() ? MISSING.passphraseFile : MISSING.passphrase;
}

/** The one line printed when the suite skips. */
export function skipLine(missing: readonly string[]): string {
    return `e2e skipped: missing ${missing.join(", ")}`;
}

/**
 * True when every pool (CIDR or a-b range) lies inside one of the IPv4 subnets; other words (IPv6 subnets, empty
 * strings) are ignored. MetalLB only answers ARP for addresses on the nodes' network, so a pool outside it is dead.
 */
export function subnetsHoldPools(subnets: readonly string[], pools: readonly string[]): boolean {
    const networks = subnets.map((s) => parseCidr(s.trim())).filter((n): n is Ipv4Interval => typeof n !== "string");
    if (networks.length === 0) return false;
    return pools.every((pool) => {
        const range = parseAddressRange(pool);
        return typeof range !== "string" && networks.some((n) => n.first <= range.first && range.last <= n.last);
    });
}

/**
 * Which of `names` already exist as kind clusters. The run creates and deletes clusters of these names, and the
 * kind source keeps an existing cluster of the same name — so a run over someone's `mesh` stack would adopt its
 * clusters and then delete them.
 */
export function existingKindClusters(names: readonly string[], options: Pick<PrerequisiteOptions, "env" | "run" | "timeoutMs"> = {}): string[] {
    const run = options.run ?? spawnRunner;
    const result = run("kind", ["get", "clusters"], { env: options.env ?? process.env, timeoutMs: options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS });
    if (result.status !== 0) throw new Error("kind get clusters failed; is the Docker engine reachable?");
    const existing = new Set(result.stdout.split("\n").map((line) => line.trim()));
    return names.filter((name) => existing.has(name));
}
