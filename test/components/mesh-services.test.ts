import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import {
    CLUSTER_LABEL,
    crossClusterPolicy,
    GLOBAL_SERVICE_ANNOTATION,
    GlobalServiceSpec,
    globalServiceManifest,
    SERVICE_AFFINITY_ANNOTATION,
    SHARED_SERVICE_ANNOTATION,
} from "../../components/mesh-services";
import { DEMO_IMAGES, demoGlobalService, demoPolicy, demoWorkloads, meshVerifyScript, rebelBaseResponse } from "../../components/mesh-demo";
import { KUBECONFIG_ENV as VERIFY_KUBECONFIG_ENV } from "../../lib/shell";
import { at } from "../support/helpers";
import { CILIUM_CRD_READ_AT, ciliumCrdFile, CRD_FILES, validateCustomResource, celProblems } from "../support/crd-schemas";
import { supportedVersions } from "../../components/support-matrix";
import { formatSchemaErrors } from "../support/schemas";

const spec: GlobalServiceSpec = {
    name: "api",
    namespace: "shop",
    ports: [{ port: 80, targetPort: 8080 }],
    selector: { app: "api" },
    affinity: "local",
    notSharedIn: ["c2"],
};

describe("globalServiceManifest", () => {
    it("annotates the Service as global in every cluster, with affinity", () => {
        const svc = globalServiceManifest(spec, "c1");
        assert.equal(svc.kind, "Service");
        assert.deepEqual(svc.metadata, { name: "api", namespace: "shop", annotations: { [GLOBAL_SERVICE_ANNOTATION]: "true", [SERVICE_AFFINITY_ANNOTATION]: "local" } });
        assert.equal(GLOBAL_SERVICE_ANNOTATION, "io.cilium/global-service");
        assert.equal(SERVICE_AFFINITY_ANNOTATION, "io.cilium/service-affinity");
        assert.equal(at(svc.spec, "type"), "ClusterIP");
        assert.deepEqual(at(svc.spec, "ports"), [{ port: 80, protocol: "TCP", targetPort: 8080 }]);
        assert.deepEqual(at(svc.spec, "selector"), { app: "api" });
    });

    it("stops sharing the backends only in the clusters listed", () => {
        assert.equal(globalServiceManifest(spec, "c2").metadata.annotations?.[SHARED_SERVICE_ANNOTATION], "false");
        assert.equal(SHARED_SERVICE_ANNOTATION, "io.cilium/shared-service");
        assert.equal(globalServiceManifest(spec, "c1").metadata.annotations?.[SHARED_SERVICE_ANNOTATION], undefined);
    });

    it("leaves the default affinity out and names ports when there are several", () => {
        const svc = globalServiceManifest({ ...spec, affinity: "none", ports: [{ port: 80 }, { port: 443, name: "https" }] }, "c1");
        assert.deepEqual(svc.metadata.annotations, { [GLOBAL_SERVICE_ANNOTATION]: "true" });
        assert.deepEqual(
            (at(svc.spec, "ports") as Array<{ name: string }>).map((p) => p.name),
            ["port-80", "https"],
        );
    });
});

