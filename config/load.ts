/**
 * Reads the `kubeloom:*` keys from the Pulumi runtime, validates them (nothing is registered before this
 * returns) and separates the secrets, which leave this module only as secret Outputs.
 */
import * as fs from "fs";
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { rawConfigFromPulumi, StackConfig, SECRET_KEYS } from "./schema";
import { parseStackConfig } from "./parse";

/** Secret inputs of the stack, each wrapped in `pulumi.secret`. */
export interface StackSecrets {
    /** kubeloom:sshPrivateKey, when set. */
    readonly sshPrivateKey?: pulumi.Output<string>;
    /** kubeloom:sourceKubeconfigs.<cluster>, per cluster. */
    readonly sourceKubeconfigs: Readonly<Record<string, pulumi.Output<string>>>;
}

/** The validated config plus its secrets. */
export interface LoadedConfig {
    readonly config: StackConfig;
    readonly secrets: StackSecrets;
    readonly stackName: string;
}

// `isConfigSecret` is exported by the SDK's runtime but not in its typings; it is the only way to learn whether a
// key was set with --secret, which we need to refuse plaintext credentials. A test covers this call.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/** Loads and validates the stack config from the running Pulumi program (real or mocked). */
export function loadStackConfig(): LoadedConfig {
    const all = pulumi.runtime.allConfig();
    const secretKeys = SECRET_KEYS.filter((key) => runtimeConfig.isConfigSecret(`kubeloom:${key}`));
    const stackName = pulumi.getStack();
    const config = parseStackConfig(rawConfigFromPulumi(all), { stackName, secretKeys });
    const sourceKubeconfigs: Record<string, pulumi.Output<string>> = {};
    for (const [name, kubeconfig] of Object.entries(config.sourceKubeconfigs ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        sourceKubeconfigs[name] = pulumi.secret(kubeconfig);
    }
    return {
        config,
        stackName,
        secrets: {
            sshPrivateKey: config.sshPrivateKey === undefined ? undefined : pulumi.secret(config.sshPrivateKey),
            sourceKubeconfigs,
        },
    };
}

/** Expands a leading `~/` to the home directory. */
export function expandHome(path: string): string {
    return path.startsWith("~/") ? `${os.homedir()}${path.slice(1)}` : path;
}

/**
 * Reads a credential file (SSH key, kubeconfig) at run time as a secret. A missing file fails `up` with the key
 * path named; during a preview it is only a warning, so a reviewer's machine without the key can still preview.
 */
export function readSecretFile(path: string, keyPath: string): pulumi.Output<string> {
    const resolved = expandHome(path);
    try {
        return pulumi.secret(fs.readFileSync(resolved, "utf8"));
    } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
        const message = `${keyPath}: cannot read "${path}" (${reason}); point it at a readable file`;
        if (pulumi.runtime.isDryRun()) {
            pulumi.log.warn(`${message}; the preview continues without it`);
            return pulumi.secret(`[unreadable file ${path}]`);
        }
        throw new Error(message);
    }
}
