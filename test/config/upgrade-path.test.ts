/**
 * The upgrade path in docs/upgrades.md from the seeds' recipe (examples/Pulumi.seed.yaml: K3s v1.28, Cilium 1.16, vCluster
 * 0.20) to the shipped defaults, walked with both rule sets: every step's config is inside the support matrix
 * (parseStackConfig) and no step is refused against the one before it (upgradeIssues). If a matrix range or a rule
 * changes so that the documented path breaks, this fails and docs/upgrades.md must change with it.
 */
import { strict as assert } from "node:assert";
import * as path from "path";
import { parseStackConfig } from "../../config/parse";
import { DEFAULT_VERSIONS } from "../../config/schema";
import { ConfigError } from "../../config/config-error";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { plannedVersions, upgradeIssues } from "../../config/upgrade-rules";
import { readStackFile } from "../../scripts/plan/stack-file";
import { PROJECT_DIR } from "../../lib/project";

interface Step {
    readonly k3s: string;
    readonly cilium: string;
    /** vCluster version of the tenants, or null: no tenants at this step. */
    readonly vclusters: string | null;
}

/** The table of docs/upgrades.md, one row per `npm run up`. */
const PATH: readonly Step[] = [
    { k3s: "v1.28.13+k3s1", cilium: "1.16.19", vclusters: "0.20.6" },
    { k3s: "v1.29.15+k3s1", cilium: "1.16.19", vclusters: "0.20.6" },
    { k3s: "v1.29.15+k3s1", cilium: "1.17.18", vclusters: "0.20.6" },
    { k3s: "v1.30.6+k3s1", cilium: "1.17.18", vclusters: "0.20.6" },
    { k3s: "v1.30.6+k3s1", cilium: "1.18.12", vclusters: "0.20.6" },
    { k3s: "v1.30.6+k3s1", cilium: "1.18.12", vclusters: null },
    { k3s: "v1.31.6+k3s1", cilium: "1.18.12", vclusters: null },
    { k3s: "v1.31.6+k3s1", cilium: "1.19.6", vclusters: null },
    { k3s: "v1.32.12+k3s1", cilium: "1.19.6", vclusters: null },
    { k3s: "v1.33.8+k3s1", cilium: "1.19.6", vclusters: null },
    { k3s: "v1.33.8+k3s1", cilium: "1.20.0", vclusters: null },
    { k3s: "v1.34.4+k3s1", cilium: "1.20.0", vclusters: null },
    { k3s: "v1.34.4+k3s1", cilium: "1.20.0", vclusters: "0.36.1" },
    { k3s: "v1.35.5+k3s1", cilium: "1.20.0", vclusters: "0.36.1" },
    { k3s: "v1.36.4+k3s1", cilium: "1.20.0", vclusters: "0.36.1" },
];

const seedRaw = rawConfigFromPulumi(readStackFile(path.join(PROJECT_DIR, "examples", "Pulumi.seed.yaml"), "kubeloom").config) as { clusters: any[] };

function configAt(step: Step) {
    const raw = structuredClone(seedRaw);
    const cluster = raw.clusters[0];
    cluster.source.k3s.version = step.k3s;
    cluster.cilium.version = step.cilium;
    if (step.vclusters === null) delete cluster.vclusters;
    else for (const vc of cluster.vclusters) vc.version = step.vclusters;
    try {
        return parseStackConfig({ ...raw, sshPrivateKey: "[secret]" }, { stackName: "dev" });
    } catch (error) {
        if (error instanceof ConfigError) assert.fail(`${JSON.stringify(step)} is outside the matrix:\n${error.message}`);
        throw error;
    }
}

describe("upgrade path from the seeds' recipe to the defaults (docs/upgrades.md)", () => {
    it("starts at the seeds' recipe and ends at the shipped defaults", () => {
        const seed = parseStackConfig({ ...seedRaw, sshPrivateKey: "[secret]" }, { stackName: "dev" });
        assert.deepEqual(plannedVersions(configAt(PATH[0])), plannedVersions(seed));
        const last = PATH[PATH.length - 1];
        assert.deepEqual([last.k3s, last.cilium, last.vclusters], [DEFAULT_VERSIONS.k3s, DEFAULT_VERSIONS.cilium, DEFAULT_VERSIONS.vcluster]);
    });

    PATH.slice(1).forEach((step, i) => {
        it(`step ${i + 1}: K3s ${step.k3s}, Cilium ${step.cilium}, vClusters ${step.vclusters ?? "none"} — in the matrix and not refused`, () => {
            const before = plannedVersions(configAt(PATH[i]));
            assert.deepEqual(upgradeIssues(before, configAt(step)), []);
        });
    });

    it("fails the direct jump, and re-adding the 0.20 tenants' names at 0.36 while they still run 0.20", () => {
        const seed = plannedVersions(configAt(PATH[0]));
        const issues = upgradeIssues(seed, configAt(PATH[PATH.length - 1]));
        assert.deepEqual(issues.map((issue) => issue.path), ["clusters[0].cilium.version", "clusters[0].source.k3s.version", "clusters[0].vclusters[0].version", "clusters[0].vclusters[1].version"]);
    });
});
