/**
 * Renders a plan diff report as GitHub-flavoured Markdown for a PR comment or a terminal: a headline per stack,
 * its security warnings and pre-flight findings, then per component the resources added (`+`), changed (`~`,
 * **replaced** marked apart with the reason) and removed (`-`) with their changed fields and rendered objects.
 * Everything shown comes from the report, which holds no secret values, so the Markdown cannot leak one either.
 */
import type { PlanDiffReport, RefusedUpgrade, ResourceChange, StackDiff } from "./plan-diff";
import type { RenderedObjectChange } from "./rendered-diff";
import { DIAGRAM_LEGEND } from "../plan/platform-diagram";
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
    /**
     * Where the untrimmed report is, for the note a trimmed comment carries (e.g. the workflow run's artifact).
     * @default - "run `npm run plan:diff -- <stack>` locally"
     */
    readonly fullReport?: string;
}

/** No line of the comment is longer than this: long values, paths and diff lines are cut with "…" first. */
export const MAX_LINE = 500;

/** Hidden marker that identifies the report (and lets tools find an earlier comment). */
export const REPORT_MARKER = "<!-- kubeloom:plan-diff -->";

const SYMBOL: Record<ResourceChange["change"], string> = { add: "+", change: "~", remove: "-" };

/** How much detail one rendering keeps: each step down drops what a reviewer needs least. */
interface Detail {
    readonly fieldsPerResource: number;
    /** Field changes inside rendered objects (the object list stays). */
    readonly objectFields: boolean;
    readonly width: number;
}

/**
 * Renders the whole report; when it would exceed `maxChars`, renders again with fewer details — first without the
 * rendered objects' fields, then without any field — and says where the full report is. As a last resort the text
 * is cut at a line boundary, with the same pointer.
 */
