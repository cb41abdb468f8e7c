/**
 * The offline plan: evaluates the real Kubeloom program under Pulumi's mock runtime (no CLI, no network, no
 * cluster) and records every resource it registers — type, name, parent, provider, explicit dependencies, options
 * and fully resolved inputs — as deterministic JSON where secrets are "[secret]" and values only known after
 * deployment are "[unknown]", exactly what `pulumi preview` could not show either.
 *
 * Mocks do not see `parent` or `dependsOn`, so a stack transformation (registered inside `runInPulumiStack`)
 * records each resource's options as it is constructed.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER } from "../../lib/placeholders";
import { sortKeysDeep } from "../../lib/values-util";


/** One registered resource in the plan. */
export interface PlannedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly provider: string | null;
    /** URNs this resource waits for: explicit dependsOn plus resources whose outputs feed its inputs. */
    readonly dependsOn: string[];
    /** Resource options that change lifecycle (protect, deleteBeforeReplace, ...), only when set. */
    readonly options: Record<string, unknown>;
    /** True for `Resource.get` reads of existing objects. */
    readonly read: boolean;
    readonly inputs: Record<string, unknown>;
}

/** The whole plan document (written as JSON with sorted keys). */
export interface OfflinePlan {
    readonly project: string;
    readonly stack: string;
    readonly resources: PlannedResource[];
    readonly outputs: Record<string, unknown>;
    /** The program's outputs as Outputs (not serialised), for tests that check secrecy. */
    readonly rawOutputs?: Record<string, unknown>;
}

/** What to evaluate: a stack's flat config (`kubeloom:key` → string) and the program. */
export interface OfflinePlanInput {
    readonly project: string;
    readonly stack: string;
    readonly config: Readonly<Record<string, string>>;
    readonly secretKeys: readonly string[];
    /** The Pulumi program: returns the stack outputs. */
    readonly program: () => Promise<Record<string, unknown>> | Record<string, unknown>;
    /** Provider mocks; default: echo inputs (tests pass mocks that also compute outputs). */
    readonly mocks?: pulumi.runtime.Mocks;
    /** Preview mode, where outputs the mocks leave out are unknown. @default true */
    readonly preview?: boolean;
}

interface Recorded {
    readonly type: string;
    readonly name: string;
    readonly parent?: pulumi.Resource;
    readonly props: unknown;
    readonly opts: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
    urn?: string;
}

/**
 * Mock provider behaviour for planning: echo inputs as state. Because the runtime runs in preview mode, every
 * output a provider would compute (command stdout, release status, generated passwords) stays unknown.
 */
const planMocks: pulumi.runtime.Mocks = {
    newResource: (args) => ({ id: args.id || `${args.name}-id`, state: { ...args.inputs } }),
    call: (args) => {
        throw new Error(`the offline plan cannot evaluate the function ${args.token}; compute it from config or a resource output instead`);
    },
};

let planInProgress = false;

/** Evaluates the program for one stack and returns its plan. Runs one plan at a time per process. */
export async function runOfflinePlan(input: OfflinePlanInput): Promise<OfflinePlan> {
    if (planInProgress) {
        throw new Error("runOfflinePlan is not re-entrant: the Pulumi runtime holds one stack per process");
    }
    planInProgress = true;
    try {
        await pulumi.runtime.setMocks(input.mocks ?? planMocks, input.project, input.stack, input.preview ?? true);
        pulumi.runtime.setAllConfig({ ...input.config }, [...input.secretKeys]);
        const records = new Map<pulumi.Resource, Recorded>();
        let outputs: Record<string, unknown> = {};
        let rawOutputs: Record<string, unknown> = {};
        await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((args) => {
                records.set(args.resource, {
                    type: args.type,
                    name: args.name,
                    parent: args.opts.parent,
                    props: args.props,
                    opts: args.opts as Recorded["opts"],
                });
                return undefined;
            });
            outputs = await input.program();
            rawOutputs = outputs;
            return undefined;
        });
        const plan = await resolvePlan(input, records, outputs);
        return Object.defineProperty(plan, "rawOutputs", { value: rawOutputs, enumerable: false }) as OfflinePlan;
    } finally {
        planInProgress = false;
    }
}

function urnOf(records: Map<pulumi.Resource, Recorded>, record: Recorded, project: string, stack: string): string {
    if (record.urn) return record.urn;
    const parent = record.parent && records.get(record.parent);
    const qualifiedType = parent ? `${urnOf(records, parent, project, stack).split("::")[2]}$${record.type}` : record.type;
    record.urn = `urn:pulumi:${stack}::${project}::${qualifiedType}::${record.name}`;
    return record.urn;
}

