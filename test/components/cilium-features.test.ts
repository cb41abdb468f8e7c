import { strict as assert } from "node:assert";
import { ciliumValues, CiliumValuesInput } from "../../components/cilium-values";
import {
    ciliumFeatureProblems,
    CiliumFeaturesInput,
    coveringCidr,
    IPSEC_SECRET,
    SEED_HUBBLE_METRICS,
    TUNNEL_UDP_PORTS,
    WIREGUARD_UDP_PORT,
} from "../../components/cilium-features";
import { ipsecKeysLine, nextIpsecKeyId } from "../../components/ipsec-key";
import { gatewayApiCrdPath, gatewayApiReleaseFor, gatewayManifest, GATEWAY_API_RELEASES } from "../../components/gateway-api";
import { supportedVersions } from "../../components/support-matrix";
import { assertKeysSorted, ciliumUnknownKeyPaths, formatSchemaErrors, validateCiliumValues } from "../support/schemas";
import { validateCustomResource } from "../support/crd-schemas";
import { gitBlobId, projectArtifactLock } from "../../lib/artifacts";
import { needCrd } from "../support/artifacts";
import { K3S_CILIUM_VALUES_INPUT } from "../support/fixtures";
import * as fs from "node:fs";

const base: CiliumValuesInput = K3S_CILIUM_VALUES_INPUT;

const featureVariants: Array<{ name: string; input: CiliumValuesInput }> = [
    { name: "WireGuard with node encryption", input: { ...base, encryption: { type: "wireguard", nodeEncryption: true } } },
    { name: "IPsec", input: { ...base, encryption: { type: "ipsec" } } },
    { name: "Hubble metrics with ServiceMonitor", input: { ...base, hubble: { relay: true, ui: true, metrics: { enabled: [...SEED_HUBBLE_METRICS], serviceMonitor: true } } } },
    { name: "Geneve tunnel and devices", input: { ...base, tunnelProtocol: "geneve", devices: ["eth0", "eth1"] } },
    { name: "native routing over the mesh's covering CIDR", input: { ...base, routingMode: "native", nativeRoutingCidr: "10.0.0.0/11" } },
    { name: "Gateway API", input: { ...base, gatewayAPI: { enabled: true } } },
];

const features = (over: Partial<CiliumFeaturesInput>): CiliumFeaturesInput => ({ ciliumVersion: "1.20.0", kubeProxyReplacement: { enabled: true }, routingMode: "tunnel", ...over });

describe("Cilium features (cilium-features.ts)", () => {
    for (const version of supportedVersions("cilium")) {
        for (const { name, input } of featureVariants) {
            it(`${name}: values pass the ${version} chart schema, every key known, sorted`, () => {
                const values = ciliumValues(input);
                assert.deepEqual(validateCiliumValues(values, version), [], formatSchemaErrors(validateCiliumValues(values, version)));
                assert.deepEqual(ciliumUnknownKeyPaths(values, version), []);
                assertKeysSorted(values);
            });
        }
    }

    it("renders each feature under the chart's key, and nothing when no feature is set", () => {
        const wg = ciliumValues(featureVariants[0].input);
        assert.deepEqual(wg.encryption, { enabled: true, nodeEncryption: true, type: "wireguard" });
        const ipsec = ciliumValues(featureVariants[1].input);
        assert.deepEqual(ipsec.encryption, { enabled: true, ipsec: { keyFile: "keys", secretName: "cilium-ipsec-keys" }, type: "ipsec" });
        const metrics = ciliumValues(featureVariants[2].input).hubble as Record<string, any>;
        assert.deepEqual(metrics.metrics, { enabled: [...SEED_HUBBLE_METRICS], serviceMonitor: { enabled: true } });
        const geneve = ciliumValues(featureVariants[3].input);
        assert.equal(geneve.tunnelProtocol, "geneve");
        assert.deepEqual(geneve.devices, ["eth0", "eth1"]);
        assert.equal(ciliumValues(featureVariants[4].input).ipv4NativeRoutingCIDR, "10.0.0.0/11");
        assert.deepEqual(ciliumValues(featureVariants[5].input).gatewayAPI, { enabled: true, gatewayClass: { create: "true" } });
        const plain = ciliumValues(base);
        for (const key of ["encryption", "tunnelProtocol", "devices", "gatewayAPI"]) assert.ok(!(key in plain), `${key} absent without the feature`);
        assert.ok(!("metrics" in (plain.hubble as object)));
        assert.equal(ciliumValues({ ...base, routingMode: "native" }).ipv4NativeRoutingCIDR, "10.42.0.0/16", "own pod CIDR outside a mesh");
    });

    it("same input, byte-identical output", () => {
        for (const { input } of featureVariants) assert.equal(JSON.stringify(ciliumValues(input)), JSON.stringify(ciliumValues(input)));
    });

    const failures: Array<{ name: string; input: CiliumFeaturesInput; key: string; match: RegExp }> = [
        { name: "fails IPsec on a chained Cilium", input: features({ encryption: { type: "ipsec" }, chainingMode: "generic-veth" }), key: "encryption.type", match: /15596/ },
        { name: "fails node encryption with IPsec", input: features({ encryption: { type: "ipsec", nodeEncryption: true as unknown as false } }), key: "encryption.nodeEncryption", match: /wireguard/ },
        { name: "fails a tunnel protocol with native routing", input: features({ routingMode: "native", tunnelProtocol: "geneve" }), key: "tunnelProtocol", match: /routingMode: tunnel/ },
        { name: "fails an unknown Hubble metric", input: features({ hubbleMetrics: { enabled: ["dns", "kafka"] } }), key: "hubble.metrics", match: /"kafka" is not a Hubble metric/ },
        { name: "fails Gateway API without kube-proxy replacement", input: features({ gatewayAPI: { enabled: true }, kubeProxyReplacement: { enabled: false } }), key: "gatewayAPI", match: /kubeProxyReplacement: true/ },
        { name: "fails Gateway API on Cilium 1.18", input: features({ gatewayAPI: { enabled: true }, ciliumVersion: "1.18.12" }), key: "gatewayAPI", match: /1\.19 or newer/ },
        { name: "fails Gateway API when chained", input: features({ gatewayAPI: { enabled: true }, chainingMode: "portmap" }), key: "gatewayAPI", match: /chaining/ },
    ];
    for (const { name, input, key, match } of failures) {
        it(name, () => {
            const problems = ciliumFeatureProblems(input);
            assert.equal(problems.length, 1, JSON.stringify(problems));
            assert.equal(problems[0].key, key);
            assert.match(problems[0].message, match);
        });
    }
    it("accepts WireGuard when chained, metrics with options, Gateway API on 1.19 and 1.20", () => {
        assert.deepEqual(ciliumFeatureProblems(features({ encryption: { type: "wireguard", nodeEncryption: false }, chainingMode: "generic-veth" })), []);
        assert.deepEqual(ciliumFeatureProblems(features({ hubbleMetrics: { enabled: ["dns:query;ignoreAAAA", "httpV2"] } })), []);
        for (const ciliumVersion of ["1.19.6", "1.20.0"]) assert.deepEqual(ciliumFeatureProblems(features({ gatewayAPI: { enabled: true }, ciliumVersion })), []);
    });

    it("coveringCidr: the smallest CIDR over every pod CIDR", () => {
        assert.equal(coveringCidr(["10.42.0.0/16"]), "10.42.0.0/16");
        assert.equal(coveringCidr(["10.10.0.0/16", "10.20.0.0/16"]), "10.0.0.0/11");
        assert.equal(coveringCidr(["10.42.0.0/16", "10.43.0.0/16"]), "10.42.0.0/15");
        assert.equal(coveringCidr(["10.0.0.0/16", "192.168.0.0/16"]), "0.0.0.0/0");
        assert.throws(() => coveringCidr([]));
    });

    it("states the UDP ports (WireGuard 51871, VXLAN 8472, Geneve 6081)", () => {
        assert.equal(WIREGUARD_UDP_PORT, 51871);
        assert.deepEqual(TUNNEL_UDP_PORTS, { vxlan: 8472, geneve: 6081 });
    });
});

