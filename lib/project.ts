/**
 * Where the project and its neighbours are, for the tools and tests: one answer instead of a `../..` per file depth.
 */
import * as path from "node:path";

/** The checkout's root (the folder with package.json and the Pulumi.<stack>.yaml files). */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** `../shared` beside the checkout: reference schemas, charts and tools (read-only). Override: KUBELOOM_SHARED_DIR. */
export function sharedDir(): string {
    return process.env.KUBELOOM_SHARED_DIR ?? path.resolve(PROJECT_DIR, "..", "shared");
}

/** The project's one TypeScript loader (`node -r <it> file.ts`), used by every npm script, mocha and the tests. */
export const TS_REGISTER = path.join(PROJECT_DIR, "scripts", "ts-register.js");
