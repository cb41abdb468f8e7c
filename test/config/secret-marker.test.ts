/**
 * Secrets are never echoed, structurally: a credential carrying a marker is planted in every string field and every
 * map key the schema has — found by walking the zod schema, not listed by hand, so a field added later is covered
 * too — and the marker must never appear in an error, stdout, stderr, the plan or the diff.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as fc from "fast-check";
import { stringify } from "yaml";
import { SECRET_KEYS, stackConfigSchema } from "../../config/schema";
import { ConfigError, formatPath } from "../../config/config-error";
import { parseStackConfig } from "../../config/parse";
import { devConfig } from "../support/fixtures";
import { PROJECT_DIR, TS_REGISTER } from "../../lib/project";
import { pastedCredentialKind, quoteInput } from "../../lib/user-input";

type Key = string | number;

/** A place user text can go: a string value at `path`, or a key of the map at `path`. */
interface Slot {
    readonly path: readonly Key[];
    readonly kind: "value" | "key";
}

/** The zod definition of a schema node (zod 4 keeps it on `.def`). */
function defOf(schema: unknown): Record<string, any> {
    return (schema as { def: Record<string, any> }).def;
}

/** Every string field and map of the schema, with array elements at index 0 and map values under the key "k". */
export function schemaSlots(schema: unknown, at: readonly Key[] = [], seen: Set<unknown> = new Set()): Slot[] {
    const def = defOf(schema);
    switch (def.type) {
        case "string":
            return [{ path: at, kind: "value" }];
        case "object":
            return Object.entries(def.shape as Record<string, unknown>).flatMap(([key, field]) =>
                at.length === 0 && (SECRET_KEYS as readonly string[]).includes(key) ? [] : schemaSlots(field, [...at, key], seen),
            );
        case "array":
            return schemaSlots(def.element, [...at, 0], seen);
        case "record":
            return [{ path: at, kind: "key" }, ...schemaSlots(def.valueType, [...at, "k"], seen)];
        case "optional":
        case "default":
        case "prefault":
        case "nullable":
        case "readonly":
        case "catch":
            return schemaSlots(def.innerType, at, seen);
        case "pipe":
            return schemaSlots(def.in, at, seen);
        case "union":
            // One slot per path even when several options are strings (a quota value is a string or a number).
            return dedupe((def.options as unknown[]).flatMap((option) => schemaSlots(option, at, seen)));
        default:
            return [];
    }
}

function dedupe(slots: Slot[]): Slot[] {
    const seen = new Set<string>();
    return slots.filter((s) => {
        const id = `${s.kind}:${JSON.stringify(s.path)}`;
        return seen.has(id) ? false : (seen.add(id), true);
    });
}

/** The credentials a user pastes by mistake, each carrying `marker` in the part that is secret. */
function credentials(marker: string): Record<string, string> {
    const b64 = Buffer.from(`key-${marker}`).toString("base64");
    return {
        pem: `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA${marker}\n-----END OPENSSH PRIVATE KEY-----\n`,
        yamlKubeconfig: `apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: ${marker}\n`,
        jsonKubeconfig: JSON.stringify({ kind: "Config", apiVersion: "v1", users: [{ name: "admin", user: { "client-key-data": b64, token: marker } }] }),
        jsonKubeconfigNoApiVersion: JSON.stringify({ clusters: [{ name: "c", cluster: { server: "https://x" } }], users: [{ name: "u", user: { token: marker } }] }),
        jwt: `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ${marker}.c2lnbmF0dXJl`,
        k3sToken: `K10${"0123456789abcdef".repeat(4)}::server:${marker}`,
    };
}

/** `config` with `value` written at the slot, creating the objects and lists on the way. */
function plant(config: Record<string, any>, slot: Slot, value: string): Record<string, any> {
    let parent: any = config;
    slot.path.forEach((key, i) => {
        const last = i === slot.path.length - 1;
        if (last && slot.kind === "value") {
            parent[key] = value;
            return;
        }
        const next = slot.path[i + 1];
        if (parent[key] === null || typeof parent[key] !== "object") parent[key] = typeof next === "number" ? [] : {};
        parent = parent[key];
    });
    if (slot.kind === "key") parent[value] = "x";
    return config;
}

