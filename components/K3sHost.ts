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
    type K3sNodeSettings,
    type K3sServerRole,
    UNINSTALL_MAX_SECONDS,
} from "./k3s-install-script";
import { buildNodeFileRemoveScript, buildNodeFileScript, etcdSnapshotDropIn, K3S_ETCD_SNAPSHOT_DROPIN, K3S_REGISTRIES_FILE, NODE_FILE_MAX_SECONDS, registriesYaml, type EtcdSnapshotInput, type RegistriesInput } from "./k3s-node-files";
import { commandTimeout } from "../lib/shell";
import { formatServerUrl, rewriteK3sKubeconfig } from "./k3s-kubeconfig";
import {
    buildDrainScript,
    buildEvictScript,
    buildForgetScript,
    buildNodeNameScript,
    buildReadyScript,
    buildRemovalStepCreateScript,
    buildRollStepCreateScript,
    DRAIN_MAX_SECONDS,
    extractNodeName,
    READY_MAX_SECONDS,
    REMOVAL_MAX_SECONDS,
} from "./k3s-roll-script";

import { k3sAddresses, k3sTopologyProblems, LOCALHOST } from "./k3s-topology";
import { COMPONENT_TYPES } from "./identity";

/** The `host` value that means "install on the machine running Pulumi" instead of over SSH (k3s-topology.ts). */
export { LOCALHOST };

/** A node: a server (which may be "localhost" when it is the only one) or an agent reached over SSH. */
export interface K3sNodeTarget {
    /** Address of the node (DNS name or IP); "localhost" only for a single server. */
    readonly host: string;
    /** SSH user; needs passwordless sudo unless it is root. @default - required unless host is "localhost" */
    readonly user?: string;
    /** SSH port. */
    readonly port: number;
    /** K3s settings of this node (labels, taints, addresses, extra flags). @default - none */
    readonly settings?: K3sNodeSettings;
}

/** A jump host every SSH connection of the cluster goes through (@pulumi/command's `proxy` connection). */
export interface K3sBastion {
    /** Address of the jump host. */
    readonly host: string;
    /** SSH user on the jump host. */
    readonly user: string;
    /** SSH port of the jump host. */
    readonly port: number;
    /** Secret: the jump host's SSH private key. @default - the nodes' sshPrivateKey */
    readonly privateKey?: pulumi.Input<string>;
}

/** etcd snapshots with secret S3 keys (the text built from them is kept secret). */
export type K3sEtcdSnapshots = Omit<EtcdSnapshotInput, "s3"> & {
    readonly s3?: Omit<NonNullable<EtcdSnapshotInput["s3"]>, "accessKey" | "secretKey"> & { readonly accessKey: pulumi.Input<string>; readonly secretKey: pulumi.Input<string> };
};

/** Registries with secret passwords. */
export interface K3sRegistries {
    readonly mirrors: RegistriesInput["mirrors"];
    readonly configs: Readonly<Record<string, { readonly auth?: { readonly username: string; readonly password: pulumi.Input<string> }; readonly tls?: { readonly caFile?: string; readonly insecureSkipVerify?: boolean } }>>;
}

/** An agent node reached over SSH. */
export type K3sAgentTarget = K3sNodeTarget & { readonly user: string };

/** Arguments of a K3s cluster. */
export interface K3sHostArgs {
    /** Cluster name; the kubeconfig's cluster, user and context are named after it. */
    readonly clusterName: string;
    /**
     * Servers, 1, 3 or 5 (embedded etcd needs an odd count for quorum); with several, the first starts embedded etcd
     * (`--cluster-init`) and the others join through `registrationAddress`. One server uses K3s's SQLite datastore.
     */
    readonly servers: ReadonlyArray<K3sNodeTarget>;
    /**
     * The fixed address (VIP, DNS name, external load balancer) agents and joining servers register with, and that
     * the kubeconfig and Cilium's k8sServiceHost use; in every server's TLS SANs. Kubeloom does not provide it.
     * @default - the first server's host (127.0.0.1 in the kubeconfig of a "localhost" server); required with several servers, or "localhost" with agents
     */
    readonly registrationAddress?: string;
    /** Secret: SSH private key (PEM/OpenSSH text) for every remote node. @default - required when any node is remote */
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
    /** Extra names/addresses for the API server certificate; each remote server's host and registrationAddress are always added. */
    readonly tlsSans: readonly string[];
    /** Agent nodes joining the cluster. @default - none */
    readonly agents?: ReadonlyArray<K3sAgentTarget>;
    /**
     * Hosts (servers or agents) that no longer exist: their install commands get `retainOnDelete`, so a destroy (or
     * removing them from the config) drops them from the state without running the uninstall over SSH. Warned
     * about on every run. @default - none
     */
    readonly skipUninstall?: readonly string[];
    /** Encrypt Secrets at rest (`--secrets-encryption` on every server). @default false */
    readonly secretsEncryption?: boolean;
    /** etcd snapshot schedule, retention and S3 copy (several servers only: a lone server runs SQLite). @default - K3s's defaults */
    readonly etcdSnapshots?: K3sEtcdSnapshots;
    /** Private registries and mirrors → /etc/rancher/k3s/registries.yaml (0600) on every node. @default - none */
    readonly registries?: K3sRegistries;
    /** Jump host for every SSH command of the cluster. @default - direct connections */
    readonly bastion?: K3sBastion;
}

