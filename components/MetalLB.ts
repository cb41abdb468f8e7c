/**
 * MetalLB in L2 mode: one Helm release of the upstream chart plus the address pools and L2 advertisement from
 * the config, so LoadBalancer Services (the clustermesh-apiserver first) get addresses on bare metal or kind.
 *
 * Ordering, and why MetalLB must not wait for Cilium: the Cilium release is awaited by Helm, and Helm's wait for a
 * LoadBalancer Service (the clustermesh-apiserver's) only ends when the Service has an address — which MetalLB
 * assigns. MetalLB's own pods, in turn, only start once a CNI (Cilium) runs. Making this release depend on the
 * Cilium release would deadlock: Cilium would wait for an address from a MetalLB that waits for Cilium. So both
 * are installed side by side after the cluster exists (`clusterCreator`): Cilium's agents come up, MetalLB's pods
 * start, the pools are applied, MetalLB assigns the address, and both releases finish.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DEFAULT_VERSIONS } from "./versions";
import { sortKeysDeep } from "../lib/values-util";
import { metallbRelease, supportedVersions } from "./support-matrix";
import { ipAddressPool, l2Advertisement, METALLB_CHART_REPO, METALLB_NAMESPACE, metallbPools, RESERVED_POOL_NAME } from "./metallb-resources";
import { COMPONENT_TYPES } from "./identity";

/** Arguments of a MetalLB install. */
export interface MetalLBArgs {
    /** Provider of the cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** metallb chart version, one of the support matrix. @default DEFAULT_VERSIONS.metallb (components/versions.ts) */
    readonly version?: string;
    /** Pool entries: CIDRs or `a.b.c.d-e.f.g.h` ranges on the nodes' L2 segment. */
    readonly addresses: readonly string[];
    /** Pre-planned addresses, kept out of automatic assignment (see metallbPools). @default - none */
    readonly reservedAddresses?: readonly string[];
    /** The resource that created the cluster; the release waits for it (and never for Cilium, see above). @default - none */
    readonly clusterCreator?: pulumi.Resource;
    /** Seconds Helm waits for the controller, the speakers and the webhook. @default 600 */
    readonly timeoutSeconds?: number;
    /**
     * The user's chart values (`loadBalancer.metallb.values`) over the chart's defaults; never a key MetalLB's pools
     * rely on (METALLB_OWNED_VALUES, refused by the config layer); secret leaves are Outputs. @default - the chart's
     */
    readonly values?: Readonly<Record<string, unknown>>;
}

/** The metallb release in `metallb-system` and its IPAddressPool(s) and L2Advertisement. */
export class MetalLB extends pulumi.ComponentResource {
    /** The Helm release; the pools are applied once it (and its validating webhook) is ready. */
    public readonly release: k8s.helm.v3.Release;
    /** Names of the IPAddressPools created. */
    public readonly poolNames: string[];

    constructor(name: string, args: MetalLBArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.MetalLB, name, {}, opts);
        const provider = args.provider;
        const version = args.version ?? DEFAULT_VERSIONS.metallb;
        // The speakers start only after the CNI is up, which on a fresh cluster includes Cilium's image pulls.
        const timeoutSeconds = args.timeoutSeconds ?? 600;
        if (!metallbRelease(version)) {
            throw new pulumi.ResourceError(`MetalLB ${name}: chart version ${version} is not in the support matrix (${supportedVersions("metallb").join(", ")})`, this);
        }
        if (args.addresses.length === 0) {
            throw new pulumi.ResourceError(`MetalLB ${name}: addresses is empty; give at least one CIDR or range`, this);
        }
        let pools;
        try {
            pools = metallbPools(args.addresses, args.reservedAddresses ?? []);
        } catch (error) {
            throw new pulumi.ResourceError(`MetalLB ${name}: ${(error as Error).message}`, this);
        }

        const hasValues = args.values !== undefined && Object.keys(args.values).length > 0;
        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                // Pinned so the controller and webhook names do not carry a random suffix.
                name: "metallb",
                chart: "metallb",
                repositoryOpts: { repo: METALLB_CHART_REPO },
                version,
                namespace: METALLB_NAMESPACE,
                createNamespace: true,
                // Wait for the controller, speakers and the validating webhook: pools applied before the webhook
                // answers are rejected ("failed calling webhook ipaddresspoolvalidationwebhook.metallb.io").
                skipAwait: false,
                timeout: timeoutSeconds,
                // Only when given: a release without user values keeps exactly the inputs it always had.
                ...(hasValues ? { values: sortKeysDeep(args.values) } : {}),
            },
            // Pinned release name "metallb": a replacement must delete before it creates. With user values (which may
            // hold secrets) the rendered manifest is kept secret, as the other releases' are.
            { parent: this, provider, dependsOn: args.clusterCreator ? [args.clusterCreator] : [], deleteBeforeReplace: true, ...(hasValues ? { additionalSecretOutputs: ["manifest"] } : {}) },
        );

        const poolResources = pools.map((pool) => {
            const object = ipAddressPool(pool);
            return new k8s.apiextensions.CustomResource(
                pool.name === RESERVED_POOL_NAME ? `${name}-reserved-pool` : `${name}-pool`,
                { apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata, spec: object.spec },
                { parent: this, provider, dependsOn: [this.release] },
            );
        });
        this.poolNames = pools.map((pool) => pool.name);
        const advertisement = l2Advertisement("kubeloom", this.poolNames);
        new k8s.apiextensions.CustomResource(
            `${name}-l2`,
            { apiVersion: advertisement.apiVersion, kind: advertisement.kind, metadata: advertisement.metadata, spec: advertisement.spec },
            { parent: this, provider, dependsOn: [this.release, ...poolResources] },
        );

        this.registerOutputs({ release: this.release, poolNames: this.poolNames });
    }
}
