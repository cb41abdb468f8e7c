/** Runs the real `npm run plan` script in a child process, with the stand-in helm and the shared charts (tests only). */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { PROJECT_DIR, sharedDir, TS_REGISTER } from "../../lib/project";

/** Exit code and output of one `plan` run. */
export interface PlanRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs `scripts/plan/plan-cli.ts` with `args`; KUBELOOM_HELM / KUBELOOM_CHARTS_DIR default to ../shared. */
export function runPlan(args: string[], env: Record<string, string | undefined> = {}): Promise<PlanRun> {
    return new Promise((resolve) => {
        execFile(process.execPath, ["-r", TS_REGISTER, path.join(PROJECT_DIR, "scripts/plan/plan-cli.ts"), ...args], {
            cwd: PROJECT_DIR,
            maxBuffer: 64 * 1024 * 1024,
            env: {
                ...process.env,
                KUBELOOM_HELM: process.env.KUBELOOM_HELM ?? path.join(sharedDir(), "tools/bin/helm"),
                KUBELOOM_CHARTS_DIR: process.env.KUBELOOM_CHARTS_DIR ?? path.join(sharedDir(), "charts"),
                ...env,
            },
        }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
}
