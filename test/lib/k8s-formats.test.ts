import { strict as assert } from "node:assert";
import {
    dns1123LabelProblem,
    imageReferenceProblem,
    labelKeyProblem,
    labelValueProblem,
    limitEntryProblem,
    nodeNameProblem,
    portNameProblem,
    posixUserNameProblem,
    quantityProblem,
    quotaEntryProblem,
} from "../../lib/k8s-formats";

/** Each rule: values it must accept and values it must refuse. */
const tables: Array<{ name: string; check: (text: string) => string | undefined; valid: string[]; invalid: string[] }> = [
    { name: "DNS-1123 label", check: dns1123LabelProblem, valid: ["a", "web-1", "x".repeat(63)], invalid: ["", "-a", "a-", "A", "a.b", "x".repeat(64)] },
    { name: "node name", check: nodeNameProblem, valid: ["worker-1", "ip-10-0-0-1.ec2.internal", "a"], invalid: ["Worker_1", "node;reboot", "a..b", ".a", `${"a".repeat(250)}.com`] },
    { name: "label key", check: labelKeyProblem, valid: ["app", "kubeloom.io/cilium", "k8s-app", "a_b.c", "node-role.kubernetes.io/control-plane"], invalid: ["", "a/b/c", "/a", "a/", "Kubeloom.IO/x", "-a", `${"x".repeat(64)}`, "bad key"] },
    { name: "label value", check: labelValueProblem, valid: ["", "true", "a.b_c-d", "x".repeat(63)], invalid: ["my app", "-a", "a-", "x".repeat(64), "a/b"] },
    { name: "port name", check: portNameProblem, valid: ["http", "grpc-web", "h2c", "a1"], invalid: ["", "HTTP", "8080", "-http", "http-", "a--b", "http-frontend-x1", "a_b"] },
    { name: "POSIX user name", check: posixUserNameProblem, valid: ["ubuntu", "ec2-user", "svc_deploy", "first.last", "u1000"], invalid: ["", "-o", "1000", "a b", "user@host", "ubuntu;id", "$(id)", "ü", "u".repeat(33)] },
    {
        name: "OCI image reference",
        check: imageReferenceProblem,
        valid: ["kindest/node:v1.30.4", "kindest/node", "registry.example.com:5000/team/node:v1.30.4", "localhost:5000/node:1", `kindest/node@sha256:${"a".repeat(64)}`, `kindest/node:v1.30.4@sha256:${"0".repeat(64)}`],
        invalid: ["", "Kindest/node", "kindest/node:$(id)", "kindest node", "kindest/node@sha256:abc", "kindest//node", "kindest/node:", ":tag", "-x/node"],
    },
];

describe("k8s-formats: what a value is", () => {
    for (const t of tables) {
        it(`${t.name}: accepts the valid forms`, () => {
            for (const v of t.valid) assert.equal(t.check(v), undefined, `${JSON.stringify(v)}: ${t.check(v)}`);
        });
        it(`${t.name}: refuses the invalid forms with a reason`, () => {
            for (const v of t.invalid) assert.ok(t.check(v), `${JSON.stringify(v)} was accepted`);
        });
    }

    it("quantities: decimal, binary and exponent suffixes; no negatives or units Kubernetes does not know", () => {
        for (const v of ["4", "500m", "1.5", ".5", "8Gi", "1e3", "2E", "100Mi", 4, 0.5]) assert.equal(quantityProblem(v), undefined, String(v));
        for (const v of ["4 cores", "512MB", "1g", "-1", "1Gib", "", "1.2.3", Number.NaN]) assert.ok(quantityProblem(v), String(v));
    });

    it("quota entries: known or prefixed names, whole counts", () => {
        assert.equal(quotaEntryProblem("requests.cpu", "4"), undefined);
        assert.equal(quotaEntryProblem("count/deployments.apps", 10), undefined);
        assert.equal(quotaEntryProblem("requests.nvidia.com/gpu", "2"), undefined);
        assert.equal(quotaEntryProblem("hugepages-2Mi", "1Gi"), undefined);
        assert.equal(quotaEntryProblem("gold.storageclass.storage.k8s.io/requests.storage", "10Gi"), undefined);
        assert.equal(quotaEntryProblem("request.cpu", "4")?.on, "key");
        assert.equal(quotaEntryProblem("pods", "1.5")?.on, "value");
        assert.equal(quotaEntryProblem("services.nodeports", "500m")?.on, "value");
        assert.equal(quotaEntryProblem("limits.memory", "-1Gi")?.on, "value");
    });

    it("limit entries: container resources only", () => {
        assert.equal(limitEntryProblem("cpu", "500m"), undefined);
        assert.equal(limitEntryProblem("example.com/dongle", "1"), undefined);
        assert.equal(limitEntryProblem("pods", "1")?.on, "key");
        assert.equal(limitEntryProblem("memory", "512MB")?.on, "value");
    });
});
