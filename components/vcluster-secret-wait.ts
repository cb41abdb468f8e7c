/**
 * Pure builder of the script that waits, with kubectl on the machine running Pulumi, until a vCluster's kubeconfig
 * Secret `vc-<name>` holds its `config` key. The syncer writes that Secret after the vCluster's proxy already answers
 * readiness, so Helm's wait can end first (issue 11 failure 5); vCluster's own CLI polls for it as well.
 * The script never prints the Secret: kubectl only answers whether `data.config` is set.
 */
import { shellQuote } from "../lib/shell";
import { kubectlPollScript } from "./kubectl-poll";

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
 * POSIX sh: polls `kubectl get secret` every interval until `data.config` is set or the timeout passes
 * (kubectlPollScript: NotFound waited out, Forbidden fails at once, one `kubeloom:` line naming the tenant, the
 * Secret and kubectl's last error on timeout). The host kubeconfig comes from KUBELOOM_KUBECONFIG.
 */
export function vclusterSecretWaitScript(input: VClusterSecretWaitInput): string {
    const secret = `${input.namespace}/${input.secretName}`;
    return kubectlPollScript({
        where: `vCluster ${input.tenant}`,
        what: `the kubeconfig Secret ${secret}`,
        getArgs: `-n ${shellQuote(input.namespace)} get secret ${shellQuote(input.secretName)}`,
        // Prints "present" only when data.config is non-empty; the Secret's value never reaches stdout.
        template: "{{if .data}}{{if .data.config}}present{{end}}{{end}}",
        expect: "present",
        doneMessage: `kubeconfig Secret ${secret} of vCluster ${input.tenant} is present`,
        pendingMessage: "the Secret exists but has no config key yet",
        readFailure: `Secret ${secret}`,
        timeoutSubject: `kubeconfig Secret ${secret} did not appear`,
        limits: { ...VCLUSTER_SECRET_WAIT, timeoutEnv: "KUBELOOM_VCLUSTER_SECRET_TIMEOUT", intervalEnv: "KUBELOOM_VCLUSTER_SECRET_INTERVAL" },
    });
}
