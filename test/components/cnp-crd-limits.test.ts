/**
 * CNP_CRD_LIMITS (components/tenant-policy.ts) states what the CiliumNetworkPolicy CRD bounds; this reads each value
 * from every Cilium CNP CRD in the schemas mirror — every supported release's and the 1.20 pre-release's — and fails
 * when one differs, so a limit is never restated on faith. (Read here, in a test, through the artifact store: the
 * product validates at config time and needs no CRD at run time.)
 */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import { parse } from "yaml";
import { CNP_CRD_LIMITS } from "../../components/tenant-policy";
import { needCrd } from "../support/artifacts";
import { CILIUM_CRD_READ_AT } from "../support/crd-schemas";

type Node = { properties?: Record<string, Node>; items?: Node; [key: string]: unknown };

function specOf(version: string): Node {
    const crd = parse(fs.readFileSync(needCrd("cilium", version, "ciliumnetworkpolicies").path, "utf8")) as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: Node } }> } };
    return crd.spec.versions.find((v) => v.name === "v2")!.schema.openAPIV3Schema.properties!.spec;
}

function at(node: Node, keys: readonly string[]): Node {
    return keys.reduce<Node>((n, key) => (key === "[]" ? n.items! : n.properties![key]), node);
}

const versions = [...new Set([...Object.values(CILIUM_CRD_READ_AT), "1.20.0-pre.3"])];

describe("CNP_CRD_LIMITS match every CiliumNetworkPolicy CRD", () => {
    for (const version of versions) {
        const file = `cilium ${version} CiliumNetworkPolicy CRD`;
        it(`${file}: toFQDNs matchName/matchPattern length and pattern, toPorts ports per rule`, () => {
            const spec = specOf(version);
            const fqdn = at(spec, ["egress", "[]", "toFQDNs", "[]"]);
            // 1.16's CRD states no length (a DNS name has at most 253 characters anyway); 1.17 on state 255.
            const expectedMax = version.startsWith("1.16.") ? undefined : CNP_CRD_LIMITS.fqdnMaxLength;
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
