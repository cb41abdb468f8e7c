/**
 * Which stacks a CI run is about: every `Pulumi.<stack>.yaml`, or — for a deploy — the stacks a push touched.
 * A stack file change deploys that stack; a change to code or shared config deploys every stack; documentation,
 * tests and CI files deploy nothing.
 */

/** Paths (relative to the project) whose changes cannot change what `pulumi up` does. */
export const NON_DEPLOY_PATHS: readonly RegExp[] = [/\.md$/, /^docs\//, /^test\//, /^\.github\//, /^\.ci\//, /^scratch\//, /^\.gitignore$/, /^LICENSE/];

const STACK_FILE = /^Pulumi\.([^/]+)\.yaml$/;

/** Stack names Kubeloom accepts from CI input (they end up in file names and job names). */
export const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The stacks to deploy for a set of changed files, in sorted order. Deleted stacks are never deployed. */
export function stacksToDeploy(changedFiles: readonly string[], existingStacks: readonly string[]): string[] {
    const existing = new Set(existingStacks);
    const selected = new Set<string>();
    for (const file of changedFiles) {
        const stack = STACK_FILE.exec(file)?.[1];
        if (stack !== undefined) {
            if (existing.has(stack)) selected.add(stack);
        } else if (!NON_DEPLOY_PATHS.some((pattern) => pattern.test(file))) {
            // Program code, Pulumi.yaml, package.json or the lockfile: every environment runs it.
            return [...existing].sort();
        }
    }
    return [...selected].sort();
}
