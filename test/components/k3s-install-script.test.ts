import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import {
    buildK3sAgentInstallScript,
    buildK3sServerInstallScript,
    buildK3sUninstallScript,
    buildReadKubeconfigScript,
    K3S_TOKEN_FILE,
    K3sServerScriptInput,
    k3sServerFlags,
    shellQuote,
} from "../../components/k3s-install-script";

/** The dev stack's K3s server, as config/schema.ts resolves it. */
function serverInput(overrides: Partial<K3sServerScriptInput> = {}): K3sServerScriptInput {
    return {
        version: "v1.28.13+k3s1",
        podCidr: "10.42.0.0/16",
        serviceCidr: "10.43.0.0/16",
        disable: ["traefik", "servicelb", "metrics-server"],
        disableKubeProxy: true,
        tlsSans: ["192.0.2.10", "k3s.example.com"],
        apiPort: 6443,
        ...overrides,
    };
}

const agentInput = { version: "v1.28.13+k3s1", serverUrl: "https://192.0.2.10:6443" };

/**
 * Runs only the script's installer line, with a stand-in installer that prints one environment variable: shows
 * exactly what K3s's install.sh would receive, without downloading or installing anything.
 */
function installerSees(script: string, variable: string): string {
    const line = script.split("\n").find((l) => l.includes(' sh "$installer" || fail '));
    assert.ok(line, "no installer line");
    const probe = `printf '%s' "$${variable}"`;
    const prologue = `install_timeout=5; fail() { exit 1; }; installer=$(mktemp); printf '%s\\n' ${shellQuote(probe)} >"$installer"`;
    const result = spawnSync("sh", ["-c", `${prologue}\n${line}\nrm -f "$installer"`], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
}

/** `sh -n`: parses the script without running anything. */
function shellSyntaxErrors(script: string): string {
    const result = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
    assert.equal(result.error, undefined);
    return result.status === 0 ? "" : result.stderr || `sh -n exited ${result.status}`;
}

describe("k3sServerFlags", () => {
    it("adds no datastore flag for a lone server, --cluster-init for the first of several, --server for the others", () => {
        const tail = (input: K3sServerScriptInput) => k3sServerFlags(input).slice(-2);
        assert.deepEqual(tail(serverInput()), ["--write-kubeconfig-mode=0600", `--token-file=${K3S_TOKEN_FILE}`]);
        assert.deepEqual(k3sServerFlags(serverInput({ role: { type: "single" } })), k3sServerFlags(serverInput()));
        assert.deepEqual(tail(serverInput({ role: { type: "init" } })), [`--token-file=${K3S_TOKEN_FILE}`, "--cluster-init"]);
        assert.deepEqual(tail(serverInput({ role: { type: "join", serverUrl: "https://k3s.example.com:6443" } })), [`--token-file=${K3S_TOKEN_FILE}`, "--server=https://k3s.example.com:6443"]);
    });

    it("a joining server's installer gets `server ... --server=<url>` and no K3S_URL (which would make it an agent)", () => {
        const script = buildK3sServerInstallScript(serverInput({ role: { type: "join", serverUrl: "https://k3s.example.com:6443" } }));
        assert.match(installerSees(script, "INSTALL_K3S_EXEC"), /^server .* --token-file=\/etc\/rancher\/k3s\/kubeloom-token --server=https:\/\/k3s\.example\.com:6443$/);
        assert.equal(installerSees(script, "K3S_URL"), "");
    });

    it("refuses a join URL that is not https:// without spaces", () => {
        for (const serverUrl of ["http://k3s.example.com:6443", "https://a b:6443", ""]) {
            assert.throws(() => k3sServerFlags(serverInput({ role: { type: "join", serverUrl } })), /server serverUrl must be an https:\/\/ URL/);
        }
    });

    it("renders the Cilium-ready flag set for the dev stack", () => {
        assert.deepEqual(k3sServerFlags(serverInput()), [
            "--flannel-backend=none",
            "--disable-network-policy",
            "--disable-kube-proxy",
            "--disable=traefik,servicelb,metrics-server",
            "--cluster-cidr=10.42.0.0/16",
            "--service-cidr=10.43.0.0/16",
            "--tls-san=192.0.2.10",
            "--tls-san=k3s.example.com",
            "--write-kubeconfig-mode=0600",
            `--token-file=${K3S_TOKEN_FILE}`,
        ]);
    });

    it("keeps kube-proxy unless Cilium replaces it", () => {
        const flags = k3sServerFlags(serverInput({ disableKubeProxy: false }));
        assert.ok(!flags.includes("--disable-kube-proxy"));
        assert.ok(flags.includes("--flannel-backend=none"));
        assert.ok(flags.includes("--disable-network-policy"));
    });

    it("omits --disable when nothing is disabled", () => {
        const flags = k3sServerFlags(serverInput({ disable: [] }));
        assert.deepEqual(
            flags.filter((f) => f.startsWith("--disable=")),
            [],
        );
    });

    it("renders one comma-separated --disable flag, deduplicated", () => {
        const flags = k3sServerFlags(serverInput({ disable: ["servicelb", "traefik", "servicelb"] }));
        assert.deepEqual(
            flags.filter((f) => f.startsWith("--disable=")),
            ["--disable=servicelb,traefik"],
        );
    });

    it("renders one --tls-san per address, deduplicated in first-seen order", () => {
        const flags = k3sServerFlags(serverInput({ tlsSans: ["k3s.example.com", "192.0.2.10", "k3s.example.com", "2001:db8::1"] }));
        assert.deepEqual(
            flags.filter((f) => f.startsWith("--tls-san")),
            ["--tls-san=k3s.example.com", "--tls-san=192.0.2.10", "--tls-san=2001:db8::1"],
        );
        assert.deepEqual(k3sServerFlags(serverInput({ tlsSans: [] })).filter((f) => f.startsWith("--tls-san")), []);
    });

    it("sets --https-listen-port only for a port other than 6443", () => {
        assert.ok(!k3sServerFlags(serverInput()).some((f) => f.startsWith("--https-listen-port")));
        assert.ok(k3sServerFlags(serverInput({ apiPort: 16443 })).includes("--https-listen-port=16443"));
    });

    it("writes the kubeconfig 0600, never the manual recipe's 644", () => {
        const flags = k3sServerFlags(serverInput());
        assert.deepEqual(
            flags.filter((f) => f.startsWith("--write-kubeconfig-mode")),
            ["--write-kubeconfig-mode=0600"],
        );
    });

    const invalid: Array<{ name: string; input: Partial<K3sServerScriptInput>; message: RegExp }> = [
        { name: "a TLS SAN with a space", input: { tlsSans: ["a b"] }, message: /tlsSans\[0\].*whitespace/ },
        { name: "a pod CIDR with a newline", input: { podCidr: "10.42.0.0/16\n--token=x" }, message: /podCidr.*whitespace/ },
        { name: "an empty disable entry", input: { disable: [""] }, message: /disable\[0\]/ },
        { name: "a disable entry with a comma", input: { disable: ["traefik,coredns"] }, message: /must not contain ","/ },
        { name: "port 0", input: { apiPort: 0 }, message: /apiPort must be an integer from 1 to 65535, got 0/ },
        { name: "a fractional port", input: { apiPort: 6443.5 }, message: /apiPort/ },
    ];
    for (const c of invalid) {
        it(`fails on ${c.name}`, () => {
            assert.throws(() => k3sServerFlags(serverInput(c.input)), c.message);
        });
    }
});

describe("buildK3sServerInstallScript", () => {
    const script = buildK3sServerInstallScript(serverInput());

    it("is byte-identical for the same input", () => {
        assert.equal(buildK3sServerInstallScript(serverInput()), script);
    });

    it("is a strict POSIX sh script that parses", () => {
        assert.ok(script.startsWith("#!/bin/sh\n"));
        assert.match(script, /^set -eu$/m);
        assert.equal(shellSyntaxErrors(script), "");
    });

    it("uses sudo only when not root", () => {
        assert.match(script, /^SUDO=""$/m);
        assert.match(script, /^\[ "\$\(id -u\)" -eq 0 \] \|\| SUDO="sudo"$/m);
        assert.ok(!/^sudo /m.test(script), "a bare sudo would fail on hosts without it when run as root");
    });

    it("passes the version and the exact flags to the installer, single-quoted", () => {
        const exec = ["server", ...k3sServerFlags(serverInput())].join(" ");
        assert.ok(script.includes('curl -fsSL --connect-timeout "$connect_timeout" --max-time "$download_timeout" -o "$installer" https://get.k3s.io'));
        assert.ok(script.includes(`INSTALL_K3S_VERSION='v1.28.13+k3s1' INSTALL_K3S_EXEC='${exec}' INSTALL_K3S_SKIP_START=true timeout "$install_timeout" sh "$installer"`));
    });

    it("reads the token from stdin into the root-only token file, never from the script, argv or environment", () => {
        assert.ok(script.includes("umask 077"));
        assert.ok(script.includes('cat >"$tmp"'));
        assert.ok(script.includes(`sh "$R"${shellQuote(K3S_TOKEN_FILE)}`));
        assert.ok(script.includes(`--token-file=${K3S_TOKEN_FILE}`));
        assert.ok(!/K3S_TOKEN=|--token=|(^|\s)-t\s/m.test(script), "the token must not be passed by value");
    });

    it("waits for the API server's /readyz, not for Ready nodes (they need the CNI first)", () => {
        assert.ok(script.includes('$SUDO timeout "$readyz_timeout" "$K3S_BIN" kubectl --request-timeout="${readyz_timeout}s" get --raw=/readyz'));
        assert.match(script, /^readyz_attempts=\$\{KUBELOOM_READYZ_ATTEMPTS:-60\}$/m);
        assert.match(script, /^readyz_interval=\$\{KUBELOOM_READYZ_INTERVAL:-5\}$/m);
        assert.match(script, /\(300s by default\)/);
        assert.ok(!/get nodes|condition=Ready/.test(script));
    });

    it("quotes a hostile version so it stays one word", () => {
        const hostile = "v1.28.13+k3s1';touch${IFS}/tmp/kubeloom-pwned;'";
        const text = buildK3sServerInstallScript(serverInput({ version: hostile }));
        assert.ok(text.includes(`INSTALL_K3S_VERSION='v1.28.13+k3s1'"'"';touch\${IFS}/tmp/kubeloom-pwned;'"'"'' `));
        assert.equal(installerSees(text, "INSTALL_K3S_VERSION"), hostile);
        assert.equal(shellSyntaxErrors(text), "");
    });

    it("quotes a hostile TLS SAN inside INSTALL_K3S_EXEC", () => {
        const hostile = "$(reboot)`id`'\"";
        const text = buildK3sServerInstallScript(serverInput({ tlsSans: [hostile] }));
        const exec = ["server", ...k3sServerFlags(serverInput({ tlsSans: [hostile] }))].join(" ");
        assert.ok(text.includes(`INSTALL_K3S_EXEC=${shellQuote(exec)} INSTALL_K3S_SKIP_START=true timeout`));
        assert.equal(installerSees(text, "INSTALL_K3S_EXEC"), exec);
        assert.equal(shellSyntaxErrors(text), "");
    });

    it("fails on a version with whitespace", () => {
        assert.throws(() => buildK3sServerInstallScript(serverInput({ version: "v1.28.13 +k3s1" })), /version must be a release like/);
    });
});

describe("shellQuote", () => {
    const values = ["plain", "", "it's", "'", "''", "$(id)", "`id`", '"$HOME"', "a b\tc", "line1\nline2", "\\", "*", "x';exit 3;'"];
    for (const value of values) {
        it(`round-trips ${JSON.stringify(value)} through sh`, () => {
            const result = spawnSync("sh", ["-c", `printf '%s' ${shellQuote(value)}`], { encoding: "utf8" });
            assert.equal(result.status, 0, result.stderr);
            assert.equal(result.stdout, value);
        });
    }
});

describe("buildK3sAgentInstallScript", () => {
    const script = buildK3sAgentInstallScript(agentInput);

    it("joins the server with K3S_URL and the token file, never the token itself", () => {
        assert.ok(
            script.includes(
                `K3S_URL='https://192.0.2.10:6443' K3S_TOKEN_FILE='${K3S_TOKEN_FILE}' INSTALL_K3S_VERSION='v1.28.13+k3s1' INSTALL_K3S_EXEC='agent' INSTALL_K3S_SKIP_START=true timeout "$install_timeout" sh "$installer"`,
            ),
        );
        assert.ok(script.includes('cat >"$tmp"'));
        assert.ok(!/K3S_TOKEN=|--token=/.test(script));
        assert.equal(installerSees(script, "K3S_URL"), "https://192.0.2.10:6443");
        assert.equal(installerSees(script, "K3S_TOKEN_FILE"), K3S_TOKEN_FILE);
        assert.equal(installerSees(script, "INSTALL_K3S_EXEC"), "agent");
    });

    it("parses and is byte-identical for the same input", () => {
        assert.equal(shellSyntaxErrors(script), "");
        assert.equal(buildK3sAgentInstallScript({ ...agentInput }), script);
    });

    it("does not wait for the API server (that is the server script's job)", () => {
        assert.ok(!script.includes("/readyz"));
    });

    it("fails on a server URL that is not https://", () => {
        assert.throws(() => buildK3sAgentInstallScript({ ...agentInput, serverUrl: "http://192.0.2.10:6443" }), /must be an https:\/\/ URL/);
        assert.throws(() => buildK3sAgentInstallScript({ ...agentInput, serverUrl: "https://a b" }), /must be an https:\/\/ URL/);
    });
});

describe("buildK3sUninstallScript", () => {
    const server = buildK3sUninstallScript("server");
    const agent = buildK3sUninstallScript("agent");

    it("runs the server's uninstall script by its exact path", () => {
        assert.match(server, /^if \[ -x "\$R"\/usr\/local\/bin\/k3s-uninstall\.sh \]; then$/m);
        assert.match(server, /^ {4}\$SUDO timeout "\$uninstall_timeout" "\$R"\/usr\/local\/bin\/k3s-uninstall\.sh \|\| fail /m);
        assert.ok(!server.includes("k3s-agent-uninstall.sh"));
    });

    it("runs the agent's uninstall script by its exact path", () => {
        assert.match(agent, /^if \[ -x "\$R"\/usr\/local\/bin\/k3s-agent-uninstall\.sh \]; then$/m);
        assert.match(agent, /^ {4}\$SUDO timeout "\$uninstall_timeout" "\$R"\/usr\/local\/bin\/k3s-agent-uninstall\.sh \|\| fail /m);
        assert.ok(!agent.includes("/k3s-uninstall.sh"));
    });

    it("succeeds when K3s is absent and removes the token file", () => {
        for (const script of [server, agent]) {
            assert.match(script, /^else\n {4}echo "kubeloom: .* not found; .* nothing to remove"\nfi$/m);
            assert.ok(script.includes(`$SUDO rm -f "$R"${K3S_TOKEN_FILE} || fail`));
            assert.equal(shellSyntaxErrors(script), "");
        }
    });
});

describe("buildReadKubeconfigScript", () => {
    it("prints /etc/rancher/k3s/k3s.yaml with sudo only when not root", () => {
        const script = buildReadKubeconfigScript();
        assert.match(script, /^content=\$\(\$SUDO cat "\$R"\/etc\/rancher\/k3s\/k3s\.yaml\) \|\| fail /m);
        assert.match(script, /^\[ "\$\(id -u\)" -eq 0 \] \|\| SUDO="sudo"$/m);
        assert.equal(shellSyntaxErrors(script), "");
        assert.equal(buildReadKubeconfigScript(), script);
    });
});
