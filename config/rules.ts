/**
 * Cross-field rules of the stack config: what a single field's schema cannot see (uniqueness, overlaps, a
 * setting that needs another). Each rule returns issues with the key path of the value to change.
 *
 * The rules live in config/rules/ by concern (cluster, source, Cilium, tenants, mesh); this file holds the one
 * ordered table, so messages keep their order whichever file a rule is in.
 */
import type { ConfigIssue } from "./config-error";
import type { StackConfig } from "./schema";
import type { Rule } from "./rules/rule";
import { addressIssues } from "./address-rules";
import { registryRules } from "./port-registry";
import { derivedNameIssues } from "./derived-names";
import { clusterIdRange, podAndServiceCidrsApart, supportMatrixCombinations, uniqueClusterNamesAndIds } from "./rules/cluster-rules";
import { ciliumManagedElsewhere, existingClusterApiEndpoint, k3sTopology, kubeProxyReplacementNeedsApiHost, secretsPresent } from "./rules/source-rules";
import { chainingConsistent, ciliumLoadBalancer, hubbleConsistent, operatorReplicasFit } from "./rules/cilium-rules";
import { vclustersConsistent } from "./rules/tenant-rules";
import { k3sDay2Settings } from "./rules/k3s-day2-rules";
import { loadBalancersServed, meshRules, settingsWithoutEffect } from "./rules/mesh-rules";
import { ciliumFeatureIssues } from "./rules/cilium-feature-rules";

/** Every cross-field rule, in the order their messages are reported. */
export const CROSS_FIELD_RULES: readonly Rule[] = [
    uniqueClusterNamesAndIds,
    clusterIdRange,
    supportMatrixCombinations,
    podAndServiceCidrsApart,
    addressIssues,
    registryRules,
    kubeProxyReplacementNeedsApiHost,
    existingClusterApiEndpoint,
    secretsPresent,
    k3sTopology,
    k3sDay2Settings,
    ciliumManagedElsewhere,
    vclustersConsistent,
    hubbleConsistent,
    operatorReplicasFit,
    chainingConsistent,
    meshRules,
    settingsWithoutEffect,
    loadBalancersServed,
    ciliumLoadBalancer,
    ciliumFeatureIssues,
    derivedNameIssues,
];

/** Runs every cross-field rule on a config whose fields are individually valid. */
export function crossFieldIssues(config: StackConfig): ConfigIssue[] {
    return CROSS_FIELD_RULES.flatMap((rule) => rule(config));
}
