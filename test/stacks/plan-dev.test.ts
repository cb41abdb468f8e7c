import { strict as assert } from "node:assert";
import * as path from "path";
import * as fs from "fs";
import * as os from "os";
import { spawnSync } from "child_process";
import { planStack, PlanFailure } from "../../scripts/plan/plan-stack";
import { serializePlan, OfflinePlan } from "../../scripts/plan/offline-plan";
import { at, byUrn, dependsOnTransitively, named, ofType } from "../support/helpers";
import { PROJECT_DIR } from "../../lib/project";
import { SECRET_PLACEHOLDER as SECRET } from "../../lib/placeholders";

const projectDir = PROJECT_DIR;
const RELEASE = "kubernetes:helm.sh/v3:Release";

describe("offline plan of the dev stack", function () {
    let plan: OfflinePlan;
    let text: string;

    before(async () => {
        plan = await planStack({ projectDir, stack: "dev" });
        text = serializePlan(plan);
    });

    it("installs K3s once, over SSH, with flannel and kube-proxy off", () => {
        const installs = ofType(plan, "command:remote:Command").filter((r) => /server/.test(r.name));
        assert.equal(installs.length, 1);
        const script = String(installs[0].inputs.create);
        assert.match(script, /--flannel-backend=none/);
        assert.match(script, /--disable-kube-proxy/);
        assert.match(script, /--disable-network-policy/);
        assert.equal(installs[0].inputs.update, installs[0].inputs.create, "a version or flag change re-runs the installer in place");
        assert.match(String(installs[0].inputs.delete), /k3s-uninstall\.sh/);
        assert.match(script, /--tls-san=192\.0\.2\.10/, "the certificate names the address clients use");
        // @pulumi/command lifts the whole connection into one value, secret because it holds the SSH key.
        assert.equal(installs[0].inputs.connection, SECRET);
    });

    it("installs one Cilium release with kube-proxy replacement aimed at the K3s host", () => {
        const cilium = ofType(plan, RELEASE).filter((r) => r.inputs.chart === "cilium");
        assert.equal(cilium.length, 1);
        const values = cilium[0].inputs.values;
        assert.equal(at(values, "kubeProxyReplacement"), true);
        assert.equal(at(values, "k8sServiceHost"), "192.0.2.10");
        assert.equal(at(values, "k8sServicePort"), 6443);
        assert.equal(at(values, "cluster.name"), "dev");
        assert.equal(at(values, "cluster.id"), 1);
        assert.equal(at(values, "hubble.relay.enabled"), true);
        assert.equal(at(values, "hubble.ui.enabled"), true);
        assert.equal(at(values, "operator.replicas"), 1, "one node: the second operator replica would stay Pending");
        assert.equal(cilium[0].inputs.namespace, "kube-system");
        assert.equal(cilium[0].inputs.version, "1.20.0");
    });

    it("creates vc-a and vc-b in their own namespaces, after Cilium", () => {
        const cilium = ofType(plan, RELEASE).find((r) => r.inputs.chart === "cilium")!;
        const vclusters = ofType(plan, RELEASE).filter((r) => r.inputs.chart === "vcluster");
        assert.deepEqual(vclusters.map((r) => r.inputs.namespace).sort(), ["vcluster-vc-a", "vcluster-vc-b"]);
        for (const vc of vclusters) {
            assert.ok(dependsOnTransitively(plan, vc, cilium.urn, false), `${vc.name} does not wait for the Cilium release`);
            assert.equal(vc.inputs.version, "0.36.1");
            assert.deepEqual(at(vc.inputs.values, "controlPlane.distro"), { k8s: { enabled: true } }, "0.36 has only the k8s distro");
            assert.equal(at(vc.inputs.values, "sync.toHost.networkPolicies.enabled"), true);
        }
    });

    it("reads each vCluster's kubeconfig Secret only after a bounded wait for it, with the host kubeconfig secret (issue 11 failure 5)", () => {
        for (const tenant of ["vc-a", "vc-b"]) {
            const release = named(plan, `dev-${tenant}-release`);
            const wait = named(plan, `dev-${tenant}-kubeconfig-wait`);
            const read = named(plan, `dev-${tenant}-kubeconfig`);
            assert.equal(read.read, true);
            assert.ok(wait.dependsOn.includes(release.urn), "the wait starts after Helm's wait");
            assert.ok(read.dependsOn.includes(wait.urn), "the Secret is read after the wait");
            assert.equal(at(wait.inputs, "environment.KUBELOOM_KUBECONFIG"), SECRET);
            assert.match(String(wait.inputs.create), new RegExp(`get secret 'vc-${tenant}'`));
            assert.ok(at(wait.options, "customTimeouts.create"), "the command is bounded too");
        }
    });

    it("orders Cilium after the K3s host", () => {
        const cilium = ofType(plan, RELEASE).find((r) => r.inputs.chart === "cilium")!;
        const host = ofType(plan, "kubeloom:index:K3sHost")[0];
        assert.ok(dependsOnTransitively(plan, cilium, host.urn, false));
    });

    it("gives every Kubernetes resource the cluster's explicit provider", () => {
        const provider = ofType(plan, "pulumi:providers:kubernetes");
        assert.equal(provider.length, 1);
        assert.equal(provider[0].inputs.kubeconfig, SECRET);
        const k8sResources = plan.resources.filter((r) => r.type.startsWith("kubernetes:"));
        assert.ok(k8sResources.length >= 3);
        for (const r of k8sResources) {
            assert.equal(r.provider, provider[0].urn, `${r.urn} has no explicit provider`);
        }
    });

    it("parents every child to its component", () => {
        for (const r of plan.resources) {
            if (r.type.startsWith("kubeloom:index:") || r.type === "pulumi:providers:kubernetes") continue;
            assert.ok(r.parent, `${r.urn} has no parent`);
            assert.match(byUrn(plan, r.parent)!.type, /^kubeloom:index:/);
        }
    });

    it("keeps every secret out of the plan", () => {
        assert.ok(!text.includes("placeholder-set-your-own"), "the secure ciphertext leaked");
        assert.ok(!/BEGIN [A-Z ]*PRIVATE KEY/.test(text));
        assert.equal(plan.outputs.kubeconfigs, SECRET);
    });

    it("is deterministic", async () => {
        const again = serializePlan(await planStack({ projectDir, stack: "dev" }));
        assert.equal(again, text);
    });
});

