import { strict as assert } from "node:assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { planStack } from "../../scripts/plan/plan-stack";
import { OfflinePlan, PlannedResource, runOfflinePlan, serializePlan } from "../../scripts/plan/offline-plan";
import { readStackFile } from "../../scripts/plan/stack-file";
import { kubeloomProgram } from "../../stacks/program";
import { poolContains } from "../../components/mesh-plan";
import { at, byUrn, dependsOnTransitively, named, ofType, planConfig, realisticMocks } from "../support/helpers";
import { ciliumUnknownKeyPaths, formatSchemaErrors, validateCiliumValues } from "../support/schemas";
import { PROJECT_DIR } from "../../lib/project";
import { SECRET_PLACEHOLDER as SECRET } from "../../lib/placeholders";

const projectDir = PROJECT_DIR;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const POOL = "kubernetes:metallb.io/v1beta1:IPAddressPool";
const L2 = "kubernetes:metallb.io/v1beta1:L2Advertisement";
const CNP = "kubernetes:cilium.io/v2:CiliumNetworkPolicy";
/** The MetalLB pools of Pulumi.mesh.yaml. */
const POOLS: Record<string, string[]> = { c1: ["172.22.0.50-172.22.0.100"], c2: ["172.22.0.101-172.22.0.150"] };

/** The resource named `name` whose URN sits under cluster `cluster`'s provider. */
function inCluster(plan: OfflinePlan, resources: PlannedResource[], cluster: string): PlannedResource[] {
    const provider = named(plan, `${cluster}-k8s`).urn;
    return resources.filter((r) => r.provider?.startsWith(provider));
}

