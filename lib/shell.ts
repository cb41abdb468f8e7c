/**
 * Ground-floor helpers for the shell scripts Kubeloom generates: quoting, the common preamble (fail closed, one
 * `kubeloom: …` line per failure) and the kubectl prologue of the scripts run on the machine running Pulumi.
 *
 * Every generated script is POSIX sh (dash as well as bash). Time limits are shell parameters with a production
 * default, overridable from the environment (tests set them to a few seconds): `${KUBELOOM_X:-default}`.
 */

/** Quotes a value for POSIX sh: single quotes, each embedded `'` written as `'"'"'`. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Turns pipefail on where the shell has it (bash, recent dash); a no-op elsewhere. */
export const PIPEFAIL_LINE = "(set -o pipefail) 2>/dev/null && set -o pipefail";

/** Signals on which a script exits through its EXIT trap, so temp files with credentials are removed. */
export const TRAPPED_SIGNALS = "INT TERM HUP";

/**
 * `set -eu`, pipefail where available, and `fail MESSAGE…`: prints exactly one `kubeloom: <prefix>: MESSAGE` line on
 * stderr and exits 1. `prefix` names the script (e.g. "K3s server install"); quoted here, so any text is safe.
 */
export function scriptPreamble(prefix: string): string[] {
    return [
        "set -eu",
        PIPEFAIL_LINE,
        `kubeloom_where=${shellQuote(prefix)}`,
        `fail() { printf 'kubeloom: %s: %s\\n' "$kubeloom_where" "$*" >&2; exit 1; }`,
    ];
}

/**
 * A time limit in seconds: `${envName:-defaultSeconds}` assigned to `variable`, refused unless it is a positive
 * integer (a typo in an override must not turn into "no limit").
 */
export function timeLimit(variable: string, envName: string, defaultSeconds: number): string[] {
    return [
        `${variable}=\${${envName}:-${defaultSeconds}}`,
        `case "$${variable}" in ''|*[!0-9]*|0) fail "${envName} must be a positive number of seconds, got '$${variable}'" ;; esac`,
    ];
}

/** Environment variable that carries the kubeconfig (secret) into the scripts run on the machine running Pulumi. */
export const KUBECONFIG_ENV = "KUBELOOM_KUBECONFIG";

/** Production default of KUBELOOM_KUBECTL_TIMEOUT: seconds one kubectl request may take (--request-timeout). */
export const DEFAULT_KUBECTL_TIMEOUT_SECONDS = 60;

/**
 * Lines that, after `scriptPreamble`, stop with `missingKubectlMessage` when kubectl is missing, then write the
 * kubeconfig from KUBECONFIG_ENV to a mode-600 temporary file ($kubeconfig) and define `k` (kubectl with it and a
 * request timeout). The caller must define `kubeconfig=""` and a `cleanup` function that removes "$kubeconfig"
 * before these lines; it runs on EXIT, and INT/TERM/HUP exit through it.
 */
export function kubectlPrologue(missingKubectlMessage: string): string[] {
    return [
        `command -v kubectl >/dev/null 2>&1 || fail ${shellQuote(missingKubectlMessage)}`,
        ...timeLimit("kubectl_timeout", "KUBELOOM_KUBECTL_TIMEOUT", DEFAULT_KUBECTL_TIMEOUT_SECONDS),
        "trap cleanup EXIT",
        // A signal ends the script through `exit`, so the EXIT trap still removes the file (and what else cleanup does).
        `trap 'exit 1' ${TRAPPED_SIGNALS}`,
        // umask before mktemp: the file holding the client key is never readable by others, not even briefly.
        "umask 077",
        'kubeconfig=$(mktemp) || fail "cannot create a temporary file for the kubeconfig"',
        `printf '%s\\n' "$${KUBECONFIG_ENV}" > "$kubeconfig"`,
        'k() { kubectl --kubeconfig "$kubeconfig" --request-timeout="${kubectl_timeout}s" "$@"; }',
    ];
}

/**
 * Minutes a Pulumi Command is allowed beyond its script's own worst case: SSH connection set-up, process start,
 * a login shell's start-up files. The Pulumi limit is the backstop for what the script cannot bound itself.
 */
export const COMMAND_TIMEOUT_MARGIN_MINUTES = 5;

/**
 * The `customTimeouts` duration of a Command whose script ends within `maxSeconds` (its own documented limits):
 * whole minutes rounded up plus COMMAND_TIMEOUT_MARGIN_MINUTES, e.g. 1920 s → "37m". The one place a script's bound
 * becomes a Pulumi timeout, so the two cannot drift apart.
 */
export function commandTimeout(maxSeconds: number): string {
    if (!Number.isFinite(maxSeconds) || maxSeconds < 0) throw new Error(`commandTimeout: maxSeconds must be a non-negative number, got ${maxSeconds}`);
    return `${Math.ceil(maxSeconds / 60) + COMMAND_TIMEOUT_MARGIN_MINUTES}m`;
}
