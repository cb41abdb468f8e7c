/**
 * The documentation's own links: every relative link in README.md, CONTRIBUTING.md, CHANGELOG.md and docs/*.md points
 * at a file that exists and, with a `#fragment`, at a heading of that file (GitHub's anchor rules, or an explicit `<a id>`) — the README's
 * sections moved to docs/, and a moved section must not leave a dead link behind. Every Mermaid block parses.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../lib/project";
import { parseMermaid } from "../support/mermaid";

const FILES = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", ...fs.readdirSync(path.join(PROJECT_DIR, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Text outside fenced code blocks (links in code are examples, not links). */
function prose(text: string): string {
    return text.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, "");
}

/** GitHub's anchor of a heading: lower case, punctuation but "-" and "_" dropped, spaces to "-". */
function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-");
}

function anchorsOf(file: string): Set<string> {
    const text = prose(fs.readFileSync(path.join(PROJECT_DIR, file), "utf8"));
    const headings = [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]));
    const explicit = [...text.matchAll(/<a (?:id|name)="([^"]+)"/g)].map((m) => m[1]);
    return new Set([...headings, ...explicit]);
}

describe("documentation links and diagrams", function () {
    this.timeout(60_000);

    for (const file of FILES) {
        it(`${file}: every relative link resolves`, () => {
            const text = prose(fs.readFileSync(path.join(PROJECT_DIR, file), "utf8"));
            const broken: string[] = [];
            for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = match[1];
                if (/^[a-z]+:/i.test(target)) continue;
                const [filePart, fragment] = target.split("#");
                const resolved = filePart ? path.normalize(path.join(path.dirname(file), filePart)) : file;
                if (!fs.existsSync(path.join(PROJECT_DIR, resolved))) {
                    broken.push(`${target} (no file ${resolved})`);
                } else if (fragment !== undefined && resolved.endsWith(".md") && !anchorsOf(resolved).has(fragment)) {
                    broken.push(`${target} (no heading #${fragment} in ${resolved})`);
                }
            }
            assert.deepEqual(broken, []);
        });
    }

    it("every ```mermaid block of the docs parses", async () => {
        let blocks = 0;
        for (const file of FILES) {
            const text = fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");
            for (const match of text.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)) {
                blocks++;
                await parseMermaid(match[1]).catch((error: Error) => assert.fail(`${file}: ${error.message}`));
            }
        }
        assert.ok(blocks >= 2, `${blocks} blocks`);
    });
});
