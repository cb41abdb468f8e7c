/**
 * The `source` block of a cluster: exactly one of k3s (hosts Kubeloom installs over SSH), kind (a local cluster),
 * kubeconfig (an existing cluster) or stackReference (a cluster another stack manages).
 */
import { z } from "zod";
import { isLoopbackHost } from "../../lib/cidr";
import { k3sTopologyProblems } from "../../components/k3s-topology";
import { DEFAULT_K3S_DISABLE, DEFAULT_VERSIONS, K3S_PACKAGED_COMPONENTS } from "../../components/versions";
import { DEFAULT_KIND_WORKERS, K3S_DEFAULT_API_PORT } from "../../components/defaults";
import { extraArgProblem } from "../../components/k3s-install-script";
import { isIpv4 } from "../../lib/cidr";
import { imageReferenceProblem, labelValueProblem, posixUserNameProblem, qualifiedNameProblem } from "../../lib/k8s-formats";
import { checkedString, credentialPath, hostAddress, k3sVersion, kindNodeImage, kubernetesVersion, labelMap, port } from "./fields";

/** Pulumi allows at most 100 characters per part of `<org>/<project>/<stack>`. */
const STACK_NAME_MAX = 302;
/** Kubeloom's bound on a context or output name (253, a DNS subdomain's length; real ones are a few words). */
const NAME_MAX = 253;
const NAME_MAX_MESSAGE = `must be at most ${NAME_MAX} characters`;

export const sshTarget = {
    host: hostAddress.describe("IPv4 address or DNS name of the node, or \"localhost\" to install on the machine running Pulumi (with sudo). A host belongs to one cluster only."),
    user: checkedString(posixUserNameProblem).optional().describe("SSH user; required unless host is localhost. Reaches ssh and sudo, so it must be a plain POSIX user name."),
    port: port.default(22).describe("SSH port of the node."),
};

/** An IPv4 address a node advertises (K3s's --node-ip / --node-external-ip). */
const nodeAddressIp = z.string().refine(isIpv4, "must be an IPv4 address (four octets 0-255 without leading zeros)");

/** A taint the kubelet registers the node with (`--node-taint key[=value]:Effect`). */
const k3sTaint = z.strictObject({
    key: checkedString(qualifiedNameProblem).describe("Taint key (a qualified name)."),
    value: checkedString(labelValueProblem).optional().describe("Taint value (a label value). Default: none (key:Effect)."),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).describe("Taint effect."),
});

/** An extra K3s flag: `--name[=value]`, none Kubeloom derives (K3S_DERIVED_FLAGS names the key to set instead). */
const k3sExtraArg = checkedString((arg) => extraArgProblem(arg));

/** Settings every node takes (source.k3s: every node; servers[i] / agents[i]: that node, added after). */
const nodeSettings = {
    /** Labels the node registers with (--node-label). Default: none. */
    labels: labelMap.optional().describe("Labels the node registers with (--node-label); on source.k3s, every node's. Default: none."),
    /** Taints the node registers with (--node-taint). Default: none. */
    taints: z.array(k3sTaint).optional().describe("Taints the node registers with (--node-taint key[=value]:Effect); on source.k3s, every node's. Default: none."),
    /** Any other K3s flag of this K3s line, `--name=value`; flags Kubeloom derives are refused. Default: none. */
    extraArgs: z.array(k3sExtraArg).optional().describe("Any other K3s flag of this K3s line, `--name=value`; flags Kubeloom derives are refused, naming the key that owns each. Default: none."),
};

/** Per-node addresses (one node's, never the cluster's). */
const nodeAddresses = {
    /** The address the node advertises on a multi-NIC host (--node-ip). Default: K3s picks its default route's. */
    nodeIp: nodeAddressIp.optional().describe("The address the node advertises on a multi-NIC host (--node-ip). Default: K3s picks its default route's."),
    /** The node's external address (--node-external-ip). Default: none. */
    externalIp: nodeAddressIp.optional().describe("The node's external address (--node-external-ip). Default: none."),
};

/** A K3s node in `servers` or `agents`: user defaults to source.k3s.user, port to 22 (as an agent's always did). */
export const k3sNode = z.strictObject({ ...sshTarget, ...nodeSettings, ...nodeAddresses });

