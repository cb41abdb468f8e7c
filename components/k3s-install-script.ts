/**
 * Pure builders for the shell scripts that install, read and remove K3s on a host (flags: k3s-io/k3s
 * pkg/cli/cmds/server.go; installer environment: k3s-io/k3s install.sh at the commit artifacts.lock.json pins,
 * which test/components/k3s-installer.sandbox.test.ts runs against these scripts).
 *
 * Every script is POSIX sh, deterministic (same input → byte-identical text, so Pulumi diffs only on real
 * changes) and carries no secret: the cluster token always arrives on the script's stdin.
 */

import { assertNever } from "../lib/assert-never";
import { K3S_DEFAULT_API_PORT } from "./defaults";
import { scriptPreamble, shellQuote, TRAPPED_SIGNALS, timeLimit } from "../lib/shell";
import { quoteInput } from "../lib/user-input";

export { shellQuote } from "../lib/shell";

/** Where the cluster token is written on every node; root-owned, mode 0600. */
export const K3S_TOKEN_FILE = "/etc/rancher/k3s/kubeloom-token";

/** The admin kubeconfig K3s writes on a server. */
export const K3S_KUBECONFIG_PATH = "/etc/rancher/k3s/k3s.yaml";

/** K3s's installer, fetched at run time (it is what upgrades and reconfigures an installed host in place). */
export const K3S_INSTALLER_URL = "https://get.k3s.io";

/** How often and how long the server script polls `/readyz` before giving up (60 × 5 s = 5 minutes). */
export const API_READY_ATTEMPTS = 60;
export const API_READY_INTERVAL_SECONDS = 5;

/**
 * Production time limits of the host scripts, in seconds; each is overridable by the environment variable named
 * in its comment (tests use a few seconds). docs/architecture.md "Script time limits" lists them too.
 */
export const SCRIPT_TIME_LIMITS = {
    /** KUBELOOM_READYZ_TIMEOUT: one /readyz request (kubectl --request-timeout, and `timeout` around it). */
    readyz: 10,
    /** KUBELOOM_DOWNLOAD_CONNECT_TIMEOUT: connecting to get.k3s.io (curl --connect-timeout). */
    downloadConnect: 10,
    /** KUBELOOM_DOWNLOAD_TIMEOUT: the whole installer download (curl --max-time). */
    download: 120,
    /** KUBELOOM_INSTALL_TIMEOUT: K3s's installer, including its binary download (`timeout`). */
    install: 600,
    /** KUBELOOM_SYSTEMCTL_TIMEOUT: `systemctl restart k3s`, which can block forever (k3s-io/k3s#11808, #6879). */
    systemctl: 300,
    /** KUBELOOM_UNINSTALL_TIMEOUT: K3s's uninstall script. */
    uninstall: 600,
} as const;

/** Upper bound of the installer part every install runs (download, installer, bounded restart). Seconds. */
const INSTALLER_MAX_SECONDS = SCRIPT_TIME_LIMITS.download + SCRIPT_TIME_LIMITS.install + SCRIPT_TIME_LIMITS.systemctl;

/**
 * Upper bound of a server install (download, installer, restart, every /readyz attempt and pause) with the
 * production limits: what the Command's customTimeouts must allow (commandTimeout in lib/shell.ts). Seconds.
 */
export const SERVER_INSTALL_MAX_SECONDS = INSTALLER_MAX_SECONDS + API_READY_ATTEMPTS * (SCRIPT_TIME_LIMITS.readyz + API_READY_INTERVAL_SECONDS);

/** Upper bound of an agent install (no /readyz wait: the agent's API is the server's). Seconds. */
export const AGENT_INSTALL_MAX_SECONDS = INSTALLER_MAX_SECONDS;

/** Upper bound of an uninstall (K3s's uninstall script under `timeout`). Seconds. */
export const UNINSTALL_MAX_SECONDS = SCRIPT_TIME_LIMITS.uninstall;

