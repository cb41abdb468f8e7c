/**
 * Renders a plan diff report as GitHub-flavoured Markdown for a PR comment or a terminal: a headline per stack,
 * its security warnings and pre-flight findings, then per component the resources added (`+`), changed (`~`,
 * **replaced** marked apart with the reason) and removed (`-`) with their changed fields and rendered objects.
 * Everything shown comes from the report, which holds no secret values, so the Markdown cannot leak one either.
 */
import type { PlanDiffReport, ResourceChange, StackDiff } from "./plan-diff";
import { UNKNOWN_PLACEHOLDER } from "../../lib/placeholders";
import { HELM_RELEASE_TYPE } from "../plan/resource-types";
import { FieldChange, sortKeys } from "./value-diff";

/** Rendering limits. */
export interface MarkdownOptions {
    /** Fields listed per changed resource before "… N more". @default 30 */
    readonly fieldsPerResource?: number;
    /** Longest value shown inline, in characters. @default 120 */
    readonly valueWidth?: number;
    /** Upper bound for the whole text (GitHub comments stop at 65,536): details are dropped to fit. @default 60000 */
    readonly maxChars?: number;
}

/** Hidden marker that identifies the report (and lets tools find an earlier comment). */
export const REPORT_MARKER = "<!-- kubeloom:plan-diff -->";

const SYMBOL: Record<ResourceChange["change"], string> = { add: "+", change: "~", remove: "-" };

/** Renders the whole report; falls back to fewer details when it would exceed `maxChars`. */
export function renderMarkdown(report: PlanDiffReport, options: MarkdownOptions = {}): string {
    const maxChars = options.maxChars ?? 60_000;
    const full = render(report, options.fieldsPerResource ?? 30, options.valueWidth ?? 120);
    if (full.length <= maxChars) return full;
    const compact = render(report, 0, options.valueWidth ?? 120, "Field details were left out to fit a comment: run `npm run plan:diff -- <stack>` locally or use `--format json`.");
    if (compact.length <= maxChars) return compact;
    const note = "\n\n_… report cut to fit; run `npm run plan:diff -- <stack>` locally for all of it._\n";
    return `${compact.slice(0, maxChars - note.length)}${note}`;
}

function render(report: PlanDiffReport, fieldsPerResource: number, width: number, note?: string): string {
    const lines: string[] = [REPORT_MARKER, "## Kubeloom plan diff", ""];
    const commit = report.base.commit ? ` (${code(report.base.commit.slice(0, 12))})` : "";
    lines.push(
        `Base ${code(report.base.ref)}${commit} → this change, planned offline with no credentials. ` +
            "Secrets show only as changed or unchanged; _known after deploy_ marks values Pulumi learns during `up`.",
        "",
    );
    if (note) lines.push(`> ${note}`, "");
    if (report.refusedUpgrades.length > 0) {
        lines.push("**Refused upgrade steps** — this change cannot be deployed as it is:", "");
        for (const refused of report.refusedUpgrades) lines.push(`- ${code(`Pulumi.${refused.stack}.yaml`)} ${code(refused.path)}: ${escape(refused.message)}`);
        lines.push("");
    }
    if (report.stacks.length === 0) {
        lines.push("No `Pulumi.<stack>.yaml` stack files on either side.", "");
        return finish(lines);
    }
    for (const stack of report.stacks) lines.push(`- ${stack.changed ? `**${escape(stack.headline)}**` : `${escape(stack.headline)} — no changes`}`);
    lines.push("");
    for (const stack of report.stacks.filter((s) => s.changed || s.preflight.length > 0)) lines.push(...renderStack(stack, fieldsPerResource, width));
    return finish(lines);
}

