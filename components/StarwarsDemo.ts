/**
 * The tenant demo of seed 000 (components/starwars-demo.ts): the Star Wars app inside one vCluster, created through
 * a Kubernetes provider on that vCluster's own kubeconfig — the tenant's view, as a tenant would deploy it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { starwarsObjects } from "./starwars-demo";
import { COMPONENT_TYPES } from "./identity";

/** Arguments of a tenant's demo. */
export interface StarwarsDemoArgs {
    /** Secret: the vCluster's kubeconfig (VCluster.kubeconfig); its server must answer from here (NodePort or LoadBalancer). */
    readonly kubeconfig: pulumi.Input<string>;
    /** The vCluster, whose kubeconfig must exist before the provider can use it. */
    readonly vcluster: pulumi.Resource;
}

/** The deathstar Deployment and Service and the tiefighter and xwing Pods in the tenant's `default` namespace. */
export class StarwarsDemo extends pulumi.ComponentResource {
    /** What the verify step waits for. */
    public readonly readyAfter: pulumi.Resource[];

    constructor(name: string, args: StarwarsDemoArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(COMPONENT_TYPES.StarwarsDemo, name, {}, opts);
        // Explicit, never the ambient kubeconfig: the tenant's own API.
        const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: pulumi.secret(args.kubeconfig) }, { parent: this, dependsOn: [args.vcluster] });
        const child = { parent: this, provider };
        const objects = starwarsObjects();
        const service = new k8s.core.v1.Service(`${name}-deathstar-service`, { metadata: objects.deathstarService.metadata, spec: objects.deathstarService.spec }, child);
        const deathstar = new k8s.apps.v1.Deployment(
            `${name}-deathstar`,
            { metadata: objects.deathstar.metadata, spec: objects.deathstar.spec as unknown as k8s.types.input.apps.v1.DeploymentSpec },
            child,
        );
        const ship = (object: "tiefighter" | "xwing") =>
            new k8s.core.v1.Pod(`${name}-${object}`, { metadata: objects[object].metadata, spec: objects[object].spec as unknown as k8s.types.input.core.v1.PodSpec }, child);
        this.readyAfter = [service, deathstar, ship("tiefighter"), ship("xwing")];
        this.registerOutputs({});
    }
}
