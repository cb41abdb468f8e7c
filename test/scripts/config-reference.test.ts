/**
 * The generated configuration reference (docs/configuration.md) and stack-file JSON Schema
 * (schema/kubeloom-stack.schema.json): committed files equal to what `npm run docs:config` generates from the
 * schema, every key documented, and a JSON Schema that accepts every shipped stack and example, refuses a typo, and
 * agrees with the program's own parser on what it refuses.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { parse } from "yaml";
import { PROJECT_DIR } from "../../lib/project";
import { configReferenceMarkdown, GENERATED_FILES, keysJsonSchema, REGENERATE_COMMAND, stackFileJsonSchema, stackFileJsonSchemaText } from "../../scripts/docs/config-reference";
import { parseStackFile } from "../../scripts/plan/stack-file";
import { rawConfigFromPulumi } from "../../config/raw-config";
import { parseStackConfig } from "../../config/parse";
import { planDiffSample, SAMPLE_FILE, withSample } from "../../scripts/docs/plan-diff-sample";
import { parseMermaid } from "../support/mermaid";

/** Every stack file a user gets: the shipped stacks and the examples. */
function stackFiles(): string[] {
    const shipped = fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));
    const examples = fs.readdirSync(path.join(PROJECT_DIR, "examples")).filter((f) => f.endsWith(".yaml")).map((f) => path.join("examples", f));
    return [...shipped, ...examples];
}

function validator() {
    const ajv = new Ajv({ allErrors: true, strict: false });
    return ajv.compile(stackFileJsonSchema());
}

function devStackDocument(): Record<string, any> {
    return parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8"));
}

