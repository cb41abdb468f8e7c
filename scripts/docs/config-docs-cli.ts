/**
 * `npm run docs:config [-- --check]`
 *
 * Writes the generated documentation: the configuration reference (docs/configuration.md) and the stack-file JSON
 * Schema (schema/kubeloom-stack.schema.json) from config/schema.ts, and the sample plan-diff comment in
 * docs/environments.md from a real offline run. Run it after adding or changing a config key, or a resource of the
 * `dev` stack, and commit the result. `--check`: writes nothing, exits 1 naming each stale file (what the tests check).
 *
 * Exit codes: 0 written (or up to date with --check), 1 stale with --check, 2 bad arguments.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/project";
import { CommandHelp, EXIT, parseCliArgs, runMain } from "../common/cli";
import { configReferenceMarkdown, GENERATED_FILES, REGENERATE_COMMAND, stackFileJsonSchemaText } from "./config-reference";
import { planDiffSample, SAMPLE_FILE, withSample } from "./plan-diff-sample";

const HELP: CommandHelp = {
    usage: "usage: npm run docs:config [-- --check]",
    description: [
        `Regenerates ${GENERATED_FILES.reference} and ${GENERATED_FILES.jsonSchema} from config/schema.ts, and the sample`,
        `plan-diff comment in ${SAMPLE_FILE} from a real offline run of the dev stack.`,
    ].join("\n"),
    flags: [["--check", "write nothing; exit 1 when a generated file is stale"]],
    exitCodes: [
        [EXIT.ok, "written, or up to date"],
        [EXIT.failed, "--check: a generated file is stale"],
        [EXIT.invalid, "bad arguments"],
    ],
};

/** The generated files and their expected text. */
async function generatedTexts(): Promise<Array<{ file: string; text: string }>> {
    const sampleDoc = fs.readFileSync(path.join(PROJECT_DIR, SAMPLE_FILE), "utf8");
    return [
        { file: GENERATED_FILES.reference, text: configReferenceMarkdown() },
        { file: GENERATED_FILES.jsonSchema, text: stackFileJsonSchemaText() },
        { file: SAMPLE_FILE, text: withSample(sampleDoc, await planDiffSample(PROJECT_DIR)) },
    ];
}

async function main(): Promise<number> {
    const { values } = parseCliArgs<{ check?: boolean }>(process.argv.slice(2), { check: { type: "boolean" } }, HELP, "docs:config");
    const stale: string[] = [];
    for (const { file, text } of await generatedTexts()) {
        const target = path.join(PROJECT_DIR, file);
        const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : null;
        if (current === text) continue;
        stale.push(file);
        if (!values.check) {
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, text);
            process.stderr.write(`docs:config: wrote ${file}\n`);
        }
    }
    if (values.check && stale.length > 0) {
        process.stderr.write(`docs:config: stale: ${stale.join(", ")}; run \`${REGENERATE_COMMAND}\` and commit the result\n`);
        return EXIT.failed;
    }
    if (stale.length === 0) process.stderr.write("docs:config: up to date\n");
    return EXIT.ok;
}

runMain("docs:config", main);
