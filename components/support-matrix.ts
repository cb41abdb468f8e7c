/**
 * The support matrix: the one home of which versions Kubeloom installs, which Kubernetes versions each of them
 * supports, and which one is the default. The config layer checks a stack against it (config/schema.ts for a
 * single field, config/rules.ts for combinations), the builders switch on it (cilium-values.ts, vcluster-values.ts,
 * metallb-resources.ts), versions.ts takes its defaults from it, and the upgrade checks read its order.
 *
 * Exact patches for the charts (Cilium, vCluster, MetalLB): those are the versions whose chart archive and CRDs
 * artifacts.lock.json pins with their upstream digests (README "Upstream artifacts"), so every value
 * Kubeloom renders for them is checked in the tests. K3s and kind node images are accepted by Kubernetes minor
 * ("line"): Kubeloom renders nothing version-specific for them, and their patches are too many to pin.
 *
 * Kubernetes ranges are the ones upstream states it tests:
 * - Cilium 1.16: 1.27–1.30; 1.19: 1.31–1.34; 1.20: 1.33–1.36 (issue #15, from the Cilium docs' compatibility page);
 *   1.18: 1.30–1.33 (cilium/cilium v1.18.x Documentation/network/kubernetes/compatibility.rst);
 *   1.17: 1.29–1.32 — NOT verified here: no 1.17 documentation tree is available offline; it is the four-minor window
 *   Cilium uses for every release, between 1.16's and 1.18's.
 * - vCluster 0.36: hosts 1.34–1.36 (issue #15). 0.20: NOT verified here — no tested host range is available offline;
 *   its chart's default virtual control plane is K3s v1.30.2 (vcluster@v0.20.6 chart/values.yaml
 *   controlPlane.distro.k3s.image.tag) and it is the seeds' pairing with Cilium 1.16, so its range is taken to be
 *   Cilium 1.16's (1.27–1.30).
 * - MetalLB: the chart's `kubeVersion: ">= 1.19.0-0"` (metallb chart Chart.yaml at v0.14.9 and v0.16.1); upstream
 *   names no upper bound, so the matrix's newest Kubernetes line is used.
 *
 * Beside the ranges, the matrix is the one home of the other version facts Kubeloom acts on: each vCluster release's
 * chart line, distro and who writes its tenant fence (VCLUSTER_RELEASES, vclusterLine, tenantFenceOwner), and the
 * oldest Cilium with LB-IPAM (LBIPAM_MIN_CILIUM). Version parsing (minorOf, versionParts) lives here too.
 */

/** A component whose versions the matrix lists. */
export type MatrixComponent = "cilium" | "vcluster" | "metallb" | "k3s" | "kind";

/** An inclusive range of Kubernetes minors, as "1.<minor>" strings. */
export interface KubernetesRange {
    /** Oldest supported Kubernetes minor, e.g. "1.33". */
    readonly min: string;
    /** Newest supported Kubernetes minor, e.g. "1.36". */
    readonly max: string;
}

/** The vCluster control-plane distribution a chart version renders (`controlPlane.distro.<distro>`). */
export type VClusterDistro = "k3s" | "k8s";

/** The vcluster chart lines (minors) Kubeloom knows; the syncer's label translation and the fence owner differ between them. */
export type VClusterLine = "0.20" | "0.36";

/** Who writes an isolated tenant's fence (its egress, control-plane and DNS NetworkPolicies): see tenantFenceOwner. */
export type TenantFenceOwner = "chart" | "kubeloom";

/** One supported release of a chart. */
export interface ChartRelease {
    /** Exact chart version, e.g. "1.20.0" (no leading v). */
    readonly version: string;
    /** Kubernetes minors this release supports (host cluster for vCluster). */
    readonly kubernetes: KubernetesRange;
    /** Why it is in the matrix, shown in README-style listings. */
    readonly note: string;
}

