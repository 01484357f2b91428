/**
 * A new plaid-transactions node gets its Batch size from the editor's defaults, a flow without
 * the property from the runtime's fallback, and most users start from an example: all three must
 * say the same, or a user who drags a node in and one who imports an example get different
 * memory peaks on their first sync.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_BATCH_SIZE } from "../../src/sync/parts";
import { exampleFlows, exampleText } from "../../scripts/demo/make-examples";

const ROOT = path.join(__dirname, "..", "..");

describe("Batch size default", () => {
  it("the editor's default is DEFAULT_BATCH_SIZE", () => {
    const html = fs.readFileSync(path.join(ROOT, "nodes", "plaid-transactions.html"), "utf8");
    const m = /batchSize:\s*\{\s*value:\s*(\d+)/.exec(html);
    assert.ok(m, "batchSize default in plaid-transactions.html");
    assert.strictEqual(Number(m[1]), DEFAULT_BATCH_SIZE);
  });

  it("every example uses DEFAULT_BATCH_SIZE", () => {
    const dir = path.join(ROOT, "examples");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));
    assert.ok(files.length > 0);
    for (const f of files) {
      const nodes = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Array<{ type: string; batchSize?: unknown }>;
      const tx = nodes.filter((n) => n.type === "plaid-transactions");
      assert.ok(tx.length > 0, `${f} has a plaid-transactions node`);
      for (const n of tx) assert.strictEqual(n.batchSize, DEFAULT_BATCH_SIZE, f);
    }
  });
});

describe("examples", () => {
  it("are exactly what scripts/demo/make-examples.ts writes (edit them there), one file each", () => {
    const dir = path.join(ROOT, "examples");
    const made = exampleFlows();
    assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort(), Object.keys(made).sort());
    for (const [name, flow] of Object.entries(made)) assert.strictEqual(fs.readFileSync(path.join(dir, name), "utf8"), exampleText(flow), name);
  });
});
