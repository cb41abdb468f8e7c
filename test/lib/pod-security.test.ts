import { strict as assert } from "node:assert";
import { ENFORCE_LABEL, enforcedLevel, podSecurityLabels, podSecurityStrictness, POD_SECURITY_LEVELS } from "../../lib/pod-security";

describe("lib/pod-security", () => {
    it("labels every mode with its level, pinned to the latest standards", () => {
        assert.deepEqual(podSecurityLabels({ enforce: "baseline", warn: "restricted", audit: "restricted" }), {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": "latest",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/audit-version": "latest",
        });
        assert.equal(ENFORCE_LABEL, "pod-security.kubernetes.io/enforce");
    });

    it("reads the enforced level; an unknown value or no label enforces nothing Kubeloom knows", () => {
        assert.equal(enforcedLevel({ [ENFORCE_LABEL]: "restricted" }), "restricted");
        assert.equal(enforcedLevel({ [ENFORCE_LABEL]: "strict" }), undefined);
        assert.equal(enforcedLevel(undefined), undefined);
    });

    it("orders the levels least to most restrictive", () => {
        assert.deepEqual([...POD_SECURITY_LEVELS].sort((a, b) => podSecurityStrictness(a) - podSecurityStrictness(b)), ["privileged", "baseline", "restricted"]);
        assert.ok(podSecurityStrictness("privileged") < podSecurityStrictness("baseline") && podSecurityStrictness("baseline") < podSecurityStrictness("restricted"));
    });
});
