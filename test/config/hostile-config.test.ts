/** Hostile and ambiguous config: every case must fail before anything is planned, naming the key path. */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ConfigError } from "../../config/schema";
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
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-hostile-"));
        const file = path.join(dir, "Pulumi.bad.yaml");
        fs.writeFileSync(file, stackFile("      id: 010"));
        const result = spawnSync(process.execPath, ["-r", "./scripts/ts-register.js", "scripts/plan/plan-cli.ts", "bad", "--config", file], { cwd: projectDir, encoding: "utf8" });
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
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-matrix-"));
            try {
                const file = path.join(dir, "Pulumi.bad.yaml");
                const text = stackFile(c.lines).replace("          user: ubuntu", "          user: ubuntu\n          version: v1.32.12+k3s1\n          sshPrivateKeyPath: /dev/null");
                fs.writeFileSync(file, text);
                const result = spawnSync(process.execPath, ["-r", "./scripts/ts-register.js", "scripts/plan/plan-cli.ts", "bad", "--config", file], { cwd: projectDir, encoding: "utf8" });
                assert.equal(result.status, 2, result.stderr);
                assert.match(result.stderr, c.expect);
                assert.equal(result.stdout, "");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
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
    it("accepts a DNS name host and the dev config", () => {
        const config = devConfig();
        config.clusters[0].source.k3s.host = "node-1.example.com";
        assert.deepEqual(issuesOf(config), []);
        assert.deepEqual(issuesOf(devConfig()), []);
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
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-hostile-chain-"));
            try {
                const file = path.join(dir, "Pulumi.chain.yaml");
                fs.writeFileSync(file, edited);
                const result = spawnSync(process.execPath, ["-r", "./scripts/ts-register.js", "scripts/plan/plan-cli.ts", "chain", "--config", file], { cwd: projectDir, encoding: "utf8" });
                assert.equal(result.status, 2, result.stderr);
                assert.match(result.stderr, c.expect);
                assert.equal(result.stdout, "");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }
});
