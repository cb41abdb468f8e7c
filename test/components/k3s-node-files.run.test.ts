/**
 * components/k3s-node-files.ts: registries.yaml and the etcd snapshot drop-in as text, and the writer script run in
 * bash and dash with stubs — the content only from stdin, 0600 from the first byte, a restart only when K3s runs
 * and the file changed, bounded, and every failure one `kubeloom:` line.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { buildNodeFileRemoveScript, buildNodeFileScript, etcdSnapshotDropIn, K3S_ETCD_SNAPSHOT_DROPIN, K3S_REGISTRIES_FILE, registriesYaml } from "../../components/k3s-node-files";
import { SHELLS, ScriptSandbox } from "../support/script-sandbox";

const REGISTRIES = registriesYaml({
    mirrors: { "docker.io": { endpoints: ["https://mirror.example.com"] } },
    configs: { "mirror.example.com": { auth: { username: "puller", password: "REGISTRY-SECRET" }, tls: { insecureSkipVerify: false } } },
});

describe("K3s node files (text)", () => {
    it("registries.yaml: K3s's mirrors/configs layout, deterministic", () => {
        assert.deepEqual(parse(REGISTRIES), {
            mirrors: { "docker.io": { endpoint: ["https://mirror.example.com"] } },
            configs: { "mirror.example.com": { auth: { username: "puller", password: "REGISTRY-SECRET" }, tls: { insecure_skip_verify: false } } },
        });
        const again = registriesYaml({ configs: { "mirror.example.com": { tls: { insecureSkipVerify: false }, auth: { password: "REGISTRY-SECRET", username: "puller" } } }, mirrors: { "docker.io": { endpoints: ["https://mirror.example.com"] } } });
        assert.equal(again, REGISTRIES);
    });

    it("etcd snapshot drop-in: K3s flag names as keys, S3 only when set", () => {
        assert.deepEqual(parse(etcdSnapshotDropIn({ schedule: "0 3 * * *", retention: 7 })), { "etcd-snapshot-schedule-cron": "0 3 * * *", "etcd-snapshot-retention": 7 });
        const s3 = parse(etcdSnapshotDropIn({ schedule: "0 3 * * *", retention: 7, s3: { endpoint: "s3.example.com", bucket: "backups", folder: "dev", accessKey: "AKIA-TEST", secretKey: "S3-SECRET" } }));
        assert.deepEqual(s3, {
            "etcd-snapshot-schedule-cron": "0 3 * * *",
            "etcd-snapshot-retention": 7,
            "etcd-s3": true,
            "etcd-s3-endpoint": "s3.example.com",
            "etcd-s3-bucket": "backups",
            "etcd-s3-folder": "dev",
            "etcd-s3-access-key": "AKIA-TEST",
            "etcd-s3-secret-key": "S3-SECRET",
        });
    });

    it("the writer script carries no content, only the path", () => {
        const script = buildNodeFileScript({ path: K3S_REGISTRIES_FILE, service: "k3s", what: "registries.yaml" });
        assert.doesNotMatch(script, /REGISTRY-SECRET|puller/);
        assert.equal(script, buildNodeFileScript({ path: K3S_REGISTRIES_FILE, service: "k3s", what: "registries.yaml" }));
        assert.throws(() => buildNodeFileScript({ path: "relative/file", service: "k3s", what: "x" }), /must be absolute/);
    });
});

for (const shell of SHELLS) {
    describe(`K3s node file writer, run in ${shell}`, () => {
        let box: ScriptSandbox;
        const env = (extra: Record<string, string> = {}) => ({ KUBELOOM_K3S_ROOT: box.dir, KUBELOOM_SYSTEMCTL_TIMEOUT: "2", KUBELOOM_SERVICE_ACTIVE_ATTEMPTS: "2", KUBELOOM_SERVICE_ACTIVE_INTERVAL: "1", ...extra });
        const registries = buildNodeFileScript({ path: K3S_REGISTRIES_FILE, service: "k3s-agent", what: "registries.yaml" });
        beforeEach(() => {
            box = new ScriptSandbox();
            box.stub("sudo", { body: 'exec "$@"' });
        });
        afterEach(() => box.remove());

        it("first install (K3s not running): writes the file 0600 from stdin, restarts nothing", () => {
            box.stub("systemctl", { exit: 3 });
            const run = box.run(shell, registries, { env: env(), stdin: REGISTRIES });
            assert.equal(run.status, 0, run.stderr);
            const file = path.join(box.dir, K3S_REGISTRIES_FILE);
            assert.equal(fs.readFileSync(file, "utf8"), REGISTRIES);
            assert.equal(fs.statSync(file).mode & 0o777, 0o600);
            assert.match(run.stdout, /k3s-agent is not running here; it reads registries\.yaml when it starts/);
            assert.doesNotMatch(box.log(), /systemctl restart/);
            assert.doesNotMatch(box.log(), /REGISTRY-SECRET/, "the content is in no command's arguments");
            assert.deepEqual(box.tempFiles(), []);
        });

        it("a changed file on a running node: restarts the service (bounded) and waits until it is active", () => {
            box.stub("systemctl", { exit: 0 });
            fs.mkdirSync(path.dirname(path.join(box.dir, K3S_REGISTRIES_FILE)), { recursive: true });
            fs.writeFileSync(path.join(box.dir, K3S_REGISTRIES_FILE), "old\n");
            const run = box.run(shell, registries, { env: env(), stdin: REGISTRIES });
            assert.equal(run.status, 0, run.stderr);
            assert.match(box.log(), /^systemctl restart k3s-agent$/m);
            assert.match(run.stdout, /k3s-agent restarted with the new registries\.yaml/);
        });

        it("an unchanged file: no restart", () => {
            box.stub("systemctl", { exit: 0 });
            fs.mkdirSync(path.dirname(path.join(box.dir, K3S_REGISTRIES_FILE)), { recursive: true });
            fs.writeFileSync(path.join(box.dir, K3S_REGISTRIES_FILE), REGISTRIES);
            const run = box.run(shell, registries, { env: env(), stdin: REGISTRIES });
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stdout, /unchanged/);
            assert.doesNotMatch(box.log(), /systemctl/);
        });

        it("fails with one kubeloom line: nothing on stdin, a restart that hangs, a service that stays down", () => {
            box.stub("systemctl", { exit: 0 });
            const empty = box.run(shell, registries, { env: env(), stdin: "" });
            assert.notEqual(empty.status, 0);
            assert.deepEqual(empty.kubeloomLines.length, 1);
            assert.match(empty.kubeloomLines[0], /cannot write \/etc\/rancher\/k3s\/registries\.yaml/);

            fs.writeFileSync(path.join(box.dir, K3S_REGISTRIES_FILE), "old\n");
            box.stub("systemctl", { body: 'case "$1" in restart) sleep 1000 ;; esac; exit 0' });
            const hung = box.run(shell, registries, { env: env(), stdin: REGISTRIES });
            assert.notEqual(hung.status, 0);
            assert.match(hung.kubeloomLines.join("\n"), /systemctl restart k3s-agent failed or did not finish within 2s/);
            assert.ok(hung.ms < 10_000, `bounded: ${hung.ms} ms`);

            fs.writeFileSync(path.join(box.dir, K3S_REGISTRIES_FILE), "old\n");
            box.stub("systemctl", { body: 'case "$1" in is-active) [ -f "$STUB_UP" ] && exit 3; : > "$STUB_UP"; exit 0 ;; esac; exit 0' });
            const down = box.run(shell, registries, { env: env({ STUB_UP: path.join(box.dir, "up") }), stdin: REGISTRIES });
            assert.notEqual(down.status, 0);
            assert.match(down.kubeloomLines.join("\n"), /k3s-agent is not active again after 2 checks/);
        });

        it("removing the key: deletes the file and restarts a running node; nothing to do when it is gone", () => {
            const remove = buildNodeFileRemoveScript({ path: K3S_REGISTRIES_FILE, service: "k3s-agent", what: "registries.yaml" });
            box.stub("systemctl", { exit: 0 });
            fs.mkdirSync(path.dirname(path.join(box.dir, K3S_REGISTRIES_FILE)), { recursive: true });
            fs.writeFileSync(path.join(box.dir, K3S_REGISTRIES_FILE), REGISTRIES);
            const run = box.run(shell, remove, { env: env() });
            assert.equal(run.status, 0, run.stderr);
            assert.ok(!fs.existsSync(path.join(box.dir, K3S_REGISTRIES_FILE)));
            assert.match(box.log(), /^systemctl restart k3s-agent$/m);
            const again = box.run(shell, remove, { env: env() });
            assert.equal(again.status, 0, again.stderr);
            assert.match(again.stdout, /is not there; nothing to remove/);
            assert.equal((box.log().match(/restart/g) ?? []).length, 1, "no second restart");
        });

        it("the etcd snapshot drop-in lands in config.yaml.d, 0600", () => {
            box.stub("systemctl", { exit: 3 });
            const dropIn = etcdSnapshotDropIn({ schedule: "0 3 * * *", retention: 7, s3: { endpoint: "s3.example.com", bucket: "b", accessKey: "AKIA-TEST", secretKey: "S3-SECRET" } });
            const run = box.run(shell, buildNodeFileScript({ path: K3S_ETCD_SNAPSHOT_DROPIN, service: "k3s", what: "the etcd snapshot settings" }), { env: env(), stdin: dropIn });
            assert.equal(run.status, 0, run.stderr);
            const file = path.join(box.dir, K3S_ETCD_SNAPSHOT_DROPIN);
            assert.equal(fs.statSync(file).mode & 0o777, 0o600);
            assert.equal(fs.readFileSync(file, "utf8"), dropIn);
            assert.doesNotMatch(box.log(), /S3-SECRET|AKIA-TEST/);
        });
    });
}
