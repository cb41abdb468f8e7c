import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { serializePlan } from "../../scripts/plan/offline-plan";
import { parse } from "yaml";
import { devConfig, named, planConfig, realisticMocks } from "../support/helpers";

const MARKER = "UNIQUE-SECRET-MARKER-7f3a";

function outputOf(rawOutputs: Record<string, unknown> | undefined, key: string): pulumi.Output<any> {
    const value = rawOutputs?.[key];
    assert.ok(pulumi.Output.isInstance(value), `output ${key} is not an Output`);
    return value as pulumi.Output<any>;
}

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

describe("secrets in the dev stack (with provider outputs present)", () => {
    it("exports kubeconfigs as a secret, one renamed context per cluster and vCluster", async () => {
        const raw = devConfig();
        raw.sshPrivateKey = `${MARKER}-ssh`;
        const plan = await planConfig(raw, { mocks: realisticMocks(MARKER), preview: false });
        const kubeconfigs = outputOf(plan.rawOutputs, "kubeconfigs");
        assert.equal(await pulumi.isSecret(kubeconfigs), true);
        const map = (await valueOf(kubeconfigs)) as Record<string, string>;
        assert.deepEqual(Object.keys(map).sort(), ["dev", "dev-vc-a", "dev-vc-b"]);
        const host = parse(map.dev);
        assert.equal(host["current-context"], "dev");
        assert.equal(host.clusters[0].cluster.server, "https://192.0.2.10:6443");
        assert.equal(host.users[0].name, "dev");
    });

    it("marks the cluster token and host kubeconfig secret, and no marker reaches the plan", async () => {
        const raw = devConfig();
        raw.sshPrivateKey = `${MARKER}-ssh`;
        const plan = await planConfig(raw, { mocks: realisticMocks(MARKER), preview: false });
        const text = serializePlan(plan);
        assert.ok(!text.includes(MARKER), "a secret value reached the plan JSON");
        const server = plan.resources.find((r) => r.type === "command:remote:Command" && /server/.test(r.name))!;
        assert.equal(server.inputs.stdin, "[secret]", "the token goes to the installer on stdin, as a secret");
        const read = plan.resources.find((r) => r.type === "command:remote:Command" && r.name.endsWith("-kubeconfig"))!;
        // @pulumi/command 1.x adds "connection" (it carries the SSH key) to every remote.Command's secret outputs.
        assert.deepEqual(read.options.additionalSecretOutputs, ["stdout", "connection"]);
        const clusters = JSON.stringify(plan.outputs.clusters);
        assert.ok(!clusters.includes("[secret]") && !clusters.includes(MARKER), "the clusters summary must carry no secret");
        assert.equal(named(plan, "dev-k8s").inputs.kubeconfig, "[secret]");
    });
});
