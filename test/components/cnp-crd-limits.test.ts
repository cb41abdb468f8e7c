/**
 * CNP_CRD_LIMITS (components/tenant-policy.ts) states what the CiliumNetworkPolicy CRD bounds; this reads each value
 * from every Cilium CNP CRD in the schemas mirror — every supported release's and the 1.20 pre-release's — and fails
 * when one differs, so a limit is never restated on faith. (Read here, in a test: the product gets no CRD at run time
 * until the artifact module of issue #21 provides one.)
 */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CNP_CRD_LIMITS } from "../../components/tenant-policy";
import { CILIUM_CRD_READ_AT, crdPath } from "../support/crd-schemas";

type Node = { properties?: Record<string, Node>; items?: Node; [key: string]: unknown };

function specOf(file: string): Node {
    const crd = parse(fs.readFileSync(crdPath(file), "utf8")) as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: Node } }> } };
    return crd.spec.versions.find((v) => v.name === "v2")!.schema.openAPIV3Schema.properties!.spec;
}

function at(node: Node, keys: readonly string[]): Node {
    return keys.reduce<Node>((n, key) => (key === "[]" ? n.items! : n.properties![key]), node);
}

const files = [...new Set([...Object.values(CILIUM_CRD_READ_AT).map((v) => `cilium-${v}.ciliumnetworkpolicies.crd.yaml`), "cilium-1.20.0-pre.3.ciliumnetworkpolicies.crd.yaml"])];

describe("CNP_CRD_LIMITS match every CiliumNetworkPolicy CRD", () => {
    for (const file of files) {
        it(`${file}: toFQDNs matchName/matchPattern length and pattern, toPorts ports per rule`, () => {
            const spec = specOf(file);
            const fqdn = at(spec, ["egress", "[]", "toFQDNs", "[]"]);
            // 1.16's CRD states no length (a DNS name has at most 253 characters anyway); 1.17 on state 255.
            const expectedMax = file.startsWith("cilium-1.16.") ? undefined : CNP_CRD_LIMITS.fqdnMaxLength;
            assert.equal(fqdn.properties!.matchName.maxLength, expectedMax);
            assert.equal(fqdn.properties!.matchPattern.maxLength, expectedMax);
            assert.equal(fqdn.properties!.matchName.pattern, CNP_CRD_LIMITS.matchNamePattern);
            assert.equal(fqdn.properties!.matchPattern.pattern, CNP_CRD_LIMITS.matchPatternPattern);
            for (const direction of ["ingress", "egress"]) {
                assert.equal(at(spec, [direction, "[]", "toPorts", "[]", "ports"]).maxItems, CNP_CRD_LIMITS.portsPerRule, direction);
            }
        });
    }
});
