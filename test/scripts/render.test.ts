import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chartLocation, helmTemplateArgs, renderEnvironment } from "../../scripts/plan/render/helm";
import { parseManifests, redactSecrets, sortObjects } from "../../scripts/plan/render/objects";
import { substitutePlaceholders, FAKE_PREFIX } from "../../scripts/plan/render/placeholders";
import { renderCacheKey, mapBounded } from "../../scripts/plan/render/render";
import { kubeVersionOf } from "../../scripts/plan/render/plan-render";
import { PROJECT_DIR } from "../../lib/project";
import { runPlan } from "../support/run-plan";

const release = { release: "cilium", chart: "cilium", version: "1.16.19", namespace: "kube-system", repo: "https://helm.cilium.io" };

describe("render: pure pieces", () => {
    it("builds helm template argv with only real Helm flags, API versions sorted", () => {
        assert.deepEqual(helmTemplateArgs(release, { local: "/c/cilium-1.16.19.tgz" }, "/t/v.json", "1.28.13", ["metallb.io/v1beta1", "cilium.io/v2"]), [
            "template", "cilium", "/c/cilium-1.16.19.tgz", "-n", "kube-system", "--version", "1.16.19", "-f", "/t/v.json",
            "--kube-version", "1.28.13", "-a", "cilium.io/v2", "-a", "metallb.io/v1beta1", "--include-crds",
        ]);
        const args = helmTemplateArgs(release, { local: "/c/cilium-1.16.19.tgz" }, "v.json", "1.30.0", []);
        assert.ok(!args.includes("--repo"), "charts are never fetched by helm itself");
        assert.ok(!args.includes("--set"));
    });

    it("takes <chart>-<version>.tgz or <chart>-<version>/ from a charts mirror, else the cache; never a repository", async () => {
        const mirror = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-mirror-"));
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-cache-"));
        const saved = { cache: process.env.KUBELOOM_CACHE_DIR, offline: process.env.KUBELOOM_OFFLINE };
        try {
            fs.writeFileSync(path.join(mirror, "cilium-1.16.19.tgz"), "mirror copies are used as they are");
            fs.mkdirSync(path.join(mirror, "metallb-0.14.9"));
            process.env.KUBELOOM_CACHE_DIR = cache;
            process.env.KUBELOOM_OFFLINE = "1";
            assert.deepEqual(await chartLocation(release, mirror), { local: path.join(mirror, "cilium-1.16.19.tgz") });
            assert.deepEqual(await chartLocation({ ...release, chart: "metallb", version: "0.14.9" }, mirror), { local: path.join(mirror, "metallb-0.14.9") });
            await assert.rejects(chartLocation({ ...release, version: "1.17.18" }, mirror), (error: Error) => {
                assert.match(error.message, /^release cilium: chart cilium 1\.17\.18 is not obtainable \(not in the mirror .*kubeloom-mirror-.*, not in the cache .*kubeloom-cache-.*; downloads are off.*\); set KUBELOOM_CHARTS_DIR/);
                return true;
            });
            await assert.rejects(chartLocation({ ...release, version: "9.9.9" }, mirror), /chart cilium 9\.9\.9 is not in artifacts\.lock\.json \(locked: 1\.16\.19, /);
        } finally {
            for (const [name, value] of [["KUBELOOM_CACHE_DIR", saved.cache], ["KUBELOOM_OFFLINE", saved.offline]] as const) {
                if (value === undefined) delete process.env[name];
                else process.env[name] = value;
            }
            fs.rmSync(mirror, { recursive: true, force: true });
            fs.rmSync(cache, { recursive: true, force: true });
        }
    });

    it("the product defaults to helm on PATH and no charts mirror", () => {
        assert.deepEqual(renderEnvironment({}), { helm: "helm", chartsDir: undefined });
        assert.deepEqual(renderEnvironment({ KUBELOOM_HELM: "/x/helm", KUBELOOM_CHARTS_DIR: "/c" }), { helm: "/x/helm", chartsDir: "/c" });
    });

    it("cache key changes with values, kube version, API versions and chart bytes, not with key order", () => {
        const base = { release, values: { a: 1, b: { c: 2 } }, kubeVersion: "1.28.13", apiVersions: ["cilium.io/v2"] };
        const key = renderCacheKey("chart1", base, "helm");
        assert.equal(key, renderCacheKey("chart1", { ...base, values: { b: { c: 2 }, a: 1 } }, "helm"));
        for (const other of [
            renderCacheKey("chart2", base, "helm"),
            renderCacheKey("chart1", { ...base, values: { a: 2 } }, "helm"),
            renderCacheKey("chart1", { ...base, kubeVersion: "1.30.0" }, "helm"),
            renderCacheKey("chart1", { ...base, apiVersions: [] }, "helm"),
        ]) assert.notEqual(other, key);
    });

    it("parses multi-document YAML, drops empty documents, redacts Secret data and stringData, sorts", () => {
        const objects = parseManifests("---\n# Source: x\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: c2VjcmV0}\nstringData: {p: pw}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n");
        assert.equal(objects.length, 2);
        const redacted = sortObjects(redactSecrets(objects));
        assert.deepEqual(redacted.map((o) => o.kind), ["ConfigMap", "Secret"]);
        assert.deepEqual(redacted[1].data, { k: "[secret]" });
        assert.deepEqual(redacted[1].stringData, { p: "[secret]" });
        assert.deepEqual(redacted[0].data, { k: "v" }, "ConfigMaps are not redacted");
    });

    it("substitutes plan placeholders with marked fakes; tls certs and keys become a base64 PEM", () => {
        const { values, placeholders } = substitutePlaceholders({ tls: { ca: { cert: "[secret]", key: "[secret]" } }, host: "[unknown]", url: "https://[unknown]:6443", n: 1 });
        const v = values as { tls: { ca: { cert: string; key: string } }; host: string; url: string; n: number };
        assert.match(Buffer.from(v.tls.ca.cert, "base64").toString(), /BEGIN CERTIFICATE/);
        assert.match(Buffer.from(v.tls.ca.key, "base64").toString(), /BEGIN PRIVATE KEY/);
        assert.equal(v.host, `${FAKE_PREFIX}-unknown`);
        assert.equal(v.url, `https://${FAKE_PREFIX}-unknown:6443`);
        assert.deepEqual(placeholders, ["host ([unknown])", "tls.ca.cert ([secret])", "tls.ca.key ([secret])", "url (embedded)"]);
    });

    it("derives the Kubernetes version from K3s, kind and kubernetesVersion, else the newest its Cilium supports", () => {
        const cilium = (version: string) => ({ version });
        const table: Array<[unknown, string]> = [
            [{ source: { k3s: { version: "v1.28.13+k3s1" } }, cilium: cilium("1.16.19") }, "1.28.13"],
            [{ source: { kind: { nodeImage: "kindest/node:v1.30.4" } }, cilium: cilium("1.16.19") }, "1.30.4"],
            [{ source: { kubeconfig: { kubernetesVersion: "1.34" } }, cilium: cilium("1.19.6") }, "1.34.0"],
            [{ source: { kubeconfig: {} }, cilium: cilium("1.19.6") }, "1.34.0"],
            [{ source: { kubeconfig: {} }, cilium: cilium("1.16.19") }, "1.30.0"],
            [{ source: { stackReference: {} }, cilium: cilium("1.16.19") }, "1.36.0"],
        ];
        for (const [cluster, expected] of table) assert.equal(kubeVersionOf(cluster as never), expected, JSON.stringify(cluster));
    });

    it("mapBounded keeps order and never runs more than the limit at once", async () => {
        let running = 0;
        let peak = 0;
        const out = await mapBounded([1, 2, 3, 4, 5, 6], 2, async (n) => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((r) => setTimeout(r, 5));
            running--;
            return n * 2;
        });
        assert.deepEqual(out, [2, 4, 6, 8, 10, 12]);
        assert.equal(peak, 2);
    });
});

