/**
 * The pure engine behind the chart-values door (`cilium.values`, `vclusters[].values`, `loadBalancer.metallb.values`):
 * the owned-key declaration every values builder makes, and the checks of a user's values against what Kubeloom
 * owns and against the chart release itself (its values.yaml and values.schema.json). Nothing here reads a file:
 * the chart's reference material is passed in (lib/chart-schema-cache.ts compiles and caches the schema).
 *
 * Merge rules (lib/values-util.ts deepMerge, the same as Helm's values coalescing): maps merge key by key, lists
 * and scalars replace, `null` deletes a chart default.
 */
import { deepMerge, isPlainObject } from "./values-util";
import { suggestKey } from "./did-you-mean";
import { quoteInput } from "./user-input";

/** A key path inside chart values: map keys and list indexes. */
export type ValuesPath = ReadonlyArray<string | number>;

/** One problem with a user's values, at its path relative to the values map. */
export interface ValuesProblem {
    readonly path: ValuesPath;
    readonly message: string;
}

/** A values key Kubeloom writes (or relies on at the chart default), and the typed config key that decides it. */
export interface OwnedValue {
    /** The key in the chart's values, dotted (`cluster.name`) or as segments when a key holds a dot. */
    readonly path: string | readonly string[];
    /**
     * The typed Kubeloom key to use instead, relative to the config object that holds `values` (for Cilium the
     * cluster, e.g. `cilium.kubeProxyReplacement`; for a vCluster the vCluster entry, e.g. `expose`).
     */
    readonly use: string;
}

/** The owned keys of one chart, declared by the builder that writes them. */
export interface OwnedValues {
    readonly chart: string;
    readonly keys: readonly OwnedValue[];
}

/**
 * Declares the values keys a builder owns: a user's values may not set them, or any key below them, and are told
 * which typed key to use instead. Call it once, in the builder file, beside the code that writes the keys; a test
 * checks that every key the builder writes is covered.
 */
export function ownedValues(chart: string, keys: readonly OwnedValue[]): OwnedValues {
    return Object.freeze({ chart, keys: Object.freeze([...keys]) });
}

/** The segments of an owned key's path. */
export function ownedPath(owned: OwnedValue): readonly string[] {
    return typeof owned.path === "string" ? owned.path.split(".") : owned.path;
}

