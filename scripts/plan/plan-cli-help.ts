/** The `npm run plan -- --help` text, apart from the CLI so tests can read it without running the command. */
import { CommandHelp, EXIT } from "../common/cli";

/** `npm run plan -- --help`. */
export const PLAN_HELP: CommandHelp = {
    usage: "usage: npm run plan -- <stack> [--config <Pulumi.stack.yaml>] [--json] [--out <plan.json>] [--render] [--diagram]",
    description: [
        "Plans a stack offline: the real program for Pulumi.<stack>.yaml under Pulumi's mock runtime, with no Pulumi CLI,",
        "network, credentials or cluster. Prints a summary: per cluster the source and versions, nodes, Cilium and its",
        "modes, load balancer, tenants and their endpoints; the mesh; pre-flight; the kubeconfig contexts; what to run next.",
    ].join("\n"),
    flags: [
        ["--config <file>", "plan this stack file instead of Pulumi.<stack>.yaml"],
        ["--json", "print the plan as JSON on stdout instead of the summary (deterministic; what stdout carried before)"],
        ["--out <file>", "write the plan JSON to <file>; stdout stays empty (one line on stderr)"],
        ["--render", "render every Helm release with `helm template` and pre-flight the objects before deploying"],
        ["--diagram", "print the platform as a Mermaid diagram (flowchart) instead of the summary"],
    ],
    environment: [
        ["KUBELOOM_HELM", "--render: the helm binary (default: helm on PATH)"],
        ["KUBELOOM_CHARTS_DIR", "--render: a folder of <chart>-<version>.tgz (default: the chart's repository)"],
    ],
    exitCodes: [
        [EXIT.ok, "planned"],
        [EXIT.failed, "planning failed: no stack file, helm missing for --render, an unexpected error (one line on stderr)"],
        [EXIT.invalid, "bad arguments or an invalid stack config: every problem on stderr with its key path; nothing written"],
        [EXIT.preflight, "--render: pre-flight found errors (listed on stderr; the plan is still written)"],
    ],
};