describe("crossClusterPolicy", () => {
    const policy = crossClusterPolicy({
        name: "allow",
        namespace: "mesh-demo",
        from: { cluster: "c1", labels: { name: "x-wing" } },
        to: { cluster: "c2", labels: { name: "rebel-base" } },
        ports: [80],
    });

    // 1.20.0 is checked against the 1.20.0-pre.3 CRD, the newest 1.20 tree readable offline (test/support/crd-schemas.ts).
    for (const version of supportedVersions("cilium")) {
        it(`validates against the CiliumNetworkPolicy CRD for Cilium ${version} (read at ${CILIUM_CRD_READ_AT[version]})`, () => {
            assert.equal(policy.apiVersion, "cilium.io/v2");
            assert.equal(policy.kind, "CiliumNetworkPolicy");
            const errors = validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", version), policy);
            assert.deepEqual(errors, [], formatSchemaErrors(errors));
            // Cross-cluster rules must name the cluster: from 1.19 a selector without one matches only the local
            // cluster (clustermesh.policyDefaultLocalCluster defaults to true).
            const egress = (policy.spec as { egress: Array<{ toEndpoints?: Array<{ matchLabels: Record<string, string> }> }> }).egress;
            assert.equal(egress[0].toEndpoints?.[0].matchLabels[CLUSTER_LABEL], "c2");
        });
    }

    it("a Kafka port rule passes the 1.19 CRD and is refused by 1.20's (kafka/l7/l7proto removed), which the policy never writes", () => {
        const egress = (policy.spec as { egress: Array<Record<string, unknown>> }).egress;
        const withKafka = { ...policy, spec: { ...policy.spec, egress: [{ ...egress[0], toPorts: [{ ports: [{ port: "9092", protocol: "TCP" }], rules: { kafka: [{ role: "produce", topic: "empire" }] } }] }] } };
        assert.deepEqual(validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", "1.19.6"), withKafka), []);
        assert.notDeepEqual(validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", "1.20.0"), withKafka), []);
        assert.ok(!JSON.stringify(policy).includes("kafka"));
    });

    it("1.20's CEL rule: a policy with neither spec nor specs is refused, this one passes", () => {
        const file = ciliumCrdFile("ciliumnetworkpolicies", "1.20.0");
        assert.deepEqual(celProblems(file, policy), []);
        assert.deepEqual(celProblems(file, { apiVersion: policy.apiVersion, kind: policy.kind }), ["spec or specs must be provided"]);
        assert.deepEqual(celProblems(ciliumCrdFile("ciliumnetworkpolicies", "1.19.6"), { apiVersion: policy.apiVersion }), [], "no such rule before 1.20");
    });

    it("the 1.19 CRD rejects fromRequires/toRequires, which the policy never uses", () => {
        const withRequires = { ...policy, spec: { ...policy.spec, ingress: [{ fromRequires: [{ matchLabels: { a: "b" } }] }] } };
        assert.deepEqual(validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", "1.18.12"), withRequires), []);
        assert.notDeepEqual(validateCustomResource(ciliumCrdFile("ciliumnetworkpolicies", "1.19.6"), withRequires), []);
        assert.ok(!JSON.stringify(policy).includes("Requires"));
    });

    it("a broken policy fails the CRD schema", () => {
        const broken = { ...policy, spec: { ...policy.spec, egress: [{ toPorts: [{ ports: [{ port: 53, protocol: "ICMP" }] }] }] } };
        assert.notDeepEqual(validateCustomResource(CRD_FILES.ciliumNetworkPolicy, broken), []);
        const noSelector = { ...policy, spec: { endpointSelector: "x-wing" } };
        assert.notDeepEqual(validateCustomResource(CRD_FILES.ciliumNetworkPolicy, noSelector), []);
    });

    it("selects both ends by cluster label", () => {
        assert.equal(CLUSTER_LABEL, "io.cilium.k8s.policy.cluster");
        assert.deepEqual(at(policy.spec, "endpointSelector"), { matchLabels: { name: "x-wing", [CLUSTER_LABEL]: "c1" } });
        const egress = at(policy.spec, "egress") as Array<Record<string, any>>;
        assert.deepEqual(egress[0].toEndpoints, [{ matchLabels: { name: "rebel-base", [CLUSTER_LABEL]: "c2" } }]);
        assert.deepEqual(egress[0].toPorts, [{ ports: [{ port: "80", protocol: "TCP" }] }]);
    });

    it("allows DNS to kube-dns over UDP and TCP through the DNS proxy", () => {
        const egress = at(policy.spec, "egress") as Array<Record<string, any>>;
        const dns = egress.find((rule) => JSON.stringify(rule).includes("kube-dns"))!;
        assert.deepEqual(dns.toEndpoints, [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" } }]);
        assert.deepEqual(dns.toPorts[0].ports, [
            { port: "53", protocol: "UDP" },
            { port: "53", protocol: "TCP" },
        ]);
        assert.deepEqual(dns.toPorts[0].rules, { dns: [{ matchPattern: "*" }] });
        assert.equal(egress.length, 2, "nothing else is allowed");
    });

    it("is deterministic", () => {
        assert.equal(JSON.stringify(demoPolicy("c1", "c2")), JSON.stringify(demoPolicy("c1", "c2")));
    });
});

describe("mesh demo", () => {
    it("answers with the cluster's name from nginx and ships the guide's client", () => {
        const { configMap, rebelBase, xWing } = demoWorkloads("c2");
        assert.equal(JSON.parse(configMap.data!.message).Cluster, "c2");
        assert.equal(configMap.data!.message, rebelBaseResponse("c2"));
        assert.equal((at(rebelBase.spec, "template.spec.containers") as Array<{ image: string }>)[0].image, DEMO_IMAGES.rebelBase);
        assert.equal((at(xWing.spec, "template.spec.containers") as Array<{ image: string }>)[0].image, DEMO_IMAGES.xWing);
        assert.deepEqual(at(rebelBase.spec, "selector.matchLabels"), { name: "rebel-base" });
        const svc = globalServiceManifest(demoGlobalService(), "c1");
        assert.deepEqual(at(svc.spec, "selector"), { name: "rebel-base" });
        assert.equal(svc.metadata.namespace, "mesh-demo");
    });

    it("demo policy validates and names the two clusters", () => {
        const policy = demoPolicy("c1", "c2");
        assert.deepEqual(validateCustomResource(CRD_FILES.ciliumNetworkPolicy, policy), []);
        assert.equal((at(policy.spec, "endpointSelector.matchLabels") as Record<string, string>)[CLUSTER_LABEL], "c1");
    });
});

describe("meshVerifyScript", () => {
    const script = meshVerifyScript({ clusterName: "c1", expect: ["c2"], forbid: ["c1"] });

    it("is valid POSIX shell", () => {
        const check = spawnSync("sh", ["-n", "-c", script]);
        assert.equal(check.status, 0, String(check.stderr));
        assert.equal(spawnSync("sh", ["-n", "-c", meshVerifyScript({ clusterName: "c2", expect: ["c1", "c2"] })]).status, 0);
    });

    it("keeps the kubeconfig in a private temporary file from the environment", () => {
        assert.match(script, /umask 077/);
        assert.match(script, /kubeconfig=\$\(mktemp\)/);
        assert.match(script, /umask 077\nkubeconfig=\$\(mktemp\)/);
        assert.match(script, /trap cleanup EXIT\ntrap 'exit 1' INT TERM HUP/);
        assert.ok(script.includes(`"$${VERIFY_KUBECONFIG_ENV}"`));
    });

    it("says so when kubectl is missing", () => {
        const run = spawnSync("/bin/sh", ["-c", script], { env: { PATH: "/nonexistent", [VERIFY_KUBECONFIG_ENV]: "x" } });
        assert.notEqual(run.status, 0);
        assert.match(String(run.stderr), /kubectl is not installed on the machine running Pulumi/);
    });

    it("fails unless every expected cluster answered, and when a forbidden one did", () => {
        // A fake kubectl answering from c1 only: c2 never answers, and c1 is forbidden.
        const fs = require("fs") as typeof import("fs");
        const os = require("os") as typeof import("os");
        const path = require("path") as typeof import("path");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
        try {
            fs.writeFileSync(path.join(dir, "kubectl"), `#!/bin/sh\ncase "$*" in *exec*) printf '%s' '${rebelBaseResponse("c1").trim()}' ;; esac\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "sleep"), "#!/bin/sh\n", { mode: 0o755 });
            const env = { PATH: `${dir}:/usr/bin:/bin`, [VERIFY_KUBECONFIG_ENV]: "apiVersion: v1" };
            const forbidden = spawnSync("/bin/sh", ["-c", script], { env });
            assert.notEqual(forbidden.status, 0);
            assert.match(String(forbidden.stderr), /cluster c1 answered although the cross-cluster policy should deny it/);
            const missing = spawnSync("/bin/sh", ["-c", meshVerifyScript({ clusterName: "c2", expect: ["c1", "c2"], rounds: 2, requests: 3 })], { env });
            assert.notEqual(missing.status, 0);
            assert.match(String(missing.stderr), /never from: c2/);
            const ok = spawnSync("/bin/sh", ["-c", meshVerifyScript({ clusterName: "c2", expect: ["c1"] })], { env });
            assert.equal(ok.status, 0, String(ok.stderr));
            assert.match(String(ok.stdout), /answered from: c1/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
