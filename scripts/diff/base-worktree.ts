/**
 * The base side of a plan diff: resolves a git ref, reads stack files at it, and checks it out in a temporary
 * `git worktree` with dependencies (the working tree's node_modules when the lockfiles match, else `npm ci`),
 * so the base's own program can be planned in its own process. The worktree is always removed again.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CliError, EXIT } from "../common/cli";

/** A failure of the diff machinery (git, npm, a plan process): plan:diff exits 2 with this message (1 means "changes"). */
export class PlanDiffError extends CliError {
    constructor(message: string) {
        super(message, EXIT.invalid);
        this.name = "PlanDiffError";
    }
}

/** Runs git in `cwd`; returns stdout, or throws PlanDiffError with git's first error line. */
export function git(cwd: string, args: readonly string[]): string {
    const result = spawnSync("git", [...args], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.error) throw new PlanDiffError(`git ${args[0]}: ${result.error.message}`);
    if (result.status !== 0) {
        const reason = (result.stderr || result.stdout).trim().split("\n")[0];
        throw new PlanDiffError(`git ${args.join(" ")} failed: ${reason}`);
    }
    return result.stdout;
}

function gitSucceeds(cwd: string, args: readonly string[]): boolean {
    return spawnSync("git", [...args], { cwd, stdio: "ignore" }).status === 0;
}

/** Where the project sits in its repository: the repository root and the project's path prefix ("" or "infra/"). */
export interface RepoLayout {
    readonly root: string;
    readonly prefix: string;
}

/** Finds the repository of `projectDir`. */
export function repoLayout(projectDir: string): RepoLayout {
    if (!gitSucceeds(projectDir, ["rev-parse", "--is-inside-work-tree"])) {
        throw new PlanDiffError(`${projectDir} is not inside a git repository: plan:diff compares against a git ref`);
    }
    return {
        root: git(projectDir, ["rev-parse", "--show-toplevel"]).trim(),
        prefix: git(projectDir, ["rev-parse", "--show-prefix"]).trim(),
    };
}

/** The ref to compare with and the commit it names. */
export interface BaseRef {
    readonly ref: string;
    readonly commit: string;
}

/** Resolves `--base`, or the default: `origin/main` if it exists, else `main`, else `HEAD`. */
export function resolveBaseRef(projectDir: string, requested?: string): BaseRef {
    const candidates = requested ? [requested] : ["origin/main", "main", "HEAD"];
    for (const ref of candidates) {
        if (gitSucceeds(projectDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])) {
            return { ref, commit: git(projectDir, ["rev-parse", "--verify", `${ref}^{commit}`]).trim() };
        }
    }
    throw new PlanDiffError(
        requested
            ? `--base ${requested}: no such commit (in CI, check out with fetch-depth: 0 so the base branch exists)`
            : "no base to compare with: none of origin/main, main, HEAD exists; pass --base <ref>",
    );
}

/** A file of the project at a commit, or null when it does not exist there. */
export function fileAtCommit(projectDir: string, layout: RepoLayout, commit: string, relative: string): string | null {
    const spec = `${commit}:${layout.prefix}${relative}`;
    if (!gitSucceeds(projectDir, ["cat-file", "-e", spec])) return null;
    return git(projectDir, ["show", spec]);
}

const STACK_FILE = /^Pulumi\.([^/]+)\.yaml$/;

/** Stack names from the `Pulumi.<stack>.yaml` files in a directory. */
export function stacksInDir(projectDir: string): string[] {
    return fs
        .readdirSync(projectDir)
        .map((f) => STACK_FILE.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** Stack names from the `Pulumi.<stack>.yaml` files of the project at a commit. */
export function stacksAtCommit(projectDir: string, layout: RepoLayout, commit: string): string[] {
    // --full-tree: paths from the repository root, whatever directory git runs in; "infra/" lists that tree.
    const listing = git(projectDir, ["ls-tree", "--name-only", "--full-tree", commit, ...(layout.prefix ? ["--", layout.prefix] : [])]);
    return listing
        .split("\n")
        .map((line) => STACK_FILE.exec(path.posix.basename(line.trim()))?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** True when the base needs its own `npm ci`: its lockfile differs from the working tree's (or either is missing). */
export function needsOwnInstall(baseLock: string | null, headLock: string | null): boolean {
    return baseLock === null || headLock === null || baseLock !== headLock;
}

/** A temporary checkout of the base commit. Call `remove()` in a finally block. */
export class BaseWorktree {
    private removed = false;

    private constructor(
        private readonly repoDir: string,
        private readonly tempDir: string,
        /** The project directory inside the worktree. */
        readonly projectDir: string,
    ) {}

    /** Checks out `commit` (detached) in a new temporary directory. */
    static create(headProjectDir: string, layout: RepoLayout, commit: string): BaseWorktree {
        const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-plan-diff-"));
        const checkout = path.join(tempDir, "base");
        try {
            git(headProjectDir, ["worktree", "add", "--detach", "--quiet", checkout, commit]);
        } catch (error) {
            fs.rmSync(tempDir, { recursive: true, force: true });
            throw error;
        }
        return new BaseWorktree(layout.root, tempDir, path.join(checkout, layout.prefix));
    }

    /**
     * Gives the worktree dependencies: a symlink to the working tree's node_modules when package-lock.json is the
     * same (fast, offline), else `npm ci --ignore-scripts` in the worktree (provider plugins are not needed to plan).
     */
    installDependencies(headProjectDir: string, log: (line: string) => void): void {
        const read = (dir: string) => {
            const file = path.join(dir, "package-lock.json");
            return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
        };
        if (!needsOwnInstall(read(this.projectDir), read(headProjectDir))) {
            const link = path.join(this.projectDir, "node_modules");
            // Only a committed symlink could be there (node_modules is ignored); ours replaces it.
            fs.rmSync(link, { recursive: true, force: true });
            fs.symlinkSync(path.join(headProjectDir, "node_modules"), link, "dir");
            return;
        }
        log("base: package-lock.json differs from the working tree; running npm ci --ignore-scripts in the base worktree");
        const result = spawnSync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], {
            cwd: this.projectDir,
            stdio: ["ignore", process.stderr, process.stderr],
        });
        if (result.status !== 0) {
            throw new PlanDiffError(`base: npm ci failed in the base worktree (exit ${result.status ?? result.signal}); see the npm output above`);
        }
    }

    /** A scratch directory next to the worktree, removed with it. */
    get scratchDir(): string {
        return this.tempDir;
    }

    /** Removes the worktree and its temporary directory; safe to call twice. */
    remove(): void {
        if (this.removed) return;
        this.removed = true;
        const checkout = path.join(this.tempDir, "base");
        spawnSync("git", ["worktree", "remove", "--force", checkout], { cwd: this.repoDir, stdio: "ignore" });
        fs.rmSync(this.tempDir, { recursive: true, force: true });
        // If `worktree remove` failed (the directory was already gone), forget the stale registration.
        spawnSync("git", ["worktree", "prune"], { cwd: this.repoDir, stdio: "ignore" });
    }
}
