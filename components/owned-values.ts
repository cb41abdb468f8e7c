/**
 * The owned keys of each chart Kubeloom installs, gathered from the builders that declare them (each declaration
 * sits beside the code that writes the keys): Cilium's base values, its mesh and L2-announcement fragments, the
 * vCluster values and what the MetalLB install relies on.
 */
import { mergeOwnedValues, OwnedValues } from "../lib/chart-values";
import { CILIUM_OWNED_VALUES } from "./cilium-values";
import { L2_ANNOUNCEMENT_OWNED_VALUES } from "./cilium-lbipam";
import { MESH_OWNED_VALUES } from "./mesh-plan";
import { METALLB_OWNED_VALUES } from "./metallb-resources";
import { VCLUSTER_OWNED_VALUES } from "./vcluster-values";

/** The charts whose values a user may extend. */
export type ValuesChart = "cilium" | "vcluster" | "metallb";

/** Every owned key of each chart. */
export const OWNED_VALUES: Readonly<Record<ValuesChart, OwnedValues>> = {
    cilium: mergeOwnedValues("cilium", [CILIUM_OWNED_VALUES, MESH_OWNED_VALUES, L2_ANNOUNCEMENT_OWNED_VALUES]),
    vcluster: mergeOwnedValues("vcluster", [VCLUSTER_OWNED_VALUES]),
    metallb: mergeOwnedValues("metallb", [METALLB_OWNED_VALUES]),
};
