/**
 * Mermaid's own parser, for tests of the diagrams Kubeloom emits: `mermaid.parse` (the mermaid package, the code
 * GitHub draws comments with) throws on any syntax error, with the line and what it expected.
 *
 * mermaid is ESM-only and sanitises label text with DOMPurify, which needs a browser DOM that Node does not have.
 * Parsing does not depend on that sanitising, so DOMPurify's entry points are replaced with the identity — on the
 * ESM instance mermaid itself imports — before mermaid loads. Nothing is rendered.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_DIR } from "../../lib/project";

// A real dynamic import: TypeScript would turn `import()` into `require()` under "module": "commonjs".
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

let mermaidParse: Promise<(text: string) => Promise<unknown>> | undefined;

/** The URL of a file under node_modules (the same URL mermaid's own import of it resolves to). */
function moduleUrl(file: string): string {
    return pathToFileURL(path.join(PROJECT_DIR, "node_modules", file)).href;
}

/** Parses Mermaid text with mermaid's parser; rejects with mermaid's error (line and expectation) when invalid. */
export async function parseMermaid(text: string): Promise<{ diagramType: string }> {
    mermaidParse ??= (async () => {
        const purify = (await importEsm(moduleUrl("dompurify/dist/purify.es.mjs"))).default;
        purify.sanitize = (dirty: string) => dirty;
        purify.addHook = () => undefined;
        purify.removeHook = () => undefined;
        purify.removeHooks = () => undefined;
        purify.removeAllHooks = () => undefined;
        const mermaid = (await importEsm(moduleUrl("mermaid/dist/mermaid.core.mjs"))).default;
        mermaid.initialize({ startOnLoad: false });
        return (t: string) => mermaid.parse(t);
    })();
    return (await (await mermaidParse)(text)) as { diagramType: string };
}