describe("generated config reference and JSON Schema", () => {
    it("are up to date with config/schema.ts", () => {
        const expected: Array<[string, string]> = [
            [GENERATED_FILES.reference, configReferenceMarkdown()],
            [GENERATED_FILES.jsonSchema, stackFileJsonSchemaText()],
        ];
        for (const [file, text] of expected) {
            const target = path.join(PROJECT_DIR, file);
            const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "(missing)";
            assert.ok(current === text, `${file} is stale (config/schema.ts changed): run \`${REGENERATE_COMMAND}\` and commit the result`);
        }
    });

    it("documents every key: each has a description in the schema", () => {
        const undocumented: string[] = [];
        const walk = (node: any, at: string) => {
            for (const [key, child] of Object.entries<any>(node.properties ?? {})) {
                const here = at ? `${at}.${key}` : key;
                if (!child.description) undocumented.push(here);
                walk(child, here);
                if (child.items) walk(child.items, `${here}[]`);
            }
        };
        walk(keysJsonSchema(), "");
        assert.deepEqual(undocumented, [], `keys without a description: add .describe("…") to them in config/, then run \`${REGENERATE_COMMAND}\``);
    });

    it("lists every key in the reference with its default", () => {
        const reference = configReferenceMarkdown();
        for (const key of ["kubeloom:clusters", "podCidr", "registrationAddress", "nodeImage", "kubernetesVersion", "routerCidr", "podSecurityStandard", "maxConnectedClusters", "apiserverIP"]) {
            assert.ok(reference.includes(`| \`${key}\` |`), `no row for ${key}`);
        }
        assert.match(reference, /\| `version` \| string \| `"1\.20\.0"` \|/);
        assert.match(reference, /\| `kubeloom:sshPrivateKey` \| \*\*secret\*\* /);
    });

    it("accepts every shipped stack and example, each of which references it", () => {
        const validate = validator();
        const files = stackFiles();
        assert.ok(files.length >= 4, `stack files found: ${files.join(", ")}`);
        for (const file of files) {
            const text = fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");
            const relative = path.relative(path.dirname(path.join(PROJECT_DIR, file)), path.join(PROJECT_DIR, GENERATED_FILES.jsonSchema));
            assert.ok(text.startsWith(`# yaml-language-server: $schema=${relative.startsWith(".") ? "" : "./"}${relative}\n`), `${file} does not reference the JSON Schema on its first line`);
            assert.ok(validate(parse(text)), `${file}: ${JSON.stringify(validate.errors)}`);
        }
    });

    const refused: Array<{ name: string; mutate: (doc: Record<string, any>) => void; keyword: RegExp }> = [
        { name: "a misspelt key in a cluster", mutate: (d) => (d.config["kubeloom:clusters"][0].cilum = {}), keyword: /additionalProperties/ },
        { name: "a misspelt nested key", mutate: (d) => (d.config["kubeloom:clusters"][0].source.k3s.hots = "192.0.2.10"), keyword: /additionalProperties/ },
        { name: "a misspelt kubeloom: key", mutate: (d) => (d.config["kubeloom:clusterz"] = d.config["kubeloom:clusters"]), keyword: /false schema/ },
        { name: "a misspelt key without the namespace", mutate: (d) => (d.config.mesh_ = { enabled: true }), keyword: /false schema/ },
        { name: "a version YAML reads as a number", mutate: (d) => (d.config["kubeloom:clusters"][0].cilium.version = 1.2), keyword: /must be string/ },
        { name: "an unknown enum value", mutate: (d) => (d.config["kubeloom:clusters"][0].vclusters[0].expose = "Ingress"), keyword: /allowed values/ },
        { name: "a plain secret key as an object that is not secure:", mutate: (d) => (d.config["kubeloom:sshPrivateKey"] = { plain: "x" }), keyword: /./ },
    ];
    for (const c of refused) {
        it(`refuses ${c.name}, as the program does`, () => {
            const validate = validator();
            const doc = devStackDocument();
            c.mutate(doc);
            assert.equal(validate(doc), false, `the JSON Schema accepted ${c.name}`);
            assert.match(JSON.stringify(validate.errors), c.keyword);
        });
    }

    it("lets other namespaces and the secure: form of secrets pass, as the program does", () => {
        const validate = validator();
        const doc = devStackDocument();
        doc.config["pulumi:tags"] = { team: "platform" };
        doc.config["kubeloom:sourceKubeconfigs"] = { dev: { secure: "v1:abc" } };
        assert.ok(validate(doc), JSON.stringify(validate.errors));
        // The program reads the same document (secure values become placeholders offline).
        const text = JSON.stringify(doc);
        assert.doesNotThrow(() => parseStackConfig(rawConfigFromPulumi(parseStackFile(text, "kubeloom").config), { stackName: "dev" }));
    });
});

describe("the docs sample plan-diff comment (docs/environments.md)", function () {
    this.timeout(120_000);
    let sample = "";
    before(async () => {
        sample = await planDiffSample(PROJECT_DIR);
    });

    it("is what a real run gives now", () => {
        const doc = fs.readFileSync(path.join(PROJECT_DIR, SAMPLE_FILE), "utf8");
        assert.ok(withSample(doc, sample) === doc, `${SAMPLE_FILE}'s sample comment is stale: run \`${REGENERATE_COMMAND}\` and commit the result`);
    });

    it("shows the new tenant's resources, the rotated key and a valid diagram with the tenant marked", async () => {
        assert.match(sample, /^- `\+` \*\*dev-vc-c-release\*\* `kubernetes:helm\.sh\/v3:Release`$/m);
        assert.match(sample, /^- `kubeloom:sshPrivateKey`: changed$/m);
        const diagram = /```mermaid\n([\s\S]*?)```/.exec(sample);
        assert.ok(diagram, "no diagram in the sample");
        await parseMermaid(diagram[1]);
        assert.match(diagram[1], /"vCluster vc-c 0\.36\.1<br\/>ClusterIP https:\/\/localhost:8443 \(port-forward\)<br\/>isolated · baseline<br\/>\(\+ new\)"/);
    });
});
