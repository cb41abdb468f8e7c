/**
 * A K3s cluster Kubeloom installs itself: one server (on the machine running Pulumi, or over SSH) plus optional
 * agents, set up for Cilium (no flannel, no network policy controller, optionally no kube-proxy).
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import {
    buildK3sAgentInstallScript,
    buildK3sServerInstallScript,
    buildK3sUninstallScript,
    buildReadKubeconfigScript,
    extractMarkedKubeconfig,
    AGENT_INSTALL_MAX_SECONDS,
    KUBECONFIG_READ_MAX_SECONDS,
    SERVER_INSTALL_MAX_SECONDS,
    UNINSTALL_MAX_SECONDS,
} from "./k3s-install-script";
import { commandTimeout } from "../lib/shell";
import { formatServerUrl, rewriteK3sKubeconfig } from "./k3s-kubeconfig";

/** The `host` value that means "install on the machine running Pulumi" instead of over SSH. */
export const LOCALHOST = "localhost";

/** Where a local server's API answers; K3s always puts 127.0.0.1 in its serving certificate. */
const LOCAL_API_ADDRESS = "127.0.0.1";

/** An agent node reached over SSH. */
export interface K3sAgentTarget {
    /** Address of the agent (DNS name or IP); never "localhost". */
    readonly host: string;
    /** SSH user; needs passwordless sudo unless it is root. */
    readonly user: string;
    /** SSH port. */
    readonly port: number;
}

/** Arguments of a K3s cluster. */
export interface K3sHostArgs {
    /** Cluster name; the kubeconfig's cluster, user and context are named after it. */
    readonly clusterName: string;
    /** Server address; "localhost" installs on the machine running Pulumi (with sudo), anything else over SSH. */
    readonly host: string;
    /** SSH user for the server; needs passwordless sudo unless it is root. @default - required unless host is "localhost" */
    readonly user?: string;
    /** SSH port of the server. @default 22 */
    readonly sshPort?: number;
    /** Secret: SSH private key (PEM/OpenSSH text) for the server and every agent. @default - required when any node is remote */
    readonly sshPrivateKey?: pulumi.Input<string>;
    /** K3s release, e.g. "v1.28.13+k3s1"; changing it upgrades every node in place. */
    readonly version: string;
    /** API server port. */
    readonly apiPort: number;
    /** Pod CIDR (--cluster-cidr). */
    readonly podCidr: string;
    /** Service CIDR (--service-cidr). */
    readonly serviceCidr: string;
    /** Packaged components not to deploy, e.g. ["traefik", "servicelb", "metrics-server"]. */
    readonly disable: readonly string[];
    /** Run no kube-proxy: true exactly when Cilium's kube-proxy replacement is on. */
    readonly disableKubeProxy: boolean;
    /** Extra names/addresses for the API server certificate; a remote server's host is always added. */
    readonly tlsSans: readonly string[];
    /** Agent nodes joining the server. @default - none: a single-node cluster */
    readonly agents?: ReadonlyArray<K3sAgentTarget>;
}

/** Installs K3s on a server (and agents) with commands, and exposes its rewritten admin kubeconfig. */
export class K3sHost extends pulumi.ComponentResource {
    /** Admin kubeconfig (secret): server https://<apiServerHost>:<apiServerPort>, entries named after the cluster. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** API server address as clients reach it ("127.0.0.1" for a localhost install). */
    public readonly apiServerHost: pulumi.Output<string>;
    /** API server port. */
    public readonly apiServerPort: pulumi.Output<number>;
    /** Cluster join token (secret). */
    public readonly clusterToken: pulumi.Output<string>;
    /** Nodes in the cluster: the server plus its agents. */
    public readonly nodeCount: number;
    /**
     * The K3s release installed: `version`, resolved only once the server and every agent command has run, so a
     * stack output built from it (deployedVersions) is never newer than what the nodes run.
     */
    public readonly version: pulumi.Output<string>;