/** etcd snapshots (embedded etcd: 3 or 5 servers); S3 keys are the secret kubeloom:etcdS3Keys.<cluster>. */
const etcdSnapshots = z.strictObject({
    /** Cron spec (5 fields) of the snapshot schedule (--etcd-snapshot-schedule-cron). Default: "0 *\/12 * * *", K3s's. */
    schedule: z
        .string()
        .regex(/^(\S+ ){4}\S+$/, "must be a cron spec of 5 fields, e.g. \"0 3 * * *\" (daily at 03:00)")
        .default("0 */12 * * *")
        .describe("Cron spec (5 fields) of the snapshot schedule (--etcd-snapshot-schedule-cron). Default: K3s's, every 12 hours."),
    /** Snapshots kept on each server (--etcd-snapshot-retention). Default: 5, K3s's. */
    retention: z.number().int().min(1).max(1000).default(5).describe("Snapshots kept on each server (--etcd-snapshot-retention). Default: 5, K3s's."),
    /** An S3-compatible copy of every snapshot. Default: none (snapshots stay on each server's disk). */
    s3: z
        .strictObject({
            /** Host (and port) of the S3 endpoint, without scheme, e.g. "s3.eu-central-1.amazonaws.com". */
            endpoint: z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, "must be a host[:port] without scheme, e.g. s3.amazonaws.com").describe("Host (and port) of the S3 endpoint, without scheme."),
            bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name").describe("The bucket snapshots are copied to."),
            /** Folder inside the bucket. Default: the bucket's root. */
            folder: z.string().regex(/^[A-Za-z0-9._/-]+$/, "must be a path of letters, digits, '.', '_', '-' and '/'").optional().describe("Folder inside the bucket. Default: the bucket's root."),
            /** Region of the bucket. Default: K3s's us-east-1. */
            region: z.string().regex(/^[a-z0-9-]+$/, "must be a region name like eu-central-1").optional().describe("Region of the bucket. Default: K3s's us-east-1."),
        })
        .optional()
        .describe("An S3-compatible copy of every snapshot; keys in the secret kubeloom:etcdS3Keys.<cluster>. Default: none."),
});

