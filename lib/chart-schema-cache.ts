/**
 * Compiles a chart's values.schema.json once: in memory per process, and on disk as ajv standalone code under
 * `node_modules/.cache/kubeloom-schemas` (beside the render cache; `$KUBELOOM_SCHEMA_CACHE_DIR` overrides it),
 * keyed by a hash of the schema text and the ajv version. Compiling the Cilium or vCluster schema takes ~0.3 s;
 * loading the generated code takes a few milliseconds, which keeps `npm run plan` with chart values near its floor.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";
import type AjvType from "ajv";
import { PROJECT_DIR } from "./project";
import type { SchemaViolation, ValuesValidator } from "./chart-values";

/** Where compiled schemas are cached. */
export function schemaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    return env.KUBELOOM_SCHEMA_CACHE_DIR || path.join(PROJECT_DIR, "node_modules", ".cache", "kubeloom-schemas");
}

const AJV_VERSION = (require("ajv/package.json") as { version: string }).version;
const compiled = new Map<string, ValuesValidator>();

type CompiledFunction = ((data: unknown) => boolean) & { errors?: SchemaViolation[] | null };

function wrap(validate: CompiledFunction): ValuesValidator {
    return (values) => (validate(values) ? [] : [...(validate.errors ?? [])]);
}

/**
 * Chart schemas use two dialects: Cilium and MetalLB draft-07 (MetalLB with the https `$schema` id ajv does not
 * know), vCluster 2020-12 with a custom "pro" keyword — hence strict: false and no meta-schema validation.
 */
function newAjv(schema: Readonly<Record<string, unknown>>): AjvType {
    // Loaded here, not at import: a plan without chart values never pays for ajv's start-up.
    const options = { strict: false, allErrors: true, validateSchema: false, code: { source: true } } as const;
    if (String(schema.$schema ?? "").includes("2020-12")) {
        const Ajv2020 = (require("ajv/dist/2020") as typeof import("ajv/dist/2020")).default;
        return new Ajv2020(options);
    }
    const Ajv = (require("ajv") as typeof import("ajv")).default;
    return new Ajv(options);
}

/**
 * Loads standalone validator code with this module's `require`, so ajv's runtime helpers resolve from the project.
 * V8's compiled code for it is kept beside it (`<file>.v8`, written after the first validation, when the validator's
 * functions have been compiled): parsing a megabyte of generated code again costs more than the rest of the check.
 */
function loadStandalone(code: string, file: string): ValuesValidator {
    const v8File = `${file}.v8`;
    let cachedData: Buffer | undefined;
    try {
        cachedData = fs.readFileSync(v8File);
    } catch {
        cachedData = undefined;
    }
    const script = new vm.Script(`(function (module, exports, require) {${code}\n})`, { filename: file, cachedData });
    const module = { exports: {} as unknown };
    (script.runInThisContext() as (m: unknown, e: unknown, r: NodeRequire) => void)(module, module.exports, require);
    const validator = wrap(module.exports as CompiledFunction);
    if (cachedData !== undefined && !script.cachedDataRejected) return validator;
    let written = false;
    return (values) => {
        const result = validator(values);
        if (!written) {
            written = true;
            try {
                fs.writeFileSync(`${v8File}.${process.pid}`, script.createCachedData());
                fs.renameSync(`${v8File}.${process.pid}`, v8File);
            } catch {
                // Best effort, as the code itself.
            }
        }
        return result;
    };
}

/** The validator of `schemaText` (a values.schema.json), from memory, the disk cache, or compiled now and cached. */
export function compileValuesSchema(schemaText: string, cacheDir: string = schemaCacheDir()): ValuesValidator {
    const key = createHash("sha256").update(`ajv ${AJV_VERSION}\0`).update(schemaText).digest("hex");
    const known = compiled.get(key);
    if (known) return known;
    const file = path.join(cacheDir, `${key}.js`);
    let validator: ValuesValidator | undefined;
    if (fs.existsSync(file)) {
        try {
            validator = loadStandalone(fs.readFileSync(file, "utf8"), file);
        } catch {
            validator = undefined; // A damaged cache entry is recompiled below.
        }
    }
    if (!validator) {
        const schema = JSON.parse(schemaText) as Record<string, unknown>;
        const ajv = newAjv(schema);
        const validate = ajv.compile(schema);
        validator = wrap(validate as CompiledFunction);
        try {
            fs.mkdirSync(cacheDir, { recursive: true });
            const standaloneCode = (require("ajv/dist/standalone") as typeof import("ajv/dist/standalone")).default;
            fs.writeFileSync(`${file}.${process.pid}`, standaloneCode(ajv, validate));
            fs.renameSync(`${file}.${process.pid}`, file);
        } catch {
            // A read-only checkout still validates; it only compiles again next time.
        }
    }
    compiled.set(key, validator);
    return validator;
}