    constructor(name: string, args: K3sHostArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("kubeloom:index:K3sHost", name, {}, opts);
        const sshPort = args.sshPort ?? 22;
        const agents = args.agents ?? [];
        const isLocal = args.host === LOCALHOST;

        const problems = argumentProblems(args, sshPort, agents, isLocal);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`K3sHost "${name}": ${problems.join("; ")}`, this);
        }

        const apiHost = isLocal ? LOCAL_API_ADDRESS : args.host;
        // Agents cannot reach a local server at 127.0.0.1: they join through the first extra TLS name instead.
        const joinHost = isLocal ? args.tlsSans[0] : args.host;
        let serverScript: string;
        let agentScript: string | undefined;
        let apiServerUrl: string;
        try {
            serverScript = buildK3sServerInstallScript({
                version: args.version,
                podCidr: args.podCidr,
                serviceCidr: args.serviceCidr,
                disable: args.disable,
                disableKubeProxy: args.disableKubeProxy,
                // The kubeconfig points at the remote host, so the certificate must name it: K3s only adds the
                // node's own interface addresses, not a DNS name or a NAT address. Appended, so a bad tlsSans[i]
                // is still reported under its own index.
                tlsSans: isLocal ? args.tlsSans : [...args.tlsSans, args.host],
                apiPort: args.apiPort,
            });
            agentScript =
                agents.length > 0 ? buildK3sAgentInstallScript({ version: args.version, serverUrl: formatServerUrl(joinHost, args.apiPort) }) : undefined;
            apiServerUrl = formatServerUrl(apiHost, args.apiPort);
        } catch (error) {
            throw new pulumi.ResourceError(`K3sHost "${name}": ${(error as Error).message}`, this);
        }

        const privateKey = args.sshPrivateKey === undefined ? undefined : pulumi.secret(args.sshPrivateKey);
        const serverTarget: NodeTarget = isLocal ? { local: true } : { local: false, connection: { host: args.host, user: args.user!, port: sshPort, privateKey } };

        // No keepers: K3s refuses to start with a token that differs from the one its datastore was created with,
        // so nothing (a version bump, a flag change) may ever replace this password.
        const token = new random.RandomPassword(`${name}-token`, { length: 48, special: false }, { parent: this });
        const tokenInput = pulumi.secret(token.result);

        // create = update on purpose: a version or flag change re-runs K3s's installer, which upgrades or
        // reconfigures in place. `triggers` would replace instead, i.e. uninstall and wipe the cluster first.
        // The scripts bound themselves (SCRIPT_TIME_LIMITS); Pulumi's limit is their worst case plus a margin
        // (commandTimeout), so a hung SSH session still ends the update instead of leaving it waiting forever.
        const installTimeouts = (maxSeconds: number) => ({
            create: commandTimeout(maxSeconds),
            update: commandTimeout(maxSeconds),
            delete: commandTimeout(UNINSTALL_MAX_SECONDS),
        });
        const server = nodeCommand(
            `${name}-server`,
            serverTarget,
            { create: serverScript, update: serverScript, delete: buildK3sUninstallScript("server"), stdin: tokenInput },
            { parent: this, additionalSecretOutputs: ["stdin"], customTimeouts: installTimeouts(SERVER_INSTALL_MAX_SECONDS) },
        );

        // Replacing a read-only command is harmless, so the script's hash as a trigger re-reads the kubeconfig
        // after every reinstall (certificates change when tlsSans or the port do).
        const kubeconfigRead = nodeCommand(
            `${name}-kubeconfig`,
            serverTarget,
            { create: buildReadKubeconfigScript(), triggers: [sha256(serverScript)] },
            { parent: this, dependsOn: [server], additionalSecretOutputs: ["stdout"], customTimeouts: { create: commandTimeout(KUBECONFIG_READ_MAX_SECONDS) } },
        );

        const agentCommands = agents.map((agent, index) =>
            // Named by host, not by position: removing one agent from the list leaves the others untouched. The alias
            // carries stacks created when agents were named by index (`-agent-0`, ...) over without a replacement.
            nodeCommand(
                agentCommandName(name, agent.host),
                { local: false, connection: { host: agent.host, user: agent.user, port: agent.port, privateKey } },
                { create: agentScript!, update: agentScript!, delete: buildK3sUninstallScript("agent"), stdin: tokenInput },
                { parent: this, dependsOn: [server], additionalSecretOutputs: ["stdin"], customTimeouts: installTimeouts(AGENT_INSTALL_MAX_SECONDS), aliases: [{ name: `${name}-agent-${index}` }] },
            ),
        );

        const clusterName = args.clusterName;
        this.kubeconfig = pulumi.secret(kubeconfigRead.stdout.apply((raw) => rewriteK3sKubeconfig(extractMarkedKubeconfig(raw), { server: apiServerUrl, name: clusterName })));
        this.apiServerHost = pulumi.output(apiHost);
        this.apiServerPort = pulumi.output(args.apiPort);
        this.clusterToken = pulumi.secret(token.result);
        this.nodeCount = 1 + agents.length;
        // `create` is the installer script (not secret, known in a preview); waiting on it is waiting for the command.
        this.version = pulumi.all([server.create, ...agentCommands.map((agent) => agent.create)]).apply(() => args.version);
        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            apiServerHost: this.apiServerHost,
            apiServerPort: this.apiServerPort,
            clusterToken: this.clusterToken,
            nodeCount: this.nodeCount,
            version: this.version,
        });
    }
}

