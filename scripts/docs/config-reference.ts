/**
 * The configuration reference (docs/configuration.md) and the JSON Schema of a stack file's `kubeloom:*` keys
 * (schema/kubeloom-stack.schema.json), both generated from the exported root zod schema — the object the program
 * itself parses with — so neither can drift from it. Each key's description is the schema's own (`.describe()`).
 *
 * Pure: the texts are functions of the schema; scripts/docs/config-docs-cli.ts writes them (`npm run docs:config`)
 * and test/scripts/config-reference.test.ts fails when the committed files differ.
 */
import { z } from "zod";
import { SECRET_KEYS, stackConfigSchema } from "../../config/schema";

/** The command that regenerates both files: named in the staleness test's message. */
export const REGENERATE_COMMAND = "npm run docs:config";

/** Where the generated files live, relative to the project directory. */
export const GENERATED_FILES = {
    reference: "docs/configuration.md",
    jsonSchema: "schema/kubeloom-stack.schema.json",
} as const;

/** The project namespace of every key (`kubeloom:clusters`). */
const NAMESPACE = "kubeloom";

/** A JSON Schema node as zod emits it (draft-07), only the parts read here. */
interface JsonSchemaNode {
    type?: string | string[];
    description?: string;
    default?: unknown;
    properties?: Record<string, JsonSchemaNode>;
    required?: string[];
    additionalProperties?: boolean | JsonSchemaNode;
    propertyNames?: JsonSchemaNode;
    items?: JsonSchemaNode;
    enum?: unknown[];
    const?: unknown;
    anyOf?: JsonSchemaNode[];
    minItems?: number;
    maxItems?: number;
    minimum?: number;
    maximum?: number;
    minLength?: number;
    maxLength?: number;
    pattern?: string;
    [key: string]: unknown;
}

/** The `kubeloom:*` keys as zod's input-side JSON Schema: what a user writes, before defaults are applied. */
export function keysJsonSchema(): JsonSchemaNode {
    // io "input": a key with a default is optional; transforms (cilium's derived defaults) are read by their input.
    const schema = z.toJSONSchema(stackConfigSchema, { io: "input", unrepresentable: "any", target: "draft-7" }) as JsonSchemaNode;
    return withoutZodFormats(schema) as JsonSchemaNode;
}