describe("offline plan of the mesh stack", function () {
    let plan: OfflinePlan;
    let text: string;

    before(async () => {
        plan = await planStack({ projectDir, stack: "mesh" });
        text = serializePlan(plan);
    });

    it("is deterministic: planning twice gives byte-identical JSON", async () => {
        const again = await planStack({ projectDir, stack: "mesh" });
        assert.equal(serializePlan(again), text);
    });

    it("creates one CA for the whole mesh and never shows it in plain form", () => {
        assert.equal(ofType(plan, "tls:index/privateKey:PrivateKey").length, 1);
        const ca = ofType(plan, "tls:index/selfSignedCert:SelfSignedCert");
        assert.equal(ca.length, 1);
        assert.equal(ca[0].inputs.isCaCertificate, true);
        assert.equal(ca[0].inputs.privateKeyPem, SECRET);
        assert.doesNotMatch(text, /BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/);
        assert.doesNotMatch(text, /LS0tLS1CRUdJT/, "no base64 PEM");
        assert.equal(plan.outputs.kubeconfigs, SECRET);
    });

    it("installs one Cilium release per cluster whose values keep the CA secret", () => {
        const cilium = ofType(plan, RELEASE).filter((r) => r.inputs.chart === "cilium");
        assert.equal(cilium.length, 2);
        for (const cluster of ["c1", "c2"]) {
            const [release] = inCluster(plan, cilium, cluster);
            const values = release.inputs.values;
            // Only the CA leaves are secret: the rest of the values (ids, peers) stays reviewable in the plan.
            assert.equal(at(values, "tls.ca.cert"), SECRET, `${cluster}: CA cert not secret`);
            assert.equal(at(values, "tls.ca.key"), SECRET, `${cluster}: CA key not secret`);
            assert.equal(at(values, "cluster.name"), cluster);
            const peers = at(values, "clustermesh.config.clusters") as Array<{ name: string; ips: string[]; port: number }>;
            const other = cluster === "c1" ? "c2" : "c1";
            assert.deepEqual(peers.map((p) => p.name), [other], `${cluster}: peers`);
            assert.ok(poolContains(POOLS[other], peers[0].ips[0]), `${cluster}: the peer address lies in ${other}'s pool`);
            assert.equal(peers[0].port, 2379);
            assert.ok(dependsOnTransitively(plan, release, named(plan, "mesh-ca").urn, false), `${cluster}: the values wait for the CA`);
        }
    });

    it("plans a distinct id and an apiserver address per cluster, with every other cluster as a peer inside its pool", () => {
        const summary = plan.outputs.mesh as Array<{ name: string; id: number; apiserverAddress: string; apiserverPort: number; peers: Array<{ name: string; address: string; port: number }> }>;
        assert.deepEqual(summary.map((s) => s.name), ["c1", "c2"]);
        assert.equal(new Set(summary.map((s) => s.id)).size, 2);
        for (const entry of summary) {
            assert.ok(poolContains(POOLS[entry.name], entry.apiserverAddress), `${entry.name}: apiserver inside its own pool`);
            assert.equal(entry.apiserverPort, 2379);
            assert.deepEqual(entry.peers.map((p) => p.name), summary.map((s) => s.name).filter((n) => n !== entry.name));
            for (const peer of entry.peers) {
                assert.ok(poolContains(POOLS[peer.name], peer.address), `${entry.name} dials ${peer.name} at ${peer.address}, inside ${peer.name}'s pool`);
                assert.equal(peer.port, 2379);
            }
        }
    });

    it("installs MetalLB per cluster beside Cilium, not after it, and applies the pools after MetalLB is ready", () => {
        const metallb = ofType(plan, RELEASE).filter((r) => r.inputs.chart === "metallb");
        assert.equal(metallb.length, 2);
        for (const cluster of ["c1", "c2"]) {
            const [release] = inCluster(plan, metallb, cluster);
            assert.equal(release.inputs.version, "0.16.1");
            assert.equal(release.inputs.namespace, "metallb-system");
            assert.equal(release.inputs.createNamespace, true);
            assert.equal(release.inputs.skipAwait, false);
            assert.deepEqual(release.inputs.repositoryOpts, { repo: "https://metallb.github.io/metallb" });
            assert.ok(release.dependsOn.includes(named(plan, `${cluster}-kind`).urn), "waits for the kind cluster");
            const ciliumRelease = named(plan, `${cluster}-cilium-release`).urn;
            assert.ok(!dependsOnTransitively(plan, release, ciliumRelease), "must not wait for Cilium: Cilium's wait needs MetalLB's address");

            const pools = inCluster(plan, ofType(plan, POOL), cluster);
            assert.ok(pools.length >= 1);
            const addresses: string[] = [];
            for (const pool of pools) {
                assert.ok(pool.dependsOn.includes(release.urn), `${pool.name} waits for the MetalLB release (webhook)`);
                assert.equal(at(pool.inputs, "metadata.namespace"), "metallb-system");
                addresses.push(...(at(pool.inputs, "spec.addresses") as string[]));
            }
            const summary = (plan.outputs.mesh as Array<{ name: string; apiserverAddress: string }>).find((s) => s.name === cluster)!;
            const reserved = pools.find((p) => at(p.inputs, "spec.autoAssign") === false);
            assert.ok(reserved, "a reserved pool");
            assert.deepEqual(at(reserved.inputs, "spec.addresses"), [`${summary.apiserverAddress}/32`], "the planned address is never auto-assigned");
            for (const address of addresses) {
                const [first] = address.replace("/32", "").split("-");
                assert.ok(poolContains(POOLS[cluster], first), `${address} comes from the configured pool`);
            }

            const l2 = inCluster(plan, ofType(plan, L2), cluster);
            assert.equal(l2.length, 1);
            assert.ok(l2[0].dependsOn.includes(release.urn));
            assert.deepEqual([...(at(l2[0].inputs, "spec.ipAddressPools") as string[])].sort(), pools.map((p) => at(p.inputs, "metadata.name")).sort());
        }
    });

    it("deploys the demo in both clusters and the cross-cluster policy in c1 after c1's Cilium", () => {
        for (const cluster of ["c1", "c2"]) {
            const deployments = inCluster(plan, ofType(plan, "kubernetes:apps/v1:Deployment"), cluster).map((d) => at(d.inputs, "metadata.name"));
            assert.deepEqual(deployments.sort(), ["rebel-base", "x-wing"]);
            const services = inCluster(plan, ofType(plan, "kubernetes:core/v1:Service"), cluster);
            const global = services.find((s) => at(s.inputs, "metadata.name") === "rebel-base")!;
            assert.equal((at(global.inputs, "metadata.annotations") as Record<string, string>)["io.cilium/global-service"], "true");
        }
        const policies = ofType(plan, CNP);
        assert.equal(policies.length, 1);
        assert.equal(inCluster(plan, policies, "c1").length, 1);
        assert.ok(policies[0].dependsOn.includes(named(plan, "c1-cilium-release").urn), "the CRD exists only once Cilium's operator runs");
        assert.equal((at(policies[0].inputs, "spec.endpointSelector.matchLabels") as Record<string, string>)["io.cilium.k8s.policy.cluster"], "c1");
        assert.equal(ofType(plan, "command:local:Command").filter((c) => c.name.includes("verify")).length, 0, "verify is off in Pulumi.mesh.yaml");
    });

    it("parents every mesh resource to a component and gives every Kubernetes resource an explicit provider", () => {
        const mesh = named(plan, "mesh");
        const topLevel = new Set<string>();
        for (const resource of plan.resources.filter((r) => r.name.startsWith("mesh-"))) {
            let top: PlannedResource | undefined = resource;
            while (top?.parent) top = byUrn(plan, top.parent);
            assert.ok(top, `${resource.name} has a parent chain inside the plan`);
            topLevel.add(top!.name);
            if (resource.type.startsWith("kubernetes:")) assert.ok(resource.provider, `${resource.name} has an explicit provider`);
        }
        // The CA and MetalLB under the ClusterMesh; each member's global Services under its MeshServices, its demo under MeshDemo.
        assert.deepEqual([...topLevel].sort(), ["mesh", "mesh-c1-demo", "mesh-c1-services", "mesh-c2-demo", "mesh-c2-services"]);
        assert.equal(named(plan, "mesh-c1-metallb").parent, mesh.urn);
    });

    it("keeps each member's MeshServices where existing stacks have it (alias to its former ClusterMesh parent)", () => {
        const mesh = named(plan, "mesh");
        for (const name of ["mesh-c1-services", "mesh-c2-services"]) {
            const services = named(plan, name);
            assert.equal(services.type, "kubeloom:index:MeshServices");
            assert.deepEqual(services.options.aliases, [{ parent: mesh.urn }], `${name} is aliased to its former parent`);
        }
    });

    it("keeps each demo object where existing stacks have it (alias to its name under the former MeshServices parent)", () => {
        const demoChildren = plan.resources.filter((r) => !!r.parent && byUrn(plan, r.parent)?.type === "kubeloom:index:MeshDemo");
        assert.equal(demoChildren.length, 11, "per cluster a namespace, a ConfigMap, two Deployments and a Service, plus c1's policy");
        for (const child of demoChildren) {
            const cluster = child.name.split("-")[1];
            const formerName = child.name.replace(`mesh-${cluster}-demo-`, `mesh-${cluster}-services-`).replace(/-services-(namespace|policy)$/, "-services-demo-$1");
            // pulumi-kubernetes adds its own type aliases (apps/v1beta1 ...) beside ours.
            const aliases = (child.options.aliases ?? []) as unknown[];
            assert.ok(aliases.some((a) => JSON.stringify(a) === JSON.stringify({ name: formerName, parent: named(plan, `mesh-${cluster}-services`).urn })), `${child.name} keeps its former URN`);
        }
    });
});

