/**
 * Secrets audit: a unique marker is planted in every secret input (SSH key inline and as a file, cluster token,
 * kubeconfig sources inline, as a file and through a stack reference, the mesh CA key) and must appear nowhere a
 * reviewer or a log could see it: the plan JSON, the plan:diff reports, error messages, non-secret outputs.
 * Every output that carries a kubeconfig, token or key must be a Pulumi secret.
 */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { diffPlans, planDiffReport } from "../../scripts/diff/plan-diff";
import { renderMarkdown } from "../../scripts/diff/plan-diff-markdown";
import { OfflinePlan, serializePlan } from "../../scripts/plan/offline-plan";
import { SECRET_KEYS } from "../../config/schema";
import { ConfigError } from "../../config/config-error";
import { parseStackConfig } from "../../config/parse";
import { chainConfig, devConfig, fakeK3sKubeconfig, planConfig, realisticMocks } from "../support/helpers";

const MARKER = "AUDIT-MARKER-5b1c9e";

/** Everything a reviewer or a log could see of a plan. */
function visibleText(plan: OfflinePlan, other: OfflinePlan): string[] {
    const diff = diffPlans({ stack: plan.stack, base: other, head: plan });
    const report = planDiffReport({ ref: "main", commit: null }, [diff]);
    return [serializePlan(plan), renderMarkdown(report), JSON.stringify(report)];
}

function assertNoMarker(texts: string[], where: string): void {
    texts.forEach((text, i) => assert.ok(!text.includes(MARKER), `${where}: the marker leaked (text ${i})`));
}

async function assertSecretOutput(plan: OfflinePlan, key: string): Promise<void> {
    const output = plan.rawOutputs?.[key];
    assert.ok(pulumi.Output.isInstance(output), `${key} is an Output`);
    assert.equal(await pulumi.isSecret(output as pulumi.Output<unknown>), true, `${key} must be secret`);
}

/** The non-secret outputs, resolved: they must not contain the marker. */
async function nonSecretOutputs(plan: OfflinePlan): Promise<string> {
    const values: Record<string, unknown> = {};
    for (const [key, output] of Object.entries(plan.rawOutputs ?? {})) {
        if (key === "kubeconfigs") continue;
        values[key] = await new Promise((resolve) => (pulumi.output(output as pulumi.Input<object>) as pulumi.Output<unknown>).apply(resolve));
    }
    return JSON.stringify(values);
}

describe("secrets audit", function () {
    this.timeout(60_000);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-audit-"));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("dev: SSH key (inline and file) and cluster token", async () => {
        const keyFile = path.join(scratch, "id_ed25519");
        fs.writeFileSync(keyFile, `-----BEGIN OPENSSH PRIVATE KEY-----\n${MARKER}-file\n-----END OPENSSH PRIVATE KEY-----\n`, { mode: 0o600 });
        const raw = devConfig();
        raw.sshPrivateKey = `${MARKER}-inline`;
        raw.clusters[0].source.k3s.agents = [{ host: "192.0.2.11" }];
        const withFile = devConfig();
        withFile.clusters[0].source.k3s.sshPrivateKeyPath = keyFile;
        delete withFile.sshPrivateKey;
        const mocks = realisticMocks(MARKER);
        const plan = await planConfig(raw, { mocks, preview: false });
        const other = await planConfig(withFile, { mocks, preview: false });
        assertNoMarker([...visibleText(plan, other), ...visibleText(other, plan)], "dev");
        assertNoMarker([await nonSecretOutputs(plan)], "dev outputs");
        await assertSecretOutput(plan, "kubeconfigs");
        const kubeconfigs = await new Promise<Record<string, string>>((resolve) => (plan.rawOutputs!.kubeconfigs as pulumi.Output<Record<string, string>>).apply(resolve));
        assert.ok(Object.values(kubeconfigs).every((k) => k.includes(Buffer.from(MARKER).toString("base64"))), "the audit really planted the marker in the kubeconfigs");
    });

    it("chain: kubeconfig source inline, as a file, and through a stack reference", async () => {
        const inline = chainConfig();
        inline.sourceKubeconfigs = { chain: fakeK3sKubeconfig(`${MARKER}-inline`) };
        const file = path.join(scratch, "kubeconfig");
        fs.writeFileSync(file, fakeK3sKubeconfig(`${MARKER}-file`), { mode: 0o600 });
        const fromFile = chainConfig();
        delete fromFile.sourceKubeconfigs;
        fromFile.clusters[0].source = { kubeconfig: { path: file } };
        const referenced = chainConfig();
        delete referenced.sourceKubeconfigs;
        referenced.clusters[0].source = { stackReference: { stack: "platform", context: "dev" } };
        referenced.clusters[0].cilium.install = true;
        const mocks = realisticMocks(MARKER);
        const plans = [await planConfig(inline, { mocks, preview: false }), await planConfig(fromFile, { mocks, preview: false }), await planConfig(referenced, { mocks, preview: false })];
        for (const [i, plan] of plans.entries()) {
            assertNoMarker(visibleText(plan, plans[(i + 1) % plans.length]), `chain variant ${i}`);
            assertNoMarker([await nonSecretOutputs(plan)], `chain variant ${i} outputs`);
            await assertSecretOutput(plan, "kubeconfigs");
        }
    });

    it("mesh: the shared CA key", async () => {
        const raw = {
            clusters: ["c1", "c2"].map((name, i) => ({
                name,
                id: i + 1,
                podCidr: `10.${10 + i * 10}.0.0/16`,
                serviceCidr: `10.${11 + i * 10}.0.0/16`,
                source: { kind: { apiServerPort: 6443 + i } },
                loadBalancer: { metallb: { addresses: [`172.22.${i}.10-172.22.${i}.20`] } },
            })),
            mesh: { enabled: true, demo: true },
        };
        const mocks = realisticMocks(MARKER);
        const plan = await planConfig(raw, { mocks, preview: false });
        const preview = await planConfig(raw);
        assertNoMarker(visibleText(plan, preview), "mesh");
        assertNoMarker([await nonSecretOutputs(plan)], "mesh outputs");
        await assertSecretOutput(plan, "kubeconfigs");
        const cilium = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "cilium");
        for (const release of cilium) {
            assert.equal((release.inputs.values as any).tls.ca.key, "[secret]", `${release.name}: the CA key is secret`);
        }
    });

    it("error messages never carry a secret value", () => {
        const raw = devConfig();
        raw.sshPrivateKey = MARKER;
        raw.sourceKubeconfigs = { dev: MARKER };
        raw.clusters[0].id = 0;
        for (const secretKeys of [[], [...SECRET_KEYS]]) {
            assert.throws(
                () => parseStackConfig(raw, { secretKeys }),
                (error: unknown) => error instanceof ConfigError && !error.message.includes(MARKER),
            );
        }
        const wrongType = devConfig();
        wrongType.sshPrivateKey = [MARKER];
        wrongType.sourceKubeconfigs = MARKER;
        assert.throws(
            () => parseStackConfig(wrongType, { secretKeys: [...SECRET_KEYS] }),
            (error: unknown) => error instanceof ConfigError && !error.message.includes(MARKER) && /sourceKubeconfigs: is one secret text, not a map of cluster name → kubeconfig/.test(error.message),
        );
    });
});
