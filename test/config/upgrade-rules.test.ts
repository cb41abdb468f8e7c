/**
 * config/upgrade-rules.ts: the steps from a deployed version to a new one that Kubeloom refuses, each under the
 * config key to change. Pure: configs are parsed once and their versions set afterwards, so the rules are tested
 * for versions the schema of the day may not accept yet.
 */
import { strict as assert } from "node:assert";
import { parseStackConfig } from "../../config/parse";
import { DEFAULT_VERSIONS, StackConfig } from "../../config/schema";
import { clusterOrderFromRaw, DeployedVersions, parseDeployedVersions, plannedVersions, uncheckedUpgradeWarning, upgradeIssues, UPGRADE_CHECKED_ENV, versionStepIssues } from "../../config/upgrade-rules";
import { devConfig } from "../support/fixtures";

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

/** The dev config, parsed, at the seeds' versions (K3s v1.28, Cilium 1.16, vCluster 0.20) unless told otherwise. */
function dev(versions: { k3s?: string; cilium?: string; vclusters?: string[] } = {}): StackConfig {
    const config = structuredClone(parseStackConfig(devConfig(), { stackName: "dev" })) as Mutable<StackConfig>;
    const cluster = config.clusters[0];
    cluster.source.k3s!.version = versions.k3s ?? "v1.28.13+k3s1";
    cluster.cilium.version = versions.cilium ?? "1.16.19";
    cluster.vclusters.forEach((vc, j) => (vc.version = versions.vclusters?.[j] ?? "0.20.6"));
    return config as StackConfig;
}

const DEPLOYED: DeployedVersions = { dev: { k3s: "v1.28.13+k3s1", cilium: "1.16.19", vclusters: { "vc-a": "0.20.6", "vc-b": "0.20.6" } } };