/** Installs K3s on its servers (and agents) with commands, and exposes its rewritten admin kubeconfig. */
export class K3sHost extends pulumi.ComponentResource {
    /** Admin kubeconfig (secret): server https://<apiServerHost>:<apiServerPort>, entries named after the cluster. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** API server address as every node and client reaches it: registrationAddress, else the server ("127.0.0.1" for a lone localhost server; k3sAddresses). */
    public readonly apiServerHost: pulumi.Output<string>;
    /** API server port. */
    public readonly apiServerPort: pulumi.Output<number>;
    /** Address of a node where NodePorts answer: the first server (a registration address may be a load balancer for the API port only; k3sAddresses). */
    public readonly nodeAddress: pulumi.Output<string>;
    /** Cluster join token (secret). */
    public readonly clusterToken: pulumi.Output<string>;
    /** Nodes in the cluster: the servers plus the agents. */
    public readonly nodeCount: number;
    /**
     * The K3s release installed: `version`, resolved only once the server and every agent command has run, so a
     * stack output built from it (deployedVersions) is never newer than what the nodes run.
     */
    public readonly version: pulumi.Output<string>;

    constructor(name: string, args: K3sHostArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.K3sHost, name, {}, opts);
        const agents = args.agents ?? [];
        const skipUninstall = new Set(args.skipUninstall ?? []);

