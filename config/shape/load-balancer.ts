/**
 * The `loadBalancer` block of a cluster: MetalLB (installed on mesh members) or Cilium's LB-IPAM, never both.
 */
import { z } from "zod";
import { DEFAULT_VERSIONS } from "../../components/versions";
import { metallbVersion, chartValues, valuesFilePath } from "./fields";
import { LBIPAM_MIN_CILIUM } from "../../components/support-matrix";

export const metallbConfig = z.strictObject({
    version: metallbVersion.default(DEFAULT_VERSIONS.metallb).describe("MetalLB chart release from the support matrix."),
    addresses: z.array(z.string()).min(1, "must list at least one CIDR or range").describe("The pool: CIDRs or a.b.c.d-e.f.g.h ranges in the nodes' network."),
    values: chartValues.describe("The metallb chart's own values over the chart's defaults (maps merge, lists and scalars replace); checked against the owned keys and the chart release."),
    valuesFile: valuesFilePath.describe("A YAML file of metallb chart values (path relative to the project), merged under `values`."),
});

export const ciliumLoadBalancerConfig = z.strictObject({
    addresses: z.array(z.string()).min(1, "must list at least one CIDR or range").describe("Pool entries, the same forms as loadBalancer.metallb.addresses: CIDRs or a.b.c.d-e.f.g.h ranges."),
    devices: z.array(z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_.+]{0,14}$/, "must be a network interface name like eth0")).default([]).describe("The agent's `devices`, which must include the NIC that answers ARP for the addresses; also the L2 policy's interfaces. Default: Cilium's auto-detection and every interface."),
});

/** A cluster's `loadBalancer` block. */
export const loadBalancerConfig = z.strictObject({
    metallb: metallbConfig.optional().describe("MetalLB with one address pool (its first address is the default clustermesh-apiserver address)."),
    cilium: ciliumLoadBalancerConfig.optional().describe(`Cilium LB-IPAM + L2 announcements instead of MetalLB (Cilium ≥ ${LBIPAM_MIN_CILIUM}, kube-proxy replacement).`),
});

export type MetallbConfig = z.output<typeof metallbConfig>;
export type CiliumLoadBalancerConfig = z.output<typeof ciliumLoadBalancerConfig>;