describe("upgrade rules (config/upgrade-rules.ts)", () => {
    it("plannedVersions: the effective versions per cluster name, defaults included", () => {
        assert.deepEqual(plannedVersions(dev()), DEPLOYED);
        const defaults = parseStackConfig(devConfig(), { stackName: "dev" });
        assert.deepEqual(plannedVersions(defaults), {
            dev: { k3s: DEFAULT_VERSIONS.k3s, cilium: DEFAULT_VERSIONS.cilium, vclusters: { "vc-a": DEFAULT_VERSIONS.vcluster, "vc-b": DEFAULT_VERSIONS.vcluster } },
        });
    });

    it("allows no change, one minor up (Cilium 1.16 → 1.17, K3s 1.28 → 1.29) and a patch downgrade", () => {
        assert.deepEqual(upgradeIssues(DEPLOYED, dev()), []);
        assert.deepEqual(upgradeIssues(DEPLOYED, dev({ cilium: "1.17.18", k3s: "v1.29.15+k3s1" })), []);
        assert.deepEqual(upgradeIssues(DEPLOYED, dev({ cilium: "1.16.18" })), []);
    });

    it("fails a Cilium minor skip (1.16 → 1.18) under clusters[0].cilium.version, naming the reason and the next step", () => {
        const issues = upgradeIssues(DEPLOYED, dev({ cilium: "1.18.12" }));
        assert.equal(issues.length, 1);
        assert.equal(issues[0].path, "clusters[0].cilium.version");
        assert.match(issues[0].message, /"1\.18\.12" cannot be applied to the deployed Cilium 1\.16\.19: it skips 1\.17/);
        assert.match(issues[0].message, /one minor at a time/);
        assert.match(issues[0].message, /Upgrade to 1\.17\.x first: set clusters\[0\]\.cilium\.version: 1\.17\.18/);
    });

    it("fails a skip of several Cilium minors (1.16 → 1.20), listing them", () => {
        const [issue] = upgradeIssues(DEPLOYED, dev({ cilium: "1.20.0" }));
        assert.match(issue.message, /skips 1\.17–1\.19/);
    });

    it("fails a K3s minor skip (v1.28 → v1.30) under clusters[0].source.k3s.version, with the next line", () => {
        const issues = upgradeIssues(DEPLOYED, dev({ k3s: "v1.30.6+k3s1" }));
        assert.deepEqual(issues.map((i) => i.path), ["clusters[0].source.k3s.version"]);
        assert.match(issues[0].message, /skips Kubernetes 1\.29/);
        assert.match(issues[0].message, /set clusters\[0\]\.source\.k3s\.version: v1\.29\.15\+k3s1 \(or any v1\.29\.x\+k3sN\)/);
    });

    it("fails vCluster 0.20 → 0.36 under clusters[0].vclusters[1].version with the migration path", () => {
        const issues = upgradeIssues(DEPLOYED, dev({ vclusters: ["0.20.6", "0.36.1"] }));
        assert.deepEqual(issues.map((i) => i.path), ["clusters[0].vclusters[1].version"]);
        assert.match(issues[0].message, /deployed vCluster vc-b 0\.20\.6: the tenant runs the k3s distro/);
        assert.match(issues[0].message, /only on 0\.25–0\.32, which are not in Kubeloom's support matrix/);
        assert.match(issues[0].message, /add a new tenant \(a new name\) with version 0\.36\.1, move the workloads/);
    });

    it("fails minor downgrades of every component, and major changes", () => {
        const deployed: DeployedVersions = { dev: { k3s: "v1.30.6+k3s1", cilium: "1.18.12", vclusters: { "vc-a": "0.36.1" } } };
        const issues = upgradeIssues(deployed, dev({ k3s: "v1.29.15+k3s1", cilium: "1.17.18", vclusters: ["0.20.6"] }));
        assert.deepEqual(issues.map((i) => i.path), ["clusters[0].cilium.version", "clusters[0].source.k3s.version", "clusters[0].vclusters[0].version"]);
        for (const issue of issues) assert.match(issue.message, /a downgrade to an older minor is not supported/);
        const [major] = upgradeIssues({ dev: { cilium: "2.0.0", vclusters: {} } }, dev());
        assert.match(major.message, /change of major version/);
    });

    it("matches by name: a new or renamed cluster or tenant has nothing deployed and is never refused", () => {
        assert.deepEqual(upgradeIssues({ other: { cilium: "1.14.0", vclusters: {} } }, dev({ cilium: "1.18.12" })), []);
        assert.deepEqual(upgradeIssues({ dev: { vclusters: { "vc-old": "0.20.6" } } }, dev({ vclusters: ["0.36.1"] })), []);
    });

    it("MetalLB: 0.14 → 0.16 is allowed, a minor downgrade is not", () => {
        const order = [{ name: "c1", vclusters: [] }];
        assert.deepEqual(versionStepIssues({ c1: { metallb: "0.14.9", vclusters: {} } }, { c1: { metallb: "0.16.1", vclusters: {} } }, order), []);
        const [issue] = versionStepIssues({ c1: { metallb: "0.16.1", vclusters: {} } }, { c1: { metallb: "0.14.9", vclusters: {} } }, order);
        assert.equal(issue.path, "clusters[0].loadBalancer.metallb.version");
    });

    it("clusterOrderFromRaw places names from a raw stack config (plan:diff has no parsed head config)", () => {
        const order = clusterOrderFromRaw({ clusters: [{ name: "a" }, { name: "dev", vclusters: [{ name: "x" }, { name: "vc-b" }] }] });
        const [issue] = versionStepIssues(DEPLOYED, { dev: { vclusters: { "vc-b": "0.36.1" } } }, order);
        assert.equal(issue.path, "clusters[1].vclusters[1].version");
        assert.deepEqual(clusterOrderFromRaw(undefined), []);
    });

    it("parseDeployedVersions: undefined when absent, the record when valid, an error when malformed", () => {
        assert.equal(parseDeployedVersions(undefined, "x"), undefined);
        assert.deepEqual(parseDeployedVersions({ dev: { cilium: "1.16.19" } }, "x"), { dev: { cilium: "1.16.19", vclusters: {} } });
        assert.throws(() => parseDeployedVersions({ dev: { cilium: 16 } }, "stack dev"), /stack dev: deployedVersions is not a map/);
    });

    it("warns a Pulumi run that did not come through npm run up|preview (pulumi up run directly), not one that did", () => {
        assert.match(uncheckedUpgradeWarning({}, "dev") ?? "", /upgrade steps were not checked: .* `npm run preview -- dev`/);
        assert.equal(uncheckedUpgradeWarning({ [UPGRADE_CHECKED_ENV]: "1" }, "dev"), undefined);
    });
});
