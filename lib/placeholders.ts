/**
 * The plan format's two placeholders, defined once: every layer that writes or reads a plan (the offline plan, the
 * stack-file reader, the renderer, plan:diff, the kubeconfig CLI) compares against these, so a change of spelling
 * cannot leave one reader behind.
 */

/** Stands for a secret value: the plan, the diff and every error show this instead of the value. */
export const SECRET_PLACEHOLDER = "[secret]";

/** Stands for a value known only after deployment (what `pulumi preview` shows as unknown too). */
export const UNKNOWN_PLACEHOLDER = "[unknown]";
