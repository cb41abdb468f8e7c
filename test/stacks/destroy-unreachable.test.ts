/**
 * Finishing a destroy when a host or a whole cluster is gone: explicit config, never silent. A host in
 * `source.k3s.skipUninstall` gets `retainOnDelete` on its install command (Pulumi then drops it from the state
 * without running K3s's uninstall over SSH) and a warning on every run; `deleteUnreachable: true` reaches the
 * cluster's Kubernetes provider (and warns), without changing its clusterIdentifier.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { devConfig, haConfig, named, planConfig } from "../support/helpers";
import type { OfflinePlan } from "../../scripts/plan/offline-plan";

/** Plans `config`, collecting pulumi.log.warn messages. */
async function planWithWarnings(config: Record<string, unknown>): Promise<{ plan: OfflinePlan; warnings: string[] }> {
    const warnings: string[] = [];
    const original = pulumi.log.warn;
    (pulumi.log as { warn: typeof pulumi.log.warn }).warn = async (message: string) => void warnings.push(message);
    try {
        return { plan: await planConfig(config), warnings };
    } finally {
        (pulumi.log as { warn: typeof pulumi.log.warn }).warn = original;
    }
}

const installCommands = (plan: OfflinePlan) => plan.resources.filter((r) => /^dev-k3s-(server|agent)/.test(r.name));

describe("destroy with a host or cluster gone", function () {
    this.timeout(60_000);

    it("skipUninstall: only that node's install command is retained on delete, with a warning naming it", async () => {
        const config = haConfig();
        config.clusters[0].source.k3s.skipUninstall = ["192.0.2.22", "192.0.2.11"];
        const { plan, warnings } = await planWithWarnings(config);
        const retained = installCommands(plan).filter((r) => r.options.retainOnDelete === true).map((r) => r.name).sort();
        assert.deepEqual(retained, ["dev-k3s-agent-192.0.2.22", "dev-k3s-server-192.0.2.11"]);
        // Its node-name command runs on the missing host too; the roll steps run on the first server and have no delete.
        assert.equal(named(plan, "dev-k3s-nodename-192.0.2.22").options.retainOnDelete, true);
        assert.equal(named(plan, "dev-k3s-nodename-192.0.2.21").options.retainOnDelete, undefined);
        assert.equal(warnings.filter((w) => /K3s node 192\.0\.2\.22 is in skipUninstall/.test(w)).length, 1, warnings.join("\n"));
        assert.equal(warnings.filter((w) => /K3s node 192\.0\.2\.11 is in skipUninstall/.test(w)).length, 1, warnings.join("\n"));
    });

    it("skipUninstall changes no input of the node (so `pulumi up` runs nothing on the missing host)", async () => {
        const base = await planConfig(haConfig());
        const config = haConfig();
        config.clusters[0].source.k3s.skipUninstall = ["192.0.2.22"];
        const skipped = await planConfig(config);
        for (const r of skipped.resources) assert.deepEqual(r.inputs, named(base, r.name).inputs, r.name);
    });

    it("without skipUninstall nothing is retained and nothing is warned", async () => {
        const { plan, warnings } = await planWithWarnings(devConfig());
        assert.deepEqual(installCommands(plan).filter((r) => r.options.retainOnDelete !== undefined).map((r) => r.name), []);
        assert.deepEqual(warnings.filter((w) => /skipUninstall|deleteUnreachable/.test(w)), []);
    });

    it("deleteUnreachable: the provider gets it, keeps its clusterIdentifier, and the run warns", async () => {
        const config = devConfig();
        config.clusters[0].deleteUnreachable = true;
        const { plan, warnings } = await planWithWarnings(config);
        const provider = named(plan, "dev-k8s");
        // Provider inputs travel as strings (pulumi-kubernetes reads its config from the stringified map).
        assert.equal(String(provider.inputs.deleteUnreachable), "true");
        assert.equal(provider.inputs.clusterIdentifier, "kubeloom/dev/dev");
        assert.ok(warnings.some((w) => /cluster dev: deleteUnreachable is on/.test(w)), warnings.join("\n"));
        const plain = named(await planConfig(devConfig()), "dev-k8s");
        assert.equal(plain.inputs.deleteUnreachable, undefined, "off by default, so existing providers plan as before");
    });
});