/** Upper bound of the kubeconfig read: no waits, two sudo calls on a local file; only the SSH session takes time. */
export const KUBECONFIG_READ_MAX_SECONDS = 0;

/** Markers around the kubeconfig on the read script's stdout: a chatty login shell (~/.bashrc) may print around it. */
export const KUBECONFIG_BEGIN_MARKER = "-----KUBELOOM KUBECONFIG BEGIN-----";
export const KUBECONFIG_END_MARKER = "-----KUBELOOM KUBECONFIG END-----";


/**
 * How a server takes part in the cluster's datastore (k3s pkg/cli/cmds/server.go: `--cluster-init` "Initialize a new
 * cluster using embedded Etcd", `--server` "Server to connect to, used to join a cluster"; docs.k3s.io
 * datastore/ha-embedded: the first server `--cluster-init`, the others `--server https://<server1 or fixed
 * address>:6443` with the same token).
 */
export type K3sServerRole =
    /** The only server, on K3s's default SQLite datastore (no flag). */
    | { readonly type: "single" }
    /** The first of several servers: starts embedded etcd. */
    | { readonly type: "init" }
    /** Another server: joins the etcd cluster at `serverUrl` (https://). */
    | { readonly type: "join"; readonly serverUrl: string };

/** A node taint, K3s's `--node-taint key=value:Effect` (the kubelet's --register-with-taints format). */
export interface K3sTaint {
    readonly key: string;
    /** @default - no value (`key:Effect`) */
    readonly value?: string;
    readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/**
 * Settings of one node, server or agent (k3s pkg/cli/cmds/agent.go: --node-label, --node-taint, --node-ip,
 * --node-external-ip; the server takes the same agent flags). Every field is optional and renders nothing when
 * unset, so a node without settings gets byte-identical scripts.
 */
export interface K3sNodeSettings {
    /** Labels the kubelet registers the node with → one `--node-label=k=v` each, sorted by key. @default - none */
    readonly labels?: Readonly<Record<string, string>>;
    /** Taints the kubelet registers the node with → one `--node-taint=…` each, in order. @default - none */
    readonly taints?: readonly K3sTaint[];
    /** The address the node advertises (multi-NIC hosts) → `--node-ip`. @default - K3s picks the default route's address */
    readonly nodeIp?: string;
    /** The node's external address → `--node-external-ip`. @default - none */
    readonly externalIp?: string;
    /**
     * Any other K3s flag, `--name` or `--name=value`, appended after every flag Kubeloom renders. A flag Kubeloom
     * derives (K3S_DERIVED_FLAGS) is refused: the key that owns it must be set instead. @default - none
     */
    readonly extraArgs?: readonly string[];
}

/**
 * The K3s flags the install scripts derive, each with the config key (relative to `clusters[i]`) that owns it — the
 * one declaration `extraArgs` is checked against, here and by the config rule (config layer), so a flag cannot be
 * set twice with two values. Flags no key sets (Kubeloom fixes them) name "(fixed by Kubeloom: why)".
 */
export const K3S_DERIVED_FLAGS: Readonly<Record<string, string>> = {
    "--flannel-backend": "(fixed by Kubeloom: Cilium is the CNI)",
    "--disable-network-policy": "(fixed by Kubeloom: Cilium enforces network policy)",
    "--disable-kube-proxy": "cilium.kubeProxyReplacement",
    "--disable": "source.k3s.disable",
    "--cluster-cidr": "podCidr",
    "--service-cidr": "serviceCidr",
    "--tls-san": "source.k3s.tlsSans",
    "--https-listen-port": "source.k3s.apiPort",
    "--write-kubeconfig-mode": "(fixed by Kubeloom: the admin kubeconfig stays root-only and is read with sudo)",
    "--write-kubeconfig": "(fixed by Kubeloom: the kubeconfig is read back from /etc/rancher/k3s/k3s.yaml)",
    "--token": "(the cluster token Kubeloom generates, handed over in --token-file)",
    "--token-file": "(the cluster token Kubeloom generates)",
    "--server": "source.k3s.registrationAddress",
    "--cluster-init": "source.k3s.servers",
    "--node-name": "(fixed by Kubeloom: rolling upgrades find the node by its hostname)",
    "--node-label": "labels",
    "--node-taint": "taints",
    "--node-ip": "nodeIp",
    "--node-external-ip": "externalIp",
    "--secrets-encryption": "source.k3s.secretsEncryption",
};

/** What the server install script needs from the stack config. */
export interface K3sServerScriptInput {
    /** K3s release, e.g. "v1.28.13+k3s1". */
    readonly version: string;
    /** Pod CIDR → --cluster-cidr. */
    readonly podCidr: string;
    /** Service CIDR → --service-cidr. */
    readonly serviceCidr: string;
    /** Packaged components to disable, e.g. ["traefik", "servicelb", "metrics-server"] → one --disable=a,b,c flag (none when empty). */
    readonly disable: readonly string[];
    /** True when Cilium replaces kube-proxy → --disable-kube-proxy. */
    readonly disableKubeProxy: boolean;
    /** Addresses clients use → one --tls-san=<x> per entry (deduplicated, order kept). */
    readonly tlsSans: readonly string[];
    /** API server port (--https-listen-port only when not K3S_DEFAULT_API_PORT, K3s's default). */
    readonly apiPort: number;
    /** Datastore role: --cluster-init, --server=<url> or neither. @default { type: "single" } */
    readonly role?: K3sServerRole;
    /** Encrypt Secrets at rest → `--secrets-encryption` (must be the same on every server). @default false */
    readonly secretsEncryption?: boolean;
    /** This server's node settings. @default - none */
    readonly node?: K3sNodeSettings;
}

/** What the agent install script needs. */
export interface K3sAgentScriptInput {
    /** K3s release, e.g. "v1.28.13+k3s1"; should match the server's. */
    readonly version: string;
    /** Server the agent joins, e.g. "https://192.0.2.10:6443" (the installer only accepts https://). */
    readonly serverUrl: string;
    /** This agent's node settings. @default - none */
    readonly node?: K3sNodeSettings;
}

/**
 * The `k3s server` flags for a Cilium-ready node, in a fixed order. Throws on a value the installer would
 * mangle: it splits INSTALL_K3S_EXEC on whitespace, so a flag value with a space would become two arguments.
 */
export function k3sServerFlags(input: K3sServerScriptInput): string[] {
    requireFlagValue("podCidr", input.podCidr);
    requireFlagValue("serviceCidr", input.serviceCidr);
    input.disable.forEach((component, i) => requireFlagValue(`disable[${i}]`, component));
    input.tlsSans.forEach((san, i) => requireFlagValue(`tlsSans[${i}]`, san));
    if (input.disable.some((component) => component.includes(","))) {
        // K3s comma-splits --disable values, so "a,b" would silently disable two components.
        throw new Error(`k3s: disable entries must not contain ",": got ${JSON.stringify(input.disable)}`);
    }
    if (!Number.isInteger(input.apiPort) || input.apiPort < 1 || input.apiPort > 65535) {
        throw new Error(`k3s: apiPort must be an integer from 1 to 65535, got ${input.apiPort}`);
    }

    const flags = [
        // Cilium is the CNI: K3s's flannel and its network policy controller must not run beside it
        // (cilium docs installation/k3s.rst).
        "--flannel-backend=none",
        "--disable-network-policy",
    ];
    if (input.disableKubeProxy) flags.push("--disable-kube-proxy");
    const disable = unique(input.disable);
    if (disable.length > 0) flags.push(`--disable=${disable.join(",")}`);
    flags.push(`--cluster-cidr=${input.podCidr}`, `--service-cidr=${input.serviceCidr}`);
    for (const san of unique(input.tlsSans)) flags.push(`--tls-san=${san}`);
    // K3s's own default needs no flag (so a default install's script stays as it always was).
    if (input.apiPort !== K3S_DEFAULT_API_PORT) flags.push(`--https-listen-port=${input.apiPort}`);
    flags.push(
        // The manual recipe uses 644 so a non-root user can run kubectl; that hands the cluster-admin client key
        // to every local account. Kubeloom reads the file with sudo instead (buildReadKubeconfigScript).
        "--write-kubeconfig-mode=0600",
        // Every server reads the same token: a joining server must present the cluster's token (docs.k3s.io
        // datastore/ha-embedded), and K3s refuses to start with one other than its datastore was created with.
        `--token-file=${K3S_TOKEN_FILE}`,
    );
    flags.push(...roleFlags(input.role ?? { type: "single" }));
    if (input.secretsEncryption === true) flags.push("--secrets-encryption");
    flags.push(...nodeSettingFlags(input.node));
    return flags;
}

/** The `k3s agent` flags of an agent: its node settings (none renders the plain `agent`). */
export function k3sAgentFlags(input: K3sAgentScriptInput): string[] {
    return nodeSettingFlags(input.node);
}

/**
 * The flags of a node's settings, labels sorted by key, then taints, addresses and extra flags. Throws on a value
 * the installer would mangle (whitespace: it splits INSTALL_K3S_EXEC on it) and on an extra flag Kubeloom derives.
 */
export function nodeSettingFlags(node: K3sNodeSettings | undefined): string[] {
    if (node === undefined) return [];
    const flags: string[] = [];
    for (const [key, value] of Object.entries(node.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        requireFlagValue(`labels.${key}`, `${key}=${value}`);
        flags.push(`--node-label=${key}=${value}`);
    }
    (node.taints ?? []).forEach((taint, i) => {
        const text = `${taint.key}${taint.value === undefined ? "" : `=${taint.value}`}:${taint.effect}`;
        requireFlagValue(`taints[${i}]`, text);
        flags.push(`--node-taint=${text}`);
    });
    if (node.nodeIp !== undefined) {
        requireFlagValue("nodeIp", node.nodeIp);
        flags.push(`--node-ip=${node.nodeIp}`);
    }
    if (node.externalIp !== undefined) {
        requireFlagValue("externalIp", node.externalIp);
        flags.push(`--node-external-ip=${node.externalIp}`);
    }
    (node.extraArgs ?? []).forEach((arg, i) => {
        const problem = extraArgProblem(arg);
        if (problem) throw new Error(`k3s: extraArgs[${i}]: ${problem}`);
        flags.push(arg);
    });
    return flags;
}

/** The flag name of an extra argument: `--kubelet-arg` of `--kubelet-arg=max-pods=200`. */
export function extraArgName(arg: string): string {
    const eq = arg.indexOf("=");
    return eq < 0 ? arg : arg.slice(0, eq);
}

/**
 * Why an extra K3s argument cannot be rendered, or undefined: not `--name[=value]`, whitespace (the installer splits
 * INSTALL_K3S_EXEC on it), `%` or `$` (systemd expands them in ExecStart), or a flag Kubeloom derives
 * (K3S_DERIVED_FLAGS names the key to set instead).
 */
export function extraArgProblem(arg: string): string | undefined {
    if (!/^--[a-z0-9][a-z0-9-]*(=[^\s'"\\%$]*)?$/.test(arg)) {
        // install.sh re-parses INSTALL_K3S_EXEC with `eval set -- $(escape …)`, whose escape leaves quotes alone: a
        // value with one would be cut or mangled before it reaches the service's ExecStart (backslashes refused too).
        // install.sh then writes the flags into the unit's ExecStart unescaped, where systemd expands `%x` as a unit
        // specifier and `$X` / `${X}` as an environment variable (systemd.service(5) "Command lines", systemd.unit(5)
        // "Specifiers"): K3s would not receive the flag as configured, or the unit would not start (`%Q` fails
        // `systemd-analyze verify`), so both are refused rather than escaped on faith.
        return `${quoteInput(arg)} is not a K3s flag Kubeloom can pass: write it as --name or --name=value, without whitespace (K3s's installer splits its flags on whitespace), quotes or backslashes (its eval would mangle them), % or $ (systemd expands them in the service's ExecStart), with the long name (not -t, -s, …)`;
    }
    const owner = K3S_DERIVED_FLAGS[extraArgName(arg)];
    if (owner !== undefined) {
        return owner.startsWith("(")
            ? `${extraArgName(arg)} is set by Kubeloom ${owner.slice(1, -1)}; it cannot be passed again`
            : `${extraArgName(arg)} is derived by Kubeloom from ${owner}: set that key instead`;
    }
    return undefined;
}

function roleFlags(role: K3sServerRole): string[] {
    switch (role.type) {
        case "single":
            return [];
        case "init":
            return ["--cluster-init"];
        case "join":
            requireHttpsUrl("server serverUrl", role.serverUrl);
            return [`--server=${role.serverUrl}`];
        default:
            return assertNever(role);
    }
}

/**
 * Installs (or upgrades / reconfigures in place: K3s's installer rewrites the service and restarts it when the
 * version or flags changed) a K3s server, then waits until its API server answers. Reads the cluster token on stdin.
 */
export function buildK3sServerInstallScript(input: K3sServerScriptInput): string {
    requireVersion(input.version);
    const exec = ["server", ...k3sServerFlags(input)].join(" ");
    return [
        ...preamble("K3s server install"),
        ...timeLimit("readyz_timeout", "KUBELOOM_READYZ_TIMEOUT", SCRIPT_TIME_LIMITS.readyz),
        ...timeLimit("readyz_attempts", "KUBELOOM_READYZ_ATTEMPTS", API_READY_ATTEMPTS),
        ...timeLimit("readyz_interval", "KUBELOOM_READYZ_INTERVAL", API_READY_INTERVAL_SECONDS),
        ...recordInstalledState("k3s"),
        ...writeTokenFromStdin(),
        ...runInstaller(
            [`INSTALL_K3S_VERSION=${shellQuote(input.version)}`, `INSTALL_K3S_EXEC=${shellQuote(exec)}`],
            "k3s",
        ),
        "",
        "# Wait for the API server only, not for nodes to be Ready: they stay NotReady until Cilium (installed next)",
        "# provides the CNI, so waiting for them here would always time out.",
        ...locateK3sBinary(),
        "attempt=0",
        `until $SUDO timeout "$readyz_timeout" "$K3S_BIN" kubectl --request-timeout="\${readyz_timeout}s" get --raw=/readyz >/dev/null 2>&1; do`,
        "    attempt=$((attempt + 1))",
        '    if [ "$attempt" -ge "$readyz_attempts" ]; then',
        `        fail "the K3s API server did not answer /readyz within $readyz_attempts attempts of \${readyz_timeout}s every \${readyz_interval}s (${API_READY_ATTEMPTS * API_READY_INTERVAL_SECONDS}s by default); check 'journalctl -u k3s' on this host"`,
        "    fi",
        '    sleep "$readyz_interval"',
        "done",
        'echo "kubeloom: K3s API server is ready"',
        "",
    ].join("\n");
}

/** Installs (or upgrades in place) a K3s agent joining `serverUrl`. Reads the cluster token on stdin. */
export function buildK3sAgentInstallScript(input: K3sAgentScriptInput): string {
    requireVersion(input.version);
    requireHttpsUrl("agent serverUrl", input.serverUrl);
    return [
        ...preamble("K3s agent install"),
        ...recordInstalledState("k3s-agent"),
        ...writeTokenFromStdin(),
        ...runInstaller(
            [
                // K3S_* variables are saved in the service's env file: only the token's path lands there, never the token.
                `K3S_URL=${shellQuote(input.serverUrl)}`,
                `K3S_TOKEN_FILE=${shellQuote(K3S_TOKEN_FILE)}`,
                `INSTALL_K3S_VERSION=${shellQuote(input.version)}`,
                `INSTALL_K3S_EXEC=${shellQuote(["agent", ...k3sAgentFlags(input)].join(" "))}`,
            ],
            "k3s-agent",
        ),
        "",
    ].join("\n");
}

/**
 * Removes K3s with the uninstall script its installer left (which also deletes /etc/rancher/k3s and the data
 * directory). Idempotent: a host without K3s exits 0, so a destroy after a half-finished install still succeeds.
 */
export function buildK3sUninstallScript(role: "server" | "agent"): string {
    const script = role === "server" ? "k3s-uninstall.sh" : "k3s-agent-uninstall.sh";
    const primary = `/usr/local/bin/${script}`;
    // The installer falls back to /opt/bin when /usr/local/bin is read-only (e.g. Flatcar).
    const fallback = `/opt/bin/${script}`;
    return [
        ...preamble(`K3s ${role} uninstall`),
        ...timeLimit("uninstall_timeout", "KUBELOOM_UNINSTALL_TIMEOUT", SCRIPT_TIME_LIMITS.uninstall),
        `if [ -x "$R"${primary} ]; then`,
        `    $SUDO timeout "$uninstall_timeout" "$R"${primary} || fail "${primary} failed or did not finish within \${uninstall_timeout}s"`,
        `elif [ -x "$R"${fallback} ]; then`,
        `    $SUDO timeout "$uninstall_timeout" "$R"${fallback} || fail "${fallback} failed or did not finish within \${uninstall_timeout}s"`,
        "else",
        `    echo "kubeloom: ${primary} not found; K3s ${role} is not installed, nothing to remove"`,
        "fi",
        "# The token file outlives an install that failed before the uninstall script was written. Removed with",
        "# privilege, unconditionally: /etc/rancher/k3s is 0700, so an unprivileged test would never see the file.",
        `$SUDO rm -f "$R"${K3S_TOKEN_FILE} || fail "cannot remove ${K3S_TOKEN_FILE}"`,
        "",
    ].join("\n");
}

/**
 * Prints the server's admin kubeconfig (root-only, see --write-kubeconfig-mode) to stdout, between
 * KUBECONFIG_BEGIN_MARKER and KUBECONFIG_END_MARKER lines (extractMarkedKubeconfig parses it back).
 */
export function buildReadKubeconfigScript(): string {
    return [
        ...preamble("read the K3s admin kubeconfig"),
        `$SUDO test -s "$R"${K3S_KUBECONFIG_PATH} || fail "${K3S_KUBECONFIG_PATH} is missing or empty (did the K3s server start?)"`,
        `content=$($SUDO cat "$R"${K3S_KUBECONFIG_PATH}) || fail "cannot read ${K3S_KUBECONFIG_PATH}"`,
        // The leading newline ends whatever a login shell printed without one (`printf` in ~/.bashrc), which would
        // otherwise glue itself to the begin marker (found over real SSH: test/components/k3s-install-script.ssh.test.ts).
        `printf '\\n%s\\n' ${shellQuote(KUBECONFIG_BEGIN_MARKER)}`,
        `printf '%s\\n' "$content" ${shellQuote(KUBECONFIG_END_MARKER)}`,
        "",
    ].join("\n");
}

/**
 * The kubeconfig between the read script's markers; whatever a login shell printed around it is dropped. Throws
 * (never quoting the text: it holds a client key) when the markers are missing or enclose nothing.
 */
export function extractMarkedKubeconfig(stdout: string): string {
    const lines = stdout.split(/\r?\n/);
    const begin = lines.lastIndexOf(KUBECONFIG_BEGIN_MARKER);
    const end = lines.lastIndexOf(KUBECONFIG_END_MARKER);
    if (begin < 0 || end <= begin + 1) {
        throw new Error("the K3s kubeconfig read printed no kubeconfig between its markers; contents not shown, they may hold a client key");
    }
    return lines.slice(begin + 1, end).join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------------------------
// Script fragments

/** The common start of every host script: fail closed, the test root prefix R, and SUDO unless root. */
export function preamble(purpose: string): string[] {
    return [
        "#!/bin/sh",
        `# Kubeloom: ${purpose}. Generated; edit components/k3s-install-script.ts instead.`,
        ...scriptPreamble(purpose),
        // Test hook only: a prefix for every host path, so the script can run in a sandbox. Empty in production.
        'R=${KUBELOOM_K3S_ROOT:-}',
        // Hosts log in as root or as a user with passwordless sudo; only the latter needs the prefix.
        'SUDO=""',
        '[ "$(id -u)" -eq 0 ] || SUDO="sudo"',
        "",
    ];
}

/**
 * Writes stdin to K3S_TOKEN_FILE. The token comes on stdin because the script text, argv (/proc/<pid>/cmdline is
 * world-readable) and the environment (a remote Command's environment needs sshd AcceptEnv, and ends up in
 * /proc/<pid>/environ) would all expose it. umask 077 + mktemp make the file 0600 from its first byte; mv swaps
 * it in atomically so a re-run never leaves K3s a half-written token.
 */
function writeTokenFromStdin(): string[] {
    const writer = stdinFileWriter();
    const directory = K3S_TOKEN_FILE.slice(0, K3S_TOKEN_FILE.lastIndexOf("/"));
    return [
        "# The cluster token arrives on stdin: it is never in this script, in argv or in the environment.",
        `$SUDO mkdir -p "$R"${directory} || fail "cannot create ${directory}"`,
        `$SUDO sh -c ${shellQuote(writer)} sh "$R"${shellQuote(K3S_TOKEN_FILE)} || fail "cannot write the cluster token to ${K3S_TOKEN_FILE} (no token on stdin, or no passwordless sudo?)"`,
        "",
    ];
}

/**
 * The root shell program (`sh -c '…' sh <path>`) that writes its stdin to "$1": umask 077 + mktemp make the file
 * 0600 from its first byte, an empty stdin fails (exit 3), mv swaps it in atomically. With `unchangedExit`, a file
 * that already holds exactly that content is left alone and the program exits with that code (nothing to restart).
 */
export function stdinFileWriter(unchangedExit?: number): string {
    return [
        "set -eu",
        "umask 077",
        'tmp=$(mktemp "$1.XXXXXX")',
        'trap \'rm -f "$tmp"\' EXIT',
        'cat >"$tmp"',
        '[ -s "$tmp" ] || exit 3',
        'chmod 0600 "$tmp"',
        ...(unchangedExit === undefined ? [] : [`if [ -f "$1" ] && [ "$(cat "$tmp")" = "$(cat "$1")" ]; then exit ${unchangedExit}; fi`]),
        'mv -f "$tmp" "$1"',
    ].join("; ");
}

/**
 * What decides whether K3s must restart: the binary, the service unit, its env file and the token file, as
 * `cksum` lines (or "absent <file>"). install.sh compares the same things itself (`get_installed_hashes`: binary,
 * unit, env file) to skip the restart when nothing changed, but only when it starts the service; Kubeloom runs it
 * with INSTALL_K3S_SKIP_START=true (see runInstaller), so it makes the same comparison. Recorded before the token is
 * written, so a changed token counts as a change.
 */
function recordInstalledState(service: string): string[] {
    const files = [
        '"$R"/usr/local/bin/k3s',
        '"$R"/opt/bin/k3s',
        `"$R"/etc/systemd/system/${service}.service`,
        `"$R"/etc/systemd/system/${service}.service.env`,
        `"$R"${K3S_TOKEN_FILE}`,
    ];
    return [
        `k3s_state() { for f in ${files.join(" ")}; do if $SUDO test -e "$f"; then $SUDO cksum "$f"; else echo "absent $f"; fi; done; }`,
        'state_before=$(k3s_state)',
        "",
    ];
}

/**
 * Downloads K3s's installer to a temp file (removed on EXIT/INT/TERM/HUP), refuses anything that is not the
 * installer (a captive portal's HTML page would otherwise be run by sh), runs it with `assignments` in its
 * environment and INSTALL_K3S_SKIP_START=true, then (re)starts `service` under `timeout`: the installer's own
 * `systemctl restart` can block forever (k3s-io/k3s#11808, k3s-io/k3s#6879). Restarts only when the binary, unit,
 * env file or token changed (recordInstalledState); otherwise `systemctl start`, which leaves a running K3s alone
 * and starts a stopped one — a re-run with nothing changed on the host does not restart K3s.
 */
function runInstaller(assignments: readonly string[], service: string): string[] {
    const url = K3S_INSTALLER_URL;
    return [
        ...timeLimit("connect_timeout", "KUBELOOM_DOWNLOAD_CONNECT_TIMEOUT", SCRIPT_TIME_LIMITS.downloadConnect),
        ...timeLimit("download_timeout", "KUBELOOM_DOWNLOAD_TIMEOUT", SCRIPT_TIME_LIMITS.download),
        ...timeLimit("install_timeout", "KUBELOOM_INSTALL_TIMEOUT", SCRIPT_TIME_LIMITS.install),
        ...timeLimit("systemctl_timeout", "KUBELOOM_SYSTEMCTL_TIMEOUT", SCRIPT_TIME_LIMITS.systemctl),
        'installer=""',
        'cleanup() { [ -z "$installer" ] || rm -f "$installer"; }',
        "trap cleanup EXIT",
        `trap 'exit 1' ${TRAPPED_SIGNALS}`,
        'installer=$(mktemp) || fail "cannot create a temporary file for the K3s installer"',
        // -S: curl's own error (DNS, TLS, HTTP status) is shown; -f: an HTTP error is a failure, not a page to run.
        `curl -fsSL --connect-timeout "$connect_timeout" --max-time "$download_timeout" -o "$installer" ${url} || fail "could not download the K3s installer from ${url} within \${download_timeout}s"`,
        `{ head -n 1 "$installer" | grep -q '^#!' && grep -q 'INSTALL_K3S_' "$installer"; } || fail "${url} did not return the K3s installer (a captive portal or proxy page?); nothing was run"`,
        `${assignments.join(" ")} INSTALL_K3S_SKIP_START=true timeout "$install_timeout" sh "$installer" || fail "the K3s installer failed or did not finish within \${install_timeout}s"`,
        'if [ "$(k3s_state)" = "$state_before" ]; then',
        `    echo "kubeloom: K3s binary, unit, env file and token unchanged; ${service} is not restarted"`,
        '    action=start',
        "else",
        '    action=restart',
        "fi",
        `$SUDO timeout "$systemctl_timeout" systemctl "$action" ${service} || fail "systemctl $action ${service} failed or did not finish within \${systemctl_timeout}s; check 'journalctl -u ${service}' on this host"`,
    ];
}

/** Sets K3S_BIN; sudo's secure_path often lacks /usr/local/bin, so the binary is called by its full path. */
export function locateK3sBinary(): string[] {
    return ['K3S_BIN="$R"/usr/local/bin/k3s', '[ -x "$K3S_BIN" ] || K3S_BIN="$R"/opt/bin/k3s'];
}

function requireHttpsUrl(field: string, url: string): void {
    if (!/^https:\/\/\S+$/.test(url)) {
        // install.sh's verify_k3s_url rejects anything else, but only after downloading; fail before touching the host.
        throw new Error(`k3s: ${field} must be an https:// URL without spaces, got ${JSON.stringify(url)}`);
    }
}

function requireVersion(version: string): void {
    if (!/^\S+$/.test(version)) {
        throw new Error(`k3s: version must be a release like "v1.28.13+k3s1", got ${JSON.stringify(version)}`);
    }
}

function requireFlagValue(field: string, value: string): void {
    if (value.length === 0 || /\s/.test(value)) {
        throw new Error(
            `k3s: ${field} must be non-empty and contain no whitespace (the K3s installer splits INSTALL_K3S_EXEC on spaces), got ${JSON.stringify(value)}`,
        );
    }
}

function unique(values: readonly string[]): string[] {
    return [...new Set(values)];
}
