/** Runs the real `npm run plan` script in a child process, with the tests' helm and the locked charts (tests only). */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";
import { needRenderEnvironment } from "./artifacts";

/** Exit code and output of one `plan` run. */
export interface PlanRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/**
 * Runs `scripts/plan/plan-cli.ts` with `args` and the environment's mirror variables. With `--render` and no
 * KUBELOOM_HELM / KUBELOOM_CHARTS_DIR override in `env`, the running test skips unless helm and every locked chart
 * are obtainable (test/support/artifacts.ts); the child never downloads (KUBELOOM_OFFLINE=1).
 */
export function runPlan(args: string[], env: Record<string, string | undefined> = {}): Promise<PlanRun> {
    const renders = args.includes("--render") && !("KUBELOOM_HELM" in env) && !("KUBELOOM_CHARTS_DIR" in env);
    const helm = renders ? needRenderEnvironment().helm : (process.env.KUBELOOM_HELM ?? "helm");
    return new Promise((resolve) => {
        execFile(process.execPath, ["-r", TS_REGISTER, path.join(PROJECT_DIR, "scripts/plan/plan-cli.ts"), ...args], {
            cwd: PROJECT_DIR,
            maxBuffer: 64 * 1024 * 1024,
            env: {
                ...process.env,
                KUBELOOM_HELM: helm,
                KUBELOOM_OFFLINE: "1",
                ...env,
            },
        }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
}