        const problems = argumentProblems(args, agents);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`K3sHost "${name}": ${problems.join("; ")}`, this);
        }

        const first = args.servers[0];
        // The same statement the resolved model reads (components/k3s-topology.ts): agents and joining servers register
        // through the fixed address, else the first server; clients dial the API and NodePorts where it says.
        const { registrationHost, apiHost, nodeAddress } = k3sAddresses(args.servers, args.registrationAddress);
        let serverScripts: string[];
        let agentScripts: string[];
        let apiServerUrl: string;
        try {
            const registrationUrl = formatServerUrl(registrationHost, args.apiPort);
            serverScripts = args.servers.map((server, i) =>
                buildK3sServerInstallScript({
                    version: args.version,
                    podCidr: args.podCidr,
                    serviceCidr: args.serviceCidr,
                    disable: args.disable,
                    disableKubeProxy: args.disableKubeProxy,
                    // Clients reach each server by its host and all of them by the registration address, so the
                    // certificate must name both: K3s only adds the node's own interface addresses, not a DNS name or
                    // a NAT address. Appended, so a bad tlsSans[i] is still reported under its own index.
                    tlsSans: [...args.tlsSans, ...(args.registrationAddress === undefined ? [] : [args.registrationAddress]), ...(server.host === LOCALHOST ? [] : [server.host])],
                    apiPort: args.apiPort,
                    role: serverRole(args.servers.length, i, registrationUrl),
                    secretsEncryption: args.secretsEncryption,
                    node: server.settings,
                }),
            );
            agentScripts = agents.map((agent) => buildK3sAgentInstallScript({ version: args.version, serverUrl: registrationUrl, node: agent.settings }));
            apiServerUrl = formatServerUrl(apiHost, args.apiPort);
        } catch (error) {
            throw new pulumi.ResourceError(`K3sHost "${name}": ${(error as Error).message}`, this);
        }

        const privateKey = args.sshPrivateKey === undefined ? undefined : pulumi.secret(args.sshPrivateKey);
        const bastion = args.bastion;
        const proxy = bastion && { host: bastion.host, user: bastion.user, port: bastion.port, privateKey: bastion.privateKey === undefined ? privateKey : pulumi.secret(bastion.privateKey) };
        const targetOf = (node: K3sNodeTarget): NodeTarget =>
            node.host === LOCALHOST ? { local: true } : { local: false, connection: { host: node.host, user: node.user!, port: node.port, privateKey, ...(proxy ? { proxy } : {}) } };

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
        // `warn` once per host: its node-name command (which also runs on the host) is retained without a second line.
        const uninstallOptions = (host: string, warn = true): pulumi.CustomResourceOptions => {
            if (!skipUninstall.has(host)) return {};
            // With several nodes, a removed node's Node object is deleted by its forget step (on the first server).
            const nodeObject = rolling && host !== first.host ? "its Node object is deleted from the first server" : "delete its Node object with kubectl";
            if (warn) pulumi.log.warn(`K3s node ${host} is in skipUninstall: destroying it (or removing it from the config) drops it from the state without running K3s's uninstall on it; ${nodeObject}`, this);
            return { retainOnDelete: true };
        };

        // One node at a time, servers first: etcd adds members one at a time and each server joins through the ones
        // before it; on a version change each node is drained before and must be Ready on the new version after its
        // installer runs, before the next node starts (k3s-roll-script.ts). A lone node has no roll: draining it
        // would only evict everything with nowhere to go.
        const rolling = args.servers.length + agents.length > 1;
        const rollTarget = targetOf(first);
        let previousStep: pulumi.Resource | undefined;
        // Files beside K3s (registries.yaml, the etcd snapshot drop-in): written before the node's installer, so a
        // first install starts with them; on a change, each restarts its node, and the chain restarts one at a time.
        const registriesText = args.registries && secretText(registriesInput(args.registries), registriesYaml);
        const snapshotText = args.etcdSnapshots && secretText(snapshotInput(args.etcdSnapshots), etcdSnapshotDropIn);
        const nodeFiles = (node: K3sNodeTarget, service: "k3s" | "k3s-agent") => [
            ...(registriesText ? [{ role: "registries", path: K3S_REGISTRIES_FILE, what: "registries.yaml", text: registriesText }] : []),
            ...(snapshotText && service === "k3s" ? [{ role: "etcd-snapshots", path: K3S_ETCD_SNAPSHOT_DROPIN, what: "the etcd snapshot settings", text: snapshotText }] : []),
        ];
        const installNode = (node: K3sNodeTarget, service: "k3s" | "k3s-agent", installName: string, scripts: NodeScripts, maxSeconds: number, extra: pulumi.CustomResourceOptions): command.local.Command | command.remote.Command => {
            const roll = rolling ? rollSteps(node.host, previousStep) : undefined;
            let before: pulumi.Resource | undefined = roll ? roll.drain : previousStep;
            // Removal steps of every node but the first server (removing that one is refused, config/change-rules.ts):
            // Pulumi deletes dependents first, so leaving the config runs evict (drain) → the node's uninstall →
            // forget (delete its Node object), each on the first server.
            const removable = roll !== undefined && node !== first;
            let forget: pulumi.Resource | undefined;
            if (removable) {
                forget = nodeCommand(
                    `${name}-forget-${node.host}`,
                    rollTarget,
                    { create: buildRemovalStepCreateScript("forget", node.host), delete: roll.nodeName.apply((n) => buildForgetScript(n, node.host)) },
                    { parent: this, dependsOn: previousStep ? [previousStep] : [], customTimeouts: { create: commandTimeout(0), delete: commandTimeout(REMOVAL_MAX_SECONDS) } },
                );
            }
            for (const file of nodeFiles(node, service)) {
                before = nodeCommand(
                    `${name}-${file.role}-${node.host}`,
                    targetOf(node),
                    { create: buildNodeFileScript({ path: file.path, service, what: file.what }), delete: buildNodeFileRemoveScript({ path: file.path, service, what: file.what }), stdin: file.text },
                    {
                        parent: this,
                        dependsOn: before ? [before] : [],
                        additionalSecretOutputs: ["stdin"],
                        customTimeouts: { create: commandTimeout(NODE_FILE_MAX_SECONDS), update: commandTimeout(NODE_FILE_MAX_SECONDS), delete: commandTimeout(NODE_FILE_MAX_SECONDS) },
                        ...uninstallOptions(node.host, false),
                    },
                );
            }
            const install = nodeCommand(installName, targetOf(node), scripts, {
                parent: this,
                dependsOn: [...(before ? [before] : []), ...(forget ? [forget] : [])],
                additionalSecretOutputs: ["stdin"],
                customTimeouts: installTimeouts(maxSeconds),
                ...extra,
                ...uninstallOptions(node.host),
            });
            if (removable && !skipUninstall.has(node.host)) {
                // A host that no longer exists (skipUninstall) has nothing to drain; its Node object is still deleted.
                nodeCommand(
                    `${name}-evict-${node.host}`,
                    rollTarget,
                    { create: buildRemovalStepCreateScript("evict", node.host), delete: roll.nodeName.apply((n) => buildEvictScript(n, node.host)) },
                    { parent: this, dependsOn: [install], customTimeouts: { create: commandTimeout(0), delete: commandTimeout(REMOVAL_MAX_SECONDS) } },
                );
            }
            previousStep = roll ? roll.ready(install) : install;
            return install;
        };
        const rollSteps = (host: string, after: pulumi.Resource | undefined) => {
            const node = args.servers.find((s) => s.host === host) ?? agents.find((a) => a.host === host)!;
            // Created once: the name K3s registers the node under, read on the node itself.
            const nodeName = nodeCommand(`${name}-nodename-${host}`, targetOf(node), { create: buildNodeNameScript() }, { parent: this, customTimeouts: { create: commandTimeout(KUBECONFIG_READ_MAX_SECONDS) }, ...uninstallOptions(host, false) }).stdout.apply(extractNodeName);
            const rollNode = nodeName.apply((n) => ({ nodeName: n, host, version: args.version }));
            const drain = nodeCommand(
                `${name}-drain-${host}`,
                rollTarget,
                { create: buildRollStepCreateScript("drain", host), update: rollNode.apply(buildDrainScript) },
                { parent: this, dependsOn: after ? [after] : [], customTimeouts: { create: commandTimeout(0), update: commandTimeout(DRAIN_MAX_SECONDS) } },
            );
            const ready = (install: pulumi.Resource) =>
                nodeCommand(
                    `${name}-ready-${host}`,
                    rollTarget,
                    { create: buildRollStepCreateScript("ready", host), update: rollNode.apply(buildReadyScript) },
                    { parent: this, dependsOn: [install], customTimeouts: { create: commandTimeout(0), update: commandTimeout(READY_MAX_SECONDS) } },
                );
            return { drain, ready, nodeName };
        };

        const serverCommands = args.servers.map((server, i) =>
            installNode(server, "k3s", serverCommandName(name, i, server.host), { create: serverScripts[i], update: serverScripts[i], delete: buildK3sUninstallScript("server"), stdin: tokenInput }, SERVER_INSTALL_MAX_SECONDS, {}),
        );

        // Replacing a read-only command is harmless, so the script's hash as a trigger re-reads the kubeconfig
        // after every reinstall (certificates change when tlsSans or the port do).
        const kubeconfigRead = nodeCommand(
            `${name}-kubeconfig`,
            targetOf(first),
            { create: buildReadKubeconfigScript(), triggers: [sha256(serverScripts[0])] },
            { parent: this, dependsOn: [serverCommands[0]], additionalSecretOutputs: ["stdout"], customTimeouts: { create: commandTimeout(KUBECONFIG_READ_MAX_SECONDS) } },
        );

        const agentCommands = agents.map((agent, index) =>
            // Named by host, not by position: removing one agent from the list leaves the others untouched. The alias
            // carries stacks created when agents were named by index (`-agent-0`, ...) over without a replacement.
            installNode(
                agent,
                "k3s-agent",
                agentCommandName(name, agent.host),
                { create: agentScripts[index], update: agentScripts[index], delete: buildK3sUninstallScript("agent"), stdin: tokenInput },
                AGENT_INSTALL_MAX_SECONDS,
                { aliases: [{ name: `${name}-agent-${index}` }] },
            ),
        );

        const clusterName = args.clusterName;
        this.kubeconfig = pulumi.secret(kubeconfigRead.stdout.apply((raw) => rewriteK3sKubeconfig(extractMarkedKubeconfig(raw), { server: apiServerUrl, name: clusterName })));
        this.apiServerHost = pulumi.output(apiHost);
        this.apiServerPort = pulumi.output(args.apiPort);
        this.nodeAddress = pulumi.output(nodeAddress);
        this.clusterToken = pulumi.secret(token.result);
        this.nodeCount = args.servers.length + agents.length;
        // `create` is the installer script (not secret, known in a preview); waiting on it is waiting for the command.
        // With a roll, also for the last node's Ready step: until then the roll is not done.
        const lastStep = previousStep as command.local.Command | command.remote.Command;
        this.version = pulumi.all([...[...serverCommands, ...agentCommands].map((install) => install.create), lastStep.create]).apply(() => args.version);
        this.registerOutputs({
            kubeconfig: this.kubeconfig,
            apiServerHost: this.apiServerHost,
            apiServerPort: this.apiServerPort,
            nodeAddress: this.nodeAddress,
            clusterToken: this.clusterToken,
            nodeCount: this.nodeCount,
            version: this.version,
        });
    }
}