function finish(lines: string[]): string {
    return `${lines.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

function renderStack(stack: StackDiff, fieldsPerResource: number, width: number): string[] {
    const lines = [`### ${escape(stack.headline)}`, ""];
    if (stack.head === "absent") {
        lines.push(`> The stack file was deleted. Merging does not destroy anything: run \`npm run destroy -- ${stack.stack}\` first if the environment should go.`, "");
    }
    if (stack.warnings.length > 0) {
        lines.push("#### Security warnings", "");
        for (const warning of stack.warnings) lines.push(`- ⚠️ ${escape(warning)}`);
        lines.push("");
    }
    if (stack.preflight.length > 0) {
        lines.push("#### Pre-flight findings", "");
        for (const f of stack.preflight) lines.push(`- **${f.severity}** ${escape(f.cluster)} ${code(f.object)} [${escape(f.check)}] ${escape(f.message)}`);
        lines.push("");
    }
    if (!stack.rendered && stack.components.some((c) => c.resources.some((r) => r.type === HELM_RELEASE_TYPE))) {
        lines.push("> Rendered objects were not compared: run with `--render` (helm and the charts needed) to see them.", "");
    }
    for (const component of stack.components) {
        lines.push(`#### ${escape(component.name)} · ${code(component.type)}`, "");
        for (const resource of component.resources) {
            const replaced = resource.replace ? " — **REPLACED**" : "";
            lines.push(`- ${code(resource.replace ? "+-" : SYMBOL[resource.change])} **${escape(resource.name)}** ${code(resource.type)}${resource.read ? " (read)" : ""}${replaced}`);
            for (const reason of resource.replace ?? []) lines.push(`  - replaced: ${escape(reason)}`);
            const shown = resource.fields.slice(0, fieldsPerResource);
            for (const field of shown) lines.push(...renderField(field, width).map((l) => `  ${l}`));
            const hidden = resource.fields.length - shown.length;
            if (hidden > 0) lines.push(`  - … ${hidden} more field${hidden === 1 ? "" : "s"} (\`--format json\` has them all)`);
            if (resource.rendered && resource.rendered.length > 0) {
                lines.push("  - rendered objects:");
                for (const object of resource.rendered) {
                    lines.push(`    - ${code(SYMBOL[object.change])} ${code(object.object)}`);
                    const objectFields = object.fields.slice(0, fieldsPerResource);
                    for (const field of objectFields) lines.push(...renderField(field, width).map((l) => `      ${l}`));
                    const more = object.fields.length - objectFields.length;
                    if (more > 0) lines.push(`      - … ${more} more field${more === 1 ? "" : "s"}`);
                }
            }
        }
        lines.push("");
    }
    if (stack.outputs.length > 0) {
        lines.push("#### Stack outputs", "");
        for (const field of stack.outputs.slice(0, Math.max(fieldsPerResource, 5))) lines.push(...renderField(field, width));
        lines.push("");
    }
    if (stack.secrets.some((s) => s.status !== "unchanged")) {
        lines.push("#### Secret config", "", "Compared by ciphertext in the stack files; re-encrypting the same value also shows as changed.", "");
        for (const secret of stack.secrets) lines.push(`- ${code(secret.key)}: ${secret.status}`);
        lines.push("");
    }
    return lines;
}

/** One field as a list item (plus a diff block for multi-line text). */
export function renderField(field: FieldChange, width: number): string[] {
    const label = fieldLabel(field);
    if (field.secret) return [`- ${label}: ${field.kind} (secret)`];
    if (field.summary !== undefined) {
        const lines = [`- ${label}: ${escape(field.summary)}`];
        if (field.lines && field.lines.length > 0) {
            const fence = fenceFor(field.lines.join("\n"));
            lines.push(`  ${fence}diff`, ...field.lines.map((l) => `  ${l}`), `  ${fence}`);
        }
        return lines;
    }
    switch (field.kind) {
        case "added":
            return [`- ${label}: added ${formatValue(field.section, field.after, width)}`];
        case "removed":
            return [`- ${label}: removed (was ${formatValue(field.section, field.before, width)})`];
        default:
            return [`- ${label}: ${formatValue(field.section, field.before, width)} → ${formatValue(field.section, field.after, width)}`];
    }
}

function fieldLabel(field: FieldChange): string {
    if (field.section === "inputs" || field.section === "outputs") return code(field.path || "(all)");
    return field.path ? `(${field.section}) ${code(field.path)}` : `(${field.section})`;
}

function formatValue(section: FieldChange["section"], value: unknown, width: number): string {
    if (value === UNKNOWN_PLACEHOLDER) return "_known after deploy_";
    if ((section === "provider" || section === "dependsOn") && typeof value === "string") {
        // A URN's last segment is the logical name: what a reviewer recognises.
        return code(value.split("::").pop() ?? value);
    }
    const text = JSON.stringify(sortKeys(value)) ?? "undefined";
    return code(text.length > width ? `${text.slice(0, width - 1)}…` : text);
}

/** Inline code that survives backticks inside the text. */
function code(text: string): string {
    const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    const ticks = "`".repeat(longest + 1);
    const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
    return `${ticks}${pad}${text.replace(/\n/g, " ")}${pad}${ticks}`;
}

function fenceFor(text: string): string {
    const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    return "`".repeat(Math.max(3, longest + 1));
}

/** Escapes Markdown syntax in plain text (names, headlines). */
function escape(text: string): string {
    // Not "~" or "#": a single tilde is no strikethrough, "#" matters only at a line start, and headlines keep them.
    return text.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}
