/**
 * Which load balancer assigns a cluster's LoadBalancer addresses, and how a Service asks it for a pre-planned one.
 * One home for the choice, so the clustermesh-apiserver and LoadBalancer vClusters request addresses alike.
 */
import { assertNever } from "../lib/assert-never";
import { LBIPAM_IPS_ANNOTATION, RESERVED_SERVICE_LABEL } from "./cilium-lbipam";

/** MetalLB (installed by Kubeloom on mesh members) or Cilium's LB-IPAM with L2 announcements (Cilium ≥ LBIPAM_MIN_CILIUM, support-matrix.ts). */
export type LoadBalancerProvider = "metallb" | "cilium";

/** The provider asked when none is named: MetalLB, unless a cluster declares LB-IPAM (`loadBalancer.cilium`). */
export const DEFAULT_LOAD_BALANCER_PROVIDER: LoadBalancerProvider = "metallb";

/** MetalLB's address-request annotation: `metallb.io/` only exists from 0.14.9; this prefix works on all 0.14.x. */
export const METALLB_IPS_ANNOTATION = "metallb.universe.tf/loadBalancerIPs";

/**
 * Service metadata that requests `address`: MetalLB's annotation (never also spec.loadBalancerIP, which MetalLB
 * refuses together with it), or LB-IPAM's annotation plus the label that admits the Service to Kubeloom's reserved
 * pool (cilium-lbipam.ts).
 */
export function addressRequest(provider: LoadBalancerProvider, address: string): { annotations: Record<string, string>; labels?: Record<string, string> } {
    switch (provider) {
        case "metallb":
            return { annotations: { [METALLB_IPS_ANNOTATION]: address } };
        case "cilium":
            return { annotations: { [LBIPAM_IPS_ANNOTATION]: address }, labels: { [RESERVED_SERVICE_LABEL]: "true" } };
        default:
            return assertNever(provider);
    }
}
