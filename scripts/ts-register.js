/**
 * Fast start for the project's TypeScript tools: `node -r ./scripts/ts-register.js scripts/plan/plan-cli.ts`.
 *
 * Loads `.ts` files the way `ts-node --transpile-only` does (TypeScript's own transpileModule with this project's
 * tsconfig.json, so the emitted JavaScript is the same), with two differences that make `npm run plan` fast:
 *   - The output is cached under node_modules/.cache/kubeloom-ts, keyed by a hash of the source, the file name,
 *     tsconfig.json and the TypeScript version: a run with nothing changed transpiles nothing (ts-node re-transpiles
 *     every file at every start). A changed file replaces its entry; deleting the directory is always safe.
 *   - No stack-trace source mapping by default. ts-node installs source-map-support, which maps every
 *     `new Error().stack` — and the Pulumi runtime reads one per registered resource and per RPC promise
 *     (Resource.callsites, debuggablePromise), so at 800 resources the mapping alone took ~7 s. The plan tools
 *     print messages, not stack traces. To debug with .ts line numbers, run with NODE_OPTIONS=--enable-source-maps
 *     (the cached output carries an inline source map).
 * Plain JavaScript on purpose: it must run before anything can be transpiled. Needs nothing beyond `npm ci
 * --ignore-scripts` (typescript is a devDependency, loaded only when a file is not in the cache).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const projectDir = path.resolve(__dirname, "..");
const tsconfigPath = path.join(projectDir, "tsconfig.json");
const cacheDir = path.join(projectDir, "node_modules", ".cache", "kubeloom-ts");
// Bump when the way output is produced changes, so old cache entries are not reused.
const FORMAT = "kubeloom-ts-register 1";

let keyPrefix;
let transpiler;

/** What every cache key shares: the format, the TypeScript version and the compiler options' source. */
function cacheKeyPrefix() {
    if (keyPrefix === undefined) {
        const tsVersion = JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")).version;
        keyPrefix = `${FORMAT}\0${tsVersion}\0${fs.readFileSync(tsconfigPath, "utf8")}\0`;
    }
    return keyPrefix;
}

/** TypeScript and the project's compiler options, loaded only on a cache miss. */
function getTranspiler() {
    if (transpiler === undefined) {
        const ts = require("typescript");
        const read = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
        if (read.error) throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
        // No file enumeration: only the compiler options matter here.
        const host = { ...ts.sys, readDirectory: () => [] };
        const options = { ...ts.parseJsonConfigFileContent(read.config, host, projectDir).options };
        // As ts-node does for transpile-only: emit JavaScript only, no declarations or build info.
        for (const key of ["out", "outFile", "outDir", "composite", "declaration", "declarationDir", "declarationMap", "emitDeclarationOnly", "incremental", "tsBuildInfoFile", "sourceMap"]) {
            delete options[key];
        }
        options.inlineSourceMap = true;
        options.noEmit = false;
        transpiler = { ts, options };
    }
    return transpiler;
}

function transpile(source, filename) {
    const { ts, options } = getTranspiler();
    const result = ts.transpileModule(source, { fileName: filename, compilerOptions: options, reportDiagnostics: true });
    const diagnostics = result.diagnostics ?? [];
    if (diagnostics.length > 0) {
        const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => projectDir, getNewLine: () => "\n" };
        throw new SyntaxError(`cannot transpile ${path.relative(projectDir, filename)}:\n${ts.formatDiagnostics(diagnostics, host)}`);
    }
    return result.outputText;
}

const sha256 = (...parts) => parts.reduce((hash, part) => hash.update(part).update("\0"), crypto.createHash("sha256")).digest("hex");

/**
 * The JavaScript for a .ts file: from the cache, else transpiled and stored (best effort: a read-only tree still
 * runs). Entries are named `<hash of the file name>-<hash of everything the output depends on>.js`, so storing a
 * new version of a file can drop its old ones and the cache stays at about one entry per file.
 */
function javascriptFor(filename) {
    const source = fs.readFileSync(filename, "utf8");
    const fileKey = sha256(filename).slice(0, 16);
    const entry = `${fileKey}-${sha256(cacheKeyPrefix(), filename, source)}.js`;
    const cached = path.join(cacheDir, entry);
    try {
        return fs.readFileSync(cached, "utf8");
    } catch {
        // Not cached yet.
    }
    const output = transpile(source, filename);
    try {
        fs.mkdirSync(cacheDir, { recursive: true });
        // Write then rename, so a concurrent run never reads a half-written entry.
        const temporary = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, output);
        fs.renameSync(temporary, cached);
        for (const stale of fs.readdirSync(cacheDir)) {
            if (stale.startsWith(`${fileKey}-`) && stale.endsWith(".js") && stale !== entry) fs.rmSync(path.join(cacheDir, stale), { force: true });
        }
    } catch {
        // Caching is an optimisation only.
    }
    return output;
}

require.extensions[".ts"] = function loadTypeScript(module, filename) {
    module._compile(javascriptFor(filename), filename);
};
