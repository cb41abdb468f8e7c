/**
 * The shape a stack deploys (config/change-rules.ts), read from what Pulumi records rather than from a config: the
 * `clusters` output (Cilium cluster ids) and the resources Kubeloom names (`<cluster>-k3s-server`, whose installer
 * script carries the K3s flags, and `<cluster>-k3s-server-<host>` per joining server). The same reader serves the
 * base commit's offline plan (plan:diff) and the stack's state from `pulumi stack export` (`npm run up|preview`),
 * so both guard rails compare the same facts. Nothing read here is secret: the install scripts carry no credential
 * (the token arrives on stdin) and a Command's `connection` is never read.
 */
import { configOverrides, plannedShape, shapeChanges, type ClusterShape, type K3sShape, type ShapeChangeReport, type StackShape } from "../../config/change-rules";
import type { StackConfig } from "../../config/schema";
import { resourceNames } from "../../config/derived-names";

/** A resource as a plan or a state file records it: its type, logical name and (plain) inputs. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly inputs?: Record<string, unknown>;
}

const COMMAND_TYPE = /^command:(remote|local):Command$/;

/** The shape recorded by a plan or a state: the `clusters` output for ids, the K3s server commands for topology. */
export function shapeFromRecord(outputs: Record<string, unknown> | undefined, resources: readonly RecordedResource[]): StackShape {
    const result: Record<string, { ciliumId?: number; k3s?: K3sShape }> = {};
    const clusters = outputs?.clusters;
    if (Array.isArray(clusters)) {
        for (const cluster of clusters) {
            const { name, id, ciliumVersion } = (cluster ?? {}) as { name?: unknown; id?: unknown; ciliumVersion?: unknown };
            if (typeof name !== "string") continue;
            result[name] = typeof id === "number" && typeof ciliumVersion === "string" ? { ciliumId: id } : {};
        }
    }
    const commands = resources.filter((r) => COMMAND_TYPE.test(r.type));
    for (const name of Object.keys(result)) {
        const k3s = k3sShape(name, commands);
        if (k3s) result[name] = { ...result[name], k3s };
    }
    return result as Record<string, ClusterShape>;
}

/** The K3s shape of cluster `name` from its server commands, or undefined when Kubeloom installed no K3s for it. */
function k3sShape(name: string, commands: readonly RecordedResource[]): K3sShape | undefined {
    const host = resourceNames.k3sHost(name);
    const first = commands.find((c) => c.name === `${host}-server`);
    const script = first?.inputs?.create;
    if (!first || typeof script !== "string") return undefined;
    const flags = installFlags(script);
    const value = (flag: string) => flags.find((f) => f.startsWith(`${flag}=`))?.slice(flag.length + 1);
    const podCidr = value("--cluster-cidr");
    const serviceCidr = value("--service-cidr");
    if (podCidr === undefined || serviceCidr === undefined) return undefined;
    const joining = commands.filter((c) => c.name.startsWith(`${host}-server-`)).length;
    return {
        podCidr,
        serviceCidr,
        servers: 1 + joining,
        first: first.type === "command:local:Command" ? { local: true } : { local: false, names: flags.filter((f) => f.startsWith("--tls-san=")).map((f) => f.slice("--tls-san=".length)) },
        secretsEncryption: flags.includes("--secrets-encryption"),
    };
}

/** The flags of the `INSTALL_K3S_EXEC='server …'` assignment in an install script (single-quoted by shellQuote). */
export function installFlags(script: string): string[] {
    const exec = /INSTALL_K3S_EXEC='([^']*)'/.exec(script)?.[1];
    return exec === undefined ? [] : exec.split(/\s+/).filter((f) => f.startsWith("--"));
}

/** The resources of a `pulumi stack export` document (its `deployment.resources`), as RecordedResource. */
export function resourcesFromStackExport(exported: unknown): RecordedResource[] {
    const resources = (exported as { deployment?: { resources?: unknown } } | null)?.deployment?.resources;
    if (!Array.isArray(resources)) return [];
    return resources.flatMap((r) => {
        const { urn, type, inputs } = (r ?? {}) as { urn?: unknown; type?: unknown; inputs?: unknown };
        if (typeof urn !== "string" || typeof type !== "string") return [];
        const name = urn.slice(urn.lastIndexOf("::") + 2);
        return [{ type, name, inputs: inputs && typeof inputs === "object" ? (inputs as Record<string, unknown>) : {} }];
    });
}

/**
 * The destructive changes of one stack: what `deployed` records (the base commit's plan at plan:diff, the stack's
 * state at `npm run up`) against what the new config asks for, with that config's order and overrides. Nothing
 * recorded (a new stack): nothing to compare.
 */
export function stackShapeChanges(deployed: { outputs?: Record<string, unknown>; resources: readonly RecordedResource[] } | null, config: StackConfig): ShapeChangeReport {
    if (!deployed) return { refused: [], overridden: [], notes: [] };
    return shapeChanges(
        shapeFromRecord(deployed.outputs, deployed.resources),
        plannedShape(config),
        config.clusters.map((c) => c.name),
        configOverrides(config),
    );
}
