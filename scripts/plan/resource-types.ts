/**
 * Pulumi type tokens the scripts recognise plan entries by. One home, so the plan, its rendering, pre-flight and
 * plan:diff can never disagree on which entries are Helm releases. The token is @pulumi/kubernetes' own
 * (`k8s.helm.v3.Release`); test/scripts/resource-types.test.ts checks it against the SDK.
 */

/** The apiVersion of a Helm release (pre-flight models each release as an object of it). */
export const HELM_RELEASE_API_VERSION = "helm.sh/v3";

/** The Pulumi type of a Helm release (`k8s.helm.v3.Release`) in a plan. */
export const HELM_RELEASE_TYPE = `kubernetes:${HELM_RELEASE_API_VERSION}:Release`;
