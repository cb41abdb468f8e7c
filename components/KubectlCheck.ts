/**
 * An `up`-time check run with kubectl on the machine running Pulumi: one local command running a generated script
 * (cilium-verify-script.ts, mesh-services.ts) against one cluster, whose admin kubeconfig reaches the script only
 * through the environment. The one component behind `cilium.verify` and `mesh.verify`.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { KUBECONFIG_ENV } from "../lib/shell";
import { COMPONENT_TYPES } from "./identity";

/** Arguments of a kubectl check. */
export interface KubectlCheckArgs {
    /** The generated script (POSIX sh); it fails with one `kubeloom:` line per failed check. */
    readonly script: string;
    /** Secret: admin kubeconfig of the cluster checked. */
    readonly kubeconfig: pulumi.Input<string>;
    /** What the check waits for (the Cilium release, the demo workloads). */
    readonly after: readonly pulumi.Resource[];
    /**
     * Anything else that should re-run the check when it changes (e.g. a hash of the installed chart's values).
     * @default - the check re-runs only when its script changes
     */
    readonly rerunWhen?: pulumi.Input<string>;
    /** Bound on the whole script, as a Pulumi duration ("30m"); the script's own waits must fit in it. */
    readonly timeout: string;
}

/** Runs one generated kubectl script after what it checks is ready; fails the update when the script fails. */
export class KubectlCheck extends pulumi.ComponentResource {
    /** What the check printed on success. */
    public readonly report: pulumi.Output<string>;

    constructor(name: string, args: KubectlCheckArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.KubectlCheck, name, {}, opts);
        const check = new command.local.Command(
            `${name}-check`,
            {
                create: args.script,
                interpreter: ["/bin/sh", "-c"],
                environment: { [KUBECONFIG_ENV]: pulumi.secret(args.kubeconfig) },
                // A command runs on create and when its triggers change, not on every `up`; `pulumi up --replace
                // <check urn>` re-runs it on demand. Every-`up` triggers (a timestamp) would make every plan differ.
                triggers: [sha256(args.script), args.rerunWhen ?? ""],
            },
            // The check only reads and creates throw-away objects; nothing of it outlives the run.
            { parent: this, dependsOn: [...args.after], customTimeouts: { create: args.timeout } },
        );
        this.report = check.stdout;
        this.registerOutputs({ report: this.report });
    }
}

function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}
