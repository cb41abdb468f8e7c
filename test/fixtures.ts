/** Config and kubeconfig fixtures, free of Pulumi imports so pure tests stay fast. */

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

/** A K3s-style kubeconfig with a recognisable fake client key, as `k3s.yaml` looks after install. */
export function fakeK3sKubeconfig(marker = "MOCK-CLIENT-KEY"): string {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    return [
        "apiVersion: v1",
        "clusters:",
        "- cluster:",
        `    certificate-authority-data: ${b64("MOCK-CA")}`,
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
        `    client-certificate-data: ${b64("MOCK-CERT")}`,
        `    client-key-data: ${b64(marker)}`,
        "",
    ].join("\n");
}

