/**
 * Pre-flight of Cilium's CNI settings in chaining mode, read from the rendered `cilium-config` ConfigMap (what the
 * agent really gets, whatever values produced it). Catches issue 11's failures 3 and 4: the agent's router IP taken
 * from the pod range the primary CNI uses, and a chained conflist that differs from the primary's network or is
 * removed at every agent stop. Pure: objects and the cluster's networks in, findings out.
 */
import { overlaps, parseCidr } from "../../../lib/cidr";
import { CniNetworkModel, describe, Finding, PlacedObject } from "./model";

/**
 * Chaining modes where another CNI stays primary (its IPAM, its conflist); cilium-config `cni-chaining-mode`.
 * A deliberate second statement of components/cilium-values.ts chainsOntoPrimaryCni: this check reads what the
 * agent really gets, independently of the builder that produced it, so it must not import the builder's answer.
 */
const ONTO_PRIMARY = new Set(["generic-veth", "aws-cni", "flannel"]);

/**
 * Network name of the conflist the agent writes when neither cni-chaining-target nor read-cni-conf is set: flannel's
 * built-in conflist is named "flannel" (daemon/cmd/cni/config.go, cniConfigs), and aws-cni implies the target
 * "aws-cni" (values.yaml cni.chainingTarget at 1.16.19). generic-veth has neither.
 */
const IMPLIED_CONFLIST_NAME: Readonly<Record<string, string>> = { flannel: "flannel", "aws-cni": "aws-cni" };

function cidrList(text: string): Array<{ cidr: string; interval: Exclude<ReturnType<typeof parseCidr>, string> }> {
    return text
        .split(/[\s,]+/)
        .filter((cidr) => cidr.length > 0)
        .flatMap((cidr) => {
            const interval = parseCidr(cidr);
            return typeof interval === "string" ? [] : [{ cidr, interval }];
        });
}

/** The network name of the conflist the agent reads from a ConfigMap (read-cni-conf), if the stack renders it. */
function conflistNameFromConfigMap(objects: readonly PlacedObject[], readCniConf: string): { name?: string; where?: string } {
    const key = readCniConf.split("/").pop() ?? "";
    for (const placed of objects) {
        const data = placed.object.kind === "ConfigMap" ? (placed.object.data as Record<string, unknown> | undefined) : undefined;
        const text = data?.[key];
        if (typeof text !== "string" || placed.object.metadata.name === "cilium-config") continue;
        try {
            const name = (JSON.parse(text) as { name?: unknown }).name;
            if (typeof name === "string") return { name, where: describe(placed) };
        } catch {
            // Not a conflist: keep looking.
        }
    }
    return {};
}

/** Findings for every rendered `cilium-config` whose chaining settings break the primary CNI. */
export function checkCniChaining(network: CniNetworkModel, objects: readonly PlacedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const placed of objects) {
        const { object } = placed;
        if (object.kind !== "ConfigMap" || object.metadata.name !== "cilium-config") continue;
        const data = (object.data ?? {}) as Record<string, string | undefined>;
        const mode = data["cni-chaining-mode"] ?? "none";
        if (!ONTO_PRIMARY.has(mode)) continue;
        const error = (message: string): void => {
            findings.push({ severity: "error", cluster: network.cluster, object: describe(placed), check: "cni-chaining", message: `chaining mode ${mode}: ${message}` });
        };

        // Failure 3 (cilium/cilium#9590, #22286): the router IP must not come from the primary CNI's pod range.
        const ipam = data.ipam ?? "cluster-pool";
        if (ipam === "kubernetes") {
            error("ipam kubernetes gives cilium_host a router IP from the node podCIDR, which the primary CNI also hands to pods (two users of one IP); use cluster-pool over a range no pod uses (chaining.routerCidr)");
        } else if (ipam === "cluster-pool") {
            for (const { cidr, interval } of cidrList(data["cluster-pool-ipv4-cidr"] ?? "")) {
                for (const [what, range] of [["podCidr", network.podCidr], ["serviceCidr", network.serviceCidr]] as const) {
                    const other = parseCidr(range);
                    if (typeof other !== "string" && overlaps(interval, other)) {
                        error(`cluster-pool-ipv4-cidr ${cidr} overlaps the cluster's ${what} ${range}: the agent's router IPs would collide with addresses the primary CNI or Services use`);
                    }
                }
            }
        }

        // Failure 4: one conflist, with the primary's network name, that stays in place.
        if (data["cni-uninstall"] === "true") {
            error("cni-uninstall \"true\" removes 05-cilium.conflist at every agent stop or upgrade, so the node flips to the primary's own conflist and pods created meanwhile are not chained; set cni.uninstall false");
        }
        if (data["write-cni-conf-when-ready"] !== undefined && data["cni-exclusive"] === "true") {
            error("cni-exclusive \"true\" renames the primary CNI's conflist to *.cilium_bak; set cni.exclusive false");
        }
        const target = data["cni-chaining-target"];
        let written: { name?: string; where: string };
        if (target !== undefined) {
            written = { name: target, where: "cni-chaining-target" };
        } else if (data["read-cni-conf"] !== undefined) {
            const fromConfigMap = conflistNameFromConfigMap(objects, data["read-cni-conf"]);
            written = { name: fromConfigMap.name, where: fromConfigMap.where ?? `read-cni-conf ${data["read-cni-conf"]}` };
        } else {
            written = { name: IMPLIED_CONFLIST_NAME[mode], where: mode === "aws-cni" ? "the implied target" : "the agent's built-in conflist" };
            if (written.name === undefined) error("no conflist to chain onto: set cni.chainingTarget to the primary CNI's network name");
        }
        if (written.name !== undefined && network.primaryNetwork !== undefined && written.name !== network.primaryNetwork) {
            error(`the chained conflist (${written.where}) is network "${written.name}" but the primary CNI's is "${network.primaryNetwork}": two networks mean two host-local IPAM stores (/var/lib/cni/networks/<name>) over one node subnet; set cni.chainingTarget to "${network.primaryNetwork}"`);
        }
    }
    return findings;
}
