/**
 * Reads the `kubeloom:*` keys from the Pulumi runtime, validates them (nothing is registered before this
 * returns) and separates the secrets, which leave this module only as secret Outputs.
 */
import * as fs from "fs";
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { StackConfig, SECRET_KEYS } from "./schema";
import { ConfigError, formatPath } from "./config-error";
import { rawConfigFromPulumi } from "./raw-config";
import { looksLikePastedSecret } from "./shape/fields";
import { parseStackConfig } from "./parse";
import { ConfigFileError, valuesReleases, withValuesFiles } from "./chart-values";
import type { ChartValuesSource } from "./chart-values-check";
import { isPlainObject } from "../lib/values-util";
import { SECRET_PLACEHOLDER } from "../lib/placeholders";
import { quoteInput, UserInputError } from "../lib/user-input";

/** Secret inputs of the stack, each wrapped in `pulumi.secret`. */
export interface StackSecrets {
    /** kubeloom:sshPrivateKey, when set. */
    readonly sshPrivateKey?: pulumi.Output<string>;
    /** kubeloom:sourceKubeconfigs.<cluster>, per cluster. */
    readonly sourceKubeconfigs: Readonly<Record<string, pulumi.Output<string>>>;
    /** kubeloom:etcdS3Keys.<cluster>, per cluster. */
    readonly etcdS3Keys?: Readonly<Record<string, { readonly accessKey: pulumi.Output<string>; readonly secretKey: pulumi.Output<string> }>>;
    /** kubeloom:registryPasswords.<cluster>.<registry host>. */
    readonly registryPasswords?: Readonly<Record<string, Readonly<Record<string, pulumi.Output<string>>>>>;
}

