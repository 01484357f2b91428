/**
 * The worker reads the next cursor of a /transactions/sync answer from Plaid's bytes
 * (src/plaid/next-cursor.ts) to read the next page ahead. It must agree with JSON.parse on every
 * answer, and never take a field of the same name that is not the answer's own.
 */
import * as assert from "assert";
import { nextCursorOf } from "../../src/plaid/next-cursor";
import { linkSandboxItem, simulatorSuite, volumeUserPassword } from "../support/simulator";

const bytes = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));

describe("next cursor read from a page's bytes", function () {
  this.timeout(20_000);
  const suite = simulatorSuite();

  it("agrees with JSON.parse on every page of a real sync, the last one (no more pages) included", async () => {
    const { accessToken } = await linkSandboxItem(suite.client, { username: "user_custom", password: volumeUserPassword(1300, 5) });
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const res = await suite.client.transactionsSync({ access_token: accessToken, count: 500, ...(cursor ? { cursor } : {}) }, { responseType: "arraybuffer", transformResponse: [(d: unknown) => d] });
      const raw = Buffer.from(res.data as unknown as ArrayBuffer);
      const page = JSON.parse(raw.toString("utf8")) as { has_more: boolean; next_cursor: string };
      assert.strictEqual(nextCursorOf(raw), page.has_more ? page.next_cursor : null);
      pages++;
      if (!page.has_more) break;
      cursor = page.next_cursor;
    }
    assert.strictEqual(pages, 3);
  });

  it("reads only the top level, whatever the order, spacing and escapes", () => {
    assert.strictEqual(nextCursorOf(bytes({ has_more: true, next_cursor: "c1" })), "c1");
    assert.strictEqual(nextCursorOf(bytes({ next_cursor: "c1", has_more: true })), "c1");
    assert.strictEqual(nextCursorOf(bytes('{ "added" : [ ] ,\n "next_cursor"\t:\r\n "c\\"2\\\\" , "has_more" : true }')), 'c"2\\');
    assert.strictEqual(nextCursorOf(bytes({ next_cursor: "c\u00e9\u2019", has_more: true })), "c\u00e9\u2019");
    // A nested field of the same name is not the answer's.
    assert.strictEqual(nextCursorOf(bytes({ added: [{ next_cursor: "inner", has_more: true }], has_more: false, next_cursor: "outer" })), null);
    assert.strictEqual(nextCursorOf(bytes({ added: [{ next_cursor: "inner" }], has_more: true })), null);
    assert.strictEqual(nextCursorOf(bytes({ meta: { has_more: true }, next_cursor: "outer" })), null);
    // The same text inside a string value is text, not a field.
    assert.strictEqual(nextCursorOf(bytes({ name: '"next_cursor":"fake","has_more":true', has_more: false, next_cursor: "real" })), null);
    assert.strictEqual(nextCursorOf(bytes({ name: 'x\\", "has_more": true, "y', next_cursor: "real" })), null);
  });

  it("no cursor from an answer without more pages, with an empty cursor, or that is not a JSON object", () => {
    for (const v of [
      { has_more: false, next_cursor: "c" },
      { has_more: true, next_cursor: "" },
      { has_more: true, next_cursor: 5 },
      { has_more: "true", next_cursor: "c" },
      { has_more: true },
      ["has_more", true, "next_cursor", "c"],
    ]) {
      assert.strictEqual(nextCursorOf(bytes(v)), null, JSON.stringify(v));
    }
    for (const s of ["", "null", "<html>502</html>", '{"has_more":true,"next_cursor":"c"', '{"has_more":true,"next_cursor":"c', '{"has_more":true,"next_cursor":"\\u12"}']) {
      assert.strictEqual(nextCursorOf(bytes(s)), null, s);
    }
  });
});
