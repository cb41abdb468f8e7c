import { strict as assert } from "node:assert";
import { deepMerge, isPlainObject, sortKeysDeep } from "../../lib/values-util";

describe("sortKeysDeep", () => {
    it("sorts object keys at every level and keeps array order", () => {
        const sorted = sortKeysDeep({ b: 1, a: { z: [3, 1, 2], y: [{ d: 1, c: 2 }] } });
        assert.equal(JSON.stringify(sorted), '{"a":{"y":[{"c":2,"d":1}],"z":[3,1,2]},"b":1}');
    });

    it("returns a copy and leaves its input alone", () => {
        const input = { b: { d: 1, c: 2 }, a: [1] };
        const sorted = sortKeysDeep(input);
        assert.notEqual(sorted.b, input.b);
        assert.notEqual(sorted.a, input.a);
        assert.deepEqual(Object.keys(input), ["b", "a"]);
        assert.deepEqual(Object.keys(input.b), ["d", "c"]);
    });

    it("passes scalars, null and class instances through", () => {
        class Opaque {
            constructor(readonly z = 1, readonly a = 2) {}
        }
        const opaque = new Opaque();
        assert.equal(sortKeysDeep(opaque), opaque);
        assert.equal(sortKeysDeep(null), null);
        assert.equal(sortKeysDeep("x"), "x");
        assert.deepEqual(sortKeysDeep({ b: opaque, a: null }), { a: null, b: opaque });
    });

    it("serialises differently ordered but equal inputs identically", () => {
        assert.equal(JSON.stringify(sortKeysDeep({ x: 1, y: { q: 1, p: 2 } })), JSON.stringify(sortKeysDeep({ y: { p: 2, q: 1 }, x: 1 })));
    });
});

describe("deepMerge", () => {
    it("merges plain objects recursively", () => {
        const merged = deepMerge({ cluster: { name: "dev", id: 1 }, hubble: { relay: { enabled: true } } }, { cluster: { id: 2 }, clustermesh: { useAPIServer: true } });
        assert.deepEqual(merged, { cluster: { name: "dev", id: 2 }, hubble: { relay: { enabled: true } }, clustermesh: { useAPIServer: true } });
    });

    it("replaces arrays and scalars instead of merging them", () => {
        const merged = deepMerge({ list: [1, 2, 3], mode: "a", obj: { x: 1 } }, { list: [9], mode: "b", obj: "scalar" });
        assert.deepEqual(merged, { list: [9], mode: "b", obj: "scalar" });
        assert.deepEqual(deepMerge({ obj: "scalar" }, { obj: { x: 1 } }), { obj: { x: 1 } });
    });

    it("ignores undefined overrides and lets null replace", () => {
        assert.deepEqual(deepMerge({ a: 1, b: 2 }, { a: undefined, b: null }), { a: 1, b: null });
    });

    it("never mutates its inputs and shares nothing with them", () => {
        const base = { a: { b: [1, { c: 1 }] }, keep: { k: 1 } };
        const override = { a: { d: { e: 1 } } };
        const baseCopy = JSON.parse(JSON.stringify(base));
        const overrideCopy = JSON.parse(JSON.stringify(override));
        const merged = deepMerge(base, override) as { a: { b: unknown[]; d: { e: number } }; keep: { k: number } };
        assert.deepEqual(base, baseCopy);
        assert.deepEqual(override, overrideCopy);

        merged.a.b.push(2);
        merged.a.d.e = 2;
        merged.keep.k = 2;
        assert.deepEqual(base, baseCopy);
        assert.deepEqual(override, overrideCopy);
    });
});

describe("isPlainObject", () => {
    it("accepts object literals only", () => {
        assert.equal(isPlainObject({}), true);
        assert.equal(isPlainObject(Object.create(null)), true);
        assert.equal(isPlainObject([]), false);
        assert.equal(isPlainObject(null), false);
        assert.equal(isPlainObject(new Date()), false);
        assert.equal(isPlainObject("x"), false);
    });
});
