/**
 * Cilium's own load balancer on one cluster: the LB-IPAM pools and the L2 announcement policy (cilium-lbipam.ts).
 * The agent values that switch L2 announcements on go into the Cilium release (l2AnnouncementValues).
 *
 * Ordering: these objects are applied beside the Cilium release, never after it. Helm's wait for the Cilium
 * release ends only when the clustermesh-apiserver's LoadBalancer Service has an address, which LB-IPAM assigns
 * from these pools; waiting for the release would deadlock, as with MetalLB (MetalLB.ts). Their CRDs are created by
 * the Cilium operator once it runs, so each object first waits, bounded, for its CRD to be Established (a local
 * kubectl command, cilium-crd-wait.ts), instead of relying on the provider's one-minute create retry.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as command from "@pulumi/command";
import { createHash } from "node:crypto";
import { commandTimeout, DEFAULT_KUBECTL_TIMEOUT_SECONDS, KUBECONFIG_ENV } from "../lib/shell";
import { ciliumL2AnnouncementPolicy, ciliumLoadBalancerPools, CiliumObject } from "./cilium-lbipam";
import { CILIUM_CRD_WAIT, ciliumCrdWaitScript, LBIPAM_CRDS } from "./cilium-crd-wait";
import { COMPONENT_TYPES } from "./identity";

/** Arguments of Cilium's load balancer. */
export interface CiliumLoadBalancerArgs {
    /** Provider of the cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Name of the cluster (in the CRD waits' messages). */
    readonly clusterName: string;
    /** Kubeconfig of the cluster, for the CRD waits (passed as a secret in their environment only). */
    readonly kubeconfig: pulumi.Input<string>;
    /** Pool entries: CIDRs or `a.b.c.d-e.f.g.h` ranges on the nodes' L2 segment. */
    readonly addresses: readonly string[];
    /** Pre-planned addresses, served only to Kubeloom's labelled Services (see ciliumLoadBalancerPools). @default - none */
    readonly reservedAddresses?: readonly string[];
    /** Interfaces that announce the addresses. @default - every interface the agent uses */
    readonly interfaces?: readonly string[];
    /** The resource that created the cluster; the objects wait for it (and never for Cilium, see above). @default - none */
    readonly clusterCreator?: pulumi.Resource;
}

/** The CiliumLoadBalancerIPPool(s) and the CiliumL2AnnouncementPolicy of one cluster. */
export class CiliumLoadBalancer extends pulumi.ComponentResource {
    /** Names of the pools created. */
    public readonly poolNames: string[];
    /** The custom resources, for anything that must wait for them. */
    public readonly resources: k8s.apiextensions.CustomResource[];

    constructor(name: string, args: CiliumLoadBalancerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.CiliumLoadBalancer, name, {}, opts);
        const provider = args.provider;
        const pools = ciliumLoadBalancerPools(args.addresses, args.reservedAddresses ?? []);
        const after = args.clusterCreator ? [args.clusterCreator] : [];
        const crdWait = (kind: keyof typeof LBIPAM_CRDS) => {
            const script = ciliumCrdWaitScript({ cluster: args.clusterName, crd: LBIPAM_CRDS[kind] });
            return new command.local.Command(
                `${name}-${kind === "CiliumL2AnnouncementPolicy" ? "l2" : "pool"}-crd-wait`,
                {
                    create: script,
                    interpreter: ["/bin/sh", "-c"],
                    environment: { [KUBECONFIG_ENV]: pulumi.secret(args.kubeconfig) },
                    triggers: [createHash("sha256").update(script).digest("hex")],
                },
                // The wait's own limit plus one kubectl request bounds it; the Pulumi timeout is derived from that.
                { parent: this, dependsOn: after, customTimeouts: { create: commandTimeout(CILIUM_CRD_WAIT.timeoutSeconds + CILIUM_CRD_WAIT.intervalSeconds + DEFAULT_KUBECTL_TIMEOUT_SECONDS) } },
            );
        };
        const waits = { CiliumLoadBalancerIPPool: crdWait("CiliumLoadBalancerIPPool"), CiliumL2AnnouncementPolicy: crdWait("CiliumL2AnnouncementPolicy") };
        const create = (object: CiliumObject) =>
            new k8s.apiextensions.CustomResource(`${name}-${object.metadata.name}-${object.kind === "CiliumL2AnnouncementPolicy" ? "l2" : "pool"}`, object as unknown as k8s.apiextensions.CustomResourceArgs, {
                parent: this,
                provider,
                dependsOn: [...after, waits[object.kind as keyof typeof LBIPAM_CRDS]],
            });
        this.resources = [...pools.map(create), create(ciliumL2AnnouncementPolicy(args.interfaces ?? []))];
        this.poolNames = pools.map((p) => p.metadata.name);
        this.registerOutputs({ poolNames: this.poolNames });
    }
}
