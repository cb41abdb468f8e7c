/**
 * Every Command's customTimeouts match the time limits of the script it runs (issue #13): the bound is computed
 * here from the script text itself — the `${KUBELOOM_X:-default}` limits, `--timeout=`, `wget -T`, `curl
 * --max-time`, retry counts and pauses — not from the constants the components use, so a limit changed in a
 * script without its Command (or a Pulumi limit typed by hand) fails. The Pulumi limit must cover the script's
 * worst case and may exceed it only by a margin (it is a backstop, not a second guess).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { readStackFile } from "../../scripts/plan/stack-file";
import { PROJECT_DIR } from "../../lib/project";
import type { OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import { commandTimeout } from "../../lib/shell";
import { chainConfig, devConfig, haConfig, planConfig, realisticMocks } from "../support/helpers";

/** Minutes a Pulumi limit may exceed its script's worst case (connection set-up, process start). */
const MAX_MARGIN_MINUTES = 10;

/** A stack file as a config object. */
function stackConfig(stack: string): Record<string, any> {
    const file = readStackFile(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "kubeloom");
    const raw: Record<string, any> = {};
    for (const [key, value] of Object.entries(file.config)) raw[key.replace(/^kubeloom:/, "")] = JSON.parse(value);
    return raw;
}

/** The production default of every `${KUBELOOM_X:-n}` limit in a script. */
function limits(script: string): Record<string, number> {
    const found: Record<string, number> = {};
    for (const m of script.matchAll(/\$\{(KUBELOOM_[A-Z_]+):-(\d+)\}/g)) found[m[1]] = Number(m[2]);
    return found;
}

function one(script: string, pattern: RegExp, what: string): number {
    const m = script.match(pattern);
    assert.ok(m, `no ${what} (${pattern}) in the script`);
    return Number(m[1]);
}

