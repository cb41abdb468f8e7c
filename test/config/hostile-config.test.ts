/** Hostile and ambiguous config: every case must fail before anything is planned, naming the key path. */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ConfigError } from "../../config/config-error";
import { parseStackFile } from "../../scripts/plan/stack-file";

const projectDir = path.resolve(__dirname, "../..");

/** A dev-like stack file whose `clusters[0]` gets the extra lines (indented as cluster keys). */
function stackFile(clusterLines: string, extra = ""): string {
    return [
        "config:",
        "  kubeloom:clusters:",
        "    - name: dev",
        clusterLines,
        "      podCidr: 10.42.0.0/16",
        "      serviceCidr: 10.43.0.0/16",
        "      source:",
        "        k3s:",
        "          host: 192.0.2.10",
        "          user: ubuntu",
        extra,
    ].join("\n");
}

/**
 * Writes `text` as a stack file `Pulumi.<stack>.yaml` in a fresh temporary folder, runs `npm run plan`'s program on
 * it (the real CLI entry, as a newcomer runs it) and removes the folder.
 */
function planStackText(stack: string, text: string): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-hostile-"));
    try {
        const file = path.join(dir, `Pulumi.${stack}.yaml`);
        fs.writeFileSync(file, text);
        return spawnSync(process.execPath, ["-r", "./scripts/ts-register.js", "scripts/plan/plan-cli.ts", stack, "--config", file], { cwd: projectDir, encoding: "utf8" });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** A config mutation and the issue it must raise: at `expectPath`, matching `expect`. */
interface MutationCase {
    readonly name: string;
    readonly mutate: (config: Record<string, any>) => void;
    readonly expectPath: string;
    readonly expect: RegExp;
}

/** One test per case: the dev config, mutated, has an issue at the case's key path with its message. */
function itFailsAtKey(cases: readonly MutationCase[]): void {
    const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
    for (const c of cases) {
        it(`fails on ${c.name}`, () => {
            const config = devConfig();
            c.mutate(config);
            const issues = issuesOf(config);
            const hit = issues.find((i) => i.startsWith(`${c.expectPath}: `));
            assert.ok(hit, `no issue at ${c.expectPath}: ${issues.join("\n")}`);
            assert.match(hit, c.expect);
        });
    }
}

function stackFileIssues(text: string): string[] {
    try {
        parseStackFile(text, "kubeloom");
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
        return error.issues.map((i) => `${i.path}: ${i.message}`);
    }
    return [];
}

interface YamlCase {
    readonly value: string;
    readonly expect?: RegExp;
}

// YAML 1.1 vs 1.2: each plain scalar below is read differently (or version-dependently) by the Pulumi CLI.
const ambiguousIds: YamlCase[] = [
    { value: "010", expect: /write 8 or "010"/ },
    { value: "0o10" },
    { value: "0x1F" },
    { value: "0b101" },
    { value: "1_000" },
    { value: "+1" },
    { value: ".5" },
    { value: "1e3" },
    { value: "1:30", expect: /write 90 or "1:30"/ },
    { value: "~" },
    { value: "null" },
    { value: ".inf" },
    { value: ".NaN" },
    { value: "2001-12-14" },
];
const ambiguousNames = ["yes", "no", "on", "off", "y", "n", "YES", "Off"];

describe("hostile config: YAML 1.1 / 1.2 ambiguity in the stack file", () => {
    for (const c of ambiguousIds) {
        it(`fails on the plain scalar id: ${c.value}`, () => {
            const issues = stackFileIssues(stackFile(`      id: ${c.value}`));
            assert.equal(issues.length, 1, issues.join("\n"));
            assert.match(issues[0], /^clusters\[0\]\.id: /);
            assert.match(issues[0], /read differently by the Pulumi CLI \(YAML 1\.1/);
            if (c.expect) assert.match(issues[0], c.expect);
        });
    }
    for (const name of ambiguousNames) {
        it(`fails on the plain scalar name: ${name} in a vCluster`, () => {
            const issues = stackFileIssues(stackFile("      id: 1\n      vclusters:\n        - name: " + name));
            assert.equal(issues.length, 1, issues.join("\n"));
            assert.match(issues[0], new RegExp(`^clusters\\[0\\]\\.vclusters\\[0\\]\\.name: ${name} is a YAML 1\\.1 boolean.*write true or "${name}"|write false or "${name}"`));
        });
    }
    it("fails on a key with no value", () => {
        assert.match(stackFileIssues(stackFile("      id:")).join("\n"), /^clusters\[0\]\.id: has no value/);
    });
    it("accepts the quoted forms and plain values that both versions read alike", () => {
        for (const id of ['"010"', "'0x1F'", "8", "1", "-1", "1.5"]) {
            assert.deepEqual(stackFileIssues(stackFile(`      id: ${id}`)), [], id);
        }
        assert.deepEqual(stackFileIssues(stackFile('      id: 1\n      vclusters:\n        - name: "yes"\n          version: 0.20.6')), []);
    });
    it("ignores other namespaces and secure values", () => {
        const text = stackFile("      id: 1", "  aws:region: 010\n  kubeloom:sshPrivateKey:\n    secure: v1:0x1F");
        assert.deepEqual(stackFileIssues(text), []);
    });
    it("fails through npm run plan with exit 2 and the key path", () => {
        const result = planStackText("bad", stackFile("      id: 010"));
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /clusters\[0\]\.id: 010 is a number with a leading zero/);
        assert.equal(result.stdout, "");
    });
});

describe("hostile config: outside the support matrix", () => {
    const cases: Array<{ name: string; lines: string; expect: RegExp }> = [
        {
            name: "Cilium 1.20 on K3s 1.32 (a combination outside the matrix)",
            lines: "      id: 1\n      cilium:\n        version: 1.20.0",
            expect: /clusters\[0\]\.cilium\.version: "1\.20\.0" supports Kubernetes 1\.33–1\.36, but clusters\[0\]\.source\.k3s\.version is Kubernetes 1\.32/,
        },
        {
            name: "an unsupported Cilium patch",
            lines: "      id: 1\n      cilium:\n        version: 1.19.5",
            expect: /clusters\[0\]\.cilium\.version: the string "1\.19\.5" is not in Kubeloom's support matrix: supported cilium versions are 1\.16\.19, 1\.17\.18, 1\.18\.12, 1\.19\.6, 1\.20\.0/,
        },
    ];
    for (const c of cases) {
        it(`fails through npm run plan with exit 2 and the key path on ${c.name}`, () => {
            const text = stackFile(c.lines).replace("          user: ubuntu", "          user: ubuntu\n          version: v1.32.12+k3s1\n          sshPrivateKeyPath: /dev/null");
            const result = planStackText("bad", text);
            assert.equal(result.status, 2, result.stderr);
            assert.match(result.stderr, c.expect);
            assert.equal(result.stdout, "");
        });
    }
});

describe("hostile config: files and secrets", () => {
    const { readBoundedFile, MAX_CREDENTIAL_FILE_BYTES } = require("../../config/load") as typeof import("../../config/load");
    const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-files-"));
    const big = path.join(dir, "big");
    fs.writeFileSync(big, Buffer.alloc(MAX_CREDENTIAL_FILE_BYTES + 1));
    const fileCases: Array<{ name: string; file: string; expect: RegExp }> = [
        { name: "a directory", file: dir, expect: /is a directory/ },
        { name: "a character device", file: "/dev/zero", expect: /is a device/ },
        { name: "a file over 1 MiB", file: big, expect: /at most 1048576/ },
    ];
    for (const c of fileCases) {
        it(`fails fast on sshPrivateKeyPath pointing at ${c.name}`, () => {
            assert.throws(() => readBoundedFile(c.file, "clusters[0].source.k3s.sshPrivateKeyPath"), (e: Error) => /^clusters\[0\]\.source\.k3s\.sshPrivateKeyPath: /.test(e.message) && c.expect.test(e.message));
        });
    }
    const pasted = [
        { name: "a PEM key", value: "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETMARKER\n-----END OPENSSH PRIVATE KEY-----" },
        { name: "a kubeconfig", value: "apiVersion: v1 SECRETMARKER" },
        { name: "a multi-line value", value: "SECRETMARKER\nmore" },
        { name: "a value longer than PATH_MAX", value: `SECRETMARKER${"x".repeat(5000)}` },
    ];
    for (const p of pasted) {
        it(`fails on ${p.name} pasted into sshPrivateKeyPath without echoing it`, () => {
            const c = devConfig();
            c.clusters[0].source.k3s.sshPrivateKeyPath = p.value;
            const issues = issuesOf(c).join("\n");
            assert.match(issues, /^clusters\[0\]\.source\.k3s\.sshPrivateKeyPath: looks like the secret itself/);
            assert.doesNotMatch(issues, /SECRETMARKER/);
        });
        it(`fails on ${p.name} pasted into source.kubeconfig.path without echoing it`, () => {
            const c = devConfig();
            c.clusters[0].source = { kubeconfig: { path: p.value } };
            c.clusters[0].cilium.kubeProxyReplacement = false;
            const issues = issuesOf(c).join("\n");
            assert.match(issues, /clusters\[0\]\.source\.kubeconfig\.path: looks like the secret itself.*sourceKubeconfigs/);
            assert.doesNotMatch(issues, /SECRETMARKER/);
        });
    }
    it("fails on a plaintext entry in the kubeloom:sourceKubeconfigs map with the exact command", () => {
        const text = stackFile("      id: 1", "  kubeloom:sourceKubeconfigs:\n    a:\n      secure: v1:abc\n    b: apiVersion-SECRETMARKER");
        const issues = stackFileIssues(text).join("\n");
        assert.match(issues, /^sourceKubeconfigs\.b: is in plaintext.*pulumi config set --secret --path 'kubeloom:sourceKubeconfigs\.b' "\$\(cat kubeconfig\)"/);
        assert.doesNotMatch(issues, /SECRETMARKER|sourceKubeconfigs\.a:/);
    });
    for (const ns of ["Kubeloom", "kubeloon", "kubelom", "KUBELOOM"]) {
        it(`fails on the misspelt namespace ${ns}:clusters with a hint naming kubeloom:`, () => {
            const text = stackFile("      id: 1").replace("kubeloom:clusters", `${ns}:clusters`);
            assert.match(stackFileIssues(text).join("\n"), new RegExp(`^${ns}:clusters: has the namespace "${ns}:".*write "kubeloom:clusters"`));
        });
    }
});

describe("hostile config: addresses that cannot work", () => {
    const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
    const k3s = (c: Record<string, any>) => c.clusters[0].source.k3s;
    const cases: Array<{ name: string; mutate: (c: Record<string, any>) => void; expectPath: string; expect: RegExp }> = [
        { name: "a pod CIDR in 0.0.0.0/8", mutate: (c) => (c.clusters[0].podCidr = "0.0.0.0/16"), expectPath: "clusters[0].podCidr", expect: /this network/ },
        { name: "a pod CIDR in loopback", mutate: (c) => (c.clusters[0].podCidr = "127.0.0.0/16"), expectPath: "clusters[0].podCidr", expect: /loopback/ },
        { name: "a pod CIDR in link-local", mutate: (c) => (c.clusters[0].podCidr = "169.254.0.0/16"), expectPath: "clusters[0].podCidr", expect: /link-local/ },
        { name: "a service CIDR in multicast", mutate: (c) => (c.clusters[0].serviceCidr = "224.1.0.0/16"), expectPath: "clusters[0].serviceCidr", expect: /multicast/ },
        { name: "a service CIDR in 240/4", mutate: (c) => (c.clusters[0].serviceCidr = "250.0.0.0/16"), expectPath: "clusters[0].serviceCidr", expect: /reserved/ },
        { name: "the broadcast address as a service CIDR", mutate: (c) => (c.clusters[0].serviceCidr = "255.255.255.255/32"), expectPath: "clusters[0].serviceCidr", expect: /reserved/ },
        { name: "a service CIDR wider than /12", mutate: (c) => (c.clusters[0].serviceCidr = "10.0.0.0/11"), expectPath: "clusters[0].serviceCidr", expect: /at most a \/12/ },
        { name: "a pod CIDR smaller than one node's /24", mutate: (c) => (c.clusters[0].podCidr = "10.42.0.0/25"), expectPath: "clusters[0].podCidr", expect: /\/24/ },
        { name: "a /24 pod CIDR for two nodes", mutate: (c) => { c.clusters[0].podCidr = "10.42.0.0/24"; k3s(c).agents = [{ host: "192.0.2.11" }]; }, expectPath: "clusters[0].podCidr", expect: /2 nodes/ },
        { name: "a pod CIDR containing the K3s host", mutate: (c) => (c.clusters[0].podCidr = "192.0.2.0/24"), expectPath: "clusters[0].podCidr", expect: /node address 192\.0\.2\.10/ },
        { name: "a pod CIDR containing an agent", mutate: (c) => { c.clusters[0].podCidr = "10.42.0.0/16"; k3s(c).agents = [{ host: "10.42.7.7" }]; }, expectPath: "clusters[0].podCidr", expect: /agents\[0\]\.host/ },
        { name: "a host with an octet over 255", mutate: (c) => (k3s(c).host = "192.0.2.300"), expectPath: "clusters[0].source.k3s.host", expect: /four octets/ },
        { name: "a host with leading zeros", mutate: (c) => (k3s(c).host = "010.0.0.1"), expectPath: "clusters[0].source.k3s.host", expect: /leading zeros/ },
        { name: "a host with two parts", mutate: (c) => (k3s(c).host = "10.1"), expectPath: "clusters[0].source.k3s.host", expect: /IPv4/ },
        { name: "an agent host with five parts", mutate: (c) => (k3s(c).agents = [{ host: "10.1.1.1.1" }]), expectPath: "clusters[0].source.k3s.agents[0].host", expect: /IPv4/ },
        { name: "a tlsSans entry that is an invalid IPv4", mutate: (c) => (k3s(c).tlsSans = ["1.2.3.256"]), expectPath: "clusters[0].source.k3s.tlsSans[0]", expect: /IPv4/ },
        { name: "a MetalLB pool containing the node", mutate: (c) => { c.mesh = {}; c.clusters[0].loadBalancer = { metallb: { addresses: ["192.0.2.0/28"] } }; }, expectPath: "clusters[0].loadBalancer.metallb.addresses[0]", expect: /node address 192\.0\.2\.10/ },
    ];
    itFailsAtKey(cases);
    it("accepts a DNS name host and the dev config", () => {
        const config = devConfig();
        config.clusters[0].source.k3s.host = "node-1.example.com";
        assert.deepEqual(issuesOf(config), []);
        assert.deepEqual(issuesOf(devConfig()), []);
    });
});

describe("hostile config: HA K3s (servers, registrationAddress, skipUninstall)", () => {
    const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
    const k3s = (c: Record<string, any>) => c.clusters[0].source.k3s;
    const servers = (...hosts: string[]) => hosts.map((host) => ({ host }));
    /** dev with `servers` instead of `host`. */
    const ha = (c: Record<string, any>, hosts: string[], registrationAddress: string | null = "192.0.2.100") => {
        delete k3s(c).host;
        k3s(c).servers = servers(...hosts);
        if (registrationAddress !== null) k3s(c).registrationAddress = registrationAddress;
    };
    const cases: Array<{ name: string; mutate: (c: Record<string, any>) => void; expectPath: string; expect: RegExp }> = [
        { name: "two servers (no etcd quorum after one failure)", mutate: (c) => ha(c, ["192.0.2.10", "192.0.2.11"]), expectPath: "clusters[0].source.k3s.servers", expect: /has 2 servers; use 1, 3 or 5.*2 servers tolerate none/ },
        { name: "four servers", mutate: (c) => ha(c, ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"]), expectPath: "clusters[0].source.k3s.servers", expect: /has 4 servers; use 1, 3 or 5/ },
        { name: "seven servers", mutate: (c) => ha(c, ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14", "192.0.2.15", "192.0.2.16"]), expectPath: "clusters[0].source.k3s.servers", expect: /has 7 servers/ },
        { name: "an empty servers list", mutate: (c) => ha(c, []), expectPath: "clusters[0].source.k3s.servers", expect: /at least one server/ },
        { name: "three servers without a registrationAddress", mutate: (c) => ha(c, ["192.0.2.10", "192.0.2.11", "192.0.2.12"], null), expectPath: "clusters[0].source.k3s.registrationAddress", expect: /required with 3 servers/ },
        { name: "host and servers together", mutate: (c) => (k3s(c).servers = servers("192.0.2.11")), expectPath: "clusters[0].source.k3s.servers", expect: /cannot be set together with host/ },
        { name: "neither host nor servers", mutate: (c) => delete k3s(c).host, expectPath: "clusters[0].source.k3s.host", expect: /set host \(one server\) or servers/ },
        { name: "a server listed twice", mutate: (c) => ha(c, ["192.0.2.10", "192.0.2.11", "192.0.2.10"]), expectPath: "clusters[0].source.k3s.servers[2].host", expect: /is also clusters\[0\]\.source\.k3s\.servers\[0\]\.host; each node is installed once/ },
        { name: "an agent that is also a server", mutate: (c) => { ha(c, ["192.0.2.10", "192.0.2.11", "192.0.2.12"]); k3s(c).agents = [{ host: "192.0.2.12" }]; }, expectPath: "clusters[0].source.k3s.agents[0].host", expect: /is also clusters\[0\]\.source\.k3s\.servers\[2\]\.host/ },
        { name: "localhost among several servers", mutate: (c) => ha(c, ["localhost", "192.0.2.11", "192.0.2.12"]), expectPath: "clusters[0].source.k3s.servers[0].host", expect: /cannot be "localhost" with several servers/ },
        { name: "a registrationAddress of localhost", mutate: (c) => ha(c, ["192.0.2.10", "192.0.2.11", "192.0.2.12"], "localhost"), expectPath: "clusters[0].source.k3s.registrationAddress", expect: /cannot be "localhost"/ },
        { name: "a registrationAddress inside the pod CIDR", mutate: (c) => ha(c, ["192.0.2.10", "192.0.2.11", "192.0.2.12"], "10.42.0.5"), expectPath: "clusters[0].podCidr", expect: /registrationAddress/ },
        { name: "a server without an SSH user", mutate: (c) => { ha(c, ["192.0.2.10", "192.0.2.11", "192.0.2.12"]); delete k3s(c).user; k3s(c).servers[0].user = "ubuntu"; k3s(c).servers[2].user = "ubuntu"; }, expectPath: "clusters[0].source.k3s.servers[1].user", expect: /is required/ },
        { name: "a localhost server with agents and no registrationAddress", mutate: (c) => Object.assign(k3s(c), { host: "localhost", tlsSans: ["192.0.2.10"], agents: [{ host: "192.0.2.11" }] }), expectPath: "clusters[0].source.k3s.registrationAddress", expect: /"localhost" and there are agents.*127\.0\.0\.1 works only on this machine/ },
        { name: "skipUninstall naming a host that is no node", mutate: (c) => (k3s(c).skipUninstall = ["192.0.2.99"]), expectPath: "clusters[0].source.k3s.skipUninstall[0]", expect: /not a node of this cluster \(192\.0\.2\.10\)/ },
        { name: "a pod CIDR too small for 3 servers and 2 agents", mutate: (c) => { c.clusters[0].podCidr = "10.42.0.0/22"; ha(c, ["192.0.2.10", "192.0.2.11", "192.0.2.12"]); k3s(c).agents = servers("192.0.2.21", "192.0.2.22"); }, expectPath: "clusters[0].podCidr", expect: /5 nodes/ },
    ];
    itFailsAtKey(cases);
    it("accepts 1, 3 and 5 servers, a localhost server with agents and a registrationAddress, and skipUninstall of a node", () => {
        for (const hosts of [["192.0.2.10"], ["192.0.2.10", "192.0.2.11", "192.0.2.12"], ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"]]) {
            const config = devConfig();
            ha(config, hosts);
            k3s(config).skipUninstall = [hosts[hosts.length - 1]];
            assert.deepEqual(issuesOf(config), [], hosts.join(","));
        }
        const local = devConfig();
        Object.assign(k3s(local), { host: "localhost", registrationAddress: "192.0.2.10", agents: [{ host: "192.0.2.11" }] });
        assert.deepEqual(issuesOf(local), []);
    });
    it("fails through npm run plan with exit 2 and the key path on two servers", () => {
        const text = stackFile("      id: 1").replace("          host: 192.0.2.10\n", "          registrationAddress: 192.0.2.100\n          servers:\n            - host: 192.0.2.10\n            - host: 192.0.2.11\n");
        const result = planStackText("bad", text);
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /clusters\[0\]\.source\.k3s\.servers: has 2 servers; use 1, 3 or 5/);
        assert.equal(result.stdout, "");
    });
});

describe("hostile config: tenants", () => {
    const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
    const vc = (c: Record<string, any>) => c.clusters[0].vclusters[0];
    const policy = (extra: Record<string, unknown>) => ({ name: "p", podSelector: { app: "web" }, ...extra });
    const at = "clusters[0].vclusters[0]";
    const cases: Array<{ name: string; mutate: (c: Record<string, any>) => void; expectPath: string; expect: RegExp }> = [
        { name: "an unknown Pod Security level", mutate: (c) => (vc(c).podSecurityStandard = "strict"), expectPath: `${at}.podSecurityStandard`, expect: /"privileged", "baseline", "restricted", got the string "strict"/ },
        { name: "an unknown build", mutate: (c) => (vc(c).build = "enterprise"), expectPath: `${at}.build`, expect: /"oss", "pro"/ },
        { name: "resourceQuota with quota: false", mutate: (c) => { vc(c).quota = false; vc(c).resourceQuota = { pods: 5 }; }, expectPath: `${at}.resourceQuota`, expect: /quota is false/ },
        { name: "limitRange with quota: false", mutate: (c) => { vc(c).quota = false; vc(c).limitRange = {}; }, expectPath: `${at}.limitRange`, expect: /quota is false/ },
        { name: "a policy without rules", mutate: (c) => (vc(c).networkPolicies = [policy({})]), expectPath: `${at}.networkPolicies[0]`, expect: /at least one ingress or egress rule/ },
        { name: "a rule with two peers", mutate: (c) => (vc(c).networkPolicies = [policy({ ingress: [{ fromPods: {}, fromEntities: ["world"] }] })]), expectPath: `${at}.networkPolicies[0].ingress[0]`, expect: /exactly one of fromPods, fromEntities \(got fromPods and fromEntities\)/ },
        { name: "a rule without a peer", mutate: (c) => (vc(c).networkPolicies = [policy({ egress: [{ ports: [{ port: 443 }] }] })]), expectPath: `${at}.networkPolicies[0].egress[0]`, expect: /exactly one of toPods, toEntities, toFQDNs \(got none\)/ },
        { name: "toFQDNs on ingress", mutate: (c) => (vc(c).networkPolicies = [policy({ ingress: [{ toFQDNs: [{ matchName: "x.io" }] }] })]), expectPath: `${at}.networkPolicies[0].ingress[0].toFQDNs`, expect: /not a known key/ },
        { name: "an entity Cilium does not know", mutate: (c) => (vc(c).networkPolicies = [policy({ ingress: [{ fromEntities: ["galaxy"] }] })]), expectPath: `${at}.networkPolicies[0].ingress[0].fromEntities[0]`, expect: /"world"/ },
        { name: "http without ports", mutate: (c) => (vc(c).networkPolicies = [policy({ ingress: [{ fromPods: {}, http: [{ method: "GET" }] }] })]), expectPath: `${at}.networkPolicies[0].ingress[0].http`, expect: /needs ports/ },
        { name: "http on a UDP port", mutate: (c) => (vc(c).networkPolicies = [policy({ ingress: [{ fromPods: {}, ports: [{ port: 53, protocol: "UDP" }], http: [{ method: "GET" }] }] })]), expectPath: `${at}.networkPolicies[0].ingress[0].http`, expect: /TCP ports only/ },
        { name: "fromNamespace without fromPods", mutate: (c) => (vc(c).networkPolicies = [policy({ ingress: [{ fromEntities: ["world"], fromNamespace: "default" }] })]), expectPath: `${at}.networkPolicies[0].ingress[0].fromNamespace`, expect: /only used with fromPods/ },
        { name: "a lower-case HTTP method", mutate: (c) => (vc(c).networkPolicies = [policy({ ingress: [{ fromPods: {}, ports: [{ port: 80 }], http: [{ method: "post" }] }] })]), expectPath: `${at}.networkPolicies[0].ingress[0].http[0].method`, expect: /capitals/ },
        { name: "an invalid label key", mutate: (c) => (vc(c).networkPolicies = [policy({ podSelector: { "bad key": "x" }, egress: [{ toEntities: ["world"] }] })]), expectPath: `${at}.networkPolicies[0].podSelector["bad key"]`, expect: /label key/ },
        { name: "an FQDN selector with both forms", mutate: (c) => (vc(c).networkPolicies = [policy({ egress: [{ toFQDNs: [{ matchName: "a.io", matchPattern: "*.a.io" }] }] })]), expectPath: `${at}.networkPolicies[0].egress[0].toFQDNs[0]`, expect: /exactly one of matchName, matchPattern/ },
        { name: "two policies with one name", mutate: (c) => (vc(c).networkPolicies = [policy({ egress: [{ toEntities: ["world"] }] }), policy({ egress: [{ toEntities: ["world"] }] })]), expectPath: `${at}.networkPolicies[1].name`, expect: /already used/ },
        {
            name: "ingress selectors needing more than 64 isolation policies",
            mutate: (c) => (vc(c).networkPolicies = ["a", "b", "c"].map((n) => ({ name: n, namespace: "default", podSelector: { w: n, x: n, y: n, z: n }, ingress: [{ fromPods: {} }] }))),
            expectPath: `${at}.networkPolicies`,
            expect: /the ingress policies' selectors .*would need 125 isolation NetworkPolicies.*more than 64/,
        },
        {
            // One policy allows org=empire on port 80 at L4, another restricts the same peers there to POST: void.
            name: "an HTTP rule that another tenant policy's L4 rule voids",
            mutate: (c) => (vc(c).networkPolicies = [
                policy({ name: "landing", podSelector: { class: "deathstar" }, ingress: [{ fromPods: { org: "empire" }, ports: [{ port: 80 }], http: [{ method: "POST" }] }] }),
                policy({ name: "open", podSelector: { class: "deathstar" }, ingress: [{ fromPods: {}, ports: [{ port: 80 }] }] }),
            ]),
            expectPath: `${at}.networkPolicies[0].ingress[0].http`,
            expect: /on TCP\/80 have no effect: CiliumNetworkPolicy\/vcluster-vc-a\/tenant-open ingress\[0\] allows the same peers/,
        },
        {
            // On 0.36 (the default) Kubeloom's egress fence leaves egress-policy pods out the same way.
            name: "egress selectors needing more than 64 fence policies",
            mutate: (c) => (vc(c).networkPolicies = ["a", "b", "c"].map((n) => ({ name: n, namespace: "default", podSelector: { w: n, x: n, y: n, z: n }, egress: [{ toEntities: ["world"] }] }))),
            expectPath: `${at}.networkPolicies`,
            expect: /the egress policies' selectors .*would need 125 isolation NetworkPolicies.*more than 64/,
        },
    ];
    itFailsAtKey(cases);
    it("words one label mistake alike in a tenant's selector and in Cilium's nodeSelector (one label check)", () => {
        for (const [key, value] of [["bad key", "x"], ["app", "my app"], ["a/b/c", "x"]]) {
            const config = devConfig();
            vc(config).networkPolicies = [policy({ podSelector: { [key]: value }, egress: [{ toEntities: ["world"] }] })];
            config.clusters[0].cilium = { ...config.clusters[0].cilium, nodeSelector: { [key]: value } };
            const reason = (prefix: string) => issuesOf(config).find((i: string) => i.startsWith(prefix))?.split(": ").slice(1).join(": ");
            const tenant = reason(`${at}.networkPolicies[0].podSelector`);
            assert.ok(tenant, `no tenant selector issue for ${key}=${value}`);
            assert.equal(tenant, reason("clusters[0].cilium.nodeSelector"));
        }
    });
    it("takes HTTP rules on same-tenant peers with isolation on 0.36 (Kubeloom's fence leaves their pods out); on 0.20 refuses them on egress only", () => {
        const { crossFieldIssues } = require("../../config/rules") as typeof import("../../config/rules");
        const { parseStackConfig } = require("../../config/parse") as typeof import("../../config/parse");
        const raw = devConfig();
        vc(raw).networkPolicies = [
            policy({ ingress: [{ fromPods: { org: "empire" }, ports: [{ port: 80 }], http: [{ method: "POST" }] }] }),
            policy({ name: "exhaust", egress: [{ toPods: { class: "exhaust-port" }, ports: [{ port: 8080 }], http: [{ method: "GET" }] }] }),
        ];
        assert.deepEqual(issuesOf(raw), []);
        // 0.20's chart fences egress itself and allows every pod of the tenant at L3: an egress HTTP rule towards
        // them would be void. Its ingress is Kubeloom's, so the ingress rule stays valid.
        const parsed = parseStackConfig(raw);
        const on020 = (isolate: boolean) => ({ ...parsed, clusters: parsed.clusters.map((c) => ({ ...c, vclusters: c.vclusters.map((v, j) => (j === 0 ? { ...v, version: "0.20.6", isolate } : v)) })) });
        const http = (config: typeof parsed) => crossFieldIssues(config).filter((i) => i.path.includes("http")).map((i) => `${i.path}: ${i.message}`);
        const refused = http(on020(true));
        assert.equal(refused.length, 1, refused.join("\n"));
        assert.match(refused[0], /^clusters\[0\]\.vclusters\[0\]\.networkPolicies\[1\]\.egress\[0\]\.http: has no effect on vCluster 0\.20\.6 with isolate: true/);
        assert.deepEqual(http(on020(false)), []);
    });

    it("fails through npm run plan with exit 2 naming the tenant key", () => {
        const result = planStackText("bad", stackFile("      id: 1\n      vclusters:\n        - name: vc-a\n          podSecurityStandard: strict"));
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /clusters\[0\]\.vclusters\[0\]\.podSecurityStandard: must be one of/);
    });
});

describe("hostile config: chaining that breaks the primary CNI (issue 11 failures 3 and 4)", () => {
    const chainYaml = fs.readFileSync(path.join(projectDir, "Pulumi.chain.yaml"), "utf8");
    const cases: Array<{ name: string; edit: (text: string) => string; expect: RegExp }> = [
        {
            name: "ipamMode kubernetes with generic-veth (router IP from the podCIDR flannel uses)",
            edit: (t) => t.replace("        kubeProxyReplacement: true\n", "        kubeProxyReplacement: true\n        ipamMode: kubernetes\n"),
            expect: /clusters\[0\]\.cilium\.ipamMode: "kubernetes" cannot be used with chaining mode generic-veth: the agent would take its router IP/,
        },
        { name: "no routerCidr", edit: (t) => t.replace(/\n {10}routerCidr: .*\n/, "\n"), expect: /clusters\[0\]\.cilium\.chaining\.routerCidr: is required with chaining mode generic-veth/ },
        { name: "a routerCidr inside the pod CIDR", edit: (t) => t.replace(/routerCidr: .*/, "routerCidr: 10.244.240.0/20"), expect: /clusters\[0\]\.cilium\.chaining\.routerCidr: "10\.244\.240\.0\/20" overlaps the cluster's podCidr/ },
        { name: "no target network", edit: (t) => t.replace(/\n {10}target: .*\n/, "\n"), expect: /clusters\[0\]\.cilium\.chaining\.target: is required with chaining mode generic-veth/ },
    ];
    for (const c of cases) {
        it(`fails through npm run plan with exit 2 on ${c.name}`, () => {
            const edited = c.edit(chainYaml);
            assert.notEqual(edited, chainYaml, "Pulumi.chain.yaml no longer has the line this case edits");
            const result = planStackText("chain", edited);
            assert.equal(result.status, 2, result.stderr);
            assert.match(result.stderr, c.expect);
            assert.equal(result.stdout, "");
        });
    }
});

describe("hostile config: Cilium LB-IPAM", () => {
    const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
    const withLb = (c: Record<string, any>, lb: Record<string, unknown>) => (c.clusters[0].loadBalancer = lb);
    const cases: Array<{ name: string; mutate: (c: Record<string, any>) => void; expectPath: string; expect: RegExp }> = [
        { name: "MetalLB and Cilium LB-IPAM on one cluster", mutate: (c) => { c.mesh = {}; withLb(c, { metallb: { addresses: ["198.51.100.0/28"] }, cilium: { addresses: ["198.51.100.16/28"] } }); }, expectPath: "clusters[0].loadBalancer", expect: /sets both metallb and cilium; pick one/ },
        { name: "LB-IPAM on Cilium 1.16", mutate: (c) => { c.clusters[0].cilium.version = "1.16.19"; withLb(c, { cilium: { addresses: ["198.51.100.0/28"] } }); }, expectPath: "clusters[0].loadBalancer.cilium", expect: /needs Cilium 1\.18 or newer \(cilium\.version is 1\.16\.19\)/ },
        { name: "LB-IPAM without kube-proxy replacement", mutate: (c) => { c.clusters[0].cilium.kubeProxyReplacement = false; withLb(c, { cilium: { addresses: ["198.51.100.0/28"] } }); }, expectPath: "clusters[0].loadBalancer.cilium", expect: /kubeProxyReplacement: true/ },
        { name: "an LB-IPAM entry that is no range", mutate: (c) => withLb(c, { cilium: { addresses: ["198.51.100.9-198.51.100.1"] } }), expectPath: "clusters[0].loadBalancer.cilium.addresses[0]", expect: /198\.51\.100\.9-198\.51\.100\.1/ },
        { name: "an LB-IPAM pool containing the node", mutate: (c) => withLb(c, { cilium: { addresses: ["192.0.2.0/28"] } }), expectPath: "clusters[0].loadBalancer.cilium.addresses[0]", expect: /node address 192\.0\.2\.10.*Cilium's L2 announcement would answer ARP/ },
        { name: "LB-IPAM with K3s' ServiceLB on", mutate: (c) => { c.clusters[0].source.k3s.disable = ["traefik"]; withLb(c, { cilium: { addresses: ["198.51.100.0/28"] } }); }, expectPath: "clusters[0].source.k3s.disable", expect: /servicelb.*loadBalancer\.cilium/ },
        { name: "an LB-IPAM device that is no interface name", mutate: (c) => withLb(c, { cilium: { addresses: ["198.51.100.0/28"], devices: ["eth0; reboot"] } }), expectPath: "clusters[0].loadBalancer.cilium.devices[0]", expect: /interface name/ },
        { name: "a LoadBalancer vCluster outside the LB-IPAM pool", mutate: (c) => { withLb(c, { cilium: { addresses: ["198.51.100.0/28"] } }); c.clusters[0].vclusters[0] = { name: "vc-a", expose: "LoadBalancer", loadBalancerIP: "198.51.100.99" }; }, expectPath: "clusters[0].vclusters[0].loadBalancerIP", expect: /outside this cluster's Cilium LB-IPAM pool/ },
    ];
    for (const c of cases) {
        it(`fails on ${c.name}`, () => {
            const config = devConfig();
            c.mutate(config);
            const issues = issuesOf(config);
            const at = issues.filter((i) => i.startsWith(`${c.expectPath}: `));
            assert.ok(at.length > 0, `no issue at ${c.expectPath}: ${issues.join("\n")}`);
            assert.ok(at.some((i) => c.expect.test(i)), `${c.expect} not among: ${at.join("\n")}`);
        });
    }
});

/** A valid two-cluster kind mesh like Pulumi.mesh.yaml. */
function kindMesh(): Record<string, any> {
    const cluster = (n: number, pool: string) => ({
        name: `c${n}`,
        id: n,
        podCidr: `10.${n}0.0.0/16`,
        serviceCidr: `10.${n}1.0.0/16`,
        source: { kind: { apiServerPort: 6443 + n } },
        loadBalancer: { metallb: { addresses: [pool] } },
    });
    return { clusters: [cluster(1, "172.22.0.50-172.22.0.100"), cluster(2, "172.22.0.101-172.22.0.150")], mesh: { enabled: true, demo: true } };
}

/** kindMesh with mesh.serviceType NodePort (kind clusters: the node address comes from the container). */
function nodePortMesh(): Record<string, any> {
    const c = kindMesh();
    c.mesh.serviceType = "NodePort";
    for (const cluster of c.clusters) delete cluster.loadBalancer;
    return c;
}

/** A second K3s cluster for dev-based cases. */
const secondK3s = (host: string, extra: Record<string, unknown> = {}) => ({
    name: "prod",
    id: 2,
    podCidr: "10.52.0.0/16",
    serviceCidr: "10.53.0.0/16",
    source: { k3s: { host, user: "ubuntu", ...extra } },
});

interface CatalogueCase {
    readonly name: string;
    readonly base?: () => Record<string, any>;
    readonly mutate: (c: Record<string, any>) => void;
    readonly expectPath: string;
    /** The message must match (for collisions: name the other key). */
    readonly expect: RegExp;
}

function runCatalogue(title: string, cases: readonly CatalogueCase[]): void {
    describe(title, () => {
        const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
        for (const c of cases) {
            it(`fails on ${c.name}`, () => {
                const config = (c.base ?? devConfig)();
                c.mutate(config);
                const issues = issuesOf(config);
                const atPath = issues.filter((i) => i.startsWith(`${c.expectPath}: `));
                assert.ok(atPath.length > 0, `no issue at ${c.expectPath}:\n${issues.join("\n")}`);
                assert.ok(atPath.some((i) => c.expect.test(i)), `no issue at ${c.expectPath} matches ${c.expect}:\n${atPath.join("\n")}`);
            });
        }
    });
}

const k3sOf = (c: Record<string, any>) => c.clusters[0].source.k3s;
const vcs = (c: Record<string, any>) => c.clusters[0].vclusters;

runCatalogue("hostile config: one registry of ports, addresses and hosts", [
    { name: "two vClusters on one explicit NodePort", mutate: (c) => (vcs(c)[1].nodePort = 31443), expectPath: "clusters[0].vclusters[1].nodePort", expect: /31443 is also clusters\[0\]\.vclusters\[0\]\.nodePort/ },
    { name: "an explicit NodePort equal to a later vCluster's derived default", mutate: (c) => { vcs(c)[0].nodePort = 31444; delete vcs(c)[1].nodePort; }, expectPath: "clusters[0].vclusters[0].nodePort", expect: /31444 is also clusters\[0\]\.vclusters\[1\]\.nodePort \(the NodePort of vCluster vc-b, by default 31443 \+ index 1\)/ },
    { name: "the Hubble UI NodePort on a vCluster's NodePort", mutate: (c) => (c.clusters[0].cilium.hubble.uiNodePort = 31444), expectPath: "clusters[0].cilium.hubble.uiNodePort", expect: /also clusters\[0\]\.vclusters\[1\]\.nodePort/ },
    { name: "a derived vCluster NodePort above 32767", mutate: (c) => (c.clusters[0].vclusters = Array.from({ length: 1326 }, (_, j) => ({ name: `t${j}`, expose: "NodePort" }))), expectPath: "clusters[0].vclusters[1325].nodePort", expect: /32768, outside the NodePort range 30000-32767/ },
    { name: "a clustermesh-apiserver NodePort on a vCluster's", base: nodePortMesh, mutate: (c) => (c.clusters[1].vclusters = [{ name: "t", expose: "NodePort", nodePort: 32380 }]), expectPath: "clusters[1].vclusters[0].nodePort", expect: /also clusters\[1\]\.clustermesh\.nodePort \(the clustermesh-apiserver NodePort of c2, by default 32379 \+ mesh index 1\)/ },
    { name: "a clustermesh-apiserver NodePort on the Hubble UI's", base: nodePortMesh, mutate: (c) => (c.clusters[0].clustermesh = { nodePort: 31235 }) && (c.clusters[0].cilium = { hubble: { ui: true, uiNodePort: 31235 } }), expectPath: "clusters[0].clustermesh.nodePort", expect: /also clusters\[0\]\.cilium\.hubble\.uiNodePort/ },
    { name: "two mesh clusters on one clustermesh NodePort", base: nodePortMesh, mutate: (c) => (c.clusters[1].clustermesh = { nodePort: 32379 }), expectPath: "clusters[1].clustermesh.nodePort", expect: /also clusters\[0\]\.clustermesh\.nodePort.*cilium#24692/ },
    { name: "the K3s API port inside the NodePort range", mutate: (c) => (k3sOf(c).apiPort = 31443), expectPath: "clusters[0].source.k3s.apiPort", expect: /inside the NodePort range/ },
    { name: "the K3s API port on the kubelet's", mutate: (c) => (k3sOf(c).apiPort = 10250), expectPath: "clusters[0].source.k3s.apiPort", expect: /10250 is also reserved: kubelet API/ },
    { name: "the K3s API port on etcd's", mutate: (c) => (k3sOf(c).apiPort = 2379), expectPath: "clusters[0].source.k3s.apiPort", expect: /reserved: etcd client/ },
    { name: "the K3s API port on K3s's local kube-apiserver port", mutate: (c) => (k3sOf(c).apiPort = 6444), expectPath: "clusters[0].source.k3s.apiPort", expect: /kube-apiserver local access/ },
    { name: "the K3s API port on cilium-health's", mutate: (c) => (k3sOf(c).apiPort = 4240), expectPath: "clusters[0].source.k3s.apiPort", expect: /cilium-health/ },
    { name: "the K3s API port on the server's SSH port", mutate: (c) => (k3sOf(c).apiPort = 22), expectPath: "clusters[0].source.k3s.port", expect: /22 is also clusters\[0\]\.source\.k3s\.apiPort/ },
    { name: "the SSH port on the kubelet's", mutate: (c) => (k3sOf(c).port = 10250), expectPath: "clusters[0].source.k3s.port", expect: /reserved: kubelet API/ },
    { name: "two kind clusters on one apiServerPort", base: kindMesh, mutate: (c) => (c.clusters[1].source.kind.apiServerPort = 6444), expectPath: "clusters[1].source.kind.apiServerPort", expect: /6444 is also clusters\[0\]\.source\.kind\.apiServerPort.*same machine/ },
    { name: "a kind apiServerPort on a local K3s's API port", mutate: (c) => { k3sOf(c).host = "localhost"; c.clusters.push({ name: "kd", id: 2, podCidr: "10.62.0.0/16", serviceCidr: "10.63.0.0/16", source: { kind: { apiServerPort: 6443 } } }); }, expectPath: "clusters[1].source.kind.apiServerPort", expect: /also clusters\[0\]\.source\.k3s\.apiPort/ },
    { name: "a kind apiServerPort on a local K3s's kubelet", mutate: (c) => { k3sOf(c).host = "localhost"; c.clusters.push({ name: "kd", id: 2, podCidr: "10.62.0.0/16", serviceCidr: "10.63.0.0/16", source: { kind: { apiServerPort: 10250 } } }); }, expectPath: "clusters[1].source.kind.apiServerPort", expect: /reserved: kubelet API/ },
    { name: "one host in two clusters", mutate: (c) => c.clusters.push(secondK3s("192.0.2.10")), expectPath: "clusters[1].source.k3s.host", expect: /is also clusters\[0\]\.source\.k3s\.host.*one cluster only/ },
    { name: "a host that is another cluster's agent", mutate: (c) => { k3sOf(c).agents = [{ host: "192.0.2.11" }]; c.clusters.push(secondK3s("192.0.2.11")); }, expectPath: "clusters[1].source.k3s.host", expect: /also clusters\[0\]\.source\.k3s\.agents\[0\]\.host/ },
    { name: "one host spelt in two cases in two clusters", mutate: (c) => { k3sOf(c).host = "node-1.example.com"; c.clusters.push(secondK3s("Node-1.EXAMPLE.com")); }, expectPath: "clusters[1].source.k3s.host", expect: /one cluster only/ },
    { name: "localhost and 127.0.0.1 as two clusters", mutate: (c) => { k3sOf(c).host = "localhost"; c.clusters.push(secondK3s("127.0.0.1")); }, expectPath: "clusters[1].source.k3s.host", expect: /"localhost" is also clusters\[0\]\.source\.k3s\.host/ },
    { name: "an agent listed twice in one cluster", mutate: (c) => (k3sOf(c).agents = [{ host: "192.0.2.11" }, { host: "192.0.2.11" }]), expectPath: "clusters[0].source.k3s.agents[1].host", expect: /each node is installed once/ },
    { name: "a vCluster LoadBalancer address on the mesh's derived apiserver address", base: kindMesh, mutate: (c) => (c.clusters[0].vclusters = [{ name: "t", expose: "LoadBalancer", loadBalancerIP: "172.22.0.50" }]), expectPath: "clusters[0].vclusters[0].loadBalancerIP", expect: /also clusters\[0\]\.clustermesh\.apiserverIP \(the clustermesh-apiserver address of c1, by default the first address/ },
    { name: "two vClusters on one LoadBalancer address", base: kindMesh, mutate: (c) => (c.clusters[0].vclusters = [{ name: "t", expose: "LoadBalancer", loadBalancerIP: "172.22.0.60" }, { name: "u", expose: "LoadBalancer", loadBalancerIP: "172.22.0.60" }]), expectPath: "clusters[0].vclusters[1].loadBalancerIP", expect: /also clusters\[0\]\.vclusters\[0\]\.loadBalancerIP/ },
]);

runCatalogue("hostile config: names that collide after derivation", [
    { name: "a vCluster context equal to another cluster's name", mutate: (c) => c.clusters.push({ ...secondK3s("192.0.2.20"), name: "dev-vc-a" }), expectPath: "clusters[1].name", expect: /kubeconfig context "dev-vc-a".*clusters\[0\]\.vclusters\[0\]\.name already derives/ },
    { name: "two clusters whose vClusters derive one context and one URN", mutate: (c) => { c.clusters[0].name = "a-b"; c.clusters.push({ ...secondK3s("192.0.2.20"), name: "a", vclusters: [{ name: "b-vc-a" }] }); c.clusters[0].vclusters[0].name = "vc-a"; c.clusters[0].name = "a-b"; }, expectPath: "clusters[1].vclusters[0].name", expect: /"a-b-vc-a".*clusters\[0\]\.vclusters\[0\]\.name already derives/ },
    { name: "a VCluster resource name two configs derive", mutate: (c) => { c.clusters[0].name = "x-y"; c.clusters.push({ ...secondK3s("192.0.2.20"), name: "x", vclusters: [{ name: "y-vc-b" }] }); }, expectPath: "clusters[1].vclusters[0].name", expect: /resource name \(kubeloom:index:VCluster\) "x-y-vc-b"/ },
    { name: "a Cilium check and a mesh check with one name", base: kindMesh, mutate: (c) => { c.clusters[0].name = "mesh-x"; c.clusters[1].name = "x-cilium"; c.clusters[0].cilium = { verify: true }; c.mesh.verify = true; }, expectPath: "clusters[1].name", expect: /"mesh-x-cilium-verify".*clusters\[0\]\.cilium\.verify already derives/ },
    { name: "two global Services deriving one resource name", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "c", namespace: "a-b", ports: [{ port: 80 }], selector: { app: "x" } }, { name: "b-c", namespace: "a", ports: [{ port: 80 }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[1].name", expect: /resource name.*mesh-c1-services-a-b-c.*mesh\.globalServices\[0\]\.name already derives/ },
    // The demo has its own MeshDemo component, so no global Service can derive its resource names; a global
    // mesh-demo/rebel-base would still be the demo's own Service object.
    { name: "a global Service that is the demo's own rebel-base", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "rebel-base", namespace: "mesh-demo", ports: [{ port: 80 }], selector: { name: "rebel-base" } }]), expectPath: "mesh.globalServices[0].namespace", expect: /demo's namespace/ },
    { name: "a global default/kubernetes", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "kubernetes", ports: [{ port: 443 }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[0].name", expect: /API server's own Service/ },
    { name: "a global kube-system/kube-dns", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "kube-dns", namespace: "kube-system", ports: [{ port: 53 }], selector: { "k8s-app": "kube-dns" } }]), expectPath: "mesh.globalServices[0].namespace", expect: /system Services/ },
    { name: "a global Service in metallb-system", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "webhook", namespace: "metallb-system", ports: [{ port: 443 }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[0].namespace", expect: /system Services/ },
    { name: "a global Service in a vCluster's host namespace", base: kindMesh, mutate: (c) => { c.clusters[0].vclusters = [{ name: "t" }]; c.mesh.globalServices = [{ name: "web", namespace: "vcluster-t", ports: [{ port: 80 }], selector: { app: "x" } }]; }, expectPath: "mesh.globalServices[0].namespace", expect: /vCluster t's host namespace/ },
    { name: "a global Service in the demo's namespace", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "web", namespace: "mesh-demo", ports: [{ port: 80 }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[0].namespace", expect: /demo's namespace/ },
]);

runCatalogue("hostile config: Kubernetes' rules for values passed through", [
    { name: "a port name over 15 characters", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "web", ports: [{ port: 80, name: "http-frontend-main" }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[0].ports[0].name", expect: /IANA_SVC_NAME/ },
    { name: "a port name without a letter", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "web", ports: [{ port: 80, name: "8080" }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[0].ports[0].name", expect: /at least one letter/ },
    { name: "a port name with '--'", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "web", ports: [{ port: 80, name: "http--x" }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[0].ports[0].name", expect: /'--'/ },
    { name: "two ports of one Service on one number", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "web", ports: [{ port: 80, name: "a" }, { port: 80, name: "b" }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[0].ports[1].port", expect: /also ports\[0\]\.port/ },
    { name: "an explicit port name equal to a derived one", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "web", ports: [{ port: 80, name: "port-81" }, { port: 81 }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[0].ports[1].name", expect: /unnamed ports are called port-<port>/ },
    { name: "a global Service name over 63 characters", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "w".repeat(64), ports: [{ port: 80 }], selector: { app: "x" } }]), expectPath: "mesh.globalServices[0].name", expect: /at most 63/ },
    { name: "a selector label value with a space", base: kindMesh, mutate: (c) => (c.mesh.globalServices = [{ name: "web", ports: [{ port: 80 }], selector: { app: "my app" } }]), expectPath: "mesh.globalServices[0].selector.app", expect: /label value/ },
    { name: "a nodeSelector label key with two slashes", mutate: (c) => (c.clusters[0].cilium.nodeSelector = { "a/b/c": "true" }), expectPath: 'clusters[0].cilium.nodeSelector["a/b/c"]', expect: /at most one '\/'/ },
    { name: "a nodeSelector label key with an upper-case prefix", mutate: (c) => (c.clusters[0].cilium.nodeSelector = { "Kubeloom.IO/cilium": "true" }), expectPath: 'clusters[0].cilium.nodeSelector["Kubeloom.IO/cilium"]', expect: /prefix "Kubeloom\.IO"/ },
    { name: "a nodeSelector label value over 63 characters", mutate: (c) => (c.clusters[0].cilium.nodeSelector = { role: "x".repeat(64) }), expectPath: "clusters[0].cilium.nodeSelector.role", expect: /at most 63/ },
    { name: "a toleration with operator Exists and a value", mutate: (c) => (c.clusters[0].cilium.tolerations = [{ key: "k", operator: "Exists", value: "v" }]), expectPath: "clusters[0].cilium.tolerations[0].value", expect: /must be empty when operator is Exists/ },
    { name: "a toleration with tolerationSeconds but not NoExecute", mutate: (c) => (c.clusters[0].cilium.tolerations = [{ key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 30 }]), expectPath: "clusters[0].cilium.tolerations[0].tolerationSeconds", expect: /NoExecute/ },
    { name: "a toleration key that is not a qualified name", mutate: (c) => (c.clusters[0].cilium.tolerations = [{ key: "bad key", operator: "Exists" }]), expectPath: "clusters[0].cilium.tolerations[0].key", expect: /qualified name/ },
    { name: "a resource quantity that is not one", mutate: (c) => (vcs(c)[0].resourceQuota = { "requests.cpu": "4 cores" }), expectPath: 'clusters[0].vclusters[0].resourceQuota["requests.cpu"]', expect: /Kubernetes quantity/ },
    { name: "a negative resource quantity", mutate: (c) => (vcs(c)[0].resourceQuota = { "limits.memory": "-1Gi" }), expectPath: 'clusters[0].vclusters[0].resourceQuota["limits.memory"]', expect: /negative/ },
    { name: "a misspelt quota resource name", mutate: (c) => (vcs(c)[0].resourceQuota = { "request.cpu": "4" }), expectPath: 'clusters[0].vclusters[0].resourceQuota["request.cpu"]', expect: /not a ResourceQuota resource/ },
    { name: "a fractional object count in a quota", mutate: (c) => (vcs(c)[0].resourceQuota = { pods: "1.5" }), expectPath: "clusters[0].vclusters[0].resourceQuota.pods", expect: /whole number/ },
    { name: "a LimitRange default on a resource that is not a container resource", mutate: (c) => (vcs(c)[0].limitRange = { default: { pods: "1" } }), expectPath: "clusters[0].vclusters[0].limitRange.default.pods", expect: /not a container resource/ },
    { name: "a LimitRange quantity with a unit typo", mutate: (c) => (vcs(c)[0].limitRange = { defaultRequest: { memory: "512MB" } }), expectPath: "clusters[0].vclusters[0].limitRange.defaultRequest.memory", expect: /Kubernetes quantity/ },
    { name: "a chaining node name that is not a DNS subdomain", base: chainCluster, mutate: (c) => (c.clusters[0].cilium.chaining.nodes = ["Worker_1"]), expectPath: "clusters[0].cilium.chaining.nodes[0]", expect: /DNS-1123 subdomain/ },
]);

runCatalogue("hostile config: values that reach a shell or SSH", [
    { name: "an SSH user with a space and a command", mutate: (c) => (k3sOf(c).user = "ubuntu; rm -rf /"), expectPath: "clusters[0].source.k3s.user", expect: /POSIX user name/ },
    { name: "an SSH user that is an ssh option", mutate: (c) => (k3sOf(c).user = "-oProxyCommand=x"), expectPath: "clusters[0].source.k3s.user", expect: /POSIX user name|must not start with '-'/ },
    { name: "an SSH user with user@host", mutate: (c) => (k3sOf(c).user = "ubuntu@192.0.2.10"), expectPath: "clusters[0].source.k3s.user", expect: /POSIX user name/ },
    { name: "an all-digit SSH user", mutate: (c) => (k3sOf(c).user = "1000"), expectPath: "clusters[0].source.k3s.user", expect: /all digits/ },
    { name: "an agent user over 32 characters", mutate: (c) => (k3sOf(c).agents = [{ host: "192.0.2.11", user: "u".repeat(33) }]), expectPath: "clusters[0].source.k3s.agents[0].user", expect: /1 to 32/ },
    { name: "a kind node image with a shell substitution", base: kindMesh, mutate: (c) => (c.clusters[0].source.kind.nodeImage = "kindest/node:$(id)"), expectPath: "clusters[0].source.kind.nodeImage", expect: /OCI image reference/ },
    { name: "a kind node image with an upper-case path", base: kindMesh, mutate: (c) => (c.clusters[0].source.kind.nodeImage = "Kindest/Node:v1.30.4"), expectPath: "clusters[0].source.kind.nodeImage", expect: /OCI image reference/ },
    { name: "a kind node image with a short digest", base: kindMesh, mutate: (c) => (c.clusters[0].source.kind.nodeImage = "kindest/node@sha256:abc"), expectPath: "clusters[0].source.kind.nodeImage", expect: /OCI image reference/ },
    { name: "a chaining node name with a shell character", base: chainCluster, mutate: (c) => (c.clusters[0].cilium.chaining.nodes = ["node-1;reboot"]), expectPath: "clusters[0].cilium.chaining.nodes[0]", expect: /DNS-1123 subdomain/ },
]);

runCatalogue("hostile config: node counts include kind workers", [
    { name: "a /23 pod CIDR for a kind control plane and three workers", base: kindMesh, mutate: (c) => { c.clusters[0].podCidr = "10.10.0.0/23"; c.clusters[0].source.kind.workers = 3; }, expectPath: "clusters[0].podCidr", expect: /holds 2 node ranges .* 4 nodes/ },
    { name: "more operator replicas than kind nodes", base: kindMesh, mutate: (c) => { c.clusters[0].source.kind.workers = 0; c.clusters[0].cilium = { operatorReplicas: 2 }; }, expectPath: "clusters[0].cilium.operatorReplicas", expect: /more than the cluster's 1 node \(kind control plane \+ workers\)/ },
    { name: "more operator replicas than K3s nodes", mutate: (c) => (c.clusters[0].cilium.operatorReplicas = 3), expectPath: "clusters[0].cilium.operatorReplicas", expect: /3 is more than the cluster's 1 node/ },
]);

/** A chaining cluster like Pulumi.chain.yaml (kubeconfig source, generic-veth). */
function chainCluster(): Record<string, any> {
    return {
        clusters: [
            {
                name: "chain",
                id: 1,
                podCidr: "10.244.0.0/16",
                serviceCidr: "10.96.0.0/12",
                source: { kubeconfig: { path: "/tmp/kubeconfig" } },
                cilium: {
                    k8sServiceHost: "192.0.2.20",
                    k8sServicePort: 6443,
                    chaining: { mode: "generic-veth", primaryPlugins: [{ type: "flannel" }], nodes: ["worker-1"] },
                    nodeSelector: { "kubeloom.io/cilium": "true" },
                },
            },
        ],
    };
}

describe("hostile config: registry and name cases through npm run plan", () => {
    const { devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
    const yaml = require("yaml") as typeof import("yaml");
    /** Writes the config as a stack file (every string double-quoted, the SSH key a secure value) and plans it. */
    const run = (config: Record<string, any>) => {
        const { sshPrivateKey: _secret, ...rest } = config;
        const body: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(rest)) body[`kubeloom:${key}`] = value;
        body["kubeloom:sshPrivateKey"] = { secure: "v1:placeholder" };
        return planStackText("bad", yaml.stringify({ config: body }, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" }));
    };
    const cliCases: Array<{ name: string; mutate: (c: Record<string, any>) => void; expect: RegExp }> = [
        { name: "one host in two clusters", mutate: (c) => c.clusters.push(secondK3s("192.0.2.10")), expect: /clusters\[1\]\.source\.k3s\.host: "192\.0\.2\.10" is also clusters\[0\]\.source\.k3s\.host/ },
        { name: "a vCluster context equal to another cluster's name", mutate: (c) => c.clusters.push({ ...secondK3s("192.0.2.20"), name: "dev-vc-b" }), expect: /clusters\[1\]\.name: derives the kubeconfig context "dev-vc-b"/ },
        { name: "the K3s API port on the kubelet's", mutate: (c) => (c.clusters[0].source.k3s.apiPort = 10250), expect: /clusters\[0\]\.source\.k3s\.apiPort: 10250 is also reserved: kubelet API/ },
        { name: "an SSH user with a shell command", mutate: (c) => (c.clusters[0].source.k3s.user = "ubuntu$(reboot)"), expect: /clusters\[0\]\.source\.k3s\.user: the string "ubuntu\$\(reboot\)" must be a POSIX user name/ },
    ];
    for (const c of cliCases) {
        it(`fails on ${c.name} with exit 2 and the key path`, function () {
            this.timeout(60_000);
            const config = devConfig();
            c.mutate(config);
            const result = run(config);
            assert.equal(result.status, 2, result.stderr);
            assert.match(result.stderr, c.expect);
            assert.equal(result.stdout, "");
        });
    }
});

describe("hostile config: secrets echoed from plain fields (issue 25 class 1)", () => {
    const PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAASEKRETMARKER\n-----END OPENSSH PRIVATE KEY-----\n";
    const JSON_KUBECONFIG = JSON.stringify({ kind: "Config", apiVersion: "v1", users: [{ name: "a", user: { token: "SEKRETMARKER" } }] });
    const YAML_KUBECONFIG = "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    token: SEKRETMARKER\n";
    const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJSEKRETMARKER.c2ln";
    const at = "clusters[0].vclusters[0]";
    const vc = (c: Record<string, any>) => c.clusters[0].vclusters[0];
    const policy = (extra: Record<string, unknown>) => ({ name: "p", ...extra });
    itFailsAtKey([
        { name: "a PEM key as a nodeSelector value", mutate: (c) => (c.clusters[0].cilium.nodeSelector = { disk: PEM }), expectPath: "clusters[0].cilium.nodeSelector.disk", expect: /looks like a PEM key or certificate .*not shown/ },
        { name: "a JSON kubeconfig as a nodeSelector key", mutate: (c) => (c.clusters[0].cilium.nodeSelector = { [JSON_KUBECONFIG]: "x" }), expectPath: "clusters[0].cilium.nodeSelector", expect: /has a key that looks like a kubeconfig \(not shown\)/ },
        { name: "a one-line JSON kubeconfig as a stack reference's name", mutate: (c) => (c.clusters[0].source = { stackReference: { stack: JSON_KUBECONFIG, context: "dev" } }), expectPath: "clusters[0].source.stackReference.stack", expect: /looks like a kubeconfig pasted into a plain setting/ },
        { name: "a YAML kubeconfig as a kubeconfig context", mutate: (c) => (c.clusters[0].source = { kubeconfig: { context: YAML_KUBECONFIG } }), expectPath: "clusters[0].source.kubeconfig.context", expect: /looks like a kubeconfig/ },
        { name: "a token as a tenant label key", mutate: (c) => (vc(c).networkPolicies = [policy({ podSelector: { [TOKEN]: "x" }, ingress: [{ fromEntities: ["world"] }] })]), expectPath: `${at}.networkPolicies[0].podSelector`, expect: /a key that looks like a token/ },
        { name: "a PEM key as a quota value", mutate: (c) => (vc(c).resourceQuota = { pods: PEM }), expectPath: `${at}.resourceQuota.pods`, expect: /looks like a PEM key/ },
        { name: "a kubeconfig as a LimitRange value", mutate: (c) => (vc(c).limitRange = { default: { cpu: YAML_KUBECONFIG } }), expectPath: `${at}.limitRange.default.cpu`, expect: /looks like a kubeconfig/ },
        { name: "a token as an HTTP header", mutate: (c) => (vc(c).networkPolicies = [policy({ ingress: [{ fromEntities: ["world"], ports: [{ port: 80 }], http: [{ headers: [`Authorization: Bearer ${TOKEN}`] }] }] })]), expectPath: `${at}.networkPolicies[0].ingress[0].http[0].headers[0]`, expect: /looks like a token/ },
        { name: "a K3s token as a global Service's name", mutate: (c) => (c.mesh = { globalServices: [{ name: `K10${"ab".repeat(16)}::server:SEKRETMARKER`, ports: [{ port: 80 }], selector: {} }] }), expectPath: "mesh.globalServices[0].name", expect: /looks like a K3s join token/ },
    ]);
    it("no message of those cases carries the marker", () => {
        const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
        for (const value of [PEM, JSON_KUBECONFIG, YAML_KUBECONFIG, TOKEN]) {
            const c = devConfig();
            c.clusters[0].cilium.nodeSelector = { [value]: value, disk: value };
            c.clusters[0].vclusters[0].resourceQuota = { [value]: value };
            assert.doesNotMatch(issuesOf(c).join("\n"), /SEKRETMARKER/);
        }
    });
    it("a whole kubeloom:sourceKubeconfigs map set as one secure value is not called plaintext, and plans", () => {
        const text = [
            "config:",
            "  kubeloom:clusters:",
            "    - name: ext",
            "      id: 1",
            "      podCidr: 10.42.0.0/16",
            "      serviceCidr: 10.43.0.0/16",
            "      cilium:",
            "        k8sServiceHost: 10.0.0.1",
            "        k8sServicePort: 6443",
            "      source:",
            "        kubeconfig: {}",
            "  kubeloom:sourceKubeconfigs:",
            "    secure: v1:c2VjcmV0",
        ].join("\n");
        assert.deepEqual(stackFileIssues(text), []);
        const result = planStackText("wholemap", text);
        assert.equal(result.status, 0, result.stderr);
        assert.doesNotMatch(result.stderr, /plaintext/);
    });
    it("a whole sourceKubeconfigs secret that is one kubeconfig, not a map, is diagnosed as such", () => {
        const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
        const c = devConfig();
        c.sourceKubeconfigs = YAML_KUBECONFIG;
        const issues = issuesOf(c).join("\n");
        assert.match(issues, /^sourceKubeconfigs: is one secret text, not a map of cluster name → kubeconfig/m);
        assert.doesNotMatch(issues, /SEKRETMARKER|plaintext/);
    });
});

describe("hostile config: unbounded output (issue 25 class 2)", () => {
    const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
    const huge = "a".repeat(2 * 1024 * 1024);
    const places: Array<{ name: string; mutate: (c: Record<string, any>) => void }> = [
        { name: "a label value", mutate: (c) => (c.clusters[0].cilium.nodeSelector = { k: `${huge}!` }) },
        { name: "a label key", mutate: (c) => (c.clusters[0].cilium.nodeSelector = { [`${huge}/x`]: "v" }) },
        { name: "an unknown key", mutate: (c) => (c.clusters[0][huge] = 1) },
        { name: "a quota value", mutate: (c) => (c.clusters[0].vclusters[0].resourceQuota = { pods: huge }) },
        { name: "an HTTP path", mutate: (c) => (c.clusters[0].vclusters[0].networkPolicies = [{ name: "p", ingress: [{ fromEntities: ["world"], ports: [{ port: 80 }], http: [{ path: `/${huge}(` }] }] }]) },
        { name: "a toFQDNs name", mutate: (c) => (c.clusters[0].vclusters[0].networkPolicies = [{ name: "p", egress: [{ toFQDNs: [{ matchName: `${huge}!` }] }] }]) },
        { name: "an enum value", mutate: (c) => (c.clusters[0].vclusters[0].expose = huge) },
    ];
    for (const p of places) {
        it(`fails on a 2 MB value as ${p.name} with a short message, fast`, () => {
            const c = devConfig();
            p.mutate(c);
            const started = Date.now();
            const text = issuesOf(c).join("\n");
            assert.ok(text.length > 0 && text.length < 2000, `${text.length} characters: ${text.slice(0, 300)}`);
            assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
        });
    }
    it("a hostile config with thousands of problems lists at most MAX_LISTED_ISSUES of them", () => {
        const { MAX_LISTED_ISSUES } = require("../../config/config-error") as typeof import("../../config/config-error");
        const c = devConfig();
        c.clusters[0].cilium.nodeSelector = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, `bad value ${i}`]));
        try {
            require("../../config/parse").parseStackConfig(c, { secretKeys: ["sshPrivateKey"] });
            assert.fail("accepted");
        } catch (error) {
            const message = (error as Error).message;
            assert.equal(message.split("\n").length, 1 + MAX_LISTED_ISSUES + 1);
            assert.match(message, /\.\.\. and 4950 more issues/);
        }
    });
    it("npm run plan through a slow pipe: the whole (short) error and exit 2, as in CI", () => {
        const text = stackFile(`      id: 1\n      cilium:\n        nodeSelector:\n          k: "${huge}!"`);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-pipe-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.big.yaml"), text);
            const command = `"${process.execPath}" -r ./scripts/ts-register.js scripts/plan/plan-cli.ts big --config "${dir}/Pulumi.big.yaml" 2>&1 | (sleep 1; cat); exit \${PIPESTATUS[0]}`;
            const result = spawnSync("bash", ["-c", command], { cwd: projectDir, encoding: "utf8" });
            assert.equal(result.status, 2, result.stdout.slice(0, 500));
            assert.ok(result.stdout.length < 2000, `${result.stdout.length} characters`);
            assert.match(result.stdout, /nodeSelector\.k: the label value "a{60}"\.\.\. \(2097153 characters\) is 2097153 characters/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    it("exitAfterDrain keeps the exit code and every byte of a long stderr through a slow pipe, after a failed plan", () => {
        // The failed plan leaves the Pulumi runtime to re-raise the program's error later, as an uncaught exception:
        // before exitAfterDrain ignored it, that ended the process with 1 and cut stderr at the 64 KiB pipe buffer.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-drain-"));
        try {
            const file = path.join(dir, "Pulumi.bad.yaml");
            fs.writeFileSync(file, stackFile("      id: 1\n      cilium:\n        nodeSelector:\n          k: \"not a label!\""));
            const script = [
                `require(${JSON.stringify(path.join(projectDir, "scripts/ts-register.js"))});`,
                `const { exitAfterDrain } = require(${JSON.stringify(path.join(projectDir, "scripts/common/cli.ts"))});`,
                `const { planStack } = require(${JSON.stringify(path.join(projectDir, "scripts/plan/plan-stack.ts"))});`,
                `planStack({ projectDir: ${JSON.stringify(projectDir)}, stack: "bad", configFile: ${JSON.stringify(file)} }).catch(() => {`,
                `  process.stderr.write("x".repeat(3 * 1024 * 1024) + "END\\n");`,
                "  exitAfterDrain(2);",
                "});",
            ].join("\n");
            fs.writeFileSync(path.join(dir, "drain.js"), script);
            const command = `"${process.execPath}" "${path.join(dir, "drain.js")}" 2>&1 | (sleep 1; wc -c); exit \${PIPESTATUS[0]}`;
            const result = spawnSync("bash", ["-c", command], { cwd: projectDir, encoding: "utf8" });
            assert.equal(result.status, 2, result.stdout);
            assert.ok(Number(result.stdout.trim()) >= 3 * 1024 * 1024 + 4, result.stdout);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("hostile config: files (issue 25 class 3)", () => {
    const { readBoundedFile, MAX_CREDENTIAL_FILE_BYTES } = require("../../config/load") as typeof import("../../config/load");
    it("a pseudo-file that reports size 0 is read with a byte cap, naming the key", () => {
        assert.equal(fs.statSync("/proc/self/pagemap").size, 0);
        assert.throws(() => readBoundedFile("/proc/self/pagemap", "clusters[0].source.kubeconfig.path"), /^UserInputError: clusters\[0\]\.source\.kubeconfig\.path: "\/proc\/self\/pagemap" holds more than 1 MiB: at most 1048576 bytes/);
        assert.equal(MAX_CREDENTIAL_FILE_BYTES, 1048576);
    });
    it("a small size-0 pseudo-file is read whole", () => {
        assert.match(readBoundedFile("/proc/self/status", "k"), /^Name:/);
    });
    const kubeconfigStack = (kubeconfigPath: string, extra = "") =>
        ["config:", "  kubeloom:clusters:", "    - name: ext", "      id: 1", "      podCidr: 10.42.0.0/16", "      serviceCidr: 10.43.0.0/16", "      cilium:", "        k8sServiceHost: 10.0.0.1", "        k8sServicePort: 6443", "      source:", "        kubeconfig:", `          path: ${kubeconfigPath}`, extra].join("\n");
    it("npm run plan: a kubeconfig path at a size-0 pseudo-file exits 2 under .path", () => {
        const result = planStackText("pseudo", kubeconfigStack("/proc/self/pagemap"));
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /^clusters\[0\]\.source\.kubeconfig\.path: "\/proc\/self\/pagemap" holds more than 1 MiB/);
    });
    it("npm run plan: a context the kubeconfig does not have exits 2 under .context, not .path", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-ctx-"));
        try {
            const file = path.join(dir, "kubeconfig");
            fs.writeFileSync(file, "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://10.0.0.1:6443'}}]\nusers: [{name: u, user: {token: SEKRETMARKER}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\ncurrent-context: a\n");
            const result = planStackText("ctx", kubeconfigStack(file, "          context: nope"));
            assert.equal(result.status, 2, result.stderr);
            assert.match(result.stderr, /^clusters\[0\]\.source\.kubeconfig\.context: "nope" is not a context of clusters\[0\]\.source\.kubeconfig\.path: it has no context "nope" \(contexts: "a"\)/);
            assert.doesNotMatch(result.stderr, /SEKRETMARKER/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    it("npm run plan: a device exits 2 under .path", () => {
        const result = planStackText("dev0", kubeconfigStack("/dev/zero"));
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /^clusters\[0\]\.source\.kubeconfig\.path: "\/dev\/zero" is a device/);
    });
});

describe("hostile config: strings Cilium compiles (issue 25 class 4)", () => {
    const at = "clusters[0].vclusters[0].networkPolicies[0]";
    const withHttp = (http: Record<string, unknown>) => (c: Record<string, any>) => (c.clusters[0].vclusters[0].networkPolicies = [{ name: "p", ingress: [{ fromEntities: ["world"], ports: [{ port: 80 }], http: [http] }] }]);
    const withEgress = (rule: Record<string, unknown>) => (c: Record<string, any>) => (c.clusters[0].vclusters[0].networkPolicies = [{ name: "p", egress: [rule] }]);
    itFailsAtKey([
        { name: "a path with lookahead (RE2 has none)", mutate: withHttp({ path: "/api(?=/v1)" }), expectPath: `${at}.ingress[0].http[0].path`, expect: /not a regular expression Cilium's agent compiles \(Go RE2 syntax: invalid or unsupported Perl syntax at "\(\?="\)/ },
        { name: "a path with lookbehind", mutate: withHttp({ path: "/(?<!admin)x" }), expectPath: `${at}.ingress[0].http[0].path`, expect: /Go RE2 syntax/ },
        { name: "a path with a repeat count over 1000", mutate: withHttp({ path: "/a{1001}" }), expectPath: `${at}.ingress[0].http[0].path`, expect: /invalid repeat count/ },
        { name: "a path with nested repetition", mutate: withHttp({ path: "/a**" }), expectPath: `${at}.ingress[0].http[0].path`, expect: /invalid nested repetition operator/ },
        { name: "a path with a backreference", mutate: withHttp({ path: "/(a)\\1" }), expectPath: `${at}.ingress[0].http[0].path`, expect: /invalid escape sequence/ },
        { name: "a path with an escape RE2 does not know", mutate: withHttp({ path: "/\\Z" }), expectPath: `${at}.ingress[0].http[0].path`, expect: /invalid escape sequence/ },
        { name: "a path with an unclosed group", mutate: withHttp({ path: "/(v1" }), expectPath: `${at}.ingress[0].http[0].path`, expect: /missing closing \)/ },
        { name: "a method that does not compile", mutate: withHttp({ method: "GET(" }), expectPath: `${at}.ingress[0].http[0].method`, expect: /Go RE2 syntax/ },
        { name: "a host with lookahead", mutate: withHttp({ host: "(?!evil)api\\.example\\.com" }), expectPath: `${at}.ingress[0].http[0].host`, expect: /Go RE2 syntax/ },
        { name: "a host with a repeat count over 1000", mutate: withHttp({ host: "a{2000}" }), expectPath: `${at}.ingress[0].http[0].host`, expect: /invalid repeat count/ },
        { name: "a matchName longer than the CRD allows", mutate: withEgress({ toFQDNs: [{ matchName: `${"a".repeat(60)}.`.repeat(5) }] }), expectPath: `${at}.egress[0].toFQDNs[0].matchName`, expect: /is 305 characters; the CiliumNetworkPolicy CRD allows at most 255/ },
        { name: "a matchPattern longer than the CRD allows", mutate: withEgress({ toFQDNs: [{ matchPattern: `*.${"b".repeat(300)}` }] }), expectPath: `${at}.egress[0].toFQDNs[0].matchPattern`, expect: /at most 255/ },
        { name: "a matchName outside the CRD's pattern", mutate: withEgress({ toFQDNs: [{ matchName: "api.github.com/x" }] }), expectPath: `${at}.egress[0].toFQDNs[0].matchName`, expect: /must be a DNS name like api\.github\.com \(the CiliumNetworkPolicy CRD's pattern/ },
        { name: "a rule with more ports than the CRD allows", mutate: withEgress({ toEntities: ["world"], ports: Array.from({ length: 41 }, (_, i) => ({ port: 1000 + i })) }), expectPath: `${at}.egress[0].ports`, expect: /has 41 ports; the CiliumNetworkPolicy CRD allows at most 40 per rule/ },
    ]);
    it("accepts the RE2 a policy really uses: .*, classes, (?i), alternation, repeat counts up to 1000", () => {
        const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
        const c = devConfig();
        withHttp({ path: "/v1/(users|teams)/[0-9]{1,1000}/.*", method: "GET", host: "(?i)api\\.example\\.com" })(c);
        assert.deepEqual(issuesOf(c), []);
        const d = devConfig();
        withEgress({ toFQDNs: [{ matchName: `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}` }] })(d);
        assert.deepEqual(issuesOf(d), []);
    });
    it("checks a CRD pattern with RE2 in linear time (JavaScript backtracks for seconds on it)", () => {
        const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
        const c = devConfig();
        withEgress({ toFQDNs: [{ matchName: `${"a".repeat(250)}!` }] })(c);
        const started = Date.now();
        assert.match(issuesOf(c).join("\n"), /must be a DNS name/);
        assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
    });
});

describe("hostile config: quantities as Kubernetes parses them (issue 25 class 6)", () => {
    const at = "clusters[0].vclusters[0]";
    const vc = (c: Record<string, any>) => c.clusters[0].vclusters[0];
    itFailsAtKey([
        { name: "a fractional pod count (1.5)", mutate: (c) => (vc(c).resourceQuota = { pods: "1.5" }), expectPath: `${at}.resourceQuota.pods`, expect: /"1\.5" counts objects, so it must be a whole number/ },
        { name: "a fractional count in milli form (1500m)", mutate: (c) => (vc(c).resourceQuota = { services: "1500m" }), expectPath: `${at}.resourceQuota.services`, expect: /whole number/ },
        { name: "a fractional count as an exponent (15e-1)", mutate: (c) => (vc(c).resourceQuota = { secrets: "15e-1" }), expectPath: `${at}.resourceQuota.secrets`, expect: /whole number/ },
        { name: "an exponent beyond any quantity (1e400)", mutate: (c) => (vc(c).limitRange = { default: { cpu: "1e400" } }), expectPath: `${at}.limitRange.default.cpu`, expect: /must be a Kubernetes quantity/ },
        { name: "an upper-case K suffix Kubernetes does not know", mutate: (c) => (vc(c).limitRange = { default: { memory: "512K" } }), expectPath: `${at}.limitRange.default.memory`, expect: /must be a Kubernetes quantity/ },
    ]);
    for (const pods of ["1e3", "1E3", "2k", "2000m", "1000", 1000, "0.1e4"]) {
        it(`accepts ${JSON.stringify(pods)} pods, a whole number to Kubernetes`, () => {
            const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
            const c = devConfig();
            vc(c).resourceQuota = { pods };
            assert.deepEqual(issuesOf(c), []);
        });
    }
    it("parseQuantity and compareQuantities agree with Kubernetes' values", () => {
        const { parseQuantity, compareQuantities } = require("../../lib/k8s-formats") as typeof import("../../lib/k8s-formats");
        const q = (t: string) => parseQuantity(t)!;
        assert.equal(compareQuantities(q("1e3"), q("1k")), 0);
        assert.equal(compareQuantities(q("1Ki"), q("1k")), 1);
        assert.equal(compareQuantities(q("500m"), q("0.5")), 0);
        assert.equal(compareQuantities(q("1Gi"), q("1G")), 1);
        assert.equal(compareQuantities(q("100Mi"), q("1Gi")), -1);
        assert.equal(compareQuantities(q("5e-1"), q("500m")), 0);
        assert.equal(parseQuantity("1.2.3"), undefined);
    });
});

describe("hostile config: labels that never match (issue 25 class 5)", () => {
    const at = "clusters[0].vclusters[0].networkPolicies[0]";
    const withPolicy = (extra: Record<string, unknown>) => (c: Record<string, any>) => (c.clusters[0].vclusters[0].networkPolicies = [{ name: "p", ...extra }]);
    itFailsAtKey([
        { name: "a tenant podSelector on io.kubernetes.pod.namespace", mutate: withPolicy({ podSelector: { "io.kubernetes.pod.namespace": "team-a" }, ingress: [{ fromEntities: ["world"] }] }), expectPath: `${at}.podSelector["io.kubernetes.pod.namespace"]`, expect: /a label Cilium derives for a pod's identity.*match nothing/ },
        { name: "a tenant fromPods on io.cilium.k8s.policy.serviceaccount", mutate: withPolicy({ ingress: [{ fromPods: { "io.cilium.k8s.policy.serviceaccount": "web" } }] }), expectPath: `${at}.ingress[0].fromPods["io.cilium.k8s.policy.serviceaccount"]`, expect: /Cilium derives/ },
        { name: "a tenant toPods on io.cilium.k8s.namespace.labels.team", mutate: withPolicy({ egress: [{ toPods: { "io.cilium.k8s.namespace.labels.team": "a" } }] }), expectPath: `${at}.egress[0].toPods["io.cilium.k8s.namespace.labels.team"]`, expect: /Cilium derives/ },
        { name: "a global Service selector on io.cilium.k8s.policy.cluster", mutate: (c) => (c.mesh = { enabled: false, globalServices: [{ name: "api", ports: [{ port: 80 }], selector: { "io.cilium.k8s.policy.cluster": "dev" } }] }), expectPath: 'mesh.globalServices[0].selector["io.cilium.k8s.policy.cluster"]', expect: /Cilium derives/ },
        { name: "a Cilium nodeSelector on io.kubernetes.pod.namespace", mutate: (c) => (c.clusters[0].cilium.nodeSelector = { "io.kubernetes.pod.namespace": "x" }), expectPath: 'clusters[0].cilium.nodeSelector["io.kubernetes.pod.namespace"]', expect: /Cilium derives/ },
    ]);
    it("accepts the pod's own labels, also ones that look close (io.kubernetes.team, app.io.cilium.k8s/x)", () => {
        const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
        const c = devConfig();
        withPolicy({ podSelector: { "io.kubernetes.team": "a", "example.com/io.cilium.k8s": "b" }, ingress: [{ fromEntities: ["world"] }] })(c);
        assert.deepEqual(issuesOf(c), []);
    });
});

describe("hostile config: LimitRange default request above the default limit (issue 25 class 6)", () => {
    const at = "clusters[0].vclusters[0]";
    const vc = (c: Record<string, any>) => c.clusters[0].vclusters[0];
    itFailsAtKey([
        { name: "a defaultRequest above the given default", mutate: (c) => (vc(c).limitRange = { default: { cpu: "500m" }, defaultRequest: { cpu: "1" } }), expectPath: `${at}.limitRange.defaultRequest.cpu`, expect: /the default request "1" \(limitRange\.defaultRequest\.cpu\) is above the default limit "500m" \(limitRange\.default\.cpu\)/ },
        { name: "a defaultRequest above the chart's own default limit (memory 512Mi at 0.36.1)", mutate: (c) => (vc(c).limitRange = { defaultRequest: { memory: "1Gi" } }), expectPath: `${at}.limitRange.defaultRequest.memory`, expect: /"1Gi" .* above the default limit "512Mi" \(the chart's default limit at vcluster 0\.36\.1\)/ },
        { name: "a default below the chart's own default request (cpu 100m)", mutate: (c) => (vc(c).limitRange = { default: { cpu: "50m" } }), expectPath: `${at}.limitRange.default.cpu`, expect: /the default request "100m" \(the chart's default request at vcluster 0\.36\.1\) is above the default limit "50m"/ },
        { name: "the same at the 0.20 chart (ephemeral-storage 3Gi request vs a 2Gi limit)", mutate: (c) => { vc(c).version = "0.20.6"; c.clusters[0].source.k3s.version = "v1.30.14+k3s2"; c.clusters[0].cilium.version = "1.16.19"; vc(c).limitRange = { default: { "ephemeral-storage": "2Gi" } }; }, expectPath: `${at}.limitRange.default.ephemeral-storage`, expect: /"3Gi" \(the chart's default request at vcluster 0\.20\.6\)/ },
        { name: "quantities compared by value, not text (a 6e-1 request vs a 500m limit)", mutate: (c) => (vc(c).limitRange = { default: { cpu: "500m" }, defaultRequest: { cpu: "6e-1" } }), expectPath: `${at}.limitRange.defaultRequest.cpu`, expect: /above the default limit/ },
    ]);
    it("accepts an equal request and limit, and a larger limit than the chart's request", () => {
        const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
        const c = devConfig();
        vc(c).limitRange = { default: { cpu: "2", memory: "1Gi" }, defaultRequest: { cpu: "2000m", memory: "1024Mi" } };
        assert.deepEqual(issuesOf(c), []);
    });
});

describe("hostile config: HA addressing (issue 25 class 7)", () => {
    const at = "clusters[0].source.k3s";
    const ha = (mutate: (k3s: Record<string, any>, c: Record<string, any>) => void) => (c: Record<string, any>) => {
        const k3s = c.clusters[0].source.k3s;
        delete k3s.host;
        k3s.servers = ["192.0.2.10", "192.0.2.11", "192.0.2.12"].map((host) => ({ host }));
        k3s.registrationAddress = "k3s.example.com";
        k3s.agents = ["192.0.2.21"].map((host) => ({ host }));
        mutate(k3s, c);
    };
    const second = (c: Record<string, any>, host: string) =>
        c.clusters.push({ name: "other", id: 2, podCidr: "10.52.0.0/16", serviceCidr: "10.53.0.0/16", source: { k3s: { host, user: "ubuntu" } } });
    itFailsAtKey([
        { name: "a registrationAddress that is an agent", mutate: ha((k3s) => (k3s.registrationAddress = "192.0.2.21")), expectPath: `${at}.registrationAddress`, expect: /is agents\[0\]'s host: an agent runs no API server/ },
        { name: "a registrationAddress that is a server other than the first", mutate: ha((k3s) => (k3s.registrationAddress = "192.0.2.12")), expectPath: `${at}.registrationAddress`, expect: /is servers\[2\]'s host, a server that itself joins/ },
        { name: "a registrationAddress that is another cluster's node", mutate: ha((k3s, c) => { k3s.registrationAddress = "192.0.2.40"; second(c, "192.0.2.40"); }), expectPath: "clusters[1].source.k3s.host", expect: /"192\.0\.2\.40" is also clusters\[0\]\.source\.k3s\.registrationAddress \(the registration address of dev\): a host can be in one cluster only/ },
        { name: "another cluster's node as this one's registrationAddress (later in the list)", mutate: ha((k3s, c) => { second(c, "192.0.2.41"); c.clusters.reverse(); c.clusters[1].source.k3s.registrationAddress = "192.0.2.41"; }), expectPath: "clusters[1].source.k3s.registrationAddress", expect: /"192\.0\.2\.41" is also clusters\[0\]\.source\.k3s\.host/ },
        { name: "a loopback IP registrationAddress", mutate: ha((k3s) => (k3s.registrationAddress = "127.0.0.2")), expectPath: `${at}.registrationAddress`, expect: /cannot be "localhost" or another loopback address/ },
        { name: "a loopback IP among several servers", mutate: ha((k3s) => (k3s.servers[1].host = "127.0.0.1")), expectPath: `${at}.servers[1].host`, expect: /cannot be "127\.0\.0\.1" \(a loopback address, like "localhost"\) with several servers/ },
        { name: "a loopback IP agent", mutate: ha((k3s) => (k3s.agents[0].host = "127.1.2.3")), expectPath: `${at}.agents[0].host`, expect: /cannot be "127\.1\.2\.3" \(a loopback address, like "localhost"\): agents join over SSH/ },
        { name: "a lone 127.0.0.1 server with agents and no registrationAddress", mutate: (c) => { c.clusters[0].source.k3s.host = "127.0.0.1"; c.clusters[0].source.k3s.agents = [{ host: "192.0.2.21" }]; }, expectPath: `${at}.registrationAddress`, expect: /is required when host is "localhost" and there are agents/ },
    ]);
    it("accepts the first server's own address as the registration address", () => {
        const { issuesOf, devConfig } = require("../support/fixtures") as typeof import("../support/fixtures");
        const c = devConfig();
        ha((k3s) => (k3s.registrationAddress = "192.0.2.10"))(c);
        assert.deepEqual(issuesOf(c), []);
    });
});

describe("hostile config: LB-IPAM and MetalLB pools on every cluster (issue 25 class 8)", () => {
    const existing = (c: Record<string, any>, lb: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
        c.clusters[0].source = { kubeconfig: { path: "/dev/null", nodeAddress: "192.0.2.30", ...extra } };
        c.clusters[0].cilium.k8sServiceHost = "192.0.2.20";
        c.clusters[0].cilium.k8sServicePort = 6443;
        c.clusters[0].loadBalancer = lb;
    };
    itFailsAtKey([
        { name: "a Cilium LB-IPAM pool inside the pod CIDR of a cluster in no mesh", mutate: (c) => (c.clusters[0].loadBalancer = { cilium: { addresses: ["10.42.200.0/24"] } }), expectPath: "clusters[0].loadBalancer.cilium.addresses[0]", expect: /"10\.42\.200\.0\/24" overlaps the cluster's podCidr "10\.42\.0\.0\/16"/ },
        { name: "a MetalLB pool inside the service CIDR of a cluster in no mesh", mutate: (c) => (c.clusters[0].loadBalancer = { metallb: { addresses: ["10.43.0.10-10.43.0.20"] } }), expectPath: "clusters[0].loadBalancer.metallb.addresses[0]", expect: /overlaps the cluster's serviceCidr/ },
        { name: "a pool holding the API address (k8sServiceHost)", mutate: (c) => existing(c, { metallb: { addresses: ["192.0.2.16/28"] } }), expectPath: "clusters[0].loadBalancer.metallb.addresses[0]", expect: /contains 192\.0\.2\.20 \(clusters\[0\]\.cilium\.k8sServiceHost\)/ },
        { name: "a pool holding the node address (source.kubeconfig.nodeAddress)", mutate: (c) => existing(c, { metallb: { addresses: ["192.0.2.30-192.0.2.35"] } }), expectPath: "clusters[0].loadBalancer.metallb.addresses[0]", expect: /contains 192\.0\.2\.30 \(clusters\[0\]\.source\.kubeconfig\.nodeAddress\)/ },
    ]);
});

describe("hostile config: versions in forms no release has (issue 25 class 9)", () => {
    itFailsAtKey([
        { name: "a zero-padded K3s minor", mutate: (c) => (c.clusters[0].source.k3s.version = "v1.036.4+k3s1"), expectPath: "clusters[0].source.k3s.version", expect: /must be a version like/ },
        { name: "a zero-padded K3s patch", mutate: (c) => (c.clusters[0].source.k3s.version = "v1.36.04+k3s1"), expectPath: "clusters[0].source.k3s.version", expect: /must be a version like/ },
        { name: "a zero-padded k3s release number", mutate: (c) => (c.clusters[0].source.k3s.version = "v1.36.4+k3s01"), expectPath: "clusters[0].source.k3s.version", expect: /must be a version like/ },
        { name: "a zero-padded Cilium version", mutate: (c) => (c.clusters[0].cilium.version = "1.020.0"), expectPath: "clusters[0].cilium.version", expect: /must be a version like/ },
        { name: "a zero-padded kind node image tag", mutate: (c) => (c.clusters[0].source = { kind: { nodeImage: "kindest/node:v1.036.1" } }), expectPath: "clusters[0].source.kind.nodeImage", expect: /must be a kind node image/ },
        { name: "a zero-padded Kubernetes version of an existing cluster", mutate: (c) => { c.clusters[0].source = { kubeconfig: { path: "/dev/null", kubernetesVersion: "1.036" } }; c.clusters[0].cilium.kubeProxyReplacement = false; }, expectPath: "clusters[0].source.kubeconfig.kubernetesVersion", expect: /numbers without leading zeros/ },
    ]);
});

describe("hostile config: settings with no effect (issue 25 class 10)", () => {
    itFailsAtKey([
        { name: "a clustermesh block with no mesh", mutate: (c) => (c.clusters[0].clustermesh = { apiserverIP: "192.0.2.50" }), expectPath: "clusters[0].clustermesh", expect: /has no effect: there is no mesh/ },
        { name: "a clustermesh block with the mesh off", mutate: (c) => { c.mesh = { enabled: false }; c.clusters[0].clustermesh = { nodePort: 32379 }; }, expectPath: "clusters[0].clustermesh", expect: /has no effect: mesh\.enabled is false/ },
        { name: "global Services with the mesh off", mutate: (c) => (c.mesh = { enabled: false, globalServices: [{ name: "api", ports: [{ port: 80 }], selector: { app: "api" } }] }), expectPath: "mesh.globalServices", expect: /has no effect: mesh\.enabled is false/ },
        { name: "the demo with the mesh off", mutate: (c) => (c.mesh = { enabled: false, demo: true }), expectPath: "mesh.demo", expect: /has no effect/ },
        { name: "mesh.serviceType with the mesh off", mutate: (c) => (c.mesh = { enabled: false, serviceType: "NodePort" }), expectPath: "mesh.serviceType", expect: /has no effect/ },
        { name: "operatorReplicas on a Cilium this stack does not install", mutate: (c) => { c.clusters[0].source = { stackReference: { stack: "platform", context: "dev", nodeAddress: "192.0.2.10" } }; c.clusters[0].cilium = { install: false, operatorReplicas: 2 }; c.clusters[0].vclusters = []; }, expectPath: "clusters[0].cilium.operatorReplicas", expect: /has no effect: cilium\.install is false/ },
        { name: "a Cilium nodeSelector on a Cilium this stack does not install", mutate: (c) => { c.clusters[0].source = { stackReference: { stack: "platform", context: "dev", nodeAddress: "192.0.2.10" } }; c.clusters[0].cilium = { install: false, nodeSelector: { role: "cni" } }; c.clusters[0].vclusters = []; }, expectPath: "clusters[0].cilium.nodeSelector", expect: /has no effect: cilium\.install is false/ },
        { name: "createNamespace on a built-in namespace", mutate: (c) => (c.mesh = { enabled: false, globalServices: [{ name: "api", namespace: "default", createNamespace: true, ports: [{ port: 80 }], selector: {} }] }), expectPath: "mesh.globalServices[0].createNamespace", expect: /exists in every cluster/ },
    ]);
});
