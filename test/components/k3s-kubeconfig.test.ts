import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { formatServerUrl, rewriteK3sKubeconfig } from "../../components/k3s-kubeconfig";
import { fakeK3sKubeconfigLines } from "../support/fixtures";

/** A marker inside the fake client key: no error message may ever contain it. */
const KEY_MARKER = "KUBELOOM-TEST-CLIENT-KEY";
const b64 = (text: string) => Buffer.from(text).toString("base64");

/** /etc/rancher/k3s/k3s.yaml as K3s writes it, with fake base64 data; `edit` changes its lines. */
function k3sKubeconfig(edit: (lines: string[]) => string[] = (lines) => lines): string {
    return edit(fakeK3sKubeconfigLines(`-----BEGIN EC PRIVATE KEY-----\n${KEY_MARKER}\n-----END EC PRIVATE KEY-----\n`)).join("\n");
}

const target = { server: "https://192.0.2.10:6443", name: "dev" };

describe("rewriteK3sKubeconfig", () => {
    const raw = k3sKubeconfig();
    const rewritten = rewriteK3sKubeconfig(raw, target);
    const config = parse(rewritten);

    it("points the cluster at the target server", () => {
        assert.equal(config.clusters.length, 1);
        assert.equal(config.clusters[0].cluster.server, "https://192.0.2.10:6443");
    });

    it("names the cluster, user and context after the cluster, and selects that context", () => {
        assert.equal(config.clusters[0].name, "dev");
        assert.deepEqual(config.users.map((u: { name: string }) => u.name), ["dev"]);
        assert.deepEqual(config.contexts, [{ name: "dev", context: { cluster: "dev", user: "dev" } }]);
        assert.equal(config["current-context"], "dev");
        assert.ok(!/\bdefault\b/.test(rewritten), "no entry may keep the name default");
    });

    it("keeps the credentials and the CA byte for byte", () => {
        const original = parse(raw);
        assert.equal(config.clusters[0].cluster["certificate-authority-data"], original.clusters[0].cluster["certificate-authority-data"]);
        assert.deepEqual(config.users[0].user, original.users[0].user);
        assert.equal(config.apiVersion, "v1");
        assert.equal(config.kind, "Config");
        assert.deepEqual(config.preferences, {});
    });

    it("is byte-identical for the same input and independent of the input's key order", () => {
        assert.equal(rewriteK3sKubeconfig(raw, target), rewritten);
        const reordered = k3sKubeconfig((lines) => {
            // Move kind/preferences to the top and swap the user's two data keys.
            const kind = lines.splice(lines.indexOf("kind: Config"), 2);
            const keyLine = lines.findIndex((l) => l.includes("client-key-data"));
            [lines[keyLine - 1], lines[keyLine]] = [lines[keyLine], lines[keyLine - 1]];
            return [...kind, ...lines];
        });
        assert.notEqual(reordered, raw);
        assert.equal(rewriteK3sKubeconfig(reordered, target), rewritten);
    });

    it("emits top-level keys in sorted order", () => {
        const topLevel = rewritten.split("\n").filter((l) => /^[A-Za-z-]+:/.test(l)).map((l) => l.slice(0, l.indexOf(":")));
        assert.deepEqual(topLevel, ["apiVersion", "clusters", "contexts", "current-context", "kind", "preferences", "users"]);
    });

    it("uses a bracketed IPv6 server as given", () => {
        const v6 = parse(rewriteK3sKubeconfig(raw, { server: formatServerUrl("2001:db8::10", 16443), name: "edge" }));
        assert.equal(v6.clusters[0].cluster.server, "https://[2001:db8::10]:16443");
        assert.equal(v6["current-context"], "edge");
    });

    const invalid: Array<{ name: string; raw: string; message: RegExp }> = [
        { name: "garbage", raw: `{{{ not yaml: [ ${KEY_MARKER}`, message: /not valid YAML/ },
        { name: "a YAML list", raw: `- ${KEY_MARKER}\n`, message: /not a YAML mapping/ },
        { name: "a document that is not a Config", raw: `kind: Secret\napiVersion: v1\ndata: ${KEY_MARKER}\n`, message: /kind: Config/ },
        {
            name: "a missing default context",
            raw: k3sKubeconfig((lines) => lines.map((l, i) => (i === lines.indexOf("contexts:") + 4 ? "  name: other" : l))),
            message: /contexts entry is not a context named "default"/,
        },
        {
            name: "no contexts at all",
            raw: k3sKubeconfig((lines) => lines.filter((_, i) => i < 6 || i > 10)),
            message: /exactly one entry in contexts \(got none\)/,
        },
        {
            name: "two clusters",
            raw: k3sKubeconfig((lines) => {
                const clusterEntry = lines.slice(2, 6);
                return [...lines.slice(0, 6), ...clusterEntry, ...lines.slice(6)];
            }),
            message: /exactly one entry in clusters \(got 2\)/,
        },
        {
            name: "a current-context other than default",
            raw: k3sKubeconfig((lines) => lines.map((l) => (l === "current-context: default" ? "current-context: elsewhere" : l))),
            message: /current-context is not "default"/,
        },
        {
            name: "a context wired to another user",
            raw: k3sKubeconfig((lines) => lines.map((l) => (l === "    user: default" ? "    user: admin" : l))),
            message: /does not use cluster "default" and user "default"/,
        },
        {
            name: "a cluster without a server",
            raw: k3sKubeconfig((lines) => lines.filter((l) => !l.includes("server:"))),
            message: /has no server/,
        },
        {
            name: "YAML aliases",
            raw: k3sKubeconfig((lines) => lines.map((l) => (l === "preferences: {}" ? "preferences: &p {}\nextensions: *p" : l))),
            message: /aliases/,
        },
    ];
    for (const c of invalid) {
        it(`fails on ${c.name}, without quoting the input`, () => {
            assert.ok(c.raw.includes(KEY_MARKER) || c.raw.includes(b64(`-----BEGIN EC PRIVATE KEY-----\n${KEY_MARKER}\n-----END EC PRIVATE KEY-----\n`)));
            assert.throws(
                () => rewriteK3sKubeconfig(c.raw, target),
                (error: Error) => {
                    assert.match(error.message, c.message);
                    assert.match(error.message, /contents not shown/);
                    assert.ok(!error.message.includes(KEY_MARKER), "the message quotes the input");
                    assert.ok(!error.message.includes("client-key-data"), "the message quotes the input");
                    assert.ok(!error.message.includes(b64(KEY_MARKER).slice(0, 12)));
                    return true;
                },
            );
        });
    }

    it("fails on a target server that is not https://", () => {
        assert.throws(() => rewriteK3sKubeconfig(raw, { server: "http://192.0.2.10:6443", name: "dev" }), /target server must be an https:\/\/ URL/);
    });
});

describe("formatServerUrl", () => {
    it("formats IPv4 addresses and DNS names as is", () => {
        assert.equal(formatServerUrl("192.0.2.10", 6443), "https://192.0.2.10:6443");
        assert.equal(formatServerUrl("k3s.example.com", 16443), "https://k3s.example.com:16443");
    });

    it("brackets IPv6 addresses once", () => {
        assert.equal(formatServerUrl("2001:db8::1", 6443), "https://[2001:db8::1]:6443");
        assert.equal(formatServerUrl("::1", 6443), "https://[::1]:6443");
        assert.equal(formatServerUrl("[2001:db8::1]", 6443), "https://[2001:db8::1]:6443");
    });

    it("fails on an empty host or an invalid port", () => {
        assert.throws(() => formatServerUrl("", 6443), /host must be a hostname or IP address/);
        assert.throws(() => formatServerUrl("192.0.2.10", 0), /port must be an integer from 1 to 65535, got 0/);
        assert.throws(() => formatServerUrl("192.0.2.10", 70000), /port/);
    });
});