describe("plan --render (helm and the locked charts)", function () {
    this.timeout(60000);
    const stacks = ["dev", "mesh", "chain"];
    const results = new Map<string, Promise<{ code: number; stdout: string; stderr: string }>>();
    before(() => {
        for (const stack of stacks) results.set(stack, runPlan([stack, "--render", "--json"]));
    });

    for (const stack of stacks) {
        it(`renders every release of ${stack} with no pre-flight error, piped output complete past 64 KiB`, async () => {
            const { code, stdout, stderr } = await results.get(stack)!;
            assert.equal(code, 0, stderr);
            const plan = JSON.parse(stdout) as { resources: Array<{ type: string; name: string; rendered?: Array<{ kind: string }> }>; preflight: Array<{ severity: string }> };
            const releases = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
            assert.ok(releases.length > 0);
            for (const r of releases) assert.ok((r.rendered ?? []).length > 0, `${r.name} rendered nothing`);
            assert.deepEqual(plan.preflight.filter((f) => f.severity === "error"), []);
            if (stack === "mesh") assert.ok(stdout.length > 65536);
        });
    }

    it("passes the chain stack with chaining.nodes (tainted Cilium nodes): hubble-relay follows the agents there", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-chain-nodes-"));
        try {
            const file = path.join(dir, "Pulumi.chain.yaml");
            const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.chain.yaml"), "utf8");
            const withNodes = text.replace("          # nodes: [worker-1, worker-2]", "          nodes: [worker-1, worker-2]");
            assert.notEqual(withNodes, text, "Pulumi.chain.yaml no longer has the commented chaining.nodes line this test enables");
            fs.writeFileSync(file, withNodes);
            const { code, stdout, stderr } = await runPlan(["chain", "--config", file, "--render", "--json"]);
            assert.equal(code, 0, stderr);
            const plan = JSON.parse(stdout) as { preflight: Array<{ severity: string; check: string }> };
            assert.deepEqual(plan.preflight.filter((f) => f.severity === "error"), []);
            assert.ok(!plan.preflight.some((f) => f.check === "scheduling" && f.severity === "info"), "the chaining nodes are modelled, not skipped");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("fails with one line naming KUBELOOM_HELM when helm is missing", async () => {
        const { code, stderr } = await runPlan(["dev", "--render"], { KUBELOOM_HELM: path.join(os.tmpdir(), "no-such-helm") });
        assert.equal(code, 1);
        assert.match(stderr.trim(), /^--render needs helm: .*KUBELOOM_HELM/);
        assert.equal(stderr.trim().split("\n").length, 1);
    });

    it("fails with one line naming KUBELOOM_CHARTS_DIR when the charts folder is missing", async () => {
        const { code, stderr } = await runPlan(["dev", "--render"], { KUBELOOM_CHARTS_DIR: path.join(os.tmpdir(), "no-such-charts") });
        assert.equal(code, 1);
        assert.match(stderr.trim(), /KUBELOOM_CHARTS_DIR=.*does not exist/);
        assert.ok(!fs.existsSync(path.join(os.tmpdir(), "no-such-charts")));
    });
});

describe("plan --render: tenant security options pass pre-flight", function () {
    this.timeout(60000);
    it("restricted / privileged tenants, quota off, ClusterIP, the Star Wars policy isolated with an egress HTTP rule: rendered, no pre-flight error", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-tenants-"));
        try {
            const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
            const tenants = [
                "      vclusters:",
                "        - name: vc-a",
                "          expose: NodePort",
                "          nodePort: 31443",
                "          podSecurityStandard: restricted",
                "          networkPolicies:",
                "            - name: deathstar-landing",
                "              namespace: default",
                "              podSelector: { org: empire, class: deathstar }",
                "              ingress:",
                "                - fromPods: { org: empire }",
                "                  ports: [{ port: 80 }]",
                "                  http: [{ method: POST, path: /v1/request-landing }]",
                "            - name: exhaust-port",
                "              podSelector: { class: deathstar }",
                "              egress:",
                "                - toPods: { class: exhaust-port }",
                "                  ports: [{ port: 8080 }]",
                "                  http: [{ method: GET }]",
                "        - name: vc-b",
                "          expose: ClusterIP",
                "          podSecurityStandard: privileged",
                "          build: pro",
                "          quota: false",
                "",
            ].join("\n");
            const replaced = text.replace(/      vclusters:\n(        .*\n|          .*\n)*/, tenants);
            assert.notEqual(replaced, text);
            const file = path.join(dir, "Pulumi.dev.yaml");
            fs.writeFileSync(file, replaced);
            const { code, stdout, stderr } = await runPlan(["dev", "--config", file, "--render", "--json"]);
            assert.equal(code, 0, stderr);
            const plan = JSON.parse(stdout) as { resources: Array<{ type: string; name: string; rendered?: Array<{ kind: string; metadata: { name: string } }> }>; preflight: Array<{ severity: string }> };
            assert.deepEqual(plan.preflight.filter((f) => f.severity === "error"), []);
            const a = plan.resources.find((r) => r.name === "dev-vc-a-release")!;
            assert.ok(a.rendered!.some((o) => o.kind === "ResourceQuota"), "the quota renders by default");
            const b = plan.resources.find((r) => r.name === "dev-vc-b-release")!;
            assert.ok(!b.rendered!.some((o) => o.kind === "ResourceQuota" || o.kind === "LimitRange"), "quota: false renders neither");
            assert.ok(plan.resources.some((r) => r.type === "kubernetes:cilium.io/v2:CiliumNetworkPolicy" && r.name === "dev-vc-a-tenant-deathstar-landing"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
