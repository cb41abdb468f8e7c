/**
 * Pure builder of a bounded kubectl poll, run on the machine running Pulumi: one `kubectl get … -o go-template=…`
 * every interval until its output is the expected text, or fail with one `kubeloom:` line after the timeout.
 * NotFound and transport errors are waited out (what is polled may still be starting); Forbidden/Unauthorized fail
 * at once, since waiting cannot fix credentials. The go-template decides what is printed, so a poll never prints an
 * object's data (e.g. a Secret's). The kubeconfig comes from KUBELOOM_KUBECONFIG (kubectlPrologue).
 * Used by the vCluster kubeconfig Secret wait and the Cilium CRD wait.
 */
import { kubectlPrologue, scriptPreamble, shellQuote, timeLimit } from "../lib/shell";

/** A poll's limits: production defaults (seconds) and the environment variables that override them. */
export interface PollLimits {
    readonly timeoutSeconds: number;
    readonly intervalSeconds: number;
    readonly timeoutEnv: string;
    readonly intervalEnv: string;
}

/** What one poll asks and says. */
export interface KubectlPollInput {
    /** Prefix of every failure line, e.g. "vCluster vc-a". */
    readonly where: string;
    /** Completes "kubectl is not installed …; it is needed to wait for <what>". */
    readonly what: string;
    /** kubectl arguments before `-o` as shell text, values quoted by the caller (shellQuote), e.g. `get crd 'a'`. */
    readonly getArgs: string;
    /** The go-template; its output is compared with `expect`. */
    readonly template: string;
    readonly expect: string;
    /** Printed on success. */
    readonly doneMessage: string;
    /** `last` when kubectl answers but the output is not yet `expect`. */
    readonly pendingMessage: string;
    /** Completes "cannot read <readFailure>:" on Forbidden/Unauthorized. */
    readonly readFailure: string;
    /** Starts the timeout line: "<timeoutSubject> within Ns (ENV); last: …", e.g. "Secret x did not appear". */
    readonly timeoutSubject: string;
    readonly limits: PollLimits;
}

/** A word for sh: bare when it holds only characters sh never treats specially, quoted otherwise. */
function shellWord(value: string): string {
    return /^[A-Za-z0-9_.,:\/=+-]+$/.test(value) ? value : shellQuote(value);
}

/** POSIX sh for one bounded poll (see the module comment). */
export function kubectlPollScript(input: KubectlPollInput): string {
    const { limits } = input;
    return [
        'kubeconfig=""',
        'cleanup() { [ -z "$kubeconfig" ] || rm -f "$kubeconfig"; }',
        ...scriptPreamble(input.where),
        ...kubectlPrologue(`kubectl is not installed on the machine running Pulumi; it is needed to wait for ${input.what}`),
        ...timeLimit("wait_timeout", limits.timeoutEnv, limits.timeoutSeconds),
        ...timeLimit("wait_interval", limits.intervalEnv, limits.intervalSeconds),
        "started=$(date +%s)",
        'last="no answer yet"',
        "while :; do",
        `  if out=$(k ${input.getArgs} -o ${shellQuote(`go-template=${input.template}`)} 2>&1); then`,
        `    if [ "$out" = ${shellWord(input.expect)} ]; then`,
        `      printf '%s\\n' ${shellQuote(input.doneMessage)}`,
        "      exit 0",
        "    fi",
        `    last=${shellQuote(input.pendingMessage)}`,
        "  else",
        // One line per failure: kubectl's first line is its message.
        '    last=$(printf \'%s\\n\' "$out" | head -n 1)',
        '    case "$last" in',
        `      *"(Forbidden)"*|*"(Unauthorized)"*) fail ${shellQuote(`cannot read ${input.readFailure}:`)} "$last" ;;`,
        "    esac",
        "  fi",
        '  if [ $(( $(date +%s) - started )) -ge "$wait_timeout" ]; then',
        `    fail ${shellQuote(`${input.timeoutSubject} within`)} "\${wait_timeout}s (${limits.timeoutEnv}); last: $last"`,
        "  fi",
        '  sleep "$wait_interval"',
        "done",
        "",
    ].join("\n");
}
