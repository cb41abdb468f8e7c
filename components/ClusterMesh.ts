/**
 * Cilium Cluster Mesh across N clusters, declaratively: one shared CA, a pre-planned clustermesh-apiserver address
 * per cluster (mesh-plan.ts explains why that avoids a cycle), MetalLB where the config asks for it, and per
 * cluster the Cilium values that make it a member. Nothing like `cilium clustermesh enable/connect`, no copying of
 * the `cilium-ca` Secret: every cluster's Cilium gets the same `tls.ca` and its list of peers in one `pulumi up`.
 *
 * Certificates. Decision: the chart's `helm` method with the shared CA. The CA is generated here once
 * (@pulumi/tls, key kept secret) and given to every cluster as `tls.ca.cert`/`tls.ca.key` (base64 PEM); the
 * chart signs the clustermesh-apiserver server/admin/remote/local certificates with it when the release is
 * installed or upgraded. Peers trust each other because every certificate chains to that one CA.
 * Rejected alternatives:
 *   - Certificates derived here with tls.LocallySignedCert (auto disabled, `clustermesh.apiserver.tls.{server,
 *     admin,client,remote}`): only safe if the program reproduces the exact CNs/SANs the 1.16.19 templates use
 *     (the etcd users are keyed on the client CNs, e.g. `admin-<cluster>`, `remote-<cluster>`), and with
 *     KVStoreMesh on (the 1.16 default) there is a fifth, `local`, certificate that the provided-certificates
 *     templates have no value for. The indexed chart sources mix many releases and the 1.16.19 files could not
 *     be pinned, so those names could not be verified.
 *   - `cronJob`: since 1.14 (cilium#23102) the certgen Job is a Helm `post-install,post-upgrade` hook; with
 *     Helm's wait (our Cilium release is awaited) the clustermesh-apiserver Pod cannot become ready without the
 *     certificates the hook would create, so a first install blocks until the timeout (cilium#40381 on 1.17,
 *     cilium#42045 on 1.18; fixed in 1.19 by cilium#42298, released with a 1.19 upgrade note).
 * Cost of `helm`: the chart issues new leaf certificates whenever the Cilium release is upgraded (any values
 * change, e.g. a peer added). They are signed by the same CA, so connections keep working. Previews stay quiet:
 * the certificates never appear in Pulumi's inputs or state and the values we pass do not change between runs.
 * Renewal: the leaf certificates last `certValidityDuration` (1095 days, stated on 1.20 whose default is 365; see
 * CLUSTERMESH_CERT_VALIDITY_DAYS) from the last upgrade; the CA lasts ten
 * years and the tls provider replaces it in the year before it expires, which changes every cluster's values, so
 * the same `pulumi up` re-issues every leaf certificate with the new CA. No timestamp enters the values.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import { MetalLB } from "./MetalLB";
import { ciliumRelease } from "./support-matrix";
import { DEFAULT_MAX_CONNECTED_CLUSTERS } from "./defaults";
import { clustermeshCiliumValues, MaxConnectedClusters, MeshApiserverPlacement, meshPlan, MeshPlanEntry, MeshPlanMember, meshSummary, MeshSummaryEntry, clustermeshApiserverService } from "./mesh-plan";
import { COMPONENT_TYPES } from "./identity";

/** One cluster of the mesh. */
export interface ClusterMeshMember {
    /** Cilium cluster.name, unique in the mesh. */
    readonly name: string;
    /** Cilium cluster.id, unique in the mesh. */
    readonly id: number;
    /** Provider of this cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** This member's Cilium chart version; decides where its mesh values go. @default DEFAULT_VERSIONS.cilium (components/versions.ts) */
    readonly ciliumVersion?: string;
    /** The resource that created the cluster; MetalLB waits for it. @default - none (an existing cluster) */
    readonly creator?: pulumi.Resource;
    /** MetalLB for this cluster, whose pool a LoadBalancer placement's address comes from. @default - none */
    readonly metallb?: { readonly version?: string; readonly addresses: readonly string[]; readonly values?: Readonly<Record<string, unknown>> };
    /**
     * Where its clustermesh-apiserver answers, defaults already resolved by the config layer (config/resolve.ts
     * `meshApiserver`). A NodePort's node address may be known only once the cluster exists.
     */
    readonly apiserver: MeshApiserverPlacement<pulumi.Input<string>>;
    /** Other pre-planned LoadBalancer IPs of this cluster (vCluster APIs), kept out of automatic assignment. @default - none */
    readonly reservedAddresses?: readonly string[];
}

/** Arguments of a Cluster Mesh. */
export interface ClusterMeshArgs {
    /** The member clusters, in mesh order (NodePorts come resolved by the config layer). */
    readonly members: readonly ClusterMeshMember[];
    /** `clustermesh.maxConnectedClusters`, the same in every cluster. @default DEFAULT_MAX_CONNECTED_CLUSTERS (255, components/defaults.ts) */
    readonly maxConnectedClusters?: MaxConnectedClusters;
}

/** Cilium values of one member: `clustermesh` (plain data) and the shared CA (`tls.ca.*`, secret Outputs). */
export type MemberCiliumValues = {
    readonly clustermesh: pulumi.Output<Record<string, unknown>>;
    readonly tls: { readonly ca: { readonly cert: pulumi.Output<string>; readonly key: pulumi.Output<string> } };
};

