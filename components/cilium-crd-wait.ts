/**
 * Pure builder of the script that waits until a Cilium CRD is Established. Cilium's CRDs are not in its chart: the
 * operator registers them once it runs (cilium-operator's CRD registration, on by default), and Kubeloom's LB-IPAM
 * pools and L2 policy are applied beside the Cilium release, not after it (see CiliumLoadBalancer). The Kubernetes
 * provider retries a create that meets an unknown kind only about a minute (pulumi-kubernetes await.Creation:
 * sleepingRetry, 6 tries, 1 s doubling), less than an operator image pull on a fresh node can take; this wait is
 * the bounded, named alternative.
 */
import { shellQuote } from "../lib/shell";
import { kubectlPollScript } from "./kubectl-poll";

/** Production defaults (seconds), overridable by KUBELOOM_CILIUM_CRD_TIMEOUT / _INTERVAL. */
export const CILIUM_CRD_WAIT = { timeoutSeconds: 600, intervalSeconds: 5 } as const;

/** The CRDs of the LB-IPAM objects Kubeloom creates, by kind. */
export const LBIPAM_CRDS = {
    CiliumLoadBalancerIPPool: "ciliumloadbalancerippools.cilium.io",
    CiliumL2AnnouncementPolicy: "ciliuml2announcementpolicies.cilium.io",
} as const;

/** POSIX sh: polls the CRD until its Established condition is True (kubectlPollScript for the failure rules). */
export function ciliumCrdWaitScript(input: { readonly cluster: string; readonly crd: string }): string {
    return kubectlPollScript({
        where: `Cilium on ${input.cluster}`,
        what: `the CRD ${input.crd}`,
        getArgs: `get crd ${shellQuote(input.crd)}`,
        template: '{{range .status.conditions}}{{if and (eq .type "Established") (eq .status "True")}}established{{end}}{{end}}',
        expect: "established",
        doneMessage: `CRD ${input.crd} is established on ${input.cluster}`,
        pendingMessage: "the CRD exists but is not Established yet",
        readFailure: `CRD ${input.crd}`,
        timeoutSubject: `CRD ${input.crd} (registered by the Cilium operator) was not established`,
        limits: { ...CILIUM_CRD_WAIT, timeoutEnv: "KUBELOOM_CILIUM_CRD_TIMEOUT", intervalEnv: "KUBELOOM_CILIUM_CRD_INTERVAL" },
    });
}
