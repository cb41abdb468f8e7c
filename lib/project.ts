/**
 * Where the project is, for the tools and tests: one answer instead of a `../..` per file depth. Upstream artifacts
 * (charts, CRDs, the K3s installer) are found through lib/artifacts, never by a path beside the checkout.
 */
import * as path from "node:path";

/** The checkout's root (the folder with package.json and the Pulumi.<stack>.yaml files). */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The project's one TypeScript loader (`node -r <it> file.ts`), used by every npm script, mocha and the tests. */
export const TS_REGISTER = path.join(PROJECT_DIR, "scripts", "ts-register.js");