/** True when `prefix` is `path` or an ancestor of it. */
function isPrefix(prefix: ValuesPath, path: ValuesPath): boolean {
    return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

/**
 * Every place where `user` sets an owned key: at the owned key or below it, or by replacing a map that holds one
 * with a scalar, list or null. `typedKey` turns an owned key's `use` into the full config path to name.
 */
export function ownedValueProblems(user: Readonly<Record<string, unknown>>, owned: OwnedValues, typedKey: (use: string) => string): ValuesProblem[] {
    const problems: ValuesProblem[] = [];
    const declared = owned.keys.map((key) => ({ key, segments: ownedPath(key) }));
    const walk = (value: unknown, at: string[]): void => {
        const owner = declared.find((d) => isPrefix(d.segments, at));
        if (owner) {
            problems.push({ path: at, message: `is set by Kubeloom from ${typedKey(owner.key.use)}; set that key instead (Kubeloom owns ${owner.segments.join(".")} in the ${owned.chart} values)` });
            return;
        }
        if (isPlainObject(value)) {
            for (const key of Object.keys(value)) walk(value[key], [...at, key]);
            return;
        }
        const below = declared.find((d) => isPrefix(at, d.segments));
        if (below) {
            problems.push({ path: at, message: `would replace ${below.segments.join(".")}, which Kubeloom sets from ${typedKey(below.key.use)}; give a map that leaves it out` });
        }
    };
    for (const key of Object.keys(user)) walk(user[key], [key]);
    return problems;
}

/** A JSON schema node, loosely typed: only the keywords the key walk reads. */
type SchemaNode = Readonly<Record<string, unknown>>;

/** What Kubeloom knows of one chart release: its default values.yaml, its values.schema.json when it has one. */
export interface ChartReference {
    /** "cilium 1.20.0": named in messages. */
    readonly label: string;
    /** The chart's values.yaml, parsed. */
    readonly defaults: Readonly<Record<string, unknown>>;
    /** The chart's values.schema.json, parsed; undefined when the chart has none. */
    readonly schema?: SchemaNode;
    /** Keys values.yaml documents only in comments or the templates read (lib/chart-known-keys.ts). @default - none */
    readonly documented?: Readonly<Record<string, unknown>>;
    /** Top-level keys that configure a bundled subchart (its own values, not this chart's). @default - none */
    readonly subcharts?: readonly string[];
}

/** Follows local `$ref`s (`#/$defs/X`, `#/definitions/X`) and gathers the branches of allOf/anyOf/oneOf. */
function schemaBranches(node: unknown, root: SchemaNode, depth = 0): SchemaNode[] {
    if (!isPlainObject(node) || depth > 20) return [];
    const branches: SchemaNode[] = [node];
    const ref = node.$ref;
    if (typeof ref === "string" && ref.startsWith("#/")) {
        let target: unknown = root;
        for (const part of ref.slice(2).split("/")) target = isPlainObject(target) ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
        branches.push(...schemaBranches(target, root, depth + 1));
    }
    for (const combinator of ["allOf", "anyOf", "oneOf"]) {
        const list = node[combinator];
        if (Array.isArray(list)) for (const branch of list) branches.push(...schemaBranches(branch, root, depth + 1));
    }
    return branches;
}

/** The properties a schema node (with its refs and branches) declares. */
function schemaProperties(branches: readonly SchemaNode[]): Record<string, SchemaNode[]> {
    const properties: Record<string, SchemaNode[]> = {};
    for (const branch of branches) {
        if (!isPlainObject(branch.properties)) continue;
        for (const [key, child] of Object.entries(branch.properties)) (properties[key] ??= []).push(child as SchemaNode);
    }
    return properties;
}

/** Kubernetes map fields whose keys are data (label keys, annotation keys, resource names), not chart keys. */
const FREE_FORM_NAME = /(^|[a-z])(nodeSelector|Selector|selector|annotations|Annotations|labels|Labels|matchLabels|extraConfig|ExtraConfig|extraArgs|extraEnv|env|resources|Resources|podSecurityContext|securityContext|SecurityContext|affinity|Affinity)$/;

/**
 * Whether keys below this map are the user's to name: a default of `{}`, a schema node that says so (open
 * `additionalProperties`, `patternProperties`, or an object with no properties at all), a map whose default keys
 * are label keys (`kubernetes.io/os`), or a Kubernetes map field by name (node selectors, annotations, labels,
 * resources, security contexts, affinities).
 */
export function isFreeFormMap(name: string | undefined, defaults: unknown, branches: readonly SchemaNode[]): boolean {
    if (isPlainObject(defaults) && Object.keys(defaults).length === 0) return true;
    if (isPlainObject(defaults) && Object.keys(defaults).some((key) => key.includes("/"))) return true;
    if (name !== undefined && FREE_FORM_NAME.test(name)) return true;
    for (const branch of branches) {
        const additional = branch.additionalProperties;
        if (additional === true || isPlainObject(additional)) return true;
        if (isPlainObject(branch.patternProperties)) return true;
    }
    const typed = branches.filter((b) => b.type !== undefined || b.properties !== undefined);
    return typed.length > 0 && typed.every((b) => !isPlainObject(b.properties) && (b.type === "object" || (Array.isArray(b.type) && b.type.includes("object"))) && b.additionalProperties !== false);
}

/**
 * Keys of `user` that the chart release does not have: in neither its values.yaml nor its schema, and not below a
 * free-form map (isFreeFormMap). Helm would ignore them without a word; each is refused with the closest known key.
 * Lists are not walked: a list replaces the chart's whole list, and its items' keys are Kubernetes objects'.
 */
export function unknownValueProblems(user: Readonly<Record<string, unknown>>, chart: ChartReference): ValuesProblem[] {
    const problems: ValuesProblem[] = [];
    const root = chart.schema ?? {};
    const subcharts = new Set(chart.subcharts ?? []);
    const has = (map: unknown, key: string): boolean => isPlainObject(map) && Object.prototype.hasOwnProperty.call(map, key);
    const walk = (value: Readonly<Record<string, unknown>>, defaults: unknown, documented: unknown, branches: readonly SchemaNode[], at: string[]): void => {
        const properties = schemaProperties(branches);
        for (const key of Object.keys(value)) {
            const path = [...at, key];
            if (at.length === 0 && subcharts.has(key)) continue;
            if (!has(defaults, key) && !has(documented, key) && !Object.prototype.hasOwnProperty.call(properties, key)) {
                const known = [...new Set([...keysOf(defaults), ...keysOf(documented), ...Object.keys(properties)])].sort();
                const hint = suggestKey(key, known);
                problems.push({
                    path,
                    message: `is not a key of the ${chart.label} chart (not in its values.yaml, its values.schema.json or its templates: Helm would ignore it)${hint ? `; did you mean "${hint}"?` : ""}`,
                });
                continue;
            }
            const child = value[key];
            if (!isPlainObject(child)) continue;
            const childDefaults = has(defaults, key) ? (defaults as Record<string, unknown>)[key] : undefined;
            const childDocumented = has(documented, key) ? (documented as Record<string, unknown>)[key] : undefined;
            const childBranches = (properties[key] ?? []).flatMap((node) => schemaBranches(node, root));
            if (isFreeFormMap(key, childDefaults, childBranches)) continue;
            walk(child, childDefaults, childDocumented, childBranches, path);
        }
    };
    walk(user, chart.defaults, chart.documented ?? {}, schemaBranches(root, root), []);
    return problems;
}

function keysOf(map: unknown): string[] {
    return isPlainObject(map) ? Object.keys(map) : [];
}

/** One schema violation as the validator reports it (the fields of an ajv ErrorObject that matter here). */
export interface SchemaViolation {
    /** JSON pointer to the value, e.g. `/hubble/relay/replicas`. */
    readonly instancePath: string;
    readonly keyword: string;
    readonly message?: string;
    readonly params?: Readonly<Record<string, unknown>>;
}

/** A compiled values schema: the violations of a whole (merged) values map. */
export type ValuesValidator = (values: unknown) => readonly SchemaViolation[];

function pointerPath(pointer: string): string[] {
    return pointer === "" ? [] : pointer.slice(1).split("/").map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The user's value at `path`, or undefined; `leaf` says the user's value ends above or at the path. */
function userValueAt(user: unknown, path: readonly string[]): { found: boolean; value: unknown } {
    let current: unknown = user;
    for (const part of path) {
        if (Array.isArray(current)) return { found: true, value: current };
        if (!isPlainObject(current) || !Object.prototype.hasOwnProperty.call(current, part)) return { found: false, value: undefined };
        current = current[part];
    }
    return { found: true, value: current };
}

/** A user's value in a message: the project's one quoting (lib/user-input.ts quoteInput) for scalars. */
function shown(value: unknown): string {
    if (Array.isArray(value)) return "a list";
    if (isPlainObject(value)) return "a map";
    return quoteInput(value);
}

/**
 * Schema violations caused by the user's values: `validate` runs over `merged` (the chart defaults, Kubeloom's
 * values and the user's, merged as Helm would) and only violations at a key the user gave, or below a list or
 * scalar the user gave, are kept — the chart's own defaults are the chart's business. Violations at `hidden`
 * paths (secret values, unknown offline) are dropped: their real value is not known here. Unknown keys are left to
 * unknownValueProblems.
 */
export function schemaValueProblems(
    user: Readonly<Record<string, unknown>>,
    merged: unknown,
    validate: ValuesValidator,
    hidden: (path: ValuesPath) => boolean = () => false,
): ValuesProblem[] {
    const problems = new Map<string, ValuesProblem>();
    for (const violation of validate(merged)) {
        const extra = violation.params?.additionalProperty ?? violation.params?.unevaluatedProperty;
        const path = [...pointerPath(violation.instancePath), ...(typeof extra === "string" ? [extra] : [])];
        const at = userValueAt(user, path);
        if (!at.found || hidden(path)) continue;
        const key = path.join("\0");
        if (problems.has(key)) continue;
        problems.set(key, { path, message: `${violationMessage(violation)}, got ${shown(at.value)}` });
    }
    return [...problems.values()];
}

function violationMessage(violation: SchemaViolation): string {
    const params = violation.params ?? {};
    if (violation.keyword === "additionalProperties" || violation.keyword === "unevaluatedProperties") {
        return "is not allowed by the chart's values.schema.json (Helm refuses it at install)";
    }
    if (violation.keyword === "enum" && Array.isArray(params.allowedValues)) {
        return `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    }
    if (violation.keyword === "type" && params.type !== undefined) {
        const types = Array.isArray(params.type) ? params.type : String(params.type).split(",");
        return `must be ${types.join(" or ")}`;
    }
    return violation.message ?? `fails the chart schema's ${violation.keyword} check`;
}

/** Everything one chart-values check needs. */
export interface ChartValuesCheck {
    /** The user's values for this release. */
    readonly user: Readonly<Record<string, unknown>>;
    /** The owned keys of the chart (the builders' declarations, merged). */
    readonly owned: OwnedValues;
    /** Full config path of an owned key's `use`, e.g. `clusters[0].cilium.kubeProxyReplacement`. */
    readonly typedKey: (use: string) => string;
    /** The chart release, when it could be obtained; without it only the owned keys are checked. */
    readonly chart?: ChartReference;
    /** The compiled schema of that release, when it has one. */
    readonly validate?: ValuesValidator;
    /** Paths whose value is not known here (secrets, offline placeholders): never shown, never type-checked. */
    readonly hidden?: (path: ValuesPath) => boolean;
}

/**
 * Every problem with one release's user values, in order: owned keys, then keys the chart does not have, then
 * schema violations. A path reported once is not reported again by a later check.
 */
export function chartValuesProblems(check: ChartValuesCheck): ValuesProblem[] {
    const problems = ownedValueProblems(check.user, check.owned, check.typedKey);
    const seen = (path: ValuesPath) => problems.some((p) => isPrefix(p.path, path) || isPrefix(path, p.path));
    if (check.chart) {
        problems.push(...unknownValueProblems(check.user, check.chart).filter((p) => !seen(p.path)));
        if (check.validate) {
            // Against the unknown keys too: a key both checks refuse is reported once, by the first.
            const merged = deepMerge(check.chart.defaults, check.user);
            problems.push(...schemaValueProblems(check.user, merged, check.validate, check.hidden).filter((p) => !seen(p.path)));
        }
    }
    return problems;
}

/** Merges several owned-key declarations of one chart (e.g. Cilium's base, mesh and L2 builders). */
export function mergeOwnedValues(chart: string, declarations: readonly OwnedValues[]): OwnedValues {
    return ownedValues(chart, declarations.flatMap((d) => d.keys));
}