async function resolvePlan(input: OfflinePlanInput, records: Map<pulumi.Resource, Recorded>, outputs: Record<string, unknown>): Promise<OfflinePlan> {
    const urnFor = (resource: pulumi.Resource | undefined): string | null => {
        const record = resource && records.get(resource);
        return record ? urnOf(records, record, input.project, input.stack) : null;
    };
    const resolvedOutputs = (await resolveValue(outputs, urnFor)) as Record<string, unknown>;
    // Resources may be created inside apply callbacks that the outputs above awaited; resolve until none appear.
    const planned = new Map<Recorded, PlannedResource>();
    for (let pass = 0; pass < 20; pass++) {
        const pending = [...records.values()].filter((r) => !planned.has(r));
        if (pending.length === 0) break;
        for (const record of pending) {
            planned.set(record, await planResource(record, urnFor, input, records));
        }
    }
    const resources = [...planned.values()].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
    for (let i = 1; i < resources.length; i++) {
        if (resources[i].urn === resources[i - 1].urn) {
            throw new Error(`duplicate resource URN ${resources[i].urn}: two resources share a type, parent and name`);
        }
    }
    return { project: input.project, stack: input.stack, resources, outputs: resolvedOutputs };
}

const LIFECYCLE_OPTIONS = ["protect", "deleteBeforeReplace", "retainOnDelete", "ignoreChanges", "replaceOnChanges", "additionalSecretOutputs", "customTimeouts", "aliases", "deletedWith"] as const;

async function planResource(
    record: Recorded,
    urnFor: (r: pulumi.Resource | undefined) => string | null,
    input: OfflinePlanInput,
    records: Map<pulumi.Resource, Recorded>,
): Promise<PlannedResource> {
    const opts = record.opts;
    const dependsOnRaw = await resolveDependsOn(opts.dependsOn);
    const options: Record<string, unknown> = {};
    for (const key of LIFECYCLE_OPTIONS) {
        const value = (opts as Record<string, unknown>)[key];
        if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
            options[key] = key === "deletedWith" ? urnFor(value as pulumi.Resource) : await resolveValue(value, urnFor);
        }
    }
    const parentUrn = urnFor(record.parent);
    // Like the engine, a resource depends on what it names in dependsOn and on every resource whose outputs
    // feed its inputs.
    const inputDependencies = new Set<pulumi.Resource>();
    const inputs = ((await resolveValue(record.props ?? {}, urnFor, inputDependencies)) ?? {}) as Record<string, unknown>;
    const ownUrn = urnOf(records, record, input.project, input.stack);
    const dependencyUrns = new Set([...dependsOnRaw, ...inputDependencies].map((r) => urnFor(r)).filter((u): u is string => u !== null && u !== ownUrn));
    return {
        urn: urnOf(records, record, input.project, input.stack),
        type: record.type,
        name: record.name,
        parent: parentUrn,
        provider: urnFor(opts.provider),
        dependsOn: [...dependencyUrns].sort(),
        options,
        read: opts.id !== undefined,
        inputs,
    };
}

async function resolveDependsOn(dependsOn: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined): Promise<pulumi.Resource[]> {
    if (dependsOn === undefined) return [];
    const value = pulumi.Output.isInstance(dependsOn) ? await outputPromise<unknown>(dependsOn) : await dependsOn;
    const list = Array.isArray(value) ? value : [value];
    const resolved = await Promise.all(list.map(async (item) => (pulumi.Output.isInstance(item) ? outputPromise<unknown>(item) : item)));
    return resolved.filter((r): r is pulumi.Resource => pulumi.Resource.isInstance(r));
}

interface OutputInternals<T> {
    readonly isKnown: Promise<boolean>;
    readonly isSecret: Promise<boolean>;
    promise(withUnknowns?: boolean): Promise<T>;
    allResources?(): Promise<Set<pulumi.Resource>>;
}

function outputPromise<T>(output: unknown): Promise<T> {
    return (output as OutputInternals<T>).promise();
}

/** Resolves an input value deeply: secrets → "[secret]", unknowns → "[unknown]", resources → their URN. */
export async function resolveValue(value: unknown, urnFor: (r: pulumi.Resource) => string | null, dependencies?: Set<pulumi.Resource>): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const internals = value as unknown as OutputInternals<unknown>;
        if (dependencies && internals.allResources) {
            for (const resource of await internals.allResources()) dependencies.add(resource);
        }
        const [known, secret] = await Promise.all([internals.isKnown, internals.isSecret]);
        if (secret) return SECRET_PLACEHOLDER;
        if (!known) return UNKNOWN_PLACEHOLDER;
        return resolveValue(await internals.promise(), urnFor, dependencies);
    }
    if (value instanceof Promise) {
        return resolveValue(await value, urnFor, dependencies);
    }
    if (pulumi.Resource.isInstance(value)) {
        return urnFor(value) ?? "[resource outside the plan]";
    }
    if (value === pulumi.runtime.unknownValue) {
        return UNKNOWN_PLACEHOLDER;
    }
    if (Array.isArray(value)) {
        return Promise.all(value.map((item) => resolveValue(item, urnFor, dependencies)));
    }
    if (value !== null && typeof value === "object") {
        const entries = await Promise.all(
            Object.entries(value as Record<string, unknown>)
                .filter(([, v]) => v !== undefined)
                .map(async ([k, v]) => [k, await resolveValue(v, urnFor, dependencies)] as const),
        );
        return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
    }
    return value;
}

/** Serialises a plan as JSON with sorted keys and a trailing newline: same plan → byte-identical text. */
export function serializePlan(plan: OfflinePlan): string {
    return `${JSON.stringify(sortKeysDeep(plan), null, 2)}\n`;
}
