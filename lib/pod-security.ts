/**
 * The one Pod Security module: the Pod Security Standards' levels, the namespace labels Pod Security admission
 * reads (https://kubernetes.io/docs/concepts/security/pod-security-admission/), and what each level rejects (the
 * checks of k8s.io/pod-security-admission policy at "latest",
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/), applied to rendered pod templates: a
 * namespace labelled `pod-security.kubernetes.io/enforce: <level>` rejects pods that violate the level, so a
 * workload there whose template violates it never gets a pod. Used by the vCluster builders (the tenant's level and
 * its host namespace labels), the config schema, pre-flight (`pod-security`) and plan:diff (a loosened level).
 * Pure; no imports.
 */

/** Pod Security levels, least to most restrictive (an index is a level's strictness). */
export const POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"] as const;

/** A Pod Security Standard level. */
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** The three modes Pod Security admission reads a level for: reject, warn the client, record in the audit log. */
export type PodSecurityMode = "enforce" | "warn" | "audit";

/** The namespace label of a mode's level (`pod-security.kubernetes.io/<mode>`). */
export function podSecurityLabel(mode: PodSecurityMode): string {
    return `pod-security.kubernetes.io/${mode}`;
}

/** The namespace label the API server's Pod Security admission enforces. */
export const ENFORCE_LABEL = podSecurityLabel("enforce");

/**
 * Namespace labels that set each mode's level, pinned to the standards' "latest" version
 * (`pod-security.kubernetes.io/<mode>-version`).
 */
export function podSecurityLabels(levels: Readonly<Record<PodSecurityMode, PodSecurityLevel>>): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const mode of ["enforce", "warn", "audit"] as const) {
        labels[podSecurityLabel(mode)] = levels[mode];
        labels[`${podSecurityLabel(mode)}-version`] = "latest";
    }
    return labels;
}

/** Whether a text is a Pod Security level. */
export function isPodSecurityLevel(value: unknown): value is PodSecurityLevel {
    return (POD_SECURITY_LEVELS as readonly unknown[]).includes(value);
}

/** How strict a level is (privileged 0, baseline 1, restricted 2). */
export function podSecurityStrictness(level: PodSecurityLevel): number {
    return POD_SECURITY_LEVELS.indexOf(level);
}

interface SecurityContext {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    procMount?: string;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string };
    seLinuxOptions?: { type?: string; user?: string; role?: string };
    sysctls?: Array<{ name: string }>;
}

interface Container {
    name?: string;
    securityContext?: SecurityContext;
    ports?: Array<{ hostPort?: number }>;
}

/** The parts of a pod spec the standards read. */
export interface PodSecuritySpec {
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    securityContext?: SecurityContext;
    containers?: Container[];
    initContainers?: Container[];
    ephemeralContainers?: Container[];
    volumes?: Array<Record<string, unknown>>;
}

/** Capabilities baseline allows to add. */
const BASELINE_CAPABILITIES = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
/** Sysctls baseline allows. */
const SAFE_SYSCTLS = new Set(["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]);
/** Volume types restricted allows. */
const RESTRICTED_VOLUMES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);

function containersOf(spec: PodSecuritySpec): Container[] {
    return [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/** Violations of baseline. */
function baselineViolations(spec: PodSecuritySpec): string[] {
    const found: string[] = [];
    if (spec.hostNetwork) found.push("hostNetwork: true");
    if (spec.hostPID) found.push("hostPID: true");
    if (spec.hostIPC) found.push("hostIPC: true");
    for (const volume of spec.volumes ?? []) if (volume.hostPath !== undefined) found.push(`hostPath volume ${String(volume.name)}`);
    const contexts: Array<[string, SecurityContext | undefined]> = [["pod", spec.securityContext], ...containersOf(spec).map((c): [string, SecurityContext | undefined] => [`container ${c.name}`, c.securityContext])];
    for (const [where, context] of contexts) {
        if (context?.seccompProfile?.type === "Unconfined") found.push(`${where}: seccompProfile Unconfined`);
        const se = context?.seLinuxOptions;
        if (se && (!SELINUX_TYPES.has(se.type ?? "") || se.user || se.role)) found.push(`${where}: seLinuxOptions`);
    }
    for (const sysctl of spec.securityContext?.sysctls ?? []) if (!SAFE_SYSCTLS.has(sysctl.name)) found.push(`sysctl ${sysctl.name}`);
    for (const container of containersOf(spec)) {
        const context = container.securityContext;
        if (context?.privileged) found.push(`container ${container.name}: privileged`);
        if (context?.procMount !== undefined && context.procMount !== "Default") found.push(`container ${container.name}: procMount ${context.procMount}`);
        for (const cap of context?.capabilities?.add ?? []) if (!BASELINE_CAPABILITIES.has(cap)) found.push(`container ${container.name}: capability ${cap}`);
        for (const port of container.ports ?? []) if (port.hostPort) found.push(`container ${container.name}: hostPort ${port.hostPort}`);
    }
    return found;
}

/** Violations of restricted beyond baseline. */
function restrictedViolations(spec: PodSecuritySpec): string[] {
    const found: string[] = [];
    for (const volume of spec.volumes ?? []) {
        const type = Object.keys(volume).find((k) => k !== "name");
        if (type !== undefined && !RESTRICTED_VOLUMES.has(type)) found.push(`${type} volume ${String(volume.name)}`);
    }
    const pod = spec.securityContext ?? {};
    if (pod.runAsUser === 0) found.push("pod: runAsUser 0");
    for (const container of containersOf(spec)) {
        const context = container.securityContext ?? {};
        const name = `container ${container.name}`;
        if (context.allowPrivilegeEscalation !== false) found.push(`${name}: allowPrivilegeEscalation is not false`);
        if (!(context.runAsNonRoot ?? pod.runAsNonRoot)) found.push(`${name}: runAsNonRoot is not true`);
        if (context.runAsUser === 0) found.push(`${name}: runAsUser 0`);
        const seccomp = context.seccompProfile?.type ?? pod.seccompProfile?.type;
        if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") found.push(`${name}: seccompProfile is not RuntimeDefault or Localhost`);
        if (!(context.capabilities?.drop ?? []).includes("ALL")) found.push(`${name}: capabilities do not drop ALL`);
        for (const cap of context.capabilities?.add ?? []) if (cap !== "NET_BIND_SERVICE") found.push(`${name}: capability ${cap}`);
    }
    return found;
}

/** What a pod spec violates at `level` (empty when the level admits it). */
export function podSecurityViolations(level: PodSecurityLevel, spec: PodSecuritySpec): string[] {
    switch (level) {
        case "privileged":
            return [];
        case "baseline":
            return baselineViolations(spec);
        case "restricted":
            return [...baselineViolations(spec), ...restrictedViolations(spec)];
    }
}

/** The enforced level of a namespace's labels, or undefined when none (or an unknown value) is set. */
export function enforcedLevel(labels: unknown): PodSecurityLevel | undefined {
    const value = labels && typeof labels === "object" ? (labels as Record<string, unknown>)[ENFORCE_LABEL] : undefined;
    return isPodSecurityLevel(value) ? value : undefined;
}
