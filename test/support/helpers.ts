/**
 * Test helpers: plan a config object with the real program under mocks, realistic mocks that compute provider
 * outputs (so secrecy of outputs can be checked with values present), and plan queries.
 */
import * as pulumi from "@pulumi/pulumi";
import { runOfflinePlan, OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import { kubeloomProgram } from "../../stacks/program";
import { KUBECONFIG_BEGIN_MARKER, KUBECONFIG_END_MARKER } from "../../components/k3s-install-script";
import { fakeK3sKubeconfig } from "./fixtures";
import { NODE_NAME_MARKER } from "../../components/k3s-roll-script";
import { SECRET_KEYS } from "../../config/schema";

export { devConfig, fakeK3sKubeconfig, haConfig } from "./fixtures";

/** Turns a config object into the flat Pulumi config map (`kubeloom:key` → JSON or string). */
export function flatConfig(raw: Record<string, unknown>): Record<string, string> {
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) {
        flat[`kubeloom:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return flat;
}

/** Options for planning a config object. */
export interface PlanOptions {
    readonly stack?: string;
    /** Keys (without namespace) set as secrets. @default SECRET_KEYS (config/schema.ts), those present */
    readonly secretKeys?: readonly string[];
    readonly mocks?: pulumi.runtime.Mocks;
    readonly preview?: boolean;
}

/** Plans a config object with the real program. */
export function planConfig(raw: Record<string, unknown>, options: PlanOptions = {}): Promise<OfflinePlan> {
    const secretKeys = options.secretKeys ?? [...SECRET_KEYS].filter((k) => raw[k] !== undefined);
    return runOfflinePlan({
        project: "kubeloom",
        stack: options.stack ?? "dev",
        config: flatConfig(raw),
        secretKeys: secretKeys.map((k) => `kubeloom:${k}`),
        program: kubeloomProgram as unknown as () => Promise<Record<string, unknown>>,
        mocks: options.mocks,
        preview: options.preview,
    });
}

/**
 * Mocks that compute what providers would: command stdout, generated passwords and keys, release status, the
 * vCluster kubeconfig Secret. Used with preview: false so outputs have values and their secrecy can be checked.
 */
export function realisticMocks(marker = "MOCK-SECRET-MARKER"): pulumi.runtime.Mocks {
    return {
        newResource: (args) => {
            const state: Record<string, any> = { ...args.inputs };
            switch (args.type) {
                case "command:remote:Command":
                case "command:local:Command":
                    state.stdout = args.name.endsWith("-kubeconfig") ? fakeK3sKubeconfig(marker) : args.name.endsWith("-address") ? "172.22.0.2\n" : "";
                    // A K3s node's name is its lowercased hostname; here "node-" and the host with dashes.
                    if (args.name.includes("-nodename-")) state.stdout = `Welcome!\n${NODE_NAME_MARKER}node-${args.name.split("-nodename-")[1].replace(/\./g, "-")}\n`;
                    // The K3s read script prints its kubeconfig between markers; a chatty login shell may add lines around them.
                    if (String(args.inputs.create ?? "").includes(KUBECONFIG_BEGIN_MARKER)) {
                        state.stdout = `welcome from ~/.bashrc\n${KUBECONFIG_BEGIN_MARKER}\n${state.stdout}${KUBECONFIG_END_MARKER}\n`;
                    }
                    state.stderr = "";
                    break;
                case "random:index/randomPassword:RandomPassword":
                    state.result = `${marker}-token`;
                    break;
                case "tls:index/privateKey:PrivateKey":
                    state.privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${marker}\n-----END PRIVATE KEY-----\n`;
                    state.publicKeyPem = "-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----\n";
                    break;
                case "tls:index/selfSignedCert:SelfSignedCert":
                case "tls:index/locallySignedCert:LocallySignedCert":
                    state.certPem = "-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n";
                    break;
                case "kubernetes:helm.sh/v3:Release":
                    state.status = { name: args.inputs.name, namespace: args.inputs.namespace, status: "deployed", version: args.inputs.version };
                    break;
                case "kubernetes:core/v1:Secret":
                    if (args.id) {
                        state.data = { config: Buffer.from(fakeK3sKubeconfig(marker)).toString("base64") };
                    }
                    break;
                case "pulumi:pulumi:StackReference":
                    state.outputs = { kubeconfigs: { dev: fakeK3sKubeconfig(marker) } };
                    state.secretOutputNames = ["kubeconfigs"];
                    break;
            }
            return { id: args.id || `${args.name}-id`, state };
        },
        call: (args) => {
            throw new Error(`unexpected function call ${args.token}`);
        },
    };
}