/** The datastore role of server `index` of `count`: one server alone, else the first initialises and the rest join. */
export function serverRole(count: number, index: number, registrationUrl: string): K3sServerRole {
    if (count === 1) return { type: "single" };
    return index === 0 ? { type: "init" } : { type: "join", serverUrl: registrationUrl };
}

/** `build(input)` once every secret in `input` is known, kept secret. */
function secretText<T>(input: pulumi.Output<T>, build: (value: T) => string): pulumi.Output<string> {
    return pulumi.secret(input.apply(build));
}

function registriesInput(registries: K3sRegistries): pulumi.Output<RegistriesInput> {
    const configs = Object.entries(registries.configs).map(([host, config]) =>
        pulumi.output(config.auth?.password ?? "").apply((password) => [host, { ...config, ...(config.auth ? { auth: { username: config.auth.username, password } } : {}) }] as const),
    );
    return pulumi.all(configs).apply((entries) => ({ mirrors: registries.mirrors, configs: Object.fromEntries(entries) }) as RegistriesInput);
}

function snapshotInput(snapshots: K3sEtcdSnapshots): pulumi.Output<EtcdSnapshotInput> {
    const s3 = snapshots.s3;
    if (!s3) return pulumi.output({ schedule: snapshots.schedule, retention: snapshots.retention });
    return pulumi.all([s3.accessKey, s3.secretKey]).apply(([accessKey, secretKey]) => ({ schedule: snapshots.schedule, retention: snapshots.retention, s3: { ...s3, accessKey, secretKey } }));
}

