/**
 * The e2e prerequisite detection with stand-in tools: a temporary PATH holding fake `pulumi`, `docker`, `kind` and
 * `kubectl` scripts (so the real spawn and the real Pulumi CLI lookup of scripts/cli/automation.ts are exercised),
 * one case where everything is present and one per missing piece; plus an injected runner for the exact probes.
 */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandRunner, detectPrerequisites, existingKindClusters, KIND_NETWORK_SUBNET, MISSING, skipLine, subnetsHoldPools } from "./prerequisites";

/** The MetalLB pools of Pulumi.mesh.yaml. */
const POOLS = ["172.22.0.50-172.22.0.100", "172.22.0.101-172.22.0.150"];

/** Behaviour of each stand-in tool, as POSIX shell run with the tool's arguments ("$1" ...). */
interface FakeTools {
    pulumi?: string;
    docker?: string;
    kind?: string;
    kubectl?: string;
}

const WORKING: Required<FakeTools> = {
    pulumi: 'echo "v3.270.0"',
    docker: [
        'case "$1" in',
        '  info) echo "27.3.1" ;;',
        `  network) echo "${KIND_NETWORK_SUBNET} fc00:f853:ccd:e793::/64 " ;;`,
        "  *) exit 2 ;;",
        "esac",
    ].join("\n"),
    kind: 'case "$1" in version) echo "kind v0.24.0 go1.22.6 linux/amd64" ;; get) printf "%s\\n" other ;; *) exit 2 ;; esac',
    kubectl: 'echo "Client Version: v1.30.4"',
};

let root: string;

/** A machine with exactly these tools on PATH (and nothing in ~/.pulumi), as an environment. */
function machine(tools: FakeTools, extraEnv: Record<string, string> = {}): NodeJS.ProcessEnv {
    const dir = fs.mkdtempSync(path.join(root, "machine-"));
    const bin = path.join(dir, "bin");
    const home = path.join(dir, "home");
    fs.mkdirSync(bin);
    fs.mkdirSync(home);
    for (const [name, body] of Object.entries(tools)) {
        if (body === undefined) continue;
        fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    }
    // Only the fake bin dir on PATH: the real docker and kubectl of this machine must not be found.
    return { PATH: bin, HOME: home, KUBELOOM_E2E: "1", PULUMI_CONFIG_PASSPHRASE: "e2e", ...extraEnv };
}

/** A tool that never answers: node (by absolute path, PATH has no node) waiting far longer than the timeout. */
function hangingTool(): string {
    return `exec "${process.execPath}" -e "setTimeout(() => {}, 30000)"`;
}

function detect(env: NodeJS.ProcessEnv, timeoutMs = 5_000) {
    return detectPrerequisites({ env, timeoutMs, kindNetworkPools: POOLS });
}

