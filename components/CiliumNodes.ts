/**
 * Marks nodes someone else manages as Cilium nodes — opt-in, one node at a time, reverted on destroy: each listed
 * node gets the agents' nodeSelector labels and, when the agents' tolerations name taints, those taints.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as command from "@pulumi/command";
import { ADD_TAINTS_MAX_SECONDS, addTaintsScript, NodeTaint, removeTaintsMaxSeconds, removeTaintsScript } from "./cilium-nodes";
import { commandTimeout } from "../lib/shell";
import { VERIFY_KUBECONFIG_ENV } from "./cilium-verify-script";
import { COMPONENT_TYPES } from "./identity";

/** Arguments of the Cilium node marking. */
export interface CiliumNodesArgs {
    /** Provider of the cluster; never the ambient kubeconfig. */
    readonly provider: k8s.Provider;
    /** Cluster name: part of the field manager, so two stacks marking one node do not share ownership. */
    readonly clusterName: string;
    /** Names of the nodes to mark (Node objects that must exist). */
    readonly nodes: readonly string[];
    /** Labels to set on each node: the agents' nodeSelector. */
    readonly labels: Readonly<Record<string, string>>;
    /** Taints to add to each node. @default - none: nodes are only labelled */
    readonly taints?: readonly NodeTaint[];
    /** Secret: admin kubeconfig for `kubectl taint`. @default - none; required when taints is not empty */
    readonly kubeconfig?: pulumi.Input<string>;
}

/** Labels (server-side apply NodePatch) and taints (kubectl) on the listed nodes, removed again on destroy. */
export class CiliumNodes extends pulumi.ComponentResource {
    /** Every child, for the Cilium release to wait on: the agents may only be scheduled once the nodes are marked. */
    public readonly resources: pulumi.Resource[];
    /** The field manager owning the labels. */
    public readonly fieldManager: string;

    constructor(name: string, args: CiliumNodesArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.CiliumNodes, name, {}, opts);
        const provider = args.provider;
        const taints = args.taints ?? [];
        const problems: string[] = [];
        if (args.nodes.length === 0) problems.push("nodes is empty: create the component only for listed nodes");
        if (new Set(args.nodes).size !== args.nodes.length) problems.push("nodes lists a node twice");
        if (Object.keys(args.labels).length === 0) problems.push("labels is empty: the agents' nodeSelector would not select the nodes");
        if (taints.length > 0 && args.kubeconfig === undefined) problems.push("taints need the kubeconfig (kubectl taint)");
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`CiliumNodes ${name}: ${problems.join("; ")}`, this);
        }
        this.fieldManager = `kubeloom-cilium-nodes-${args.clusterName}`;
        this.resources = [];

        for (const node of args.nodes) {
            // Labels: server-side apply with our own field manager. metadata.labels is a granular map, so the manager
            // owns only these keys; deleting the patch releases them and the API server removes the labels nobody
            // else owns ("Deleting a Patch resource will undo the patched changes", pulumi-kubernetes guide
            // "Managing Resources with Server-Side Apply"). A label someone already set to the same value stays
            // theirs too and survives. No pulumi.com/patchForce: if another manager holds a label with a different
            // value, the apply fails with a conflict instead of taking it over — taking it would make destroy delete
            // that manager's label, which is not reversible.
            this.resources.push(
                new k8s.core.v1.NodePatch(
                    `${name}-${node}`,
                    {
                        metadata: {
                            name: node,
                            labels: { ...args.labels },
                            annotations: { "pulumi.com/patchFieldManager": this.fieldManager },
                        },
                    },
                    { parent: this, provider },
                ),
            );
            if (taints.length > 0) {
                // Taints: not a NodePatch. spec.taints has no list-map keys, so server-side apply treats it as an
                // atomic list: a patch would have to own (and replace) every taint of the node, and deleting it would
                // wipe taints other controllers set. kubectl taint adds and removes single entries instead.
                const create = addTaintsScript(node, taints);
                this.resources.push(
                    new command.local.Command(
                        `${name}-${node}-taints`,
                        {
                            create,
                            delete: removeTaintsScript(node, taints),
                            interpreter: ["/bin/sh", "-c"],
                            environment: { [VERIFY_KUBECONFIG_ENV]: pulumi.secret(args.kubeconfig!) },
                            // A changed taint list replaces the command: the old taints go before the new ones are set,
                            // so a taint kept in both lists is not removed after being re-added.
                            triggers: [sha256(create)],
                        },
                        // Each kubectl request is bounded by KUBELOOM_KUBECTL_TIMEOUT (60 s by default): one to add, one per taint to remove.
                        {
                            parent: this,
                            deleteBeforeReplace: true,
                            customTimeouts: { create: commandTimeout(ADD_TAINTS_MAX_SECONDS), delete: commandTimeout(removeTaintsMaxSeconds(taints.length)) },
                        },
                    ),
                );
            }
        }
        this.registerOutputs({ fieldManager: this.fieldManager });
    }
}

function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}