/** JSON Schema's own formats; zod adds names of its own (`starts_with`, beside the pattern that checks it). */
const STANDARD_FORMATS = new Set(["date-time", "date", "time", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference", "uuid", "regex"]);

function withoutZodFormats(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(withoutZodFormats);
    if (node === null || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
        if (key === "format" && typeof value === "string" && !STANDARD_FORMATS.has(value)) continue;
        out[key] = withoutZodFormats(value);
    }
    return out;
}

const SECURE_VALUE: JsonSchemaNode = {
    type: "object",
    description: "An encrypted value written by `pulumi config set --secret`.",
    properties: { secure: { type: "string" } },
    required: ["secure"],
    additionalProperties: false,
};

/** A secret key's value may be `{ secure: ... }` (the CLI's ciphertext) wherever the plain value could stand. */
function allowSecure(node: JsonSchemaNode, key: string): JsonSchemaNode {
    if (key === "sourceKubeconfigs" && typeof node.additionalProperties === "object") {
        return { ...node, additionalProperties: { anyOf: [node.additionalProperties, { $ref: "#/definitions/secure" }] } };
    }
    const { description, ...rest } = node;
    return { description, anyOf: [rest, { $ref: "#/definitions/secure" }] };
}

/**
 * The JSON Schema of a whole `Pulumi.<stack>.yaml`: its `config` map holds the `kubeloom:*` keys (also written
 * without the namespace, which Pulumi reads as the project's), any other namespace's keys, and no misspelt
 * `kubeloom:` key. Referenced from each stack file by a `# yaml-language-server: $schema=…` line.
 */
export function stackFileJsonSchema(): Record<string, unknown> {
    const keys = keysJsonSchema();
    const definitions: Record<string, JsonSchemaNode> = { secure: SECURE_VALUE };
    const configProperties: Record<string, JsonSchemaNode> = {};
    const names = Object.keys(keys.properties ?? {});
    for (const name of names) {
        const node = keys.properties![name];
        definitions[name] = (SECRET_KEYS as readonly string[]).includes(name) ? allowSecure(node, name) : node;
        configProperties[`${NAMESPACE}:${name}`] = { $ref: `#/definitions/${name}` };
        configProperties[name] = { $ref: `#/definitions/${name}` };
    }
    const known = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
    return {
        $schema: "http://json-schema.org/draft-07/schema#",
        title: "Kubeloom stack file (Pulumi.<stack>.yaml)",
        description: `Generated from config/schema.ts by \`${REGENERATE_COMMAND}\`; do not edit. The keys: docs/configuration.md.`,
        type: "object",
        properties: {
            config: {
                type: "object",
                description: "Stack configuration. Kubeloom's keys are `kubeloom:*`; other namespaces pass through.",
                properties: configProperties,
                // A `kubeloom:` key (or a key without a namespace, which is the project's) that is not one of the known
                // ones is a typo: refused, where the plan would refuse it too.
                patternProperties: { [`^(${NAMESPACE}:)?(?!(${known})$)[^:]*$`]: false },
                required: [],
            },
            secretsprovider: { type: "string" },
            encryptedkey: { type: "string" },
            encryptionsalt: { type: "string" },
            environment: {},
        },
        definitions,
    };
}

/** The committed JSON Schema text: sorted keys are not used, so the layout follows the schema's own key order. */
export function stackFileJsonSchemaText(): string {
    return `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// The Markdown reference

/** One row of the reference: a key path below its block, and what the schema says about it. */
interface ReferenceRow {
    readonly key: string;
    readonly type: string;
    readonly default: string;
    readonly description: string;
}

/** One table: the keys of one object (a block such as `clusters[].source.k3s`). */
interface ReferenceBlock {
    readonly path: string;
    readonly description: string | undefined;
    readonly rows: ReferenceRow[];
}

function isObjectNode(node: JsonSchemaNode): boolean {
    return node.type === "object" && node.properties !== undefined;
}

function range(min: number | undefined, max: number | undefined, unit: string): string {
    if (min !== undefined && max !== undefined) return `${min}–${max}${unit}`;
    if (min !== undefined) return `≥ ${min}${unit}`;
    if (max !== undefined) return `≤ ${max}${unit}`;
    return "";
}

/** A short human type: `string`, `integer 1–65535`, `"tunnel" \| "native"`, `list of objects`, `map string → string`. */
function describeType(node: JsonSchemaNode): string {
    if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(" \\| ");
    if (node.const !== undefined) return JSON.stringify(node.const);
    if (node.anyOf) return node.anyOf.map(describeType).join(" \\| ");
    switch (node.type) {
        case "string": {
            const length = range(node.minLength, node.maxLength, " chars");
            return length && length !== "≥ 1 chars" ? `string (${length})` : node.minLength === 1 ? "string (non-empty)" : "string";
        }
        case "integer":
        case "number": {
            const bounds = range(node.minimum, node.maximum, "");
            return `${node.type}${bounds ? ` ${bounds}` : ""}`;
        }
        case "boolean":
            return "boolean";
        case "array": {
            const item = node.items ? (isObjectNode(node.items) ? "objects" : describeType(node.items)) : "values";
            const count = range(node.minItems, node.maxItems, "");
            return `list of ${item}${count ? ` (${count})` : ""}`;
        }
        case "object":
            if (node.properties) return "object";
            if (typeof node.additionalProperties === "object") return `map: name → ${describeType(node.additionalProperties)}`;
            return "object";
        default:
            return "any";
    }
}

function describeDefault(node: JsonSchemaNode, required: boolean): string {
    if (node.default !== undefined) {
        const text = JSON.stringify(node.default);
        return text.length > 60 ? "(every key's default)" : `\`${text}\``;
    }
    return required ? "**required**" : "—";
}

/** Text safe inside a Markdown table cell. */
function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Walks the schema into blocks, depth first in key order: every object (also a list's items) gets a table. */
function collectBlocks(node: JsonSchemaNode, path: string, description: string | undefined, blocks: ReferenceBlock[]): void {
    const rows: ReferenceRow[] = [];
    const block: ReferenceBlock = { path, description, rows };
    blocks.push(block);
    const children: Array<[string, JsonSchemaNode, string | undefined]> = [];
    for (const [key, raw] of Object.entries(node.properties ?? {})) {
        const child = raw;
        const required = (node.required ?? []).includes(key);
        const secret = path === "" && (SECRET_KEYS as readonly string[]).includes(key);
        const keyText = path === "" ? `${NAMESPACE}:${key}` : key;
        rows.push({
            key: `\`${keyText}\``,
            type: `${secret ? "**secret** " : ""}${describeType(child)}`,
            default: describeDefault(child, required),
            description: cell(child.description ?? ""),
        });
        const childPath = path === "" ? key : `${path}.${key}`;
        if (isObjectNode(child)) children.push([childPath, child, child.description]);
        else if (child.type === "array" && child.items && isObjectNode(child.items)) children.push([`${childPath}[]`, child.items, child.description]);
    }
    for (const [childPath, child, childDescription] of children) collectBlocks(child, childPath, childDescription, blocks);
}

/** GitHub's anchor of a heading made of one code span. */
function anchor(path: string): string {
    return path.toLowerCase().replace(/[^a-z0-9 _-]/g, "");
}

/** The whole docs/configuration.md text. */
export function configReferenceMarkdown(): string {
    const blocks: ReferenceBlock[] = [];
    collectBlocks(keysJsonSchema(), "", undefined, blocks);
    const lines: string[] = [
        "<!-- Generated from config/schema.ts by `npm run docs:config`; do not edit. A test fails when it is stale. -->",
        "# Configuration reference",
        "",
        "Every key Kubeloom reads, generated from the zod schema the program parses the stack config with",
        "(`config/schema.ts`): type, default and description. All keys live in the `kubeloom` namespace of",
        "`Pulumi.<stack>.yaml`. The whole namespace is parsed before any resource is registered; every problem is reported",
        "at once, with its key path, the value received and what is allowed — see [validation.md](validation.md) for the",
        "cross-field rules (unique names and ids, disjoint CIDRs, ports, versions) no single key states.",
        "",
        "```",
        "invalid Kubeloom config:",
        "  - clusters[0].podCidr: the string \"10.42.0.0/33\" is not a valid IPv4 CIDR (expected a.b.c.d/n with n from 0 to 32)",
        "  - clusters[1].id: 1 is already used by clusters[0]; cluster ids must be unique (1-255)",
        "  - clusters[0].cilum: is not a known key (did you mean \"cilium\"?); allowed keys here: name, id, ...",
        "```",
        "",
        "**Editors**: [`../schema/kubeloom-stack.schema.json`](../schema/kubeloom-stack.schema.json) is the same schema as",
        "JSON Schema. Each shipped stack file starts with `# yaml-language-server: $schema=…` pointing at it, so editors with",
        "the YAML language server (VS Code's YAML extension, Neovim, JetBrains) complete keys, show these descriptions and",
        "flag a misspelt key or a version written as a number (`version: 1.20` is the number 1.2 in YAML: quote it).",
        "Supported versions: [support-matrix.md](support-matrix.md). Secrets (`**secret**`) are set only with",
        "`pulumi config set --secret`; a plaintext value is refused.",
        "",
        "Default `—`: the key is optional and its description says what happens without it.",
        "",
        "## Contents",
        "",
    ];
    for (const block of blocks.slice(1)) {
        const depth = block.path.split(".").length - 1;
        lines.push(`${"  ".repeat(depth)}- [\`${block.path}\`](#${anchor(block.path)})`);
    }
    lines.push("");
    for (const block of blocks) {
        lines.push(block.path === "" ? "## Top-level keys" : `## \`${block.path}\``, "");
        if (block.description) lines.push(block.description, "");
        lines.push("| key | type | default | description |", "| --- | --- | --- | --- |");
        for (const row of block.rows) lines.push(`| ${row.key} | ${row.type} | ${row.default} | ${row.description} |`);
        lines.push("");
    }
    return `${lines.join("\n").trimEnd()}\n`;
}
