import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import { HELM_RELEASE_TYPE } from "../../scripts/plan/resource-types";

describe("resource type tokens", () => {
    it("HELM_RELEASE_TYPE is the token @pulumi/kubernetes registers a Helm release under", () => {
        // __pulumiType is the SDK's own (internal) record of the token its constructor registers.
        const token = (k8s.helm.v3.Release as unknown as { __pulumiType: string }).__pulumiType;
        assert.equal(HELM_RELEASE_TYPE, token);
    });
});