export function renderMarkdown(report: PlanDiffReport, options: MarkdownOptions = {}): string {
    const maxChars = options.maxChars ?? 60_000;
    const width = options.valueWidth ?? 120;
    const fields = options.fieldsPerResource ?? 30;
    const where = options.fullReport ?? "run `npm run plan:diff -- <stack>` locally (`--format json` has every field)";
    const full = render(report, { fieldsPerResource: fields, objectFields: true, width });
    if (full.length <= maxChars) return full;
    const noObjectFields = render(report, { fieldsPerResource: fields, objectFields: false, width }, `This comment is trimmed to fit: rendered objects are listed without their fields. The full report: ${where}.`);
    if (noObjectFields.length <= maxChars) return noObjectFields;
    const compact = render(report, { fieldsPerResource: 0, objectFields: false, width }, `This comment is trimmed to fit: field details were left out. The full report: ${where}.`);
    if (compact.length <= maxChars) return compact;
    const note = `\n\n_… report cut to fit a comment. The full report: ${where}._\n`;
    const cut = compact.slice(0, maxChars - note.length);
    // Cut at a line end, and close a <details> or a code fence left open, so the rest still renders.
    let text = cut.slice(0, Math.max(0, cut.lastIndexOf("\n")));
    if ((text.match(/^```/gm) ?? []).length % 2 === 1) text += "\n```";
    const open = (text.match(/<details>/g) ?? []).length - (text.match(/<\/details>/g) ?? []).length;
    for (let i = 0; i < open; i++) text += "\n\n</details>";
    return `${text}${note}`;
}

function render(report: PlanDiffReport, detail: Detail, note?: string): string {
    const lines: string[] = [REPORT_MARKER, "## Kubeloom plan diff", ""];
    const commit = report.base.commit ? ` (${code(report.base.commit.slice(0, 12))})` : "";
    lines.push(
        `Base ${code(report.base.ref)}${commit} → this change, planned offline with no credentials. ` +
            "Secrets show only as changed or unchanged; _known after deploy_ marks values Pulumi learns during `up`.",
        "",
    );
    if (note) lines.push(`> ${note}`, "");
    const keyList = (title: string, items: readonly RefusedUpgrade[]) =>
        items.length === 0 ? [] : [title, "", ...items.map((item) => `- ${code(`Pulumi.${item.stack}.yaml`)} ${code(item.path)}: ${escape(item.message)}`), ""];
    lines.push(
        ...keyList("**Refused upgrade steps** — this change cannot be deployed as it is:", report.refusedUpgrades),
        ...keyList("**Refused destructive changes** — K3s or Cilium cannot make these in place; this change cannot be deployed as it is:", report.refusedChanges),
        ...keyList("**⚠ Destructive changes allowed by `allowDestructive`** — these will be applied:", report.allowedDestructiveChanges),
    );
    if (report.steps.length > 0) {
        lines.push("**Ordered steps** of this change:", "");
        for (const step of report.steps) lines.push(`- ${code(`Pulumi.${step.stack}.yaml`)}: ${escape(step.note)}`);
        lines.push("");
    }
    if (report.stacks.length === 0) {
        lines.push("No `Pulumi.<stack>.yaml` stack files on either side.", "");
        return finish(lines);
    }
    for (const stack of report.stacks) lines.push(`- ${stack.changed ? `**${escape(stack.headline)}**` : `${escape(stack.headline)} — no changes`}`);
    lines.push("");
    for (const stack of report.stacks.filter((s) => s.changed || s.preflight.length > 0)) lines.push(...renderStack(stack, detail));
    return finish(lines);
}

function finish(lines: string[]): string {
    return `${lines.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

function renderStack(stack: StackDiff, detail: Detail): string[] {
    const { fieldsPerResource, width } = detail;
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
    if (stack.diagram) {
        lines.push("#### Platform", "", "```mermaid", stack.diagram.mermaid.trimEnd(), "```", "", `<sub>${DIAGRAM_LEGEND}${stack.diagram.note ? ` Not marked: ${escape(stack.diagram.note)}.` : ""}</sub>`, "");
    }
    if (!stack.rendered && stack.components.some((c) => c.resources.some((r) => r.type === HELM_RELEASE_TYPE))) {
        lines.push("> Rendered objects were not compared: run with `--render` (helm and the charts needed) to see them.", "");
    }
    for (const component of stack.components) {
        lines.push(`#### ${escape(component.name)} · ${code(component.type)}`, "");
        // Rendered objects follow the component's list, one collapsed block per release: long, and read on demand.
        const details: string[] = [];
        for (const resource of component.resources) {
            const replaced = resource.replace ? " — **REPLACED**" : "";
            lines.push(`- ${code(resource.replace ? "+-" : SYMBOL[resource.change])} **${escape(resource.name)}** ${code(resource.type)}${resource.read ? " (read)" : ""}${replaced}`);
            for (const reason of resource.replace ?? []) lines.push(`  - replaced: ${escape(reason)}`);
            const shown = resource.fields.slice(0, fieldsPerResource);
            for (const field of shown) lines.push(...renderField(field, width).map((l) => `  ${l}`));
            const hidden = resource.fields.length - shown.length;
            if (hidden > 0) lines.push(`  - … ${hidden} more field${hidden === 1 ? "" : "s"} (\`--format json\` has them all)`);
            if (resource.rendered && resource.rendered.length > 0) details.push(...renderedObjects(resource.name, resource.rendered, detail));
        }
        lines.push("", ...details);
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

/**
 * A release's rendered objects as one collapsed `<details>` block: a count per kind of change in the summary, the
 * label and annotation churn shared by several objects said once (objects that changed only there are counted, not
 * listed), then each object with its fields.
 */
function renderedObjects(release: string, objects: readonly RenderedObjectChange[], detail: Detail): string[] {
    const counts = (["add", "change", "remove"] as const).map((c) => [c, objects.filter((o) => o.change === c).length] as const).filter(([, n]) => n > 0);
    const words = { add: "added", change: "changed", remove: "removed" } as const;
    const { churn, remaining } = summariseChurn(objects);
    const lines = [`<details><summary>${escapeHtml(release)}: rendered objects ${counts.map(([c, n]) => `${n} ${words[c]}`).join(", ")}</summary>`, ""];
    for (const item of churn) lines.push(`- ${item}`);
    for (const object of remaining) {
        lines.push(`- ${code(SYMBOL[object.change])} ${code(object.object)}`);
        if (!detail.objectFields) continue;
        const objectFields = object.fields.slice(0, detail.fieldsPerResource);
        for (const field of objectFields) lines.push(...renderField(field, detail.width).map((l) => `  ${l}`));
        const more = object.fields.length - objectFields.length;
        if (more > 0) lines.push(`  - … ${more} more field${more === 1 ? "" : "s"} (\`--format json\` has them all)`);
    }
    lines.push("", "</details>", "");
    return lines;
}

/** `metadata.labels["helm.sh/chart"]`, also under a pod template: where label and annotation churn lives. */
const CHURN_PATH = /^((?:spec\.template\.)?metadata\.(?:labels|annotations))(\[.+\]|\..+)$/;

/**
 * Label and annotation changes that recur on two or more objects (a chart's `helm.sh/chart` and version labels, a
 * checksum annotation), said once each with the number of objects; objects left with no other field are counted in
 * a last line instead of listed. What remains is every object with its other changes.
 */
export function summariseChurn(objects: readonly RenderedObjectChange[]): { churn: string[]; remaining: RenderedObjectChange[] } {
    const groups = new Map<string, { key: string; text: string; objects: Set<string> }>();
    const keyOf = (field: FieldChange) => {
        const match = CHURN_PATH.exec(field.path);
        if (!match || field.secret || field.summary !== undefined) return undefined;
        const where = match[1].endsWith("annotations") ? "annotation" : "label";
        const name = match[2].startsWith("[") ? (JSON.parse(match[2].slice(1, -1)) as string) : match[2].slice(1);
        const change = field.kind === "added" ? `added ${short(field.after)}` : field.kind === "removed" ? `removed (was ${short(field.before)})` : `${short(field.before)} → ${short(field.after)}`;
        return { key: `${where}\0${name}\0${change}`, text: `${where} ${code(name)} ${change}` };
    };
    for (const object of objects) {
        for (const field of object.fields) {
            const k = keyOf(field);
            if (!k) continue;
            const group = groups.get(k.key) ?? { key: k.key, text: k.text, objects: new Set<string>() };
            group.objects.add(object.object);
            groups.set(k.key, group);
        }
    }
    const shared = new Set([...groups.values()].filter((g) => g.objects.size >= 2).map((g) => g.key));
    if (shared.size === 0) return { churn: [], remaining: [...objects] };
    const churn = [...groups.values()].filter((g) => shared.has(g.key)).map((g) => `label/annotation churn: ${g.text} on ${g.objects.size} objects`);
    const remaining: RenderedObjectChange[] = [];
    let onlyChurn = 0;
    for (const object of objects) {
        const fields = object.fields.filter((f) => !shared.has(keyOf(f)?.key ?? ""));
        if (object.change === "change" && fields.length === 0) onlyChurn++;
        else remaining.push({ ...object, fields });
    }
    if (onlyChurn > 0) churn.push(`${onlyChurn} object${onlyChurn === 1 ? "" : "s"} changed only in the labels and annotations above`);
    return { churn, remaining };
}

function short(value: unknown): string {
    const text = JSON.stringify(value) ?? "undefined";
    return code(text.length > 80 ? `${text.slice(0, 79)}…` : text);
}

function escapeHtml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One field as a list item (plus a diff block for multi-line text). */
export function renderField(field: FieldChange, width: number): string[] {
    const label = fieldLabel(field);
    if (field.secret) return [`- ${label}: ${field.kind} (secret)`];
    if (field.summary !== undefined) {
        const lines = [`- ${label}: ${escape(clip(field.summary, 300))}`];
        if (field.lines && field.lines.length > 0) {
            const fence = fenceFor(field.lines.join("\n"));
            lines.push(`  ${fence}diff`, ...field.lines.map((l) => `  ${clip(l, MAX_LINE - 10)}`), `  ${fence}`);
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
    const path = clip(field.path, 160);
    if (field.section === "inputs" || field.section === "outputs") return code(path || "(all)");
    return field.path ? `(${field.section}) ${code(path)}` : `(${field.section})`;
}

/** `text` cut to `max` characters with "…": no value, path or diff line makes a line longer than MAX_LINE. */
function clip(text: string, max: number): string {
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
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