describe("offline plan of a bad stack file", () => {
    const cases: Array<{ name: string; edit: (yaml: string) => string; path: RegExp }> = [
        { name: "duplicate cluster names", edit: (y) => y.replace("    - name: vc-b", "    - name: vc-a"), path: /clusters\[0\]\.vclusters\[1\]\.name/ },
        { name: "an id of 0", edit: (y) => y.replace("id: 1", "id: 0"), path: /clusters\[0\]\.id/ },
        { name: "an invalid CIDR", edit: (y) => y.replace("podCidr: 10.42.0.0/16", "podCidr: 10.42.0.0/99"), path: /clusters\[0\]\.podCidr/ },
        {
            name: "kube-proxy replacement with no API host",
            edit: (y) => y.replace(/source:\n {8}k3s:\n {10}host: 192\.0\.2\.10\n {10}user: ubuntu\n {10}port: 22\n {10}version: v1\.36\.4\+k3s1/, "source:\n        kubeconfig:\n          path: /nonexistent"),
            path: /clusters\[0\]\.cilium\.k8sServiceHost/,
        },
    ];
    const devYaml = fs.readFileSync(path.join(projectDir, "Pulumi.dev.yaml"), "utf8");
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-bad-"));
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    for (const c of cases) {
        it(`fails the plan on ${c.name}, naming the key, registering nothing`, async () => {
            const edited = c.edit(devYaml);
            assert.notEqual(edited, devYaml, "the fixture edit did not apply");
            const file = path.join(scratch, "Pulumi.bad.yaml");
            fs.writeFileSync(file, edited);
            await assert.rejects(planStack({ projectDir, stack: "bad", configFile: file }), (error: unknown) => {
                assert.ok(error instanceof PlanFailure);
                assert.equal(error.exitCode, 2);
                assert.match(error.message, c.path);
                return true;
            });
        });
    }

    it("exits non-zero from npm run plan with the errors on stderr and no plan on stdout", () => {
        const file = path.join(scratch, "Pulumi.bad-cli.yaml");
        fs.writeFileSync(file, devYaml.replace("id: 1", "id: 0"));
        const result = spawnSync(process.execPath, ["-r", "./scripts/ts-register.js", "scripts/plan/plan-cli.ts", "bad", "--config", file], { cwd: projectDir, encoding: "utf8" });
        assert.equal(result.status, 2, result.stderr);
        assert.equal(result.stdout, "");
        assert.match(result.stderr, /clusters\[0\]\.id/);
        assert.ok(!/\n\s+at /.test(result.stderr), "no stack trace for a config error");
    });
});