/** The shared CA, the mesh plan and MetalLB of every member, and each member's Cilium mesh values. */
export class ClusterMesh extends pulumi.ComponentResource {
    /**
     * Per cluster name: the values to merge over its Cilium values. A plain object whose only secret leaves are the
     * CA's, so a plan can still show the peers; `pulumi.output(...)` of it is secret.
     */
    public readonly ciliumValues: Readonly<Record<string, MemberCiliumValues>>;
    /** Per ClusterIP member: the clustermesh-apiserver Service Kubeloom creates with the planned ClusterIP. */
    public readonly apiserverServices: Readonly<Record<string, k8s.core.v1.Service>>;
    /** The mesh plan (addresses and peers), not secret. */
    public readonly plan: pulumi.Output<MeshPlanEntry[]>;
    /** Per cluster: name, id, apiserver address and port, peers. Not secret. */
    public readonly summary: pulumi.Output<MeshSummaryEntry[]>;
    /** The shared CA certificate (PEM; public). */
    public readonly caCertPem: pulumi.Output<string>;
    /** MetalLB per cluster name, where configured. */
    public readonly metallb: Readonly<Record<string, MetalLB>>;

    constructor(name: string, args: ClusterMeshArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.ClusterMesh, name, {}, opts);
        const maxConnectedClusters = args.maxConnectedClusters ?? DEFAULT_MAX_CONNECTED_CLUSTERS;
        const members = args.members;

        // Fail before any child exists: the same checks the plan makes later, with a placeholder for node addresses
        // that are only known once a cluster exists.
        const planMembers = (nodeAddresses: readonly string[]): MeshPlanMember[] =>
            members.map((m, i) => ({ name: m.name, id: m.id, apiserver: m.apiserver.type === "NodePort" ? { ...m.apiserver, nodeAddress: nodeAddresses[i] } : m.apiserver }));
        try {
            if (members.length < 2) throw new Error(`a mesh needs at least two clusters, got ${members.length}`);
            for (const m of members) {
                if (m.ciliumVersion !== undefined && !ciliumRelease(m.ciliumVersion)) throw new Error(`member ${m.name}: Cilium ${m.ciliumVersion} is not in the support matrix`);
            }
            meshPlan({ members: planMembers(members.map(() => "address.invalid")) });
        } catch (error) {
            throw new pulumi.ResourceError(`ClusterMesh ${name}: ${(error as Error).message}`, this);
        }

        const caKey = new tls.PrivateKey(
            `${name}-ca-key`,
            // RSA in PKCS#1 PEM: what the chart's Sprig helpers (buildCustomCert, genSignedCert) parse without doubt.
            { algorithm: "RSA", rsaBits: 2048 },
            // The SDK already marks privateKeyPem (and the other private encodings) secret.
            { parent: this },
        );
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                subject: { commonName: "Kubeloom Cluster Mesh CA", organization: "Kubeloom" },
                allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
                // Fixed durations, no timestamps in the inputs: the provider computes the dates once at creation,
                // and only marks the CA for replacement in its last year.
                validityPeriodHours: 10 * 365 * 24,
                earlyRenewalHours: 365 * 24,
            },
            { parent: this },
        );
        const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
        this.caCertPem = ca.certPem;
        const caValues = {
            cert: pulumi.secret(ca.certPem.apply(base64)),
            key: pulumi.secret(caKey.privateKeyPem.apply(base64)),
        };

        const nodeAddresses = members.map((m) => (m.apiserver.type === "NodePort" ? m.apiserver.nodeAddress : ""));
        this.plan = pulumi.all(nodeAddresses).apply((resolved) => meshPlan({ members: planMembers(resolved) }));
        this.summary = this.plan.apply((plan) => plan.map(meshSummary));

        const values: Record<string, MemberCiliumValues> = {};
        members.forEach((member, index) => {
            values[member.name] = {
                clustermesh: this.plan.apply((plan) => clustermeshCiliumValues(plan[index], { maxConnectedClusters, ciliumVersion: member.ciliumVersion }).clustermesh as Record<string, unknown>),
                // The declarative `cilium-ca` copy: the same CA in every cluster (tls.ca is base64-encoded PEM).
                tls: { ca: caValues },
            };
        });
        this.ciliumValues = values;

        const metallb: Record<string, MetalLB> = {};
        for (const member of members) {
            if (!member.metallb) continue;
            // LoadBalancer addresses come from config alone, so they are known now and MetalLB can reserve them.
            const planned = member.apiserver.type === "LoadBalancer" ? [member.apiserver.address] : [];
            const reserved = [...(member.reservedAddresses ?? []), ...planned];
            metallb[member.name] = new MetalLB(
                `${name}-${member.name}-metallb`,
                {
                    provider: member.provider,
                    version: member.metallb.version,
                    addresses: member.metallb.addresses,
                    reservedAddresses: reserved,
                    clusterCreator: member.creator,
                    values: member.metallb.values,
                },
                { parent: this },
            );
        }
        this.metallb = metallb;

        // A ClusterIP member's clustermesh-apiserver Service, with the planned ClusterIP its peers dial: the chart has no
        // clusterIP value, so its own Service is left out (externallyCreated) and this one takes its place.
        const apiserverServices: Record<string, k8s.core.v1.Service> = {};
        for (const member of members) {
            if (member.apiserver.type !== "ClusterIP") continue;
            const manifest = clustermeshApiserverService(member.apiserver.address) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
            apiserverServices[member.name] = new k8s.core.v1.Service(
                `${name}-${member.name}-apiserver`,
                { metadata: manifest.metadata, spec: manifest.spec },
                { parent: this, provider: member.provider, dependsOn: member.creator ? [member.creator] : [] },
            );
        }
        this.apiserverServices = apiserverServices;

        this.registerOutputs({ summary: this.summary, caCertPem: this.caCertPem });
    }
}
