/**
 * `npm run artifacts -- prefetch | list`
 *
 * prefetch: obtains every artifact in artifacts.lock.json (mirror, cache, else a verified download into the cache),
 *           so an offline machine can then plan, render and test from the cache (copy the cache folder over, or
 *           point KUBELOOM_CACHE_DIR at it). Exit 1 when any artifact is not obtainable or fails verification.
 * list:     where each locked artifact is found now (mirror, cache or missing), without the network.
 */
import { artifactStore, ArtifactResult, locateArtifacts, prefetchArtifacts } from "../../lib/artifacts";
import { CliError, EXIT, parseCliArgs, runMain } from "../common/cli";

const USAGE = "usage: npm run artifacts -- prefetch | list";

function line(result: ArtifactResult): string {
    return result.ok ? `${result.source.padEnd(8)} ${result.name}  ${result.path}` : `missing  ${result.name}  (${result.reason})`;
}

async function main(): Promise<number> {
    const { positionals } = parseCliArgs<Record<string, never>>(process.argv.slice(2), {}, USAGE, "artifacts");
    const command = positionals[0];
    if (positionals.length !== 1 || (command !== "prefetch" && command !== "list")) throw new CliError(`artifacts: name one command; ${USAGE}`, EXIT.invalid);
    process.stdout.write(`cache: ${artifactStore().options.cacheDir}\n`);
    const results = command === "prefetch" ? await prefetchArtifacts() : locateArtifacts();
    for (const result of results) process.stdout.write(`${line(result)}\n`);
    const missing = results.filter((r) => !r.ok).length;
    process.stdout.write(`${results.length - missing} of ${results.length} artifacts available${missing ? `; ${missing} missing` : ""}\n`);
    return command === "prefetch" && missing > 0 ? EXIT.failed : EXIT.ok;
}

runMain("artifacts", main);