/** Where a command runs: the machine running Pulumi, or a node over SSH. */
type NodeTarget =
    | { readonly local: true }
    | {
          readonly local: false;
          readonly connection: { host: string; user: string; port: number; privateKey?: pulumi.Input<string> };
      };

interface NodeScripts {
    readonly create: string;
    readonly update?: string;
    readonly delete?: string;
    readonly stdin?: pulumi.Input<string>;
    readonly triggers?: unknown[];
}

/**
 * One command on a node. Remote commands take the token on stdin rather than in `environment`, which sshd drops
 * unless its AcceptEnv allows the names. The scripts are POSIX sh, run by the SSH user's login shell.
 */
function nodeCommand(
    name: string,
    target: NodeTarget,
    scripts: NodeScripts,
    opts: pulumi.CustomResourceOptions,
): command.local.Command | command.remote.Command {
    if (target.local) {
        return new command.local.Command(name, { ...scripts, interpreter: ["/bin/sh", "-c"] }, opts);
    }
    return new command.remote.Command(name, { ...scripts, connection: target.connection }, opts);
}

/** The logical name of an agent's install command: its identity is its host. */
export function agentCommandName(hostName: string, agentHost: string): string {
    return `${hostName}-agent-${agentHost}`;
}

/** Problems with the arguments, checked before any child exists. */
function argumentProblems(args: K3sHostArgs, sshPort: number, agents: ReadonlyArray<K3sAgentTarget>, isLocal: boolean): string[] {
    const problems: string[] = [];
    const validPort = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65535;
    if (args.clusterName.length === 0) problems.push("clusterName must not be empty");
    if (args.host.length === 0) problems.push(`host must be "${LOCALHOST}" or the server's address, got ""`);
    if (!isLocal && !args.user) {
        problems.push(`user is required when host is not "${LOCALHOST}" (got host "${args.host}"): set the SSH user, e.g. "ubuntu"`);
    }
    if (!validPort(sshPort)) problems.push(`sshPort must be an integer from 1 to 65535, got ${sshPort}`);
    if ((!isLocal || agents.length > 0) && args.sshPrivateKey === undefined) {
        problems.push("sshPrivateKey is required to reach the nodes over SSH: set the secret kubeloom:sshPrivateKey or source.k3s.sshPrivateKeyPath");
    }
    if (isLocal && agents.length > 0 && args.tlsSans.length === 0) {
        problems.push(`agents need an address of this "${LOCALHOST}" server they can reach: put it first in tlsSans`);
    }
    const seen = new Set<string>([args.host]);
    agents.forEach((agent, i) => {
        if (agent.host === LOCALHOST) problems.push(`agents[${i}].host cannot be "${LOCALHOST}": agents join over SSH`);
        else if (seen.has(agent.host)) problems.push(`agents[${i}].host "${agent.host}" is already a node of this cluster`);
        seen.add(agent.host);
        if (!agent.user) problems.push(`agents[${i}].user is required (the SSH user)`);
        if (!validPort(agent.port)) problems.push(`agents[${i}].port must be an integer from 1 to 65535, got ${agent.port}`);
    });
    return problems;
}

function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}