/** The script's worst case in seconds, read from its text; undefined for scripts with no limits of their own. */
function scriptBound(script: string): number | undefined {
    const where = script.match(/^kubeloom_where='([^']*)'/m)?.[1] ?? "";
    const l = limits(script);
    const installer = () => l.KUBELOOM_DOWNLOAD_TIMEOUT + l.KUBELOOM_INSTALL_TIMEOUT + l.KUBELOOM_SYSTEMCTL_TIMEOUT;
    if (where === "K3s server install") {
        return installer() + l.KUBELOOM_READYZ_ATTEMPTS * (l.KUBELOOM_READYZ_TIMEOUT + l.KUBELOOM_READYZ_INTERVAL);
    }
    if (where === "K3s agent install") return installer();
    if (/^K3s (server|agent) uninstall$/.test(where)) return l.KUBELOOM_UNINSTALL_TIMEOUT;
    if (where === "read the K3s admin kubeconfig" || where === "read the node name") return 0;
    if (where.startsWith("drain node ")) {
        // Node lookup and cordon through k() (request timeout + grace each), then the drain (drain + request timeout).
        const grace = one(script, /^k\(\) \{ \$SUDO timeout "\$\(\(kubectl_timeout \+ (\d+)\)\)"/m, "kubectl grace");
        assert.equal([...script.matchAll(/^k (get|cordon) /gm)].length, 2, "the drain bound counts two k() calls");
        return 2 * (l.KUBELOOM_KUBECTL_TIMEOUT + grace) + l.KUBELOOM_DRAIN_TIMEOUT + l.KUBELOOM_KUBECTL_TIMEOUT;
    }
    if (where.startsWith("wait for node ")) {
        const grace = one(script, /timeout "\$\(\(ready_request \+ (\d+)\)\)"/, "poll grace");
        const uncordonGrace = one(script, /^k\(\) \{ \$SUDO timeout "\$\(\(kubectl_timeout \+ (\d+)\)\)"/m, "kubectl grace");
        return l.KUBELOOM_NODE_READY_ATTEMPTS * (l.KUBELOOM_NODE_READY_REQUEST_TIMEOUT + grace + l.KUBELOOM_NODE_READY_INTERVAL) + l.KUBELOOM_KUBECTL_TIMEOUT + uncordonGrace;
    }
    if (where.startsWith("cilium nodes: node ")) return [...script.matchAll(/\bk taint /g)].length * l.KUBELOOM_KUBECTL_TIMEOUT;
    if (where.startsWith("cilium verify (")) {
        const waits = [...script.matchAll(/--timeout=(\d+)s/g)].reduce((sum, m) => sum + Number(m[1]), 0);
        const attempts = one(script, /\[ "\$n" -lt (\d+) \] \|\| return 1/, "retry attempts");
        const pause = one(script, /\|\| return 1; sleep (\d+);/, "retry pause");
        const tryBound = one(script, /wget -q -O- -T (\d+)/, "fetch timeout");
        const retried = [...script.matchAll(/\bretry [a-z_]+/g)].length;
        return waits + retried * attempts * (tryBound + pause);
    }
    if (where.startsWith("mesh verify (")) {
        const rollout = one(script, /--timeout=(\d+)s/, "rollout wait");
        const request = one(script, /--max-time (\d+)/, "request limit");
        const requests = one(script, /while \[ "\$i" -lt (\d+) \]/, "requests per round");
        const rounds = one(script, /if \[ "\$round" -ge (\d+) \]/, "rounds");
        const pause = one(script, /^ {2}sleep (\d+)$/m, "pause between rounds");
        return rollout + rounds * (requests * request + pause);
    }
    return undefined;
}

function minutes(duration: unknown, what: string): number {
    const m = String(duration).match(/^(\d+)m$/);
    assert.ok(m, `${what}: expected a whole-minute Pulumi duration like "37m", got ${JSON.stringify(duration)}`);
    return Number(m[1]);
}

const commands = (plan: OfflinePlan) => plan.resources.filter((r) => r.type === "command:local:Command" || r.type === "command:remote:Command");

/** Checks each of create/update/delete the Command runs against its script; returns what was checked. */
function checkCommand(command: PlannedResource): string[] {
    const timeouts = (command.options.customTimeouts ?? {}) as Record<string, unknown>;
    const checked: string[] = [];
    for (const operation of ["create", "update", "delete"] as const) {
        const script = command.inputs[operation];
        if (typeof script !== "string") continue;
        const what = `${command.name} ${operation}`;
        assert.ok(timeouts[operation] !== undefined, `${what}: runs a script but has no customTimeouts.${operation}: a hung command would wait forever`);
        const bound = scriptBound(script);
        const limit = minutes(timeouts[operation], what);
        if (bound !== undefined) {
            const needed = Math.ceil(bound / 60);
            assert.ok(limit >= needed, `${what}: customTimeouts ${limit}m is shorter than its script's own limits (${bound}s)`);
            assert.ok(limit <= needed + MAX_MARGIN_MINUTES, `${what}: customTimeouts ${limit}m is more than ${MAX_MARGIN_MINUTES}m above its script's limits (${bound}s)`);
            checked.push(`${what} ${bound}s→${limit}m`);
        } else {
            checked.push(`${what} (no own limits)→${limit}m`);
        }
    }
    return checked;
}

describe("Command customTimeouts match their scripts' limits", function () {
    this.timeout(60_000);

    it("commandTimeout: whole minutes rounded up plus the margin; refuses a negative bound", () => {
        assert.equal(commandTimeout(0), "5m");
        assert.equal(commandTimeout(1), "6m");
        assert.equal(commandTimeout(1920), "37m");
        assert.throws(() => commandTimeout(-1), /non-negative/);
    });

    it("K3s server, agent, kubeconfig read and uninstall; Cilium verify with kube-proxy replacement", async () => {
        const raw = devConfig();
        raw.clusters[0].source.k3s.agents = [{ host: "192.0.2.21" }];
        raw.clusters[0].cilium.verify = true;
        const checked = commands(await planConfig(raw)).flatMap(checkCommand);
        for (const expected of [/^dev-k3s-server create 1920s→37m$/, /^dev-k3s-server update 1920s→37m$/, /^dev-k3s-server delete 600s→15m$/, /^dev-k3s-agent-192\.0\.2\.21 create 1020s→22m$/, /^dev-k3s-agent-192\.0\.2\.21 delete 600s→15m$/, /^dev-k3s-kubeconfig create 0s→5m$/, /^dev-cilium-verify-check create \d+s→\d+m$/]) {
            assert.ok(checked.some((c) => expected.test(c)), `nothing checked matches ${expected}; checked: ${checked.join(", ")}`);
        }
    });

    it("HA K3s: joining servers, node-name reads and the rolling-upgrade drain and ready steps", async () => {
        // Not a preview: the roll steps' update scripts embed the node name the node-name read returns.
        const checked = commands(await planConfig(haConfig(), { mocks: realisticMocks(), preview: false })).flatMap(checkCommand);
        for (const expected of [
            /^dev-k3s-server-192\.0\.2\.11 update 1920s→37m$/,
            /^dev-k3s-nodename-192\.0\.2\.21 create 0s→5m$/,
            /^dev-k3s-drain-192\.0\.2\.21 update 790s→19m$/,
            /^dev-k3s-ready-192\.0\.2\.21 update 1265s→27m$/,
            /^dev-k3s-drain-192\.0\.2\.10 create \(no own limits\)→5m$/,
        ]) {
            assert.ok(checked.some((c) => expected.test(c)), `nothing checked matches ${expected}; checked: ${checked.join(", ")}`);
        }
    });

    it("kind clusters (create, kubeconfig, address) and the mesh and Cilium checks of the mesh stack", async () => {
        const raw = stackConfig("mesh");
        raw.mesh.verify = true;
        for (const cluster of raw.clusters) cluster.cilium = { ...cluster.cilium, verify: true };
        const checked = commands(await planConfig(raw, { stack: "mesh" })).flatMap(checkCommand);
        for (const expected of [/^mesh-c1-verify-check create 720s→17m$/, /^c1-cilium-verify-check create \d+s→\d+m$/, /^c1-kind-cluster create \(no own limits\)→\d+m$/, /^c1-kind-cluster delete /, /^c1-kind-kubeconfig create /]) {
            assert.ok(checked.some((c) => expected.test(c)), `nothing checked matches ${expected}; checked: ${checked.join(", ")}`);
        }
    });

    it("taints on chained nodes: one kubectl request to add, one per taint to remove", async () => {
        const raw = chainConfig();
        raw.clusters[0].cilium.chaining.nodes = ["worker-1"];
        raw.clusters[0].cilium.verify = true;
        const checked = commands(await planConfig(raw, { stack: "chain" })).flatMap(checkCommand);
        assert.ok(checked.some((c) => /-worker-1-taints create 60s→6m$/.test(c)), checked.join(", "));
        assert.ok(checked.some((c) => /-worker-1-taints delete 60s→6m$/.test(c)), checked.join(", "));
        assert.ok(checked.some((c) => /^chain-cilium-verify-check create \d+s→\d+m$/.test(c)), checked.join(", "));
    });
});
