/**
 * The tools' shared CLI layer: strict parsing with exit 2 naming the option, and an exit that waits for stdout,
 * so a large output piped into another program is never cut at the pipe buffer (64 KiB).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CliError, EXIT, parseCliArgs } from "../../scripts/common/cli";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";

const USAGE = "usage: tool <stack> [--out <file>] [--yes]";
const options = { out: { type: "string" as const }, yes: { type: "boolean" as const } };

describe("scripts/common/cli", () => {
    it("parses options and positionals", () => {
        const parsed = parseCliArgs<{ out?: string; yes?: boolean }>(["dev", "--out", "x.json", "--yes"], options, USAGE, "tool");
        assert.deepEqual({ ...parsed.values }, { out: "x.json", yes: true });
        assert.deepEqual(parsed.positionals, ["dev"]);
    });

    const failures: Array<{ name: string; argv: string[]; expect: RegExp }> = [
        { name: "fails on an unknown option, naming it", argv: ["dev", "--bogus"], expect: /^tool: Unknown option '--bogus'; usage: tool/ },
        { name: "fails on an option without its value", argv: ["dev", "--out"], expect: /^tool: Option '--out <value>' argument missing; usage/ },
        { name: "fails on a value given to a flag", argv: ["dev", "--yes=no"], expect: /^tool: Option '--yes' does not take an argument; usage/ },
    ];
    for (const { name, argv, expect } of failures) {
        it(name, () => {
            assert.throws(
                () => parseCliArgs(argv, options, USAGE, "tool"),
                (error: unknown) => error instanceof CliError && error.exitCode === EXIT.invalid && expect.test(error.message),
            );
        });
    }

    it("exits only once a large stdout has drained into a pipe", function () {
        this.timeout(30_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-cli-"));
        try {
            const script = path.join(dir, "big.ts");
            const cli = path.join(PROJECT_DIR, "scripts", "common", "cli");
            fs.writeFileSync(script, `import { runMain } from ${JSON.stringify(cli)};\nrunMain("big", async () => { process.stdout.write("x".repeat(1_000_000) + "\\n"); return 3; });\n`);
            // A shell pipe into a slow reader, as `npm run plan | jq` would be.
            const result = spawnSync("sh", ["-c", `"${process.execPath}" -r "${TS_REGISTER}" "${script}" | (sleep 1; wc -c); exit \${PIPESTATUS:-0}`], { encoding: "utf8" });
            assert.equal(result.stdout.trim(), "1000001", result.stderr);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