/** A vCluster release, with its chart line, the one distro Kubeloom renders for it and who writes its tenant fence. */
export interface VClusterRelease extends ChartRelease {
    /** The chart line: the version's minor (a test checks they agree). */
    readonly line: VClusterLine;
    /** k3s for 0.20 (deprecated from 0.25, removed in 0.33); k8s for 0.36, the only distro it has. */
    readonly distro: VClusterDistro;
    /** Who writes the tenant fence on this line (why: tenantFenceOwner). */
    readonly tenantFence: TenantFenceOwner;
}

/** One supported K3s line (a Kubernetes minor); any `v1.<minor>.<patch>+k3s<n>` of it is accepted. */
export interface K3sLine {
    /** The Kubernetes minor of the line, e.g. "1.36". */
    readonly kubernetes: string;
    /** A release of the line known to exist (the default line's is the stable channel's, see K3S_DEFAULT). */
    readonly example: string;
}

/** Newest Kubernetes minor any Cilium in the matrix supports; the K3s and kind lines end here. */
const NEWEST_KUBERNETES = "1.36";

/** Cilium releases, oldest first. 1.16.19 stays for existing stacks (the seeds' line), 1.17.18 is the step from it. */
export const CILIUM_RELEASES: readonly ChartRelease[] = [
    { version: "1.16.19", kubernetes: { min: "1.27", max: "1.30" }, note: "the seeds' line, for existing stacks (upstream end of life)" },
    { version: "1.17.18", kubernetes: { min: "1.29", max: "1.32" }, note: "the upgrade step from 1.16 (range not verified offline)" },
    { version: "1.18.12", kubernetes: { min: "1.30", max: "1.33" }, note: "oldest upstream-supported minor" },
    { version: "1.19.6", kubernetes: { min: "1.31", max: "1.34" }, note: "newest minor with verified CRDs" },
    { version: "1.20.0", kubernetes: { min: "1.33", max: "1.36" }, note: "newest minor; the only one for Kubernetes 1.35/1.36" },
];

/** vCluster releases, oldest first. */
export const VCLUSTER_RELEASES: readonly VClusterRelease[] = [
    { version: "0.20.6", line: "0.20", distro: "k3s", tenantFence: "chart", kubernetes: { min: "1.27", max: "1.30" }, note: "the seeds' line, for existing tenants (host range not verified offline)" },
    { version: "0.36.1", line: "0.36", distro: "k8s", tenantFence: "kubeloom", kubernetes: { min: "1.34", max: "1.36" }, note: "newest release; k8s distro only" },
];

/** MetalLB releases, oldest first. */
export const METALLB_RELEASES: readonly ChartRelease[] = [
    { version: "0.14.9", kubernetes: { min: "1.19", max: NEWEST_KUBERNETES }, note: "the seeds' line, for existing stacks" },
    { version: "0.16.1", kubernetes: { min: "1.19", max: NEWEST_KUBERNETES }, note: "newest release" },
];

/**
 * K3s lines, oldest first: every Kubernetes minor some Cilium in the matrix supports (1.27–1.36). The examples
 * of 1.30–1.36 are stable-channel releases named in k3s-io/k3s channel updates (#11186, #11855, #13642,
 * #14091, #14553), 1.28's is the seeds'; 1.27's and 1.29's are the lines' last patches as remembered, not verified
 * offline. Only the line is checked, never the patch. 1.37 (newest v1.37.2+k3s1) is left out: no Cilium here
 * supports it.
 */
export const K3S_LINES: readonly K3sLine[] = [
    { kubernetes: "1.27", example: "v1.27.16+k3s1" },
    { kubernetes: "1.28", example: "v1.28.13+k3s1" },
    { kubernetes: "1.29", example: "v1.29.15+k3s1" },
    { kubernetes: "1.30", example: "v1.30.6+k3s1" },
    { kubernetes: "1.31", example: "v1.31.6+k3s1" },
    { kubernetes: "1.32", example: "v1.32.12+k3s1" },
    { kubernetes: "1.33", example: "v1.33.8+k3s1" },
    { kubernetes: "1.34", example: "v1.34.4+k3s1" },
    { kubernetes: "1.35", example: "v1.35.5+k3s1" },
    { kubernetes: "1.36", example: "v1.36.4+k3s1" },
];

