/**
 * The shipped stacks' resource identities are a public contract: a changed URN is a delete and a create on every
 * deployed stack. Each stack's URNs are compared with the committed list in test/stacks/urns/<stack>.txt. A change
 * that renames a resource must add an `aliases` entry and then update the list on purpose:
 * `KUBELOOM_UPDATE_URNS=1 npx mocha -g "shipped stack URNs"`.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { planStack } from "../../scripts/plan/plan-stack";
import { OfflinePlan, PlannedResource } from "../../scripts/plan/offline-plan";
import { stacksInDir } from "../../scripts/diff/base-worktree";
import { PROJECT_DIR } from "../../lib/project";

const listDir = path.join(__dirname, "urns");

/** The part of a URN after `<stack>::<project>::`: the parent type chain, the type, `::`, the name. */
function typeChainOf(urn: string): { prefix: string; chain: string; name: string } {
    const parts = urn.split("::");
    return { prefix: parts.slice(0, 2).join("::"), chain: parts[2], name: parts.slice(3).join("::") };
}

/** The former URNs a resource's `aliases` keep (name, type and parent specs, as the engine derives them). */
function aliasUrns(resource: PlannedResource, plan: OfflinePlan): string[] {
    const aliases = (resource.options.aliases ?? []) as Array<string | { name?: string; type?: string; parent?: string }>;
    const own = typeChainOf(resource.urn);
    return aliases.map((alias) => {
        if (typeof alias === "string") return alias;
        const parentUrn = alias.parent ?? resource.parent;
        const type = alias.type ?? resource.type;
        const chain = parentUrn ? `${typeChainOf(parentUrn).chain}$${type}` : type;
        return `${own.prefix}::${chain}::${alias.name ?? resource.name}`;
    });
}

describe("shipped stack URNs", function () {
    this.timeout(60_000);
    const stacks = stacksInDir(PROJECT_DIR);

    it("has a committed URN list for every shipped stack and no list for a stack that is gone", () => {
        const lists = fs.readdirSync(listDir).filter((f) => f.endsWith(".txt")).map((f) => f.replace(/\.txt$/, "")).sort();
        if (process.env.KUBELOOM_UPDATE_URNS) return;
        assert.deepEqual(lists, [...stacks].sort());
    });

    for (const stack of stacks) {
        it(`${stack}: plans exactly the committed URNs`, async () => {
            const plan = await planStack({ projectDir: PROJECT_DIR, stack });
            const urns = plan.resources.map((r) => r.urn).sort();
            const file = path.join(listDir, `${stack}.txt`);
            const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
            // A URN that is gone is a delete on every deployed stack unless a resource of this plan aliases it.
            const kept = new Set(plan.resources.flatMap((r) => aliasUrns(r, plan)));
            const lost = before.filter((urn) => !urns.includes(urn) && !kept.has(urn));
            assert.deepEqual(lost, [], `${stack}: these URNs are gone and no resource aliases them (a delete and create on every deployed stack)`);
            if (process.env.KUBELOOM_UPDATE_URNS) fs.writeFileSync(file, `${urns.join("\n")}\n`);
            const committed = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
            assert.deepEqual(urns, committed, `URNs of ${stack} changed: add aliases for renamed resources, then update ${path.relative(PROJECT_DIR, file)}`);
        });
    }
});
