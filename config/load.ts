/**
 * Reads the `kubeloom:*` keys from the Pulumi runtime, validates them (nothing is registered before this
 * returns) and separates the secrets, which leave this module only as secret Outputs.
 */
import * as fs from "fs";
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, SECRET_KEYS } from "./schema";
import { rawConfigFromPulumi } from "./raw-config";
import { looksLikePastedSecret } from "./shape/fields";
import { parseStackConfig } from "./parse";
import { quoteInput, UserInputError } from "../lib/user-input";

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

/** Largest credential file read (an SSH key or kubeconfig is a few KiB). */
export const MAX_CREDENTIAL_FILE_BYTES = 1024 * 1024;

/** A user-given file that is not a regular file or is too large; never downgraded to a preview warning. Exit 2. */
export class BoundedReadError extends UserInputError {}

/**
 * Reads a user-given file with a byte cap: devices, FIFOs and directories (which would block or fail late) are
 * refused at once, and at most MAX_CREDENTIAL_FILE_BYTES are ever read — the size a stat reports is not trusted,
 * since pseudo-files (`/proc/...`, `/sys/...`) report 0 and can be endless. Errors name the key.
 */
export function readBoundedFile(resolved: string, keyPath: string, shown = quoteInput(resolved)): string {
    const fd = fs.openSync(resolved, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
        const stat = fs.fstatSync(fd);
        if (!stat.isFile()) {
            const kind = stat.isDirectory() ? "a directory" : stat.isFIFO() ? "a FIFO" : stat.isCharacterDevice() || stat.isBlockDevice() ? "a device" : stat.isSocket() ? "a socket" : "not a regular file";
            throw new BoundedReadError(keyPath, `${shown} is ${kind}; point it at a regular file`);
        }
        // Whole 64 KiB chunks: some pseudo-files (/proc/<pid>/pagemap) refuse reads that are not a multiple of 8.
        const chunk = 64 * 1024;
        const buffer = Buffer.alloc(MAX_CREDENTIAL_FILE_BYTES + chunk);
        let length = 0;
        for (;;) {
            const read = fs.readSync(fd, buffer, length, chunk, null);
            if (read === 0) break;
            length += read;
            if (length > MAX_CREDENTIAL_FILE_BYTES) {
                throw new BoundedReadError(keyPath, `${shown} holds more than 1 MiB: at most ${MAX_CREDENTIAL_FILE_BYTES} bytes are read for a key or kubeconfig (a pseudo-file or device stream never ends); point it at the key or kubeconfig file`);
            }
        }
        return buffer.subarray(0, length).toString("utf8");
    } finally {
        fs.closeSync(fd);
    }
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
    // A pasted key or kubeconfig is refused by the schema; this guard keeps it out of this message too.
    const shown = looksLikePastedSecret(path) ? "(a value that is not a path; not shown)" : quoteInput(path);
    try {
        return pulumi.secret(readBoundedFile(resolved, keyPath, shown));
    } catch (error) {
        if (error instanceof BoundedReadError) throw error;
        const reason = (error as NodeJS.ErrnoException).code ?? "unreadable";
        const problem = `cannot read ${shown} (${reason}); point it at a readable file`;
        if (pulumi.runtime.isDryRun()) {
            pulumi.log.warn(`${keyPath}: ${problem}; the preview continues without it`);
            return pulumi.secret(`[unreadable file ${shown}]`);
        }
        throw new UserInputError(keyPath, problem);
    }
}