/** One supported kind node line; any `kindest/node:v1.<minor>.<patch>` image (digest allowed) of it is accepted. */
export interface KindNodeLine {
    /** The Kubernetes minor of the line, e.g. "1.36". */
    readonly kubernetes: string;
    /** A node image of the line that a kind release published. */
    readonly example: string;
}

/**
 * kind node lines: the same Kubernetes minors as K3S_LINES. Examples are the images kind releases published
 * (v0.24.0: 1.27–1.31; v0.27.0: 1.32.2; v0.29.0: 1.33.1; v0.30.0: 1.34.0; v0.31.0: 1.35.0; v0.32.0: 1.36.1), as
 * remembered and from kubernetes-sigs/kind#4248 for 1.36.1 — none of the digests can be checked offline. Only the
 * line is checked, never the patch.
 */
export const KIND_NODE_LINES: readonly KindNodeLine[] = [
    { kubernetes: "1.27", example: "kindest/node:v1.27.16" },
    { kubernetes: "1.28", example: "kindest/node:v1.28.13" },
    { kubernetes: "1.29", example: "kindest/node:v1.29.8" },
    { kubernetes: "1.30", example: "kindest/node:v1.30.4" },
    { kubernetes: "1.31", example: "kindest/node:v1.31.0" },
    { kubernetes: "1.32", example: "kindest/node:v1.32.2" },
    { kubernetes: "1.33", example: "kindest/node:v1.33.1" },
    { kubernetes: "1.34", example: "kindest/node:v1.34.0" },
    { kubernetes: "1.35", example: "kindest/node:v1.35.0" },
    { kubernetes: "1.36", example: "kindest/node:v1.36.1" },
];

/**
 * The default K3s release: v1.36.4+k3s1, the stable channel since k3s-io/k3s#14553 (2026-08-27), the newest channel
 * update found offline; a later 1.36 patch may be stable by now (check https://update.k3s.io/v1-release/channels).
 * Kubernetes 1.34 and older are past upstream end of life on 2026-12-02, so the default line is 1.36.
 */
export const K3S_DEFAULT = "v1.36.4+k3s1";

/**
 * The default kind node image: Kubernetes 1.36 like K3S_DEFAULT. kindest/node:v1.36.1 is the image kind v0.32.0
 * defaults to (kubernetes-sigs/kind#4248 discussion); its digest cannot be checked offline, so it is not pinned.
 */
export const KIND_NODE_DEFAULT = "kindest/node:v1.36.1";

/**
 * Default chart versions: the newest releases that support the default K3s line (Kubernetes 1.36). Only Cilium
 * 1.20.0 does (1.19.6 ends at 1.34); vCluster 0.36.1 (hosts 1.34–1.36); MetalLB 0.16.1.
 */
