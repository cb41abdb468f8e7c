/**
 * Pre-flight `l7-voided`: an HTTP rule of a rendered CiliumNetworkPolicy that a NetworkPolicy or another policy's
 * L3/L4 rule of the same namespace voids (the rule and its reasons: config/l7-voiding.ts).
 */
import { voidedHttpRuleMessage, voidedHttpRules } from "../../../config/l7-voiding";
import { ClusterModel, describe, Finding, PlacedObject } from "./model";

/** Errors for the voided HTTP rules among a cluster's objects. */
export function checkVoidedL7Rules(cluster: ClusterModel, objects: readonly PlacedObject[]): Finding[] {
    return voidedHttpRules(objects).map((v) => ({
        severity: "error" as const,
        cluster: cluster.name,
        object: describe(v.policy as PlacedObject),
        check: "l7-voided",
        message: voidedHttpRuleMessage(v),
    }));
}
