import { strict as assert } from "node:assert";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS } from "../../config/schema";
import { ConfigError } from "../../config/config-error";
import { parseStackConfig } from "../../config/parse";
import { devConfig } from "../support/fixtures";
import { planConfig } from "../support/helpers";

type Json = unknown;

/** Every path (list of keys) to a value inside `value`. */
function pathsOf(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
    const paths: Array<Array<string | number>> = [prefix];
    if (Array.isArray(value)) value.forEach((item, i) => paths.push(...pathsOf(item, [...prefix, i])));
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) paths.push(...pathsOf(v, [...prefix, k]));
    return paths;
}

type Mutation = { kind: "set" | "delete" | "add"; pick: number; value: Json; key: string };

/** Applies one mutation at the `pick`-th path (mod the number of paths). */
function mutate(config: Record<string, any>, mutation: Mutation): Record<string, any> {
    const paths = pathsOf(config).filter((p) => p.length > 0);
    const path = paths[mutation.pick % paths.length];
    const parent = path.slice(0, -1).reduce<any>((v, k) => v[k], config);
    const last = path[path.length - 1];
    if (mutation.kind === "delete") {
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
    } else if (mutation.kind === "add" && parent && typeof parent === "object" && !Array.isArray(parent)) {
        parent[mutation.key] = mutation.value;
    } else {
        parent[last] = mutation.value;
    }
    return config;
}

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
    kind: fc.constantFrom("set", "delete", "add") as fc.Arbitrary<Mutation["kind"]>,
    pick: fc.nat(),
    value: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom("10.42.0.0/16", "10.0.0.0/8", "NodePort", "LoadBalancer", "localhost", "1.16.19", "0.20.6", 0, 1, 255, 256, 31443, true, false, null),
    ),
    key: fc.constantFrom("extra", "cilum", "vclusters", "mesh", "chaining", "podCIDR"),
});

const mutatedConfig = fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }).map((mutations) => mutations.reduce(mutate, devConfig()));

describe("property: any config is either valid or a list of key-path errors", () => {
    it("the validator never throws anything but a ConfigError, and every issue names a path", () => {
        fc.assert(
            fc.property(fc.oneof(mutatedConfig, fc.jsonValue() as fc.Arbitrary<any>), (raw) => {
                try {
                    parseStackConfig(raw, { secretKeys: [...SECRET_KEYS] });
                } catch (error) {
                    assert.ok(error instanceof ConfigError, `unexpected ${error instanceof Error ? error.stack : error}`);
                    assert.ok(error.issues.length > 0);
                    for (const issue of error.issues) {
                        assert.ok(issue.path.length > 0 && issue.message.length > 0, JSON.stringify(issue));
                    }
                }
            }),
            { numRuns: 400, seed: 20261123 },
        );
    });

    it("the planner either plans or reports config errors, never an uncaught exception", async function () {
        this.timeout(120_000);
        await fc.assert(
            fc.asyncProperty(mutatedConfig, async (raw) => {
                try {
                    const plan = await planConfig(raw);
                    assert.ok(Array.isArray(plan.resources));
                } catch (error) {
                    const message = error instanceof Error ? error.message : String(error);
                    assert.ok(pulumi.RunError.isInstance(error), `not a config error: ${(error as Error)?.stack ?? message}`);
                    assert.match(message, /^invalid Kubeloom config:\n {2}- \S/);
                }
            }),
            { numRuns: 40, seed: 20261123 },
        );
    });
});
