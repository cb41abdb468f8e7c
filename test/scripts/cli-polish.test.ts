/**
 * What a person meets when something is wrong on the command line: YAML errors with the line and a caret, a
 * duplicate key with both places, "did you mean" for flags, and `--help` with flags and exit codes per command.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { yamlErrorMessage, parseStackFile } from "../../scripts/plan/stack-file";
import { formatHelp, parseCliArgs } from "../../scripts/common/cli";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";
import { runPlan } from "../support/run-plan";
import { parseStackConfig } from "../../config/parse";
import { rawConfigFromPulumi } from "../../config/raw-config";

function yamlError(text: string): string {
    try {
        parseStackFile(text, "kubeloom");
    } catch (error) {
        return yamlErrorMessage("Pulumi.x.yaml", text, error);
    }
    assert.fail("the text parsed");
}

describe("CLI polish", function () {
    this.timeout(60_000);

    it("reports a YAML syntax error with file:line:col, the line before, the line and a caret", () => {
        const message = yamlError("config:\n  kubeloom:mesh:\n    demo: yes: no\n");
        assert.equal(message, ["Pulumi.x.yaml:3:11: not valid YAML: Nested mappings are not allowed in compact mappings", "  2 |   kubeloom:mesh:", "  3 |     demo: yes: no", "    |           ^"].join("\n"));
    });

    it("reports a duplicate key with both places", () => {
        const message = yamlError("config:\n  kubeloom:clusters:\n    - name: dev\n      id: 1\n      podCidr: 10.42.0.0/16\n      id: 2\n");
        assert.match(message, /^Pulumi\.x\.yaml:6:7: not valid YAML: Map keys must be unique\n {2}5 \| {7}podCidr: 10\.42\.0\.0\/16\n {2}6 \| {7}id: 2\n {4}\| {7}\^\n {2}id is already set at line 4:\n {2}4 \| {7}id: 1\n {2}keep one of the two$/);
    });

    it("does not echo a line that may hold a secret", () => {
        const message = yamlError("config:\n  kubeloom:sshPrivateKey: -----BEGIN OPENSSH PRIVATE KEY----- x: y\n");
        assert.doesNotMatch(message, /OPENSSH/);
        assert.match(message, /not shown: it may hold a secret/);
    });

    it("exits 2 from npm run plan with that message and no plan", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-yaml-"));
        const file = path.join(dir, "Pulumi.bad.yaml");
        fs.writeFileSync(file, "config:\n  kubeloom:clusters:\n    - name: a\n      name: b\n");
        const run = await runPlan(["bad", "--config", file]);
        fs.rmSync(dir, { recursive: true, force: true });
        assert.equal(run.code, 2);
        assert.equal(run.stdout, "");
        assert.match(run.stderr, /Pulumi\.bad\.yaml:4:7: not valid YAML: Map keys must be unique\n[\s\S]*name is already set at line 3/);
    });

    it("says to quote a version YAML reads as a number, with the trailing zero YAML dropped", () => {
        const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8").replace("version: 1.20.0", "version: 1.20");
        assert.throws(
            () => parseStackConfig(rawConfigFromPulumi(parseStackFile(text, "kubeloom").config), { stackName: "dev" }),
            (error: Error) => error.message.includes('clusters[0].cilium.version: must be a string, got number 1.2 (YAML reads an unquoted 1.2 or 1.20 as a number); quote it: version: "1.2" or version: "1.20"'),
        );
        assert.throws(() => parseStackConfig({ clusters: [], sshPrivateKey: 12345 }), (error: Error) => !error.message.includes("12345"), "a secret is never echoed");
    });

    it("suggests the closest flag for a misspelt one", () => {
        assert.throws(() => parseCliArgs(["--exitzero"], { "exit-zero": { type: "boolean" }, out: { type: "string" } }, "usage: t", "t"), /Unknown option '--exitzero' \(did you mean --exit-zero\?\); usage: t/);
        assert.throws(() => parseCliArgs(["--bogus"], { out: { type: "string" } }, "usage: t", "t"), (error: Error) => !/did you mean/.test(error.message));
    });

    it("formats help with every flag, the environment and the exit codes", () => {
        const text = formatHelp({ usage: "usage: t <x>", description: "Does t.", flags: [["--a", "first"], ["--long-flag <v>", "second"]], environment: [["T_ENV", "why"]], exitCodes: [[0, "ok"], [2, "bad"]] });
        assert.equal(text, ["usage: t <x>", "", "Does t.", "", "flags:", "  --a              first", "  --long-flag <v>  second", "  -h, --help       this text", "", "environment:", "  T_ENV  why", "", "exit codes:", "  0  ok", "  2  bad", ""].join("\n"));
    });

    for (const [script, args] of [["scripts/diff/diff-cli.ts", []], ["scripts/cli/stack-cli.ts", ["up"]], ["scripts/cli/kubeconfig-cli.ts", []], ["scripts/cli/ci-stacks-cli.ts", []], ["scripts/docs/config-docs-cli.ts", []]] as const) {
        it(`--help of ${script} lists flags and exit codes`, () => {
            const run = spawnSync(process.execPath, ["-r", TS_REGISTER, path.join(PROJECT_DIR, script), ...args, "--help"], { cwd: PROJECT_DIR, encoding: "utf8" });
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /^usage: /);
            assert.match(run.stdout, /\nflags:\n/);
            assert.match(run.stdout, /\nexit codes:\n {2}0 /);
        });
    }
});
