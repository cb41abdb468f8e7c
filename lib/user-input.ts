/**
 * User input in messages: the one way any error, warning or hint shows a value the user wrote (a config value, a
 * map key, a name read from a file they named). Short, truncated, and never a credential: a pasted PEM key, a YAML
 * or one-line JSON kubeconfig or a token is named by what it looks like, not shown. Pure; imports nothing.
 */

/** Longest text shown in a message; the rest is cut and its length stated. */
export const QUOTE_MAX_CHARS = 60;

/**
 * What kind of credential `text` contains, if it looks like one pasted where it does not belong; undefined otherwise.
 * Only forms no plain Kubeloom setting has: a PEM block, a kubeconfig (YAML, or the one-line JSON of
 * `kubectl config view --raw -o json`), a JWT (service-account and OIDC tokens) or a K3s join token.
 */
export function pastedCredentialKind(text: string): string | undefined {
    if (/-----BEGIN [A-Z0-9 ]*-----|PRIVATE KEY/.test(text)) return "a PEM key or certificate";
    if (/(apiVersion|current-context|client-key-data|client-certificate-data|certificate-authority-data)['"]?\s*:/.test(text)) return "a kubeconfig";
    if (/['"](clusters|contexts|users)['"]\s*:\s*\[/.test(text)) return "a kubeconfig";
    if (/eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}/.test(text)) return "a token (JWT)";
    if (/K10[0-9a-f]{16,}::/.test(text)) return "a K3s join token";
    return undefined;
}

/**
 * What kind of secret-looking text `text` is, for display: a pasted credential (above), or any long run of
 * base64 / hex characters mixing letters and digits (a bearer token, a key's body, a digest). Undefined when the
 * text may be shown.
 */
export function secretLookingKind(text: string): string | undefined {
    const credential = pastedCredentialKind(text);
    if (credential) return credential;
    for (const run of text.match(/[A-Za-z0-9+/_=-]{32,}/g) ?? []) {
        if (/[0-9]/.test(run) && /[A-Za-z]/.test(run)) return "a token or encoded data";
    }
    return undefined;
}

/**
 * The one way a message shows user input: a string as a short JSON-quoted literal (cut after QUOTE_MAX_CHARS
 * characters, saying how long it was), a secret-looking string as `(<kind>, N characters, not shown)`, other
 * values as short JSON. Control characters are escaped, so a value never breaks the one-line-per-issue format.
 */
export function quoteInput(value: unknown, max: number = QUOTE_MAX_CHARS): string {
    if (typeof value === "string") {
        const kind = secretLookingKind(value);
        if (kind) return `(${kind}, ${value.length} characters, not shown)`;
        if (value.length <= max) return JSON.stringify(value);
        return `${JSON.stringify(value.slice(0, max))}... (${value.length} characters)`;
    }
    if (value === undefined) return "nothing";
    if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
    if (typeof value === "bigint") return `${value}`;
    if (Array.isArray(value)) return `a list of ${value.length}`;
    if (typeof value === "object") return `an object with ${Object.keys(value as object).length} keys`;
    return typeof value;
}

/** Longest message a tool prints for one failure; a backstop behind quoteInput, so no error is ever megabytes long. */
export const MESSAGE_MAX_CHARS = 16 * 1024;

/** `text` cut to `max` characters, with a note of how much was left out. */
export function boundText(text: string, max: number = MESSAGE_MAX_CHARS): string {
    return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters not shown)`;
}

/**
 * A problem with what the user gave — a config value or a file a config key names — rather than a failure of the
 * operation: every tool exits 2 for it (scripts/common/cli.ts). `keyPath` is the config key to change.
 */
export class UserInputError extends Error {
    constructor(
        readonly keyPath: string,
        reason: string,
    ) {
        super(boundText(`${keyPath}: ${reason}`));
        this.name = "UserInputError";
    }
}
