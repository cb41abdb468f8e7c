/** Which stacks a push deploys: stack files select themselves, code selects every stack, docs and tests none. */
import { strict as assert } from "node:assert";
import { stacksToDeploy } from "../../scripts/cli/ci-stacks";

const STACKS = ["dev", "prod", "staging"];

describe("stacks to deploy", () => {
    const cases: Array<{ name: string; changed: string[]; expect: string[] }> = [
        { name: "a stack file deploys that stack", changed: ["Pulumi.prod.yaml"], expect: ["prod"] },
        { name: "two stack files deploy both", changed: ["Pulumi.staging.yaml", "Pulumi.dev.yaml"], expect: ["dev", "staging"] },
        { name: "code deploys every stack", changed: ["Pulumi.dev.yaml", "components/CiliumInstall.ts"], expect: STACKS },
        { name: "the project file deploys every stack", changed: ["Pulumi.yaml"], expect: STACKS },
        { name: "the lockfile deploys every stack", changed: ["package-lock.json"], expect: STACKS },
        { name: "docs, tests and workflows deploy nothing", changed: ["README.md", "docs/environments.md", "test/x.test.ts", ".github/workflows/pr.yml"], expect: [] },
        { name: "a deleted stack file deploys nothing", changed: ["Pulumi.qa.yaml"], expect: [] },
    ];
    for (const { name, changed, expect } of cases) {
        it(name, () => assert.deepEqual(stacksToDeploy(changed, STACKS), expect));
    }
});