/** Unwraps Pulumi's serialized secrets ({ <sig>: <secret sig>, value }) as mocks receive them. */
function reveal(value: unknown): any {
    if (Array.isArray(value)) return value.map(reveal);
    if (value && typeof value === "object") {
        const object = value as Record<string, unknown>;
        if (object["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return reveal(object.value);
        return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, reveal(v)]));
    }
    return value;
}

describe("mesh stack with computed outputs (what the providers receive)", function () {
    const marker = "MESH-CA-SECRET-MARKER";
    let received: pulumi.runtime.MockResourceArgs[];
    let plan: OfflinePlan;

    before(async () => {
        const file = readStackFile(path.join(projectDir, "Pulumi.mesh.yaml"), "kubeloom");
        const mocks = realisticMocks(marker);
        received = [];
        plan = await runOfflinePlan({
            project: "kubeloom",
            stack: "mesh",
            config: file.config,
            secretKeys: file.secretKeys,
            program: kubeloomProgram as unknown as () => Promise<Record<string, unknown>>,
            preview: false,
            mocks: { newResource: (args) => (received.push(args), mocks.newResource(args)), call: mocks.call },
        });
    });

    const ciliumValuesOf = () =>
        received
            .filter((r) => r.type === RELEASE && r.inputs.chart === "cilium")
            .map((r) => reveal(r.inputs.values) as Record<string, any>)
            .sort((a, b) => a.cluster.name.localeCompare(b.cluster.name));

    it("gives every cluster's Cilium the same CA, as base64 PEM", () => {
        const values = ciliumValuesOf();
        assert.equal(values.length, 2);
        const [first, second] = values;
        assert.ok(first.tls.ca.cert && first.tls.ca.key);
        assert.equal(second.tls.ca.cert, first.tls.ca.cert);
        assert.equal(second.tls.ca.key, first.tls.ca.key);
        assert.match(Buffer.from(first.tls.ca.key, "base64").toString("utf8"), new RegExp(marker), "the key is the generated CA key, base64-encoded");
        assert.match(Buffer.from(first.tls.ca.cert, "base64").toString("utf8"), /BEGIN CERTIFICATE/);
    });

    it("gives each cluster a distinct cluster.id and every other cluster as a peer at an address in that peer's pool", () => {
        const values = ciliumValuesOf();
        assert.deepEqual(values.map((v) => v.cluster.id), [1, 2]);
        for (const v of values) {
            const peers = v.clustermesh.config.clusters as Array<{ name: string; ips: string[]; port: number }>;
            assert.deepEqual(peers.map((p) => p.name), values.map((o) => o.cluster.name).filter((n) => n !== v.cluster.name));
            for (const peer of peers) {
                assert.equal(peer.port, 2379);
                assert.ok(peer.ips.length === 1 && poolContains(POOLS[peer.name], peer.ips[0]), `${v.cluster.name} → ${peer.name} at ${peer.ips}`);
            }
            const ownIP = v.clustermesh.apiserver.service.annotations["metallb.universe.tf/loadBalancerIPs"];
            assert.ok(poolContains(POOLS[v.cluster.name], ownIP));
            assert.equal(v.clustermesh.apiserver.service.loadBalancerIP, undefined);
        }
    });

    it("sends Cilium values that validate against the 1.20.0 chart schema (the stack's version), with no unknown keys", () => {
        for (const v of ciliumValuesOf()) {
            assert.deepEqual(validateCiliumValues(v, "1.20.0"), [], formatSchemaErrors(validateCiliumValues(v, "1.20.0")));
            assert.deepEqual(ciliumUnknownKeyPaths(v, "1.20.0"), []);
        }
    });

    it("leaks no secret into the plan or the stack outputs", () => {
        const serialized = serializePlan(plan);
        assert.ok(!serialized.includes(marker), "the CA key marker appears in the plan");
        assert.ok(!serialized.includes(Buffer.from(`\n${marker}\n`).toString("base64").slice(4, 20)));
        assert.doesNotMatch(serialized, /LS0tLS1CRUdJT/);
    });
});

