/**
 * Pure builder of the script that waits, with kubectl on the machine running Pulumi, until a vCluster's kubeconfig
 * Secret `vc-<name>` holds its `config` key. The syncer writes that Secret after the vCluster's proxy already answers
 * readiness, so Helm's wait can end first (issue 11 failure 5); vCluster's own CLI polls for it as well.
 * The script never prints the Secret: kubectl only answers whether `data.config` is set.
 */
import { kubectlPrologue, scriptPreamble, shellQuote, timeLimit } from "../lib/shell";

/** Production defaults (seconds) of the wait, overridable by KUBELOOM_VCLUSTER_SECRET_TIMEOUT / _INTERVAL. */
export const VCLUSTER_SECRET_WAIT = { timeoutSeconds: 300, intervalSeconds: 5 } as const;

/** What the wait needs: the tenant (for messages) and where its Secret lives. */
export interface VClusterSecretWaitInput {
    /** The vCluster's name, as in the config (named in every failure line). */
    readonly tenant: string;
    /** Host namespace of the vCluster (`vcluster-<name>`). */
    readonly namespace: string;
    /** The kubeconfig Secret (`vc-<name>`). */
    readonly secretName: string;
}

/**
 * POSIX sh: polls `kubectl get secret` every interval until `data.config` is set or the timeout passes. NotFound and
 * transport errors are waited out (the syncer may still be starting); Forbidden/Unauthorized fail at once, since
 * waiting cannot fix credentials. On timeout: one `kubeloom:` line naming the tenant, the Secret and kubectl's last
 * error. The host kubeconfig comes from KUBELOOM_KUBECONFIG (kubectlPrologue).
 */
export function vclusterSecretWaitScript(input: VClusterSecretWaitInput): string {
    const secret = `${input.namespace}/${input.secretName}`;
    return [
        'kubeconfig=""',
        'cleanup() { [ -z "$kubeconfig" ] || rm -f "$kubeconfig"; }',
        ...scriptPreamble(`vCluster ${input.tenant}`),
        ...kubectlPrologue(`kubectl is not installed on the machine running Pulumi; it is needed to wait for the kubeconfig Secret ${secret}`),
        ...timeLimit("wait_timeout", "KUBELOOM_VCLUSTER_SECRET_TIMEOUT", VCLUSTER_SECRET_WAIT.timeoutSeconds),
        ...timeLimit("wait_interval", "KUBELOOM_VCLUSTER_SECRET_INTERVAL", VCLUSTER_SECRET_WAIT.intervalSeconds),
        "started=$(date +%s)",
        'last="no answer yet"',
        "while :; do",
        // go-template prints "present" only when data.config is non-empty; the Secret's value never reaches stdout.
        `  if out=$(k -n ${shellQuote(input.namespace)} get secret ${shellQuote(input.secretName)} -o ${shellQuote("go-template={{if .data}}{{if .data.config}}present{{end}}{{end}}")} 2>&1); then`,
        '    if [ "$out" = present ]; then',
        `      printf '%s\\n' ${shellQuote(`kubeconfig Secret ${secret} of vCluster ${input.tenant} is present`)}`,
        "      exit 0",
        "    fi",
        `    last=${shellQuote("the Secret exists but has no config key yet")}`,
        "  else",
        // One line per failure: kubectl's first line is its message.
        '    last=$(printf \'%s\\n\' "$out" | head -n 1)',
        '    case "$last" in',
        `      *"(Forbidden)"*|*"(Unauthorized)"*) fail ${shellQuote(`cannot read Secret ${secret}:`)} "$last" ;;`,
        "    esac",
        "  fi",
        '  if [ $(( $(date +%s) - started )) -ge "$wait_timeout" ]; then',
        `    fail ${shellQuote(`kubeconfig Secret ${secret} did not appear within`)} "\${wait_timeout}s (KUBELOOM_VCLUSTER_SECRET_TIMEOUT); last: $last"`,
        "  fi",
        '  sleep "$wait_interval"',
        "done",
        "",
    ].join("\n");
}