function errorText(raw: unknown): string {
    try {
        parseStackConfig(raw, { secretKeys: [...SECRET_KEYS] });
    } catch (error) {
        assert.ok(error instanceof ConfigError, `not a ConfigError: ${(error as Error)?.stack}`);
        return error.message;
    }
    return "";
}

const SLOTS = schemaSlots(stackConfigSchema);

describe("property: a pasted credential is never echoed, from any string field or map key", () => {
    it("the schema walk finds the free-text fields, label maps and quota maps (the walk itself works)", () => {
        const ids = SLOTS.map((s) => `${s.kind}:${formatPath(s.path)}`);
        for (const expected of [
            "value:clusters[0].source.stackReference.stack",
            "value:clusters[0].source.kubeconfig.context",
            "key:clusters[0].cilium.nodeSelector",
            "value:clusters[0].cilium.nodeSelector.k",
            "key:clusters[0].vclusters[0].resourceQuota",
            "value:clusters[0].vclusters[0].limitRange.default.k",
            "key:clusters[0].vclusters[0].networkPolicies[0].podSelector",
            "value:clusters[0].vclusters[0].networkPolicies[0].ingress[0].http[0].path",
            "value:mesh.globalServices[0].name",
        ]) {
            assert.ok(ids.includes(expected), `${expected} not found by the walk: ${ids.join(", ")}`);
        }
        assert.ok(SLOTS.length > 60, `only ${SLOTS.length} slots`);
    });

    it("every slot × every credential form: refused at that key, the marker in no message", () => {
        for (const slot of SLOTS) {
            for (const [form, secret] of Object.entries(credentials("SEKRETMARKER42"))) {
                const text = errorText(plant(devConfig(), slot, secret));
                const where = formatPath(slot.path);
                assert.ok(text.length > 0, `${form} in ${slot.kind} ${where} was accepted`);
                assert.ok(!text.includes("SEKRETMARKER42"), `${form} in ${slot.kind} ${where} echoed:\n${text}`);
                assert.ok(text.includes(`  - ${where}`), `${form} in ${slot.kind} ${where}: no issue at that key:\n${text}`);
            }
        }
    });

    it("random markers anywhere inside a pasted credential, in random slots: never echoed", () => {
        fc.assert(
            fc.property(
                fc.constantFrom(...SLOTS),
                fc.constantFrom(...Object.keys(credentials("x"))),
                fc.stringMatching(/^[A-Za-z0-9]{12,40}$/),
                (slot, form, marker) => {
                    const text = errorText(plant(devConfig(), slot, credentials(marker)[form]));
                    return text.length > 0 && !text.includes(marker);
                },
            ),
            { numRuns: 300, seed: 20261207 },
        );
    });

    it("quoteInput shows no credential form and bounds every string", () => {
        fc.assert(
            fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), fc.constantFrom(...Object.keys(credentials("x"))), (before, after, form) => {
                const pasted = `${before}${credentials("SEKRETMARKER42")[form]}${after}`;
                const shown = quoteInput(pasted);
                return !shown.includes("SEKRETMARKER42") && shown.length < 100 && pastedCredentialKind(pasted) !== undefined;
            }),
            { numRuns: 300, seed: 20261207 },
        );
        fc.assert(fc.property(fc.string({ maxLength: 5000 }), (text) => quoteInput(text).length <= 6 * 60 + 40), { numRuns: 200, seed: 20261207 });
    });
});

/** The project's files (as git lists them, with the working tree's content) copied into a fresh repository. */
function projectCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-marker-"));
    const files = spawnSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: PROJECT_DIR, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const file of files) {
        const from = path.join(PROJECT_DIR, file);
        if (!fs.existsSync(from) || !fs.statSync(from).isFile()) continue;
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.copyFileSync(from, path.join(dir, file));
    }
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    const git = (...args: string[]) => spawnSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir, encoding: "utf8" });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    return dir;
}