/** Private registries and mirrors → /etc/rancher/k3s/registries.yaml; passwords are kubeloom:registryPasswords.<cluster>.<host>. */
const registries = z.strictObject({
    /** Registry (e.g. "docker.io") → mirror endpoints tried in order. */
    mirrors: z.record(z.string().regex(/^[A-Za-z0-9.*:-]+$/, "must be a registry host like docker.io"), z.strictObject({ endpoints: z.array(z.string().regex(/^https?:\/\/[^\s"'\\]+$/, "must be an http(s):// URL")).min(1) })).default({}).describe("Registry (e.g. docker.io) → { endpoints }: mirror endpoints tried in order."),
    /** Registry host → credentials (username here, password secret) and TLS. */
    configs: z
        .record(
            z.string().regex(/^[A-Za-z0-9.:-]+$/, "must be a registry host[:port]"),
            z.strictObject({
                username: z.string().min(1).optional(),
                caFile: z.string().regex(/^\/\S+$/, "must be an absolute path on the nodes").optional(),
                insecureSkipVerify: z.boolean().optional(),
            }),
        )
        .default({})
        .describe("Registry host → { username?, caFile?, insecureSkipVerify? }; passwords in the secret kubeloom:registryPasswords.<cluster>.<host>."),
});

/** A jump host for every SSH connection of the cluster. */
const bastion = z.strictObject({
    host: hostAddress.refine((h) => h !== "localhost", "cannot be \"localhost\"").describe("Address of the jump host."),
    user: checkedString(posixUserNameProblem).describe("SSH user on the jump host."),
    port: port.default(22).describe("SSH port of the jump host."),
    /** Its SSH key file; default: the nodes' key (sshPrivateKeyPath or kubeloom:sshPrivateKey). */
    privateKeyPath: credentialPath("give the jump host's key file path, or leave it out to use the nodes' key").optional().describe("The jump host's SSH key file; default: the nodes' key."),
});

/** Hosts a K3s source may skip the uninstall of on destroy (see docs/deploying.md "Destroy with a host gone"). */
export const skipUninstall = z.array(hostAddress).default([]);

export const k3sSource = z
    .strictObject({
        host: sshTarget.host.optional().describe("The one-server shorthand: the same as `servers: [{ host }]`. Exactly one of host and servers."),
        servers: z.array(k3sNode).min(1, "must list at least one server").optional().describe("Embedded-etcd servers: 1, 3 or 5 (etcd quorum); the first initialises the cluster."),
        user: sshTarget.user.describe("SSH user of every node without its own. Required unless every node has one or the server is localhost."),
        port: sshTarget.port.describe("SSH port of `host`."),
        registrationAddress: hostAddress.refine((h) => !isLoopbackHost(h), "cannot be \"localhost\" or another loopback address (127.0.0.0/8): other nodes and clients must reach it").optional().describe("The fixed address (VIP, DNS name, load balancer) nodes join and clients use; required with > 1 server."),
        version: k3sVersion.default(DEFAULT_VERSIONS.k3s).describe("K3s release to install (INSTALL_K3S_VERSION): v1.<minor>.<patch>+k3s<n> on a supported K3s line; a change upgrades in place, one node at a time."),
        apiPort: port.default(K3S_DEFAULT_API_PORT).describe("Port of the K3s API server (--https-listen-port): below 30000 and clear of the SSH port and of K3s' and Cilium's own ports."),
        disable: z.array(z.enum(K3S_PACKAGED_COMPONENTS)).default([...DEFAULT_K3S_DISABLE]).describe("Packaged K3s components to disable (--disable); Cilium replaces servicelb when it is the load balancer."),
        tlsSans: z.array(hostAddress).default([]).describe("Extra subject alternative names of the API server certificate (--tls-san); each server's host and the registration address are always added."),
        sshPrivateKeyPath: credentialPath("give the key file's path (e.g. ~/.ssh/id_ed25519), or set the secret with `pulumi config set --secret kubeloom:sshPrivateKey < ~/.ssh/id_ed25519`").optional().describe("Path to an SSH private key file read at run time (kept secret); else kubeloom:sshPrivateKey."),
        agents: z.array(k3sNode).default([]).describe("Agent (worker) nodes, joined with the cluster token: [{ host, user?, port? }]."),
        skipUninstall: skipUninstall.describe("Nodes that no longer exist: their uninstall is skipped (with a warning) when they are destroyed."),
        ...nodeSettings,
        ...nodeAddresses,
        secretsEncryption: z.boolean().default(false).describe("Encrypt Secrets at rest (--secrets-encryption on every server). Set it when the cluster is created: turning it on or off later is refused."),
        etcdSnapshots: etcdSnapshots.optional().describe("etcd snapshot schedule, retention and an optional S3 copy (3 or 5 servers: embedded etcd)."),
        registries: registries.optional().describe("Private registries and mirrors, written to /etc/rancher/k3s/registries.yaml (0600) on every node."),
        bastion: bastion.optional().describe("A jump host every SSH connection of the cluster goes through."),
    })
    .superRefine((k3s, ctx) => {
        if ((k3s.host === undefined) === (k3s.servers === undefined)) {
            ctx.addIssue({
                code: "custom",
                path: [k3s.host === undefined ? "host" : "servers"],
                message: k3s.host === undefined ? "is required: set host (one server) or servers (1, 3 or 5 servers)" : "cannot be set together with host: host is the one-server shorthand for servers; keep one",
            });
            return;
        }
        // The per-node topology problems (SSH users, local agents) are field problems: reported with the schema's.
        // The rules themselves are components/k3s-topology.ts's; config/rules/source-rules.ts reports the others.
        const withUser = (node: { host: string; user?: string }) => ({ host: node.host, user: node.user ?? k3s.user });
        const servers = (k3s.servers ?? [{ host: k3s.host! }]).map(withUser);
        for (const problem of k3sTopologyProblems({ servers, agents: k3s.agents.map(withUser), registrationAddress: k3s.registrationAddress, hasSshKey: true })) {
            if (!isNodeFieldProblem(problem.key)) continue;
            // The `host` shorthand has its user at source.k3s.user.
            const path = k3s.servers === undefined && problem.key === "servers[0].user" ? ["user"] : keyPath(problem.key);
            ctx.addIssue({ code: "custom", path, message: problem.message });
        }
    });

/** Topology problems on one node's own fields (its SSH user; an agent on "localhost"), which the schema reports. */
export function isNodeFieldProblem(key: string): boolean {
    return /^(servers|agents)\[\d+\]\.user$|^agents\[\d+\]\.host$/.test(key);
}

/** "agents[0].user" → ["agents", 0, "user"]. */
function keyPath(key: string): Array<string | number> {
    return key.split(/[.[\]]+/).filter((part) => part !== "").map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

export const kindSource = z.strictObject({
    nodeImage: checkedString(imageReferenceProblem).pipe(kindNodeImage).default(DEFAULT_VERSIONS.kindNode).describe("Reaches `kind create cluster --image`: an OCI reference on a supported kind line, validated as both."),
    workers: z.number().int().min(0).max(10).default(DEFAULT_KIND_WORKERS).describe("Number of kind worker nodes beside the control plane (0-10)."),
    apiServerPort: port.optional().describe("Host port of the kind API server; must differ between kind clusters on one machine."),
});

export const kubeconfigSource = z.strictObject({
    path: credentialPath("give the kubeconfig file's path, or set it as a secret with `pulumi config set --secret --path 'kubeloom:sourceKubeconfigs.<cluster name>' \"$(cat kubeconfig)\"`").optional().describe("A kubeconfig file read at run time; else the secret kubeloom:sourceKubeconfigs.<cluster name>."),
    context: z.string().min(1).max(NAME_MAX, NAME_MAX_MESSAGE).optional().describe("Context to use from it; default: its current-context."),
    nodeAddress: hostAddress.optional().describe("Address of a node where NodePorts answer (NodePort vClusters, Hubble UI); default: cilium.k8sServiceHost."),
    kubernetesVersion: kubernetesVersion.optional().describe("The cluster's Kubernetes minor (\"1.36\"), checked against the support matrix and used by `plan --render`. Default: unknown — Kubeloom cannot read it offline, so no matrix check is made for this cluster."),
});

export const stackReferenceSource = z.strictObject({
    stack: z.string().min(1).max(STACK_NAME_MAX, `must be at most ${STACK_NAME_MAX} characters: a fully qualified stack name is <org>/<project>/<stack>, each at most 100`).describe("Fully qualified stack name, e.g. \"acme/kubeloom/platform\" or \"platform\" on the local backend."),
    output: z.string().min(1).max(NAME_MAX, NAME_MAX_MESSAGE).default("kubeconfigs").describe("Output holding a map of context name → kubeconfig."),
    context: z.string().min(1).max(NAME_MAX, NAME_MAX_MESSAGE).describe("Context (map key) to use."),
    nodeAddress: hostAddress.optional().describe("Address of a node where NodePorts answer (NodePort vClusters, Hubble UI); default: cilium.k8sServiceHost."),
    kubernetesVersion: kubernetesVersion.optional().describe("The cluster's Kubernetes minor (\"1.36\"), as for `kubeconfig`. Default: unknown, no matrix check."),
});

export const SOURCE_KINDS = ["k3s", "kind", "kubeconfig", "stackReference"] as const;

export const clusterSource = z
    .strictObject({
        k3s: k3sSource.optional().describe("K3s installed by Kubeloom over SSH (or locally) on the hosts listed here."),
        kind: kindSource.optional().describe("A local kind cluster created by Kubeloom (needs Docker and kind on the machine running Pulumi)."),
        kubeconfig: kubeconfigSource.optional().describe("An existing cluster reached through a kubeconfig (a file path or the secret kubeloom:sourceKubeconfigs.<cluster name>)."),
        stackReference: stackReferenceSource.optional().describe("An existing cluster whose kubeconfig is an output of another Pulumi stack (a tenants stack on a platform stack's cluster)."),
    })
    .superRefine((source, ctx) => {
        const given = SOURCE_KINDS.filter((k) => source[k] !== undefined);
        if (given.length !== 1) {
            ctx.addIssue({
                code: "custom",
                message: `must have exactly one of ${SOURCE_KINDS.join(", ")} (got ${given.length ? given.join(" and ") : "none"})`,
            });
        }
    });

export type K3sSourceConfig = z.output<typeof k3sSource>;
export type KindSourceConfig = z.output<typeof kindSource>;
export type KubeconfigSourceConfig = z.output<typeof kubeconfigSource>;
export type StackReferenceSourceConfig = z.output<typeof stackReferenceSource>;
