/**
 * The optional `up`-time check of a Cilium install (config `cilium.verify: true`): one local command running the
 * script from cilium-verify-script.ts with kubectl against the cluster, failing the update with one line per failed
 * check.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ciliumVerifyScript, CiliumVerifyInput, VERIFY_KUBECONFIG_ENV } from "./cilium-verify-script";

/** Arguments of the Cilium check. */
export interface CiliumVerifyArgs extends CiliumVerifyInput {
    /** Secret: admin kubeconfig of the cluster; it reaches the script only through the environment. */
    readonly kubeconfig: pulumi.Input<string>;
    /** The Cilium release: the check runs once it is ready. */
    readonly ciliumRelease: pulumi.Resource;
    /**
     * Anything that changes when the installed Cilium changes (Kubeloom passes a hash of the chart version and
     * values); a new value re-runs the check. @default - the check re-runs only when its script changes
     */
    readonly ciliumFingerprint?: pulumi.Input<string>;
}

/** Runs the Cilium checks on the machine running Pulumi after the release is ready. */
export class CiliumVerify extends pulumi.ComponentResource {
    /** What the check printed on success. */
    public readonly report: pulumi.Output<string>;

    constructor(name: string, args: CiliumVerifyArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("kubeloom:index:CiliumVerify", name, {}, opts);
        const script = ciliumVerifyScript(args);
        const check = new command.local.Command(
            `${name}-check`,
            {
                create: script,
                interpreter: ["/bin/sh", "-c"],
                environment: { [VERIFY_KUBECONFIG_ENV]: pulumi.secret(args.kubeconfig) },
                // A command runs on create and when its triggers change, not on every `up`: the check re-runs when the
                // script or the installed Cilium (version, values) changes. `pulumi up --replace <check urn>` re-runs
                // it on demand. Every-`up` triggers (a timestamp) would make every plan differ.
                triggers: [sha256(script), args.ciliumFingerprint ?? ""],
            },
            // The check only reads and creates a throw-away namespace; nothing of it outlives the run.
            // Three waits of timeoutSeconds (300 s by default) plus the retried checks: 30m bounds the whole script.
            { parent: this, dependsOn: [args.ciliumRelease], customTimeouts: { create: "30m" } },
        );
        this.report = check.stdout;
        this.registerOutputs({ report: this.report });
    }
}

function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}
