/**
 * Mocha root hooks (registered in .mocharc.json): before the run, obtain every locked artifact once (mirror, cache,
 * or a verified download — one network probe per run, not one per artifact); after the run, one line per missing
 * kind (test/support/artifacts.ts records them), a failure under CI=true.
 */
import { prefetchArtifacts } from "../../lib/artifacts";
import { isCi, missingArtifactSummary } from "./artifacts";

export const mochaHooks = {
    async beforeAll(this: Mocha.Context): Promise<void> {
        // Downloads only happen when neither a mirror nor the cache has an artifact; bounded per file (lib/artifacts).
        this.timeout(10 * 60_000);
        await prefetchArtifacts();
    },
    afterAll(): void {
        const lines = missingArtifactSummary();
        if (lines.length === 0) return;
        if (isCi()) {
            const error = new Error(`CI=true: tests need upstream artifacts that are not obtainable:\n${lines.map((line) => `  ${line}`).join("\n")}`);
            error.stack = error.message;
            throw error;
        }
        process.stderr.write(`\n${lines.map((line) => `kubeloom tests: ${line}`).join("\n")}\n`);
    },
};
