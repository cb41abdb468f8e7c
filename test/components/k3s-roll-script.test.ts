import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { buildDrainScript, buildReadyScript, buildRollStepCreateScript, DRAIN_MAX_SECONDS, extractNodeName, READY_MAX_SECONDS, ROLL_TIME_LIMITS } from "../../components/k3s-roll-script";

const NODE = { nodeName: "agent-1", host: "192.0.2.21", version: "v1.29.8+k3s1" };

describe("k3s roll step builders", () => {
    it("are deterministic and parse as POSIX sh", () => {
        for (const build of [buildDrainScript, buildReadyScript]) {
            assert.equal(build(NODE), build({ ...NODE }));
            const parsed = spawnSync("sh", ["-n"], { input: build(NODE), encoding: "utf8" });
            assert.equal(parsed.status, 0, parsed.stderr);
        }
        assert.match(buildRollStepCreateScript("drain", "192.0.2.21"), /192\.0\.2\.21 is installed, not upgraded: nothing to drain/);
    });

    it("refuse node names, versions and hosts that would not be what they seem in the script", () => {
        assert.throws(() => buildDrainScript({ ...NODE, nodeName: "Agent-1" }), /nodeName must be a Kubernetes node name/);
        assert.throws(() => buildDrainScript({ ...NODE, nodeName: "a;rm -rf /" }), /nodeName/);
        assert.throws(() => buildReadyScript({ ...NODE, version: "v1 x" }), /version must be a release/);
        assert.throws(() => buildReadyScript({ ...NODE, host: "$(reboot)" }), /host must be a DNS name or IP address/);
    });

    it("bound their Commands' timeouts by every limit they wait for", () => {
        assert.equal(DRAIN_MAX_SECONDS, 790, "get + cordon at 65 s each, drain at 600 + 60 s");
        assert.equal(READY_MAX_SECONDS, 60 * (15 + 5) + 65, "60 polls of 15 s + 5 s pause, then the uncordon");
        assert.equal(ROLL_TIME_LIMITS.drain, 600);
    });

    it("extractNodeName takes the last marker line and refuses output without one", () => {
        assert.equal(extractNodeName("hello\nkubeloom-node-name=old\nkubeloom-node-name=node-a\nbye\n"), "node-a");
        assert.throws(() => extractNodeName("Welcome!\n"), /no valid node name/);
        assert.throws(() => extractNodeName("kubeloom-node-name=\n"), /no valid node name/);
    });
});