/** Where a command runs: the machine running Pulumi, or a node over SSH. */
type NodeTarget =
    | { readonly local: true }
    | {
          readonly local: false;
          readonly connection: { host: string; user: string; port: number; privateKey?: pulumi.Input<string>; proxy?: { host: string; user: string; port: number; privateKey?: pulumi.Input<string> } };
      };

interface NodeScripts {
    readonly create: string;
    readonly update?: pulumi.Input<string>;
    readonly delete?: pulumi.Input<string>;
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

/**
 * The logical name of a server's install command: the first server keeps the name a single server always had
 * (`-server`), so a one-server stack plans as before; the joining servers are named by host.
 */
export function serverCommandName(hostName: string, index: number, serverHost: string): string {
    return index === 0 ? `${hostName}-server` : `${hostName}-server-${serverHost}`;
}

/** Problems with the arguments, checked before any child exists. */
function argumentProblems(args: K3sHostArgs, agents: ReadonlyArray<K3sAgentTarget>): string[] {
    const problems: string[] = [];
    const validPort = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65535;
    if (args.clusterName.length === 0) problems.push("clusterName must not be empty");
    // The topology rules are stated once, in k3s-topology.ts (the config rules give them key paths).
    const topology = k3sTopologyProblems({ servers: args.servers, agents, registrationAddress: args.registrationAddress, hasSshKey: args.sshPrivateKey !== undefined });
    problems.push(...topology.map((p) => `${p.key} ${p.message}`));
    const seen = new Set<string>();
    const nodes = [...args.servers.map((n, i) => ({ n, at: `servers[${i}]` })), ...agents.map((n, i) => ({ n, at: `agents[${i}]` }))];
    for (const { n, at } of nodes) {
        if (n.host.length === 0) problems.push(`${at}.host must be the node's address, got ""`);
        if (n.host !== LOCALHOST && seen.has(n.host)) problems.push(`${at}.host "${n.host}" is already a node of this cluster`);
        seen.add(n.host);
        if (!validPort(n.port)) problems.push(`${at}.port must be an integer from 1 to 65535, got ${n.port}`);
    }
    if (args.etcdSnapshots !== undefined && args.servers.length === 1) {
        problems.push("etcdSnapshots need embedded etcd, i.e. 3 or 5 servers: a lone server runs SQLite, which K3s backs up by copying its data directory (docs/k3s-day-2.md → Backups)");
    }
    if (args.bastion !== undefined && args.servers[0]?.host === LOCALHOST) problems.push(`bastion cannot be used with a "${LOCALHOST}" server: nothing is reached over SSH`);
    return problems;
}

function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}