/** Pulumi.mesh.yaml as a config object, for variants. */
function meshStackConfig(): Record<string, any> {
    const file = readStackFile(path.join(projectDir, "Pulumi.mesh.yaml"), "kubeloom");
    const raw: Record<string, any> = {};
    for (const [key, value] of Object.entries(file.config)) raw[key.replace(/^kubeloom:/, "")] = JSON.parse(value);
    return raw;
}

describe("mesh stack variants", function () {
    it("with verify on, checks the global service from every cluster once all demo workloads are ready", async () => {
        const raw = meshStackConfig();
        raw.mesh.verify = true;
        const plan = await planConfig(raw, { stack: "mesh" });
        const checks = ofType(plan, "command:local:Command").filter((c) => c.name.endsWith("-verify-check"));
        assert.deepEqual(checks.map((c) => c.name).sort(), ["mesh-c1-verify-check", "mesh-c2-verify-check"]);
        const mesh = plan.resources.find((r) => r.name === "mesh")!;
        for (const check of checks) {
            const component = byUrn(plan, check.parent!)!;
            assert.equal(component.type, "kubeloom:index:KubectlCheck");
            assert.deepEqual(component.options.aliases, [{ type: "kubeloom:index:MeshVerify", parent: mesh.urn }], "existing stacks keep their check");
        }
        const demo = plan.resources.filter((r) => /-demo-(rebel-base|x-wing)$/.test(r.name));
        assert.equal(demo.length, 4);
        for (const check of checks) {
            assert.deepEqual(check.inputs.environment, { KUBELOOM_KUBECONFIG: SECRET }, "the kubeconfig reaches the script only as a secret");
            for (const workload of demo) assert.ok(check.dependsOn.includes(workload.urn), `${check.name} waits for ${workload.name}`);
            assert.doesNotMatch(String(check.inputs.create), /BEGIN|client-key-data/);
        }
        const c1 = String(checks.find((c) => c.name === "mesh-c1-verify-check")!.inputs.create);
        assert.match(c1, /for c in 'c1'; do/, "in c1 the policy denies c1's own rebel-base");
        assert.match(c1, /for c in 'c2'; do/);
        const c2 = String(checks.find((c) => c.name === "mesh-c2-verify-check")!.inputs.create);
        assert.match(c2, /for c in 'c1' 'c2'; do/, "from c2 both clusters must answer");
    });

    it("with serviceType NodePort, dials each kind node on its own NodePort", async () => {
        const raw = meshStackConfig();
        raw.mesh.serviceType = "NodePort";
        const received: pulumi.runtime.MockResourceArgs[] = [];
        const mocks = realisticMocks();
        await planConfig(raw, { stack: "mesh", preview: false, mocks: { newResource: (args) => (received.push(args), mocks.newResource(args)), call: mocks.call } });
        const values = received
            .filter((r) => r.type === RELEASE && r.inputs.chart === "cilium")
            .map((r) => reveal(r.inputs.values) as Record<string, any>)
            .sort((a, b) => a.cluster.name.localeCompare(b.cluster.name));
        assert.deepEqual(values.map((v) => v.clustermesh.apiserver.service), [
            { nodePort: 32379, type: "NodePort" },
            { nodePort: 32380, type: "NodePort" },
        ]);
        // The realistic mocks give every kind node the address 172.22.0.2.
        assert.deepEqual(values[0].clustermesh.config.clusters, [{ ips: ["172.22.0.2"], name: "c2", port: 32380 }]);
        assert.deepEqual(values[1].clustermesh.config.clusters, [{ ips: ["172.22.0.2"], name: "c1", port: 32379 }]);
        const pools = received.filter((r) => r.type === POOL).map((r) => r.inputs.spec);
        assert.ok(pools.every((spec) => spec.autoAssign === true), "nothing to reserve without a LoadBalancer apiserver");
    });

    it("with NodePort on kind, previews the peer list as unknown until the clusters exist", async () => {
        const raw = meshStackConfig();
        raw.mesh.serviceType = "NodePort";
        const plan = await planConfig(raw, { stack: "mesh" });
        assert.equal(plan.outputs.mesh, "[unknown]");
    });
});

