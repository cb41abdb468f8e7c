/**
 * The layering, checked from the code's own imports: lib → components → config → stacks → scripts → index.ts.
 * A file may import its own layer and the ones below it, never one above; and no chain of imports may come back
 * to where it started (type-only imports count too: a cycle of types is still two modules that know each other).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { PROJECT_DIR } from "../../lib/project";

/** Layers bottom-up; a file's layer is its top folder (index.ts is the entry point, above everything). */
export const LAYERS = ["lib", "components", "config", "stacks", "scripts", "index.ts"] as const;

/** The project's source files (tests, node_modules and generated output left out), relative to the root. */
function sourceFiles(): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(path.join(PROJECT_DIR, dir), { withFileTypes: true })) {
            const rel = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(rel);
            else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) found.push(rel);
        }
    };
    for (const layer of LAYERS) {
        if (layer === "index.ts") found.push(layer);
        else walk(layer);
    }
    return found.sort();
}

/** The project files one file imports (relative specifiers resolved to files), from TypeScript's own pre-parser. */
export function importsOf(file: string, text: string): string[] {
    const info = ts.preProcessFile(text, true, true);
    const targets: string[] = [];
    for (const { fileName } of info.importedFiles) {
        if (!fileName.startsWith(".")) continue;
        const base = path.normalize(path.join(path.dirname(file), fileName));
        const resolved = [base, `${base}.ts`, `${base}.js`, path.join(base, "index.ts")].find((candidate) => fs.existsSync(path.join(PROJECT_DIR, candidate)) && fs.statSync(path.join(PROJECT_DIR, candidate)).isFile());
        if (resolved) targets.push(resolved);
    }
    return targets;
}

/** The layer index of a project file. */
export function layerOf(file: string): number {
    const top = file.split(path.sep)[0];
    const index = (LAYERS as readonly string[]).indexOf(top);
    if (index < 0) throw new Error(`${file} is in no layer (${LAYERS.join(", ")})`);
    return index;
}

/** Imports that point up the layering, as "from → to" lines. */
export function upwardImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
    const problems: string[] = [];
    for (const [from, targets] of graph) {
        for (const to of targets) {
            if (layerOf(to) > layerOf(from)) problems.push(`${from} → ${to} (${LAYERS[layerOf(from)]} may not import ${LAYERS[layerOf(to)]})`);
        }
    }
    return problems.sort();
}

/** Every import cycle, each as the files of one strongly connected component (Tarjan). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
    let counter = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (node: string) => {
        index.set(node, counter);
        low.set(node, counter++);
        stack.push(node);
        onStack.add(node);
        for (const next of graph.get(node) ?? []) {
            if (!index.has(next)) {
                visit(next);
                low.set(node, Math.min(low.get(node)!, low.get(next)!));
            } else if (onStack.has(next)) {
                low.set(node, Math.min(low.get(node)!, index.get(next)!));
            }
        }
        if (low.get(node) === index.get(node)) {
            const component: string[] = [];
            let member: string;
            do {
                member = stack.pop()!;
                onStack.delete(member);
                component.push(member);
            } while (member !== node);
            const selfLoop = (graph.get(node) ?? []).includes(node);
            if (component.length > 1 || selfLoop) cycles.push(component.sort());
        }
    };
    for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
    return cycles;
}

function projectGraph(): Map<string, string[]> {
    return new Map(sourceFiles().map((file) => [file, importsOf(file, fs.readFileSync(path.join(PROJECT_DIR, file), "utf8"))]));
}

describe("architecture: layers and imports", () => {
    const graph = projectGraph();

    it("finds the project's files and their imports (the check has something to check)", () => {
        assert.ok(graph.size > 40, `only ${graph.size} files found`);
        assert.ok(graph.get("index.ts")?.includes(path.join("stacks", "program.ts")));
    });

    it("has no import against the layering (lib → components → config → stacks → scripts)", () => {
        assert.deepEqual(upwardImports(graph), []);
    });

    it("has no import cycle", () => {
        assert.deepEqual(importCycles(graph), []);
    });

    it("fails on an upward import and on a cycle (the checks themselves)", () => {
        const bad = new Map<string, string[]>([
            ["components/a.ts", ["config/b.ts"]],
            ["config/b.ts", ["config/c.ts"]],
            ["config/c.ts", ["config/b.ts"]],
        ]);
        assert.deepEqual(upwardImports(bad), ["components/a.ts → config/b.ts (components may not import config)"]);
        assert.deepEqual(importCycles(bad), [["config/b.ts", "config/c.ts"]]);
    });
});