describe("e2e prerequisites", function () {
    // Each case spawns a handful of tiny processes; the timeout case waits out a short probe timeout.
    this.timeout(30_000);

    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-e2e-prereq-"));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("finds nothing missing when every tool works and the opt-in and passphrase are set", () => {
        const found = detect(machine(WORKING));
        assert.deepEqual(found.missing, []);
        assert.equal(found.cli?.command, "pulumi");
        assert.equal(found.cli?.version, "v3.270.0");
    });

    const cases: Array<{ name: string; tools?: FakeTools; env?: Record<string, string>; unset?: string[]; expect: string }> = [
        { name: "fails without KUBELOOM_E2E", unset: ["KUBELOOM_E2E"], expect: MISSING.optIn },
        { name: "fails with KUBELOOM_E2E=0", env: { KUBELOOM_E2E: "0" }, expect: MISSING.optIn },
        { name: "fails with KUBELOOM_E2E=true (only 1 opts in)", env: { KUBELOOM_E2E: "true" }, expect: MISSING.optIn },
        { name: "fails without the Pulumi CLI", tools: { pulumi: undefined }, expect: MISSING.pulumi },
        { name: "fails with a Pulumi CLI that does not answer `pulumi version`", tools: { pulumi: "exit 1" }, expect: MISSING.pulumi },
        { name: "fails without the docker client", tools: { docker: undefined }, expect: MISSING.dockerClient },
        { name: "fails when docker info fails (no engine)", tools: { docker: 'echo "Cannot connect to the Docker daemon" >&2; exit 1' }, expect: MISSING.dockerEngine },
        { name: "fails when docker info hangs past the timeout", tools: { docker: hangingTool() }, expect: MISSING.dockerEngine },
        {
            name: "fails without the docker network kind",
            tools: { docker: 'case "$1" in info) echo 27.3.1 ;; network) echo "Error: network kind not found" >&2; exit 1 ;; esac' },
            expect: MISSING.kindNetwork,
        },
        {
            name: "fails when the docker network kind does not hold the MetalLB pools",
            tools: { docker: 'case "$1" in info) echo 27.3.1 ;; network) echo "172.18.0.0/16 fc00:f853:ccd:e793::/64 " ;; esac' },
            expect: MISSING.kindNetwork,
        },
        { name: "fails without kind", tools: { kind: undefined }, expect: MISSING.kind },
        { name: "fails without kubectl", tools: { kubectl: undefined }, expect: MISSING.kubectl },
        { name: "fails without a passphrase", unset: ["PULUMI_CONFIG_PASSPHRASE"], expect: MISSING.passphrase },
        {
            name: "fails with a PULUMI_CONFIG_PASSPHRASE_FILE that does not exist",
            unset: ["PULUMI_CONFIG_PASSPHRASE"],
            env: { PULUMI_CONFIG_PASSPHRASE_FILE: "/nonexistent/kubeloom-passphrase" },
            expect: MISSING.passphraseFile,
        },
    ];
    for (const c of cases) {
        it(`${c.name}: missing only ${c.expect}`, () => {
            const env = machine({ ...WORKING, ...c.tools }, c.env);
            for (const key of c.unset ?? []) delete env[key];
            assert.deepEqual(detect(env, 1_000).missing, [c.expect]);
        });
    }

    it("accepts a passphrase file that exists", () => {
        const file = path.join(root, "passphrase");
        fs.writeFileSync(file, "e2e\n");
        const env = machine(WORKING, { PULUMI_CONFIG_PASSPHRASE_FILE: file });
        delete env.PULUMI_CONFIG_PASSPHRASE;
        assert.deepEqual(detect(env).missing, []);
    });

    it("finds the Pulumi CLI in ~/.pulumi/bin when it is not on PATH, as npm run up does", () => {
        const env = machine({ ...WORKING, pulumi: undefined });
        const installed = path.join(env.HOME!, ".pulumi", "bin");
        fs.mkdirSync(installed, { recursive: true });
        fs.writeFileSync(path.join(installed, "pulumi"), `#!/bin/sh\n${WORKING.pulumi}\n`, { mode: 0o755 });
        const found = detect(env);
        assert.deepEqual(found.missing, []);
        assert.equal(found.cli?.root, path.join(env.HOME!, ".pulumi"));
    });

    it("names everything missing on a bare machine, in a fixed order, in one skip line", () => {
        const env = machine({});
        delete env.KUBELOOM_E2E;
        delete env.PULUMI_CONFIG_PASSPHRASE;
        const found = detect(env);
        assert.deepEqual(found.missing, [MISSING.optIn, MISSING.pulumi, MISSING.dockerClient, MISSING.kind, MISSING.kubectl, MISSING.passphrase]);
        assert.equal(found.cli, undefined);
        assert.equal(skipLine(found.missing), "e2e skipped: missing KUBELOOM_E2E=1, pulumi CLI, docker, kind, kubectl, PULUMI_CONFIG_PASSPHRASE");
        assert.doesNotMatch(skipLine(found.missing), /\n/);
    });

    const recordingRun = (calls: string[], dockerStatus: number): CommandRunner => (command, args) => {
        calls.push([command, ...args].join(" "));
        return { status: command === "docker" ? dockerStatus : 0, stdout: "", notFound: false };
    };
    const optedIn = { KUBELOOM_E2E: "1", PULUMI_CONFIG_PASSPHRASE: "e2e" };
    const someCli = () => ({ command: "pulumi", version: "v3.270.0" });

    it("does not check the network when the engine is unreachable (nothing can be said about it)", () => {
        const calls: string[] = [];
        const found = detectPrerequisites({ env: optedIn, run: recordingRun(calls, 1), findCli: someCli, kindNetworkPools: POOLS });
        assert.deepEqual(found.missing, [MISSING.dockerEngine]);
        assert.deepEqual(calls, ["docker info --format {{.ServerVersion}}", "kind version", "kubectl version --client"]);
    });

    it("does not check the network when no pools are given", () => {
        const calls: string[] = [];
        assert.deepEqual(detectPrerequisites({ env: optedIn, run: recordingRun(calls, 0), findCli: someCli }).missing, []);
        assert.equal(calls.some((c) => c.startsWith("docker network")), false);
    });

    it("passes the environment and the timeout to every probe", () => {
        const seen: Array<{ command: string; timeoutMs: number; marker?: string }> = [];
        const run: CommandRunner = (command, _args, options) => {
            seen.push({ command, timeoutMs: options.timeoutMs, marker: options.env.MARKER });
            return { status: 0, stdout: "172.22.0.0/16", notFound: false };
        };
        const env = { KUBELOOM_E2E: "1", PULUMI_CONFIG_PASSPHRASE: "e2e", MARKER: "m" };
        let cliProbe: { timeoutMs: number; marker?: string } | undefined;
        const findCli = (e: NodeJS.ProcessEnv, timeoutMs: number) => {
            cliProbe = { timeoutMs, marker: e.MARKER };
            return { command: "pulumi", version: "v3.270.0" };
        };
        assert.deepEqual(detectPrerequisites({ env, run, findCli, timeoutMs: 1234, kindNetworkPools: POOLS }).missing, []);
        assert.deepEqual(cliProbe, { timeoutMs: 1234, marker: "m" });
        assert.deepEqual(
            seen.map((s) => s.command),
            ["docker", "docker", "kind", "kubectl"],
        );
        assert.ok(seen.every((s) => s.timeoutMs === 1234 && s.marker === "m"));
    });

    describe("subnetsHoldPools", () => {
        it("accepts pools inside an IPv4 subnet and ignores IPv6 ones", () => {
            assert.equal(subnetsHoldPools(["fc00:f853:ccd:e793::/64", "172.22.0.0/16", ""], POOLS), true);
            assert.equal(subnetsHoldPools(["172.22.0.0/24"], ["172.22.0.0/25"]), true);
        });
        it("fails a pool that sticks out of every subnet, or when there is no IPv4 subnet", () => {
            assert.equal(subnetsHoldPools(["172.22.0.0/25"], POOLS), false);
            assert.equal(subnetsHoldPools(["fc00:f853:ccd:e793::/64"], POOLS), false);
            assert.equal(subnetsHoldPools([], POOLS), false);
        });
    });

    describe("existingKindClusters", () => {
        it("lists the names that kind already has", () => {
            const env = machine({ kind: 'printf "%s\\n" c2 other c1x' });
            assert.deepEqual(existingKindClusters(["c1", "c2"], { env }), ["c2"]);
        });
        it("lists none when kind has no clusters", () => {
            const env = machine({ kind: 'echo "No kind clusters found." >&2' });
            assert.deepEqual(existingKindClusters(["c1", "c2"], { env }), []);
        });
        it("fails when kind cannot list clusters", () => {
            const env = machine({ kind: "exit 1" });
            assert.throws(() => existingKindClusters(["c1"], { env }), /kind get clusters failed/);
        });
    });
});