describe("mesh: a global Service's namespace (issue 25 class 11)", function () {
    this.timeout(120_000);
    const meshWith = (createNamespace: boolean | undefined) => {
        const raw = {
            clusters: [1, 2].map((n) => ({ name: `c${n}`, id: n, podCidr: `10.${n}0.0.0/16`, serviceCidr: `10.${n}1.0.0/16`, source: { kind: { apiServerPort: 6443 + n } }, loadBalancer: { metallb: { addresses: POOLS[`c${n}`] } } })),
            mesh: { globalServices: [{ name: "api", namespace: "apps", ...(createNamespace === undefined ? {} : { createNamespace }), ports: [{ port: 80 }], selector: { app: "api" } }] },
        };
        return planConfig(raw, { stack: "mesh" });
    };
    it("createNamespace: true creates it in every member, before the Service", async () => {
        const plan = await meshWith(true);
        const namespaces = ofType(plan, "kubernetes:core/v1:Namespace").filter((r) => at(r.inputs, "metadata.name") === "apps");
        assert.equal(namespaces.length, 2);
        for (const service of ofType(plan, "kubernetes:core/v1:Service").filter((r) => at(r.inputs, "metadata.name") === "api")) {
            assert.ok(namespaces.some((ns) => service.dependsOn.includes(ns.urn)), `${service.urn} does not wait for its namespace`);
        }
    });
    it("without createNamespace (or false) no namespace is created", async () => {
        for (const value of [undefined, false]) {
            const plan = await meshWith(value);
            assert.equal(ofType(plan, "kubernetes:core/v1:Namespace").filter((r) => at(r.inputs, "metadata.name") === "apps").length, 0);
        }
    });
});