export const MATRIX_DEFAULTS = {
    cilium: "1.20.0",
    vcluster: "0.36.1",
    metallb: "0.16.1",
    k3s: K3S_DEFAULT,
    kindNode: KIND_NODE_DEFAULT,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Reading versions

/**
 * One number of a version as releases write it: no leading zeros (`1.036.4` or `+k3s01` is no release's version, and
 * read as a number it would pass for 1.36.4). Every version pattern is built from it.
 */
export const VERSION_NUMBER = "(?:0|[1-9]\\d*)";
/** `major.minor[.patch]` at the start of a version or after `v` / `:`, each number without leading zeros. */
const VERSION_PREFIX = new RegExp(`(?:^|[:v])v?(${VERSION_NUMBER})\\.(${VERSION_NUMBER})(?:\\.(${VERSION_NUMBER}))?(?![0-9])`);

/**
 * "major.minor" of a version string: "1.16.19" → "1.16", "v1.36.4+k3s1" → "1.36", "kindest/node:v1.36.1" → "1.36",
 * "0.36.1" → "0.36". Undefined when there is no `<digits>.<digits>` in it.
 */
export function minorOf(version: string): string | undefined {
    const parts = versionParts(version);
    return parts ? `${parts[0]}.${parts[1]}` : undefined;
}

/** Numeric [major, minor, patch] of a version string (missing parts 0); undefined when it has no major.minor. */
export function versionParts(version: string): [number, number, number] | undefined {
    const match = VERSION_PREFIX.exec(version);
    return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

/** Orders two versions by major, minor, patch (-1, 0, 1); unparseable ones sort first. */
export function compareVersions(a: string, b: string): number {
    const [pa, pb] = [versionParts(a) ?? [-1, -1, -1], versionParts(b) ?? [-1, -1, -1]];
    for (let i = 0; i < 3; i++) {
        if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
    }
    return 0;
}

/**
 * How many minors `to` is ahead of `from` on the same major (1.16 → 1.18 is 2; a downgrade is negative); undefined
 * across majors or for unparseable versions. For the one-minor-at-a-time upgrade rule.
 */
export function minorDistance(from: string, to: string): number | undefined {
    const [a, b] = [versionParts(from), versionParts(to)];
    if (!a || !b || a[0] !== b[0]) return undefined;
    return b[1] - a[1];
}

/** Whether Kubernetes `version` (any form minorOf reads) lies in the range. */
export function supportsKubernetes(range: KubernetesRange, version: string): boolean {
    const minor = minorOf(version);
    if (minor === undefined) return false;
    return compareVersions(minor, range.min) >= 0 && compareVersions(minor, range.max) <= 0;
}

/** "1.33–1.36". */
export function formatRange(range: KubernetesRange): string {
    return range.min === range.max ? range.min : `${range.min}–${range.max}`;
}

/** Every Kubernetes minor of a range, oldest first ("1.33", "1.34", ...). */
export function kubernetesMinors(range: KubernetesRange): string[] {
    const [min, max] = [versionParts(range.min)!, versionParts(range.max)!];
    const minors: string[] = [];
    for (let minor = min[1]; minor <= max[1]; minor++) minors.push(`${min[0]}.${minor}`);
    return minors;
}

// ---------------------------------------------------------------------------------------------------------------
// Lookups

/** The chart releases of a component, oldest first. */
export function chartReleases(component: "cilium" | "vcluster" | "metallb"): readonly ChartRelease[] {
    switch (component) {
        case "cilium":
            return CILIUM_RELEASES;
        case "vcluster":
            return VCLUSTER_RELEASES;
        case "metallb":
            return METALLB_RELEASES;
    }
}

/** Supported versions of a component, oldest first: exact chart versions, or Kubernetes lines for k3s / kind. */
export function supportedVersions(component: MatrixComponent): string[] {
    switch (component) {
        case "cilium":
        case "vcluster":
        case "metallb":
            return chartReleases(component).map((r) => r.version);
        case "k3s":
            return K3S_LINES.map((line) => `v${line.kubernetes}.x+k3sN`);
        case "kind":
            return KIND_NODE_LINES.map((line) => `kindest/node:v${line.kubernetes}.x`);
    }
}

/**
 * The release of the next minor after `version` (1.16.19 → 1.17.18; vCluster 0.20.6 → 0.36.1, the next release the
 * matrix has), or undefined at the newest. For upgrade messages that name the next allowed step.
 */
export function nextRelease(component: "cilium" | "vcluster" | "metallb", version: string): ChartRelease | undefined {
    const minor = minorOf(version);
    return chartReleases(component).find((r) => minor !== undefined && compareVersions(minorOf(r.version)!, minor) > 0);
}

/** The Cilium release of exactly this version (a leading v is ignored), or undefined when it is not in the matrix. */
export function ciliumRelease(version: string): ChartRelease | undefined {
    return CILIUM_RELEASES.find((r) => r.version === version.replace(/^v/, ""));
}

/** The vCluster release of exactly this version, or undefined. */
export function vclusterRelease(version: string): VClusterRelease | undefined {
    return VCLUSTER_RELEASES.find((r) => r.version === version.replace(/^v/, ""));
}

/** The chart line of a vcluster version (`0.20.6` → "0.20"); undefined for a line the matrix does not have. */
export function vclusterLine(version: string): VClusterLine | undefined {
    const minor = minorOf(version);
    return VCLUSTER_RELEASES.find((r) => r.line === minor)?.line;
}

/**
 * Who writes a tenant's fence when it is isolated (VCLUSTER_RELEASES `tenantFence`), and why:
 * - 0.20: the chart (`policies.networkPolicy.enabled`). Its policies fence egress only (v0.20.6
 *   chart/templates/networkpolicy.yaml vc-work, vc-cp), so Kubeloom's ingress isolation decides who reaches a pod.
 * - 0.36: Kubeloom. The chart's vc-work policy also has an ingress rule admitting every pod of the tenant (v0.36.1
 *   chart/templates/networkpolicy.yaml, "Allow ingress from other vcluster workloads") on all ports; no value
 *   removes it, and that L3 allowance would void the L7 rules of the tenant's own ingress policies (Cilium
 *   wildcards L7 rules for peers an L3 rule allows: docs/security/policy/layer7). So the chart's policies stay off
 *   and Kubeloom writes their equivalent (tenant-fence.ts tenantFencePolicies) beside its ingress isolation, which
 *   leaves out the pods a tenant ingress policy selects.
 */
export function tenantFenceOwner(line: VClusterLine): TenantFenceOwner {
    const release = VCLUSTER_RELEASES.find((r) => r.line === line);
    if (!release) throw new Error(`vCluster line ${line} is not in the support matrix`);
    return release.tenantFence;
}

/**
 * The oldest Cilium minor whose LB-IPAM Kubeloom drives (`loadBalancer.cilium`): CiliumLoadBalancerIPPool is
 * `cilium.io/v2` from 1.18 (the 1.18.10 CRD serves v2 as the storage version; cilium-lbipam.ts writes v2).
 */
export const LBIPAM_MIN_CILIUM = "1.18";

/** Whether a Cilium version has the LB-IPAM Kubeloom drives (LBIPAM_MIN_CILIUM or newer). */
export function supportsLbIpam(ciliumVersion: string): boolean {
    const minor = minorOf(ciliumVersion);
    return minor !== undefined && compareVersions(minor, LBIPAM_MIN_CILIUM) >= 0;
}

/** The first vcluster chart without the k3s distro (deprecated from 0.25; the 0.36.1 values.yaml has only k8s). */
export const VCLUSTER_K3S_REMOVED_IN = "0.33.0";

/**
 * The distro a vCluster version runs, for versions outside the matrix too (a deployed tenant's): the matrix
 * release's, else k3s before VCLUSTER_K3S_REMOVED_IN and k8s from it.
 */
export function vclusterDistro(version: string): VClusterDistro {
    return vclusterRelease(version)?.distro ?? (compareVersions(version, VCLUSTER_K3S_REMOVED_IN) < 0 ? "k3s" : "k8s");
}

/** The MetalLB release of exactly this version, or undefined. */
export function metallbRelease(version: string): ChartRelease | undefined {
    return METALLB_RELEASES.find((r) => r.version === version.replace(/^v/, ""));
}

/** The K3s line a `v1.<minor>.<patch>+k3s<n>` version belongs to, or undefined when the line is not supported. */
export function k3sLine(version: string): K3sLine | undefined {
    const minor = minorOf(version);
    return K3S_LINES.find((line) => line.kubernetes === minor);
}

/** The Kubernetes minor of a kind node image (`kindest/node:v1.36.1`, digest allowed), or undefined. */
export function kindNodeKubernetes(image: string): string | undefined {
    const match = new RegExp(`:v(${VERSION_NUMBER}\\.${VERSION_NUMBER})\\.${VERSION_NUMBER}(?:@sha256:[0-9a-f]{64})?$`).exec(image);
    return match ? minorOf(match[1]) : undefined;
}

/** The kind node line of an image, or undefined when its tag is not `v1.<minor>.<patch>` of a supported line. */
export function kindNodeLine(image: string): KindNodeLine | undefined {
    const minor = kindNodeKubernetes(image);
    return KIND_NODE_LINES.find((line) => line.kubernetes === minor);
}

/** Kubernetes minors every listed release supports together (their intersection), oldest first. */
export function commonKubernetes(ranges: readonly KubernetesRange[]): string[] {
    if (ranges.length === 0) return [];
    const [first, ...rest] = ranges;
    return kubernetesMinors(first).filter((minor) => rest.every((range) => supportsKubernetes(range, minor)));
}

/** Newest Kubernetes minor of the matrix (the end of the K3s and kind lines). */
export const MATRIX_NEWEST_KUBERNETES = NEWEST_KUBERNETES;

/** Versions pinned for a combination; unpinned chart components are chosen. */
export interface CombinationPins {
    readonly cilium?: string;
    readonly vcluster?: string;
    readonly metallb?: string;
    /** A Kubernetes minor ("1.34"). */
    readonly kubernetes?: string;
}

/** A combination the matrix supports: one Kubernetes minor and a release of each chart that runs on it. */
export interface Combination {
    readonly kubernetes: string;
    readonly cilium: string;
    /** Undefined only when the combination was asked for without vClusters and none runs on this minor. */
    readonly vcluster?: string;
    /** Undefined only when the combination was asked for without MetalLB and none runs on this minor. */
    readonly metallb?: string;
    /** A K3s release of the line (K3S_LINES example). */
    readonly k3s: string;
    /** A kind node image of the line (KIND_NODE_LINES example). */
    readonly kindNode: string;
}

/**
 * The newest supported combination containing the pinned versions: the newest Kubernetes minor that every pinned
 * release supports and on which every other chart has a release, with the newest such releases. Undefined when the
 * pins cannot be combined (e.g. Cilium 1.16.19 with vCluster 0.36.1). `uses` names the optional charts the stack
 * installs: only those must have a release on the chosen minor. Used for the docs/support-matrix.md table and the tests' stack
 * variants.
 */
export function newestCombination(pins: CombinationPins = {}, uses: ReadonlyArray<"vcluster" | "metallb"> = ["vcluster", "metallb"]): Combination | undefined {
    const pick = (releases: readonly ChartRelease[], pinned: string | undefined, minor: string) =>
        pinned !== undefined
            ? releases.find((r) => r.version === pinned && supportsKubernetes(r.kubernetes, minor))
            : [...releases].reverse().find((r) => supportsKubernetes(r.kubernetes, minor));
    for (const line of [...K3S_LINES].reverse()) {
        const minor = line.kubernetes;
        if (pins.kubernetes !== undefined && pins.kubernetes !== minor) continue;
        const [cilium, vcluster, metallb] = [pick(CILIUM_RELEASES, pins.cilium, minor), pick(VCLUSTER_RELEASES, pins.vcluster, minor), pick(METALLB_RELEASES, pins.metallb, minor)];
        const kind = KIND_NODE_LINES.find((l) => l.kubernetes === minor);
        const missing = (uses.includes("vcluster") && !vcluster) || (uses.includes("metallb") && !metallb) || (pins.vcluster !== undefined && !vcluster) || (pins.metallb !== undefined && !metallb);
        if (cilium && kind && !missing) {
            return { kubernetes: minor, cilium: cilium.version, vcluster: vcluster?.version, metallb: metallb?.version, k3s: line.example, kindNode: kind.example };
        }
    }
    return undefined;
}