/**
 * A valid config like Pulumi.chain.yaml: an existing cluster from the secret kubeloom:sourceKubeconfigs.chain, Cilium
 * chained (generic-veth) with kube-proxy replacement on nodes labelled kubeloom.io/cilium=true. Tests mutate copies.
 */
export function chainConfig(): Record<string, any> {
    return {
        clusters: [
            {
                name: "chain",
                id: 1,
                podCidr: "10.244.0.0/16",
                serviceCidr: "10.96.0.0/12",
                source: { kubeconfig: { kubernetesVersion: "1.36" } },
                cilium: {
                    kubeProxyReplacement: true,
                    k8sServiceHost: "192.0.2.20",
                    k8sServicePort: 6443,
                    chaining: { mode: "generic-veth", target: "cbr0", routerCidr: "10.250.0.0/20" },
                    nodeSelector: { "kubeloom.io/cilium": "true" },
                    tolerations: [{ key: "kubeloom.io/cilium", operator: "Equal", value: "true", effect: "NoSchedule" }],
                    hubble: { relay: true, ui: true, uiNodePort: 31235 },
                },
            },
        ],
        sourceKubeconfigs: { chain: fakeK3sKubeconfig("CHAIN-SOURCE-KEY") },
    };
}

/** Plans a program that only builds components (no stack config), under the given mocks and preview mode. */
export function planProgram(program: () => void, options: Pick<PlanOptions, "mocks" | "preview"> = {}): Promise<OfflinePlan> {
    return runOfflinePlan({ project: "kubeloom", stack: "test", config: {}, secretKeys: [], program: async () => (program(), {}), mocks: options.mocks, preview: options.preview });
}

/** Resources of a type in a plan. */
export function ofType(plan: OfflinePlan, type: string): PlannedResource[] {
    return plan.resources.filter((r) => r.type === type);
}

/** The resource with the given logical name (exactly one). */
export function named(plan: OfflinePlan, name: string): PlannedResource {
    const found = plan.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0];
}

/** The resource with the given URN. */
export function byUrn(plan: OfflinePlan, urn: string): PlannedResource | undefined {
    return plan.resources.find((r) => r.urn === urn);
}

/**
 * True when `resource` waits for `target`: following dependsOn edges (explicit and input-derived, as the engine
 * records them) transitively, and (unless `throughParents` is false) the dependencies of its parents. Children do
 * not inherit a component's dependsOn in the engine, so ordering checks on real resources pass false.
 */
export function dependsOnTransitively(plan: OfflinePlan, resource: PlannedResource, target: string, throughParents = true): boolean {
    const seen = new Set<string>();
    const queue: PlannedResource[] = [resource];
    while (queue.length > 0) {
        const current = queue.shift()!;
        if (seen.has(current.urn)) continue;
        seen.add(current.urn);
        const next = [...current.dependsOn, ...(throughParents && current.parent ? [current.parent] : [])];
        if (current.dependsOn.includes(target)) return true;
        for (const urn of next) {
            const r = byUrn(plan, urn);
            if (r) queue.push(r);
        }
    }
    return false;
}

/** Reads a possibly nested key path like "hubble.relay.enabled" from a values object. */
export function at(values: unknown, path: string): unknown {
    return path.split(".").reduce<any>((v, key) => (v === undefined || v === null ? undefined : v[key]), values);
}

/** Plans a program that builds components and returns outputs (no stack config); plan.outputs shows "[secret]". */
export function planComponents(program: () => Record<string, unknown>, options: Pick<PlanOptions, "mocks" | "preview"> = {}): Promise<OfflinePlan> {
    return runOfflinePlan({ project: "kubeloom", stack: "test", config: {}, secretKeys: [], program: async () => program(), mocks: options.mocks, preview: options.preview });
}

/** What an Output holds, read through the SDK's internals: whether it is known and secret, and its value. */
export async function outputState<T>(output: pulumi.Output<T>): Promise<{ known: boolean; secret: boolean; value: T }> {
    const internals = output as unknown as { isKnown: Promise<boolean>; isSecret: Promise<boolean>; promise(withUnknowns?: boolean): Promise<T> };
    const [known, secret, value] = await Promise.all([internals.isKnown, internals.isSecret, internals.promise(true)]);
    return { known, secret, value };
}

/** Mocks that record what each resource received (inputs as the provider sees them), around `inner`. */
export function recordingMocks(inner: pulumi.runtime.Mocks, received: pulumi.runtime.MockResourceArgs[]): pulumi.runtime.Mocks {
    return { newResource: (args) => (received.push(args), inner.newResource(args)), call: (args) => inner.call(args) };
}
