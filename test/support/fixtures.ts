/** Config and kubeconfig fixtures, free of Pulumi imports so pure tests stay fast. */
import { strict as assert } from "node:assert";
import { SECRET_KEYS } from "../../config/schema";
import { ConfigError } from "../../config/config-error";
import { parseStackConfig } from "../../config/parse";

/** A valid single-cluster config like Pulumi.dev.yaml; tests mutate copies of it. */
export function devConfig(): Record<string, any> {
    return {
        clusters: [
            {
                name: "dev",
                id: 1,
                podCidr: "10.42.0.0/16",
                serviceCidr: "10.43.0.0/16",
                source: { k3s: { host: "192.0.2.10", user: "ubuntu" } },
                cilium: { kubeProxyReplacement: true, hubble: { relay: true, ui: true } },
                vclusters: [
                    { name: "vc-a", expose: "NodePort", nodePort: 31443 },
                    { name: "vc-b", expose: "NodePort", nodePort: 31444 },
                ],
            },
        ],
        sshPrivateKey: "[secret]",
    };
}

/** dev with 3 embedded-etcd servers (192.0.2.10-12) behind k3s.example.com and 2 agents (192.0.2.21, .22). */
export function haConfig(): Record<string, any> {
    const config = devConfig();
    const k3s = config.clusters[0].source.k3s;
    delete k3s.host;
    k3s.servers = ["192.0.2.10", "192.0.2.11", "192.0.2.12"].map((host) => ({ host }));
    k3s.registrationAddress = "k3s.example.com";
    k3s.agents = ["192.0.2.21", "192.0.2.22"].map((host) => ({ host }));
    return config;
}

/** The lines of /etc/rancher/k3s/k3s.yaml as K3s writes it, with fake base64 data; the client key is `clientKey`. */
export function fakeK3sKubeconfigLines(clientKey = "MOCK-CLIENT-KEY"): string[] {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    return [
        "apiVersion: v1",
        "clusters:",
        "- cluster:",
        `    certificate-authority-data: ${b64("-----BEGIN CERTIFICATE-----\nMOCK-CA\n-----END CERTIFICATE-----\n")}`,
        "    server: https://127.0.0.1:6443",
        "  name: default",
        "contexts:",
        "- context:",
        "    cluster: default",
        "    user: default",
        "  name: default",
        "current-context: default",
        "kind: Config",
        "preferences: {}",
        "users:",
        "- name: default",
        "  user:",
        `    client-certificate-data: ${b64("-----BEGIN CERTIFICATE-----\nMOCK-CERT\n-----END CERTIFICATE-----\n")}`,
        `    client-key-data: ${b64(clientKey)}`,
        "",
    ];
}

/** A K3s-style kubeconfig with a recognisable fake client key. */
export function fakeK3sKubeconfig(marker = "MOCK-CLIENT-KEY"): string {
    return fakeK3sKubeconfigLines(marker).join("\n");
}

/** One table-driven config failure: mutate a valid config, expect an issue at `expectPath`. */
export interface FailureCase {
    readonly name: string;
    readonly mutate: (c: Record<string, any>) => void;
    readonly expectPath: string;
    readonly expectMessage?: RegExp;
}

/** The config issues (`path: message`) of a raw config, or [] when it is valid. */
export function issuesOf(raw: unknown, secretKeys: readonly string[] = SECRET_KEYS): string[] {
    try {
        parseStackConfig(raw, { secretKeys });
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
        return error.issues.map((i) => `${i.path}: ${i.message}`);
    }
    return [];
}

/** A valid two-cluster kind mesh like Pulumi.mesh.yaml (MetalLB pools in kind's network, no demo); tests mutate copies. */
export function kindMeshConfig(): Record<string, any> {
    const cluster = (n: number, pool: string) => ({
        name: `c${n}`,
        id: n,
        podCidr: `10.${n}0.0.0/16`,
        serviceCidr: `10.${n}1.0.0/16`,
        protect: false,
        source: { kind: { apiServerPort: 6443 + n } },
        cilium: { kubeProxyReplacement: true, hubble: { relay: true, ui: false } },
        loadBalancer: { metallb: { addresses: [pool] } },
    });
    return { clusters: [cluster(1, "172.22.0.50-172.22.0.100"), cluster(2, "172.22.0.101-172.22.0.150")], mesh: { enabled: true } };
}

/** The Cilium values input of a K3s server with kube-proxy replacement, the dev stack's shape. */
export const K3S_CILIUM_VALUES_INPUT = {
    clusterName: "dev",
    clusterId: 1,
    podCidr: "10.42.0.0/16",
    kubeProxyReplacement: { enabled: true, apiServerHost: "192.0.2.10", apiServerPort: 6443 },
    routingMode: "tunnel",
    ipamMode: "kubernetes",
    hubble: { relay: true, ui: true },
    nodeSelector: {},
    tolerations: [],
    operatorReplicas: 1,
} as const;