describe("IPsec key (ipsec-key.ts)", () => {
    it("writes the guide's line with per-tunnel keys (+) and never echoes a bad key", () => {
        const hex = "0123456789abcdef0123456789abcdef01234567";
        assert.equal(ipsecKeysLine(3, hex), `3+ rfc4106(gcm(aes)) ${hex} 128`);
        assert.throws(() => ipsecKeysLine(0, hex), /1-15/);
        assert.throws(() => ipsecKeysLine(16, hex), /1-15/);
        assert.throws(
            () => ipsecKeysLine(1, "SECRETSECRET"),
            (error: Error) => !error.message.includes("SECRETSECRET"),
        );
        assert.equal(IPSEC_SECRET.name, "cilium-ipsec-keys");
    });
    it("rotates 1 → 2 … 15 → 1", () => {
        assert.equal(nextIpsecKeyId(1), 2);
        assert.equal(nextIpsecKeyId(15), 1);
    });
});

describe("Gateway API (gateway-api.ts)", () => {
    it("picks v1.4.1 for Cilium 1.19, v1.5.1 (seven CRDs, TLSRoute and BackendTLSPolicy included) for 1.20, none before", () => {
        assert.equal(gatewayApiReleaseFor("1.19.6")?.version, "1.4.1");
        const v15 = gatewayApiReleaseFor("1.20.0");
        assert.equal(v15?.version, "1.5.1");
        assert.deepEqual(v15?.crds.map((c) => c.plural).sort(), ["backendtlspolicies", "gatewayclasses", "gateways", "grpcroutes", "httproutes", "referencegrants", "tlsroutes"]);
        for (const v of ["1.16.19", "1.17.18", "1.18.12"]) assert.equal(gatewayApiReleaseFor(v), undefined);
    });

    it("installs exactly the locked CRD set of each release, whose bytes hash to the recorded git blob ids", () => {
        const lock = projectArtifactLock().crds.filter((c) => c.set === "gateway-api");
        for (const release of GATEWAY_API_RELEASES) {
            const locked = lock.filter((c) => c.version === release.version);
            assert.deepEqual(release.crds.map((c) => c.plural).sort(), locked.map((c) => c.plural).sort(), `v${release.version}`);
            for (const crd of release.crds) {
                const entry = locked.find((c) => c.plural === crd.plural)!;
                assert.equal(entry.path, gatewayApiCrdPath(crd), `${crd.plural} @ v${release.version}`);
                assert.equal(gitBlobId(fs.readFileSync(needCrd("gateway-api", release.version, crd.plural).path)), entry.gitBlob);
            }
        }
    });

    for (const version of ["1.4.1", "1.5.1"]) {
        it(`the Gateway validates against the Gateway API ${version} CRD, with the address requested from the pool`, () => {
            for (const loadBalancer of ["metallb", "cilium"] as const) {
                const gateway = gatewayManifest({ name: "web", namespace: "default", address: "172.22.0.60", loadBalancer }) as { apiVersion: string; kind: string; spec: any };
                assert.deepEqual(validateCustomResource(`gateway-api-${version}.gateways.crd.yaml`, gateway), []);
                assert.equal(gateway.spec.gatewayClassName, "cilium");
                assert.ok(Object.values(gateway.spec.infrastructure.annotations).includes("172.22.0.60"));
            }
        });
    }
});
