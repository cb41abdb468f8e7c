/**
 * The owned keys of each chart Kubeloom installs, gathered from the builders that declare them (each declaration
 * sits beside the code that writes the keys): Cilium's base values, its features (encryption, Hubble metrics, tunnel
 * protocol, devices, Gateway API), its mesh and L2-announcement fragments, the vCluster values and what the MetalLB
 * install relies on.
 */
import { mergeOwnedValues, OwnedValues } from "../lib/chart-values";
import { CILIUM_OWNED_VALUES } from "./cilium-values";
import { CILIUM_FEATURE_OWNED_VALUES } from "./cilium-features";
import { L2_ANNOUNCEMENT_OWNED_VALUES } from "./cilium-lbipam";
import { MESH_OWNED_VALUES } from "./mesh-plan";
import { METALLB_OWNED_VALUES } from "./metallb-resources";
import { VCLUSTER_OWNED_VALUES } from "./vcluster-values";

/** The charts whose values a user may extend. */
export type ValuesChart = "cilium" | "vcluster" | "metallb";

/** Every owned key of each chart. */
export const OWNED_VALUES: Readonly<Record<ValuesChart, OwnedValues>> = {
    cilium: mergeOwnedValues("cilium", [CILIUM_OWNED_VALUES, CILIUM_FEATURE_OWNED_VALUES, MESH_OWNED_VALUES, L2_ANNOUNCEMENT_OWNED_VALUES]),
    vcluster: mergeOwnedValues("vcluster", [VCLUSTER_OWNED_VALUES]),
    metallb: mergeOwnedValues("metallb", [METALLB_OWNED_VALUES]),
};

/**
 * The README's table of owned keys (section "Chart values"), generated from the declarations: one row per chart and
 * key, with the typed key to use instead. A test fails when the README's copy differs from this.
 */
export function ownedValuesMarkdown(): string {
    const rows = (Object.keys(OWNED_VALUES) as ValuesChart[]).flatMap((chart) =>
        OWNED_VALUES[chart].keys.map((key) => {
            const path = typeof key.path === "string" ? key.path : key.path.join(".");
            const where = chart === "vcluster" ? "clusters[i].vclusters[j]." : "clusters[i].";
            const [typed, ...why] = key.use.split(" ");
            return `| ${chart} | \`${path}\` | \`${where}${typed}\`${why.length > 0 ? ` ${why.join(" ")}` : ""} |`;
        }),
    );
    return ["| chart | owned values key (and everything below it) | set instead |", "| --- | --- | --- |", ...rows].join("\n");
}
