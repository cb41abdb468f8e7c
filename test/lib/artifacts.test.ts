import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { ArtifactIntegrityError, ArtifactLock, ArtifactStore, defaultCacheDir, gitBlobId, parseArtifactLock, projectArtifactLock, readTarGz, sha256Hex } from "../../lib/artifacts";
import { CILIUM_RELEASES, METALLB_RELEASES, VCLUSTER_RELEASES } from "../../components/support-matrix";
import { CILIUM_CRD_READ_AT } from "../support/crd-schemas";

/** A tar header block for one regular file (ustar), for building archives without a tar binary. */
function tarEntry(name: string, body: Buffer, type = "0"): Buffer {
    const header = Buffer.alloc(512);
    header.write(name.slice(0, 100), 0, "utf8");
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124);
    header.write("00000000000\0", 136);
    header.write("        ", 148);
    header.write(type, 156);
    header.write("ustar\0", 257);
    header.write("00", 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    return Buffer.concat([header, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

function tgz(files: Record<string, string>): Buffer {
    const parts = Object.entries(files).map(([name, text]) => tarEntry(name, Buffer.from(text)));
    return zlib.gzipSync(Buffer.concat([...parts, Buffer.alloc(1024)]));
}

/** A self-signed certificate for 127.0.0.1 (openssl), or undefined when openssl is missing. */
function selfSignedCertificate(dir: string): { key: string; cert: string } | undefined {
    try {
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
        return { key: fs.readFileSync(path.join(dir, "key.pem"), "utf8"), cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8") };
    } catch {
        return undefined;
    }
}

/** True when a TCP server on 127.0.0.1 accepts a connection (a fresh network namespace has its loopback down), else why not. */
function loopbackWorks(): Promise<true | string> {
    return new Promise((resolve) => {
        const server = net.createServer((socket) => socket.destroy());
        const done = (result: true | string) => {
            server.close();
            resolve(result);
        };
        server.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
        server.listen(0, "127.0.0.1", () => {
            const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1", () => {
                client.destroy();
                done(true);
            });
            client.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
            client.setTimeout(2000, () => done("connect timed out"));
        });
    });
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

describe("artifact lock", () => {
    it("pins exactly the support matrix's chart releases, each with an https URL and a published digest or a content check", () => {
        const lock = projectArtifactLock();
        for (const [chart, releases] of [["cilium", CILIUM_RELEASES], ["vcluster", VCLUSTER_RELEASES], ["metallb", METALLB_RELEASES]] as const) {
            assert.deepEqual(lock.charts.filter((c) => c.chart === chart).map((c) => c.version), releases.map((r) => r.version), `${chart}: lock and support matrix disagree`);
        }
        for (const chart of lock.charts) {
            assert.match(chart.url, new RegExp(`^https://.*/${chart.chart}-${chart.version.replace(/\./g, "\\.")}\\.tgz$`));
            if (chart.sha256 === null) assert.match(chart.digestFrom, /not recorded/, `${chart.chart} ${chart.version} says why it has no digest`);
        }
    });

    it("has the CRDs every Cilium and MetalLB release's custom resources are validated against", () => {
        const lock = projectArtifactLock();
        const has = (set: string, version: string, plural: string) => lock.crds.some((c) => c.set === set && c.version === version && c.plural === plural);
        for (const { version } of CILIUM_RELEASES) {
            const readAt = CILIUM_CRD_READ_AT[version];
            assert.ok(readAt, `no CRD set recorded for cilium ${version}`);
            for (const plural of ["ciliumnetworkpolicies", "ciliumloadbalancerippools", "ciliuml2announcementpolicies"]) assert.ok(has("cilium", readAt, plural), `cilium ${readAt} ${plural} not locked`);
        }
        for (const { version } of METALLB_RELEASES) for (const plural of ["ipaddresspools", "l2advertisements"]) assert.ok(has("metallb", version, plural), `metallb ${version} ${plural} not locked`);
        for (const plural of ["gatewayclasses", "gateways", "httproutes", "grpcroutes", "referencegrants", "tlsroutes", "backendtlspolicies"]) assert.ok(has("gateway-api", "1.5.1", plural), plural);
        assert.ok(has("prometheus-operator", "0.93.0", "servicemonitors"));
        assert.ok(has("cilium", "1.20.0-pre.3", "ciliumclusterwidenetworkpolicies"));
    });

    it("fails naming the entry when a digest is malformed, a URL is not https, or nothing would verify a download", () => {
        const lock = JSON.parse(fs.readFileSync(path.join(__dirname, "../../artifacts.lock.json"), "utf8"));
        const cases: Array<[string, (l: typeof lock) => void, RegExp]> = [
            ["short sha", (l) => (l.charts[0].sha256 = "abc"), /charts\[0\] \(cilium 1\.16\.19\): sha256 "abc" is not 64 hex digits/],
            ["http url", (l) => (l.crds[0].url = "http://example.com/x"), /crds\[0\] .*is not https/],
            ["no check", (l) => { l.charts[0].sha256 = null; delete l.charts[0].verifyFiles; }, /nothing would verify a download/],
            ["file name", (l) => (l.crds[1].file = "x.yaml"), /crds\[1\] \(x\.yaml\): file must be/],
        ];
        for (const [name, mutate, expected] of cases) {
            const copy = JSON.parse(JSON.stringify(lock));
            mutate(copy);
            assert.throws(() => parseArtifactLock(JSON.stringify(copy), "lock"), expected, name);
        }
    });

    it("puts the cache in the platform's per-user cache folder", () => {
        assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/x" }, "linux", "/home/u"), "/x/kubeloom");
        assert.equal(defaultCacheDir({}, "linux", "/home/u"), "/home/u/.cache/kubeloom");
        assert.equal(defaultCacheDir({}, "darwin", "/Users/u"), "/Users/u/Library/Caches/kubeloom");
        assert.equal(defaultCacheDir({ LOCALAPPDATA: "C:\\L" }, "win32", "C:\\U"), path.join("C:\\L", "kubeloom"));
    });
});

describe("tar reader", () => {
    it("reads regular files of a .tgz, including GNU long names and PAX paths, and refuses a corrupt header", () => {
        const long = `chart/${"t".repeat(120)}.yaml`;
        const pax = Buffer.from(`${(`path=${long}\n`.length + 4).toString()} path=${long}\n`);
        const archive = zlib.gzipSync(
            Buffer.concat([
                tarEntry("chart/Chart.yaml", Buffer.from("name: chart\n")),
                tarEntry("././@LongLink", Buffer.from(`${long}\0`), "L"),
                tarEntry(long.slice(0, 100), Buffer.from("gnu")),
                tarEntry("PaxHeader", pax, "x"),
                tarEntry("ignored-short-name", Buffer.from("pax")),
                tarEntry("chart/templates/", Buffer.alloc(0), "5"),
                Buffer.alloc(1024),
            ]),
        );
        const files = readTarGz(archive);
        assert.deepEqual([...files.keys()], ["chart/Chart.yaml", long]);
        assert.equal(files.get(long)!.toString(), "pax", "the PAX path names the last entry");
        const corrupt = Buffer.from(zlib.gunzipSync(archive));
        corrupt[0] ^= 0xff;
        assert.throws(() => readTarGz(zlib.gzipSync(corrupt)), /checksum mismatch/);
    });
});

describe("artifact store: mirror, cache, verified download", function () {
    this.timeout(30_000);
    let work: string;
    let server: https.Server | undefined;
    let cert: { key: string; cert: string } | undefined;
    let served: Record<string, Buffer>;
    let requests: string[];

    before(async function () {
        const loopback = await loopbackWorks();
        if (loopback !== true) {
            process.stderr.write(`skipping the loopback download tests: no usable loopback here (${loopback}), e.g. inside \`unshare -n\`\n`);
            this.skip();
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "kubeloom-artifacts-"));
        cert = selfSignedCertificate(work);
        if (!cert) {
            process.stderr.write("skipping the loopback download tests: openssl (to make a test certificate) is not installed\n");
            this.skip();
        }
    });
    after(() => {
        server?.close();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    async function serve(): Promise<number> {
        requests = [];
        server = https.createServer({ key: cert!.key, cert: cert!.cert }, (req, res) => {
            requests.push(req.url ?? "");
            const body = served[req.url ?? ""];
            res.writeHead(body ? 200 : 404).end(body);
        });
        await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
        return (server.address() as net.AddressInfo).port;
    }

    function lockFor(port: number, chartBytes: Buffer, vclusterSchema: Buffer): ArtifactLock {
        const base = projectArtifactLock();
        return {
            lockVersion: 1,
            charts: [
                { ...base.charts[0], chart: "demo", version: "1.0.0", url: `https://127.0.0.1:${port}/demo-1.0.0.tgz`, sha256: sha256Hex(chartBytes) },
                { chart: "vc", version: "0.1.0", repository: "x", url: `https://127.0.0.1:${port}/vc-0.1.0.tgz`, sha256: null, digestFrom: "not recorded", verifyFiles: { "values.schema.json": { gitBlob: gitBlobId(vclusterSchema) } } },
            ],
            crds: [],
            k3sInstaller: { ...base.k3sInstaller, url: `https://127.0.0.1:${port}/install.sh`, sha256: sha256Hex(Buffer.from("#!/bin/sh\n")) },
        };
    }

    it("refuses a tampered archive served on loopback, naming the artifact and both digests, and caches nothing", async () => {
        const good = tgz({ "demo/Chart.yaml": "name: demo\nversion: 1.0.0\n" });
        const tampered = tgz({ "demo/Chart.yaml": "name: demo\nversion: 1.0.0\n# changed\n" });
        served = { "/demo-1.0.0.tgz": tampered };
        const port = await serve();
        const cacheDir = path.join(work, "cache-tampered");
        const store = new ArtifactStore({ lock: lockFor(port, good, Buffer.from("{}")), cacheDir, download: { ca: cert!.cert } });
        await assert.rejects(store.obtain({ kind: "chart", chart: "demo", version: "1.0.0" }), (error: Error) => {
            assert.ok(error instanceof ArtifactIntegrityError);
            assert.equal(error.message, `chart demo 1.0.0: digest mismatch for https://127.0.0.1:${port}/demo-1.0.0.tgz: expected sha256 ${sha256Hex(good)}, received sha256 ${sha256Hex(tampered)}; not cached`);
            return true;
        });
        assert.deepEqual(filesUnder(cacheDir), [], "nothing cached, no partial file left");
        assert.equal(store.locate({ kind: "chart", chart: "demo", version: "1.0.0" }).ok, false);

        served = { "/demo-1.0.0.tgz": good };
        const fetched = await store.obtain({ kind: "chart", chart: "demo", version: "1.0.0" });
        assert.ok(fetched.ok && fetched.source === "download");
        assert.deepEqual(filesUnder(cacheDir), ["charts/demo-1.0.0.tgz"]);
        assert.equal(store.chartFile(fetched, "Chart.yaml")!.toString(), "name: demo\nversion: 1.0.0\n");
        server!.close();

        // A new store (another run) finds it in the cache: one hash, no request.
        const before = requests.length;
        const again = await new ArtifactStore({ lock: lockFor(port, good, Buffer.from("{}")), cacheDir }).obtain({ kind: "chart", chart: "demo", version: "1.0.0" });
        assert.ok(again.ok && again.source === "cache");
        assert.equal(requests.length, before);
        // A cached file changed on disk is not used.
        fs.appendFileSync(path.join(cacheDir, "charts/demo-1.0.0.tgz"), "x");
        assert.equal(new ArtifactStore({ lock: lockFor(port, good, Buffer.from("{}")), cacheDir, offline: true }).locate({ kind: "chart", chart: "demo", version: "1.0.0" }).ok, false);
    });

    it("checks a chart without a published digest by its Chart.yaml and upstream's git blob of the listed files", async () => {
        const schema = Buffer.from('{"type":"object"}\n');
        served = {
            "/vc-0.1.0.tgz": tgz({ "vc/Chart.yaml": "name: vc\nversion: 0.1.0\n", "vc/values.schema.json": '{"type":"array"}\n' }),
        };
        const port = await serve();
        const cacheDir = path.join(work, "cache-content");
        const store = new ArtifactStore({ lock: lockFor(port, Buffer.from(""), schema), cacheDir, download: { ca: cert!.cert } });
        const ref = { kind: "chart", chart: "vc", version: "0.1.0" } as const;
        await assert.rejects(store.obtain(ref), /chart vc 0\.1\.0: digest mismatch .*expected values\.schema\.json git blob [0-9a-f]{40}, received values\.schema\.json git blob [0-9a-f]{40}; not cached/);
        assert.deepEqual(filesUnder(cacheDir), []);
        served["/vc-0.1.0.tgz"] = tgz({ "vc/Chart.yaml": "name: vc\nversion: 0.2.0\n", "vc/values.schema.json": schema.toString() });
        await assert.rejects(store.obtain(ref), /expected Chart\.yaml vc 0\.1\.0, received Chart\.yaml vc 0\.2\.0/);
        served["/vc-0.1.0.tgz"] = tgz({ "vc/Chart.yaml": "name: vc\nversion: 0.1.0\n", "vc/values.schema.json": schema.toString() });
        assert.ok((await store.obtain(ref)).ok);
        assert.deepEqual(filesUnder(cacheDir), ["charts/vc-0.1.0.tgz", "charts/vc-0.1.0.tgz.sha256"], "the digest of the verified bytes is kept, so a hit costs one hash");
        server!.close();
        const hit = new ArtifactStore({ lock: lockFor(port, Buffer.from(""), schema), cacheDir, offline: true }).locate(ref);
        assert.ok(hit.ok && hit.source === "cache");
    });

    it("uses a mirror as it is, before the cache and without verifying it", async () => {
        const mirror = path.join(work, "mirror");
        fs.mkdirSync(path.join(mirror, "demo-1.0.0"), { recursive: true });
        fs.writeFileSync(path.join(mirror, "demo-1.0.0", "values.yaml"), "a: 1\n");
        const store = new ArtifactStore({ lock: lockFor(1, Buffer.from("not these bytes"), Buffer.from("")), cacheDir: path.join(work, "cache-mirror"), chartsMirror: mirror, offline: true });
        const found = store.locate({ kind: "chart", chart: "demo", version: "1.0.0" });
        assert.ok(found.ok && found.source === "mirror" && found.layout === "directory");
        assert.equal(store.chartFile(found, "values.yaml")!.toString(), "a: 1\n");
        assert.equal(store.chartFile(found, "values.schema.json"), undefined);
        assert.throws(() => store.locate({ kind: "chart", chart: "demo", version: "9.9.9" }), /chart demo 9\.9\.9 is not in artifacts\.lock\.json \(locked: 1\.0\.0\)/);
    });

    it("detects no network once per store, not once per artifact, and reports each artifact missing with the reason", async () => {
        let connections = 0;
        const refusing = net.createServer((socket) => {
            connections++;
            socket.destroy();
        });
        await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
        const port = (refusing.address() as net.AddressInfo).port;
        try {
            const store = new ArtifactStore({ lock: lockFor(port, Buffer.from("x"), Buffer.from("")), cacheDir: path.join(work, "cache-offline"), probe: { host: "127.0.0.1", port } });
            const results = [
                await store.obtain({ kind: "chart", chart: "demo", version: "1.0.0" }),
                await store.obtain({ kind: "chart", chart: "vc", version: "0.1.0" }),
                await store.obtain({ kind: "k3s-installer" }),
            ];
            assert.equal(connections, 1, "one probe");
            for (const result of results) {
                assert.ok(!result.ok);
                assert.match(result.reason, /no network \(127\.0\.0\.1:\d+: ECONNRESET\)|no network/);
                assert.ok(result.howToProvide.length > 0);
            }
            assert.deepEqual(results.map((r) => !r.ok && r.missingKind), ["charts", "charts", "k3s-installer"]);
            const offline = new ArtifactStore({ lock: lockFor(port, Buffer.from("x"), Buffer.from("")), cacheDir: path.join(work, "cache-offline"), offline: true, probe: { host: "127.0.0.1", port } });
            const result = await offline.obtain({ kind: "chart", chart: "demo", version: "1.0.0" });
            assert.ok(!result.ok && /downloads are off/.test(result.reason));
            assert.equal(connections, 1, "KUBELOOM_OFFLINE never probes");
        } finally {
            refusing.close();
        }
    });
});