describe("a pasted credential end to end: plan and plan:diff exit 2, the marker on neither stream", function () {
    this.timeout(240_000);
    let repo: string;
    before(() => {
        repo = projectCopy();
    });
    after(() => {
        if (repo) fs.rmSync(repo, { recursive: true, force: true });
    });

    // The reported cases (a JSON kubeconfig in a free-text field, keys in label maps) and one per other form.
    const cases: Array<{ slot: string; form: string }> = [
        { slot: "value:clusters[0].source.stackReference.stack", form: "jsonKubeconfig" },
        { slot: "key:clusters[0].cilium.nodeSelector", form: "yamlKubeconfig" },
        { slot: "value:clusters[0].vclusters[0].resourceQuota.k", form: "pem" },
        { slot: "value:clusters[0].vclusters[0].networkPolicies[0].ingress[0].http[0].host", form: "jwt" },
    ];
    for (const c of cases) {
        it(`plan: ${c.form} in ${c.slot}`, () => {
            const slot = SLOTS.find((s) => `${s.kind}:${formatPath(s.path)}` === c.slot);
            assert.ok(slot, c.slot);
            const config = plant(devConfig(), slot, credentials("SEKRETMARKER42")[c.form]);
            const stackText = stringify({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`kubeloom:${k}`, k === "sshPrivateKey" ? { secure: "v1:abc" } : v])) });
            const file = path.join(repo, "Pulumi.leak.yaml");
            fs.writeFileSync(file, stackText);
            const plan = spawnSync(process.execPath, ["-r", TS_REGISTER, "scripts/plan/plan-cli.ts", "leak"], { cwd: repo, encoding: "utf8" });
            assert.equal(plan.status, 2, plan.stderr);
            assert.equal(plan.stdout, "");
            assert.ok(!plan.stderr.includes("SEKRETMARKER42"), plan.stderr);
            assert.match(plan.stderr, /not shown/);
        });
    }

    it("plan:diff on the same stack: exit 2, nothing echoed", () => {
        const diff = spawnSync(process.execPath, ["-r", TS_REGISTER, "scripts/diff/diff-cli.ts", "leak", "--base", "main", "--project", repo], { cwd: repo, encoding: "utf8" });
        assert.equal(diff.status, 2, diff.stderr);
        assert.ok(!`${diff.stdout}${diff.stderr}`.includes("SEKRETMARKER42"), `${diff.stdout}${diff.stderr}`);
    });
});

describe("property: a huge value in any string field or map key gives short issues, quickly", () => {
    it("every slot, 256 KiB of text (plain, or shaped like a path, a version or a label): each issue under 1,000 characters", function () {
        this.timeout(240_000);
        fc.assert(
            fc.property(fc.constantFrom(...SLOTS), fc.constantFrom("a", "1.", "/x", "A-b_c.", "é"), (slot, unit) => {
                const huge = unit.repeat(Math.ceil((256 * 1024) / unit.length));
                const config = plant(devConfig(), slot, huge);
                const started = Date.now();
                let issues: string[] = [];
                try {
                    parseStackConfig(config, { secretKeys: [...SECRET_KEYS] });
                } catch (error) {
                    assert.ok(error instanceof ConfigError, String(error));
                    issues = error.issues.map((i) => `${i.path}: ${i.message}`);
                }
                const elapsed = Date.now() - started;
                assert.ok(issues.length > 0, `a 256 KiB value in ${formatPath(slot.path)} was accepted`);
                for (const issue of issues) assert.ok(issue.length < 1000, `${issue.length} characters at ${formatPath(slot.path)}: ${issue.slice(0, 200)}`);
                assert.ok(elapsed < 5000, `${elapsed} ms at ${formatPath(slot.path)}`);
            }),
            { numRuns: 150, seed: 20261207 },
        );
    });
});