/** The validated config plus its secrets. */
export interface LoadedConfig {
    readonly config: StackConfig;
    readonly secrets: StackSecrets;
    readonly stackName: string;
    /**
     * Each release's user chart values (values file and inline map merged), keyed by the config path of its `values`
     * key (`clusters[0].cilium.values`); every secret leaf is a `pulumi.secret` Output, so it stays secret in the
     * Helm release, the plan, the diff and the state. @default - empty: no user values
     */
    readonly chartValues?: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/** How loadStackConfig checks the chart values. */
export interface LoadOptions {
    /** Where chart releases come from. @default - defaultChartSource (config/chart-values-check.ts: the artifact module's mirror or cache) */
    readonly chartSource?: ChartValuesSource;
    /** Fail when a release with values cannot be checked against its chart (`plan --render`). @default false: warn once */
    readonly requireChartCheck?: boolean;
}

/**
 * Config paths of the `secure:` leaves under `kubeloom:clusters` in a stack file, as segments. The SDK marks only
 * the top-level key secret (`kubeloom:clusters`), so the stack file is the one place that says which value inside
 * it was set with `pulumi config set --secret --path`.
 */
export function secureClusterPaths(stackFileText: string, project = "kubeloom"): PropertyKey[][] {
    const doc = parseYaml(stackFileText) as { config?: Record<string, unknown> } | null;
    const clusters = doc?.config?.[`${project}:clusters`] ?? doc?.config?.clusters;
    const found: PropertyKey[][] = [];
    const walk = (value: unknown, at: PropertyKey[]): void => {
        if (isPlainObject(value) && Object.keys(value).length === 1 && "secure" in value) {
            found.push(at);
        } else if (Array.isArray(value)) {
            value.forEach((item, i) => walk(item, [...at, i]));
        } else if (isPlainObject(value)) {
            for (const [key, item] of Object.entries(value)) walk(item, [...at, key]);
        }
    };
    walk(clusters, ["clusters"]);
    return found;
}

/**
 * Which config paths inside chart values are secret. The offline plan sees each secret as the "[secret]"
 * placeholder; a real run sees decrypted values, so the stack file says where the secrets were. When the
 * `clusters` key is secret and the stack file cannot be read or shows no secure leaf, every chart value is treated as
 * secret (fail closed).
 */
function secretValuePaths(config: StackConfig, stackName: string, clustersSecret: boolean): (at: readonly PropertyKey[]) => boolean {
    if (!clustersSecret) return () => false;
    let secure: PropertyKey[][] | undefined;
    try {
        secure = secureClusterPaths(fs.readFileSync(path.join(process.cwd(), `Pulumi.${stackName}.yaml`), "utf8"));
        // The key is secret but the file shows no secure leaf (the config came from elsewhere, e.g. an environment):
        // nothing says which value is the secret one.
        if (secure.length === 0) secure = undefined;
    } catch {
        secure = undefined;
    }
    const releases = valuesReleases(config);
    return (at) => {
        if (secure === undefined) return releases.some((release) => release.path.every((part, i) => at[i] === part));
        return secure.some((s) => s.length <= at.length && s.every((part, i) => at[i] === part));
    };
}

/** The values with every secret leaf (a placeholder offline, or a path isSecret names) wrapped in `pulumi.secret`. */
function withSecretLeaves(values: unknown, at: PropertyKey[], isSecret: (at: readonly PropertyKey[]) => boolean): unknown {
    if (values === SECRET_PLACEHOLDER || (!isPlainObject(values) && !Array.isArray(values) && isSecret(at))) return pulumi.secret(values);
    if (Array.isArray(values)) return values.map((item, i) => withSecretLeaves(item, [...at, i], isSecret));
    if (isPlainObject(values)) return Object.fromEntries(Object.entries(values).map(([key, item]) => [key, withSecretLeaves(item, [...at, key], isSecret)]));
    return values;
}

// `isConfigSecret` is exported by the SDK's runtime but not in its typings; it is the only way to learn whether a
// key was set with --secret, which we need to refuse plaintext credentials. A test covers this call.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/** Loads and validates the stack config from the running Pulumi program (real or mocked). */
export function loadStackConfig(options: LoadOptions = {}): LoadedConfig {
    const all = pulumi.runtime.allConfig();
    const secretKeys = SECRET_KEYS.filter((key) => runtimeConfig.isConfigSecret(`kubeloom:${key}`));
    const stackName = pulumi.getStack();
    let config = parseStackConfig(rawConfigFromPulumi(all), { stackName, secretKeys });
    try {
        config = withValuesFiles(config, process.cwd());
    } catch (error) {
        if (error instanceof ConfigFileError) throw new ConfigError([error.issue]);
        throw error;
    }
    const isSecret = secretValuePaths(config, stackName, runtimeConfig.isConfigSecret("kubeloom:clusters"));
    const releases = valuesReleases(config);
    // Loaded only for a stack with chart values: the checks bring ajv and the chart reads.
    const check = releases.length > 0 ? (require("./chart-values-check") as typeof import("./chart-values-check")) : undefined;
    const report = check ? check.checkChartValues(config, options.chartSource ?? check.defaultChartSource, isSecret) : { issues: [], unchecked: [] };
    if (options.requireChartCheck) {
        report.issues.push(...report.unchecked.map((u) => ({ path: u.path, message: `could not be checked: the ${u.chart} chart could not be obtained (see \`npm run artifacts\`, or set KUBELOOM_CHARTS_DIR to a mirror)` })));
    }
    if (report.issues.length > 0) throw new ConfigError(report.issues);
    if (report.unchecked.length > 0) {
        // Said once per run, naming every release: the values still deploy, Helm checks the schema at install.
        pulumi.log.warn(`chart values were not checked against their chart (not in the artifact mirror or cache; run plan --render, which obtains it, or see \`npm run artifacts\`): ${report.unchecked.map((u) => `${u.path} (${u.chart})`).join(", ")}`);
    }
    const chartValues = new Map<string, Readonly<Record<string, unknown>>>();
    for (const release of releases) {
        chartValues.set(formatPath(release.path), withSecretLeaves(release.values, [...release.path], isSecret) as Record<string, unknown>);
    }
    const sourceKubeconfigs: Record<string, pulumi.Output<string>> = {};
    for (const [name, kubeconfig] of Object.entries(config.sourceKubeconfigs ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        sourceKubeconfigs[name] = pulumi.secret(kubeconfig);
    }
    return {
        config,
        stackName,
        chartValues,
        secrets: {
            sshPrivateKey: config.sshPrivateKey === undefined ? undefined : pulumi.secret(config.sshPrivateKey),
            sourceKubeconfigs,
            etcdS3Keys: Object.fromEntries(Object.entries(config.etcdS3Keys ?? {}).map(([name, keys]) => [name, { accessKey: pulumi.secret(keys.accessKey), secretKey: pulumi.secret(keys.secretKey) }])),
            registryPasswords: Object.fromEntries(
                Object.entries(config.registryPasswords ?? {}).map(([name, passwords]) => [name, Object.fromEntries(Object.entries(passwords).map(([host, password]) => [host, pulumi.secret(password)]))]),
            ),
        },
    };
}

/** The user's chart values at a config path (`["clusters", 0, "cilium", "values"]`), secret leaves as Outputs. */
export function userChartValues(loaded: LoadedConfig, at: readonly PropertyKey[]): Readonly<Record<string, unknown>> | undefined {
    return loaded.chartValues?.get(formatPath(at));
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
