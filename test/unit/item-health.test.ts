/**
 * The Item health rules (src/sync/item-health.ts) on their own: what each source of news turns
 * into, and that a standing problem is announced once, not once per sync.
 */
import * as assert from "assert";
import { EXPIRY_NOTICE_MS, ITEM_CHECK_INTERVAL_MS, ItemHealth } from "../../src/sync/item-health";

const DAY = 86_400_000;
const NOW = Date.parse("2026-12-02T12:00:00Z");
const codes = (cs: Array<{ code: string }>) => cs.map((c) => c.code);

describe("Item health rules", () => {
  it("three failing syncs give one ITEM_LOGIN_REQUIRED; a good sync then gives LOGIN_REPAIRED once", () => {
    const h = new ItemHealth({ itemId: "i" });
    const first = h.syncFailed({ code: "ITEM_LOGIN_REQUIRED" });
    assert.deepStrictEqual(codes(first), ["ITEM_LOGIN_REQUIRED"]);
    assert.match(first[0].message, /log in again/);
    assert.deepStrictEqual(codes(h.syncFailed({ code: "ITEM_LOGIN_REQUIRED" })), []);
    assert.deepStrictEqual(codes(h.syncFailed({ code: "INVALID_MFA" })), [], "still the same episode");
    assert.strictEqual(h.state, "ITEM_LOGIN_REQUIRED");
    assert.deepStrictEqual(codes(h.syncSucceeded()), ["LOGIN_REPAIRED"]);
    assert.deepStrictEqual(codes(h.syncSucceeded()), []);
    assert.strictEqual(h.state, "OK");
  });

  it("other needs-login codes are announced as ITEM_LOGIN_REQUIRED with the real code; other errors are not health news", () => {
    const h = new ItemHealth({ itemId: "i" });
    assert.deepStrictEqual(h.syncFailed({ code: "RATE_LIMIT_EXCEEDED" }), []);
    assert.deepStrictEqual(h.syncFailed({ code: "INTERNAL_SERVER_ERROR" }), []);
    const [c] = h.syncFailed({ code: "ITEM_LOCKED" });
    assert.deepStrictEqual([c.code, c.errorCode], ["ITEM_LOGIN_REQUIRED", "ITEM_LOCKED"]);
  });

  it("a near consent_expiration_time gives PENDING_EXPIRATION once, at least 7 days ahead; a renewal clears it", () => {
    const h = new ItemHealth({ itemId: "i" });
    const far = new Date(NOW + 60 * DAY).toISOString();
    assert.deepStrictEqual(h.itemSeen({ consent_expiration_time: far }, null, NOW, true), [], "two months away: nothing yet");
    const near = new Date(NOW + EXPIRY_NOTICE_MS).toISOString();
    assert.ok(EXPIRY_NOTICE_MS >= 8 * DAY, "a daily check still announces it a week ahead");
    const [c] = h.itemSeen({ consent_expiration_time: near }, null, NOW + DAY, true);
    assert.deepStrictEqual([c.code, c.consentExpirationTime], ["PENDING_EXPIRATION", near]);
    assert.deepStrictEqual(h.itemSeen({ consent_expiration_time: near }, null, NOW + 2 * DAY, true), [], "once");
    assert.strictEqual(h.state, "PENDING_EXPIRATION");
    assert.strictEqual(h.consentExpirationTime, near);
    assert.deepStrictEqual(codes(h.loginRepaired()), ["LOGIN_REPAIRED"]);
    assert.deepStrictEqual(h.itemSeen({ consent_expiration_time: near }, null, NOW + 3 * DAY, true), [], "the same date is not announced again");
    const renewed = new Date(NOW + 365 * DAY).toISOString();
    assert.deepStrictEqual(h.itemSeen({ consent_expiration_time: renewed }, null, NOW + 4 * DAY, true), []);
    assert.strictEqual(h.state, "OK");
  });

  it("last_webhook: NEW_ACCOUNTS_AVAILABLE and PENDING_DISCONNECT once per webhook; LOGIN_REPAIRED clears a disconnect", () => {
    const h = new ItemHealth({ itemId: "i" });
    const hook = (code_sent: string, sent_at: string) => ({ last_webhook: { code_sent, sent_at } });
    assert.deepStrictEqual(codes(h.itemSeen({}, hook("NEW_ACCOUNTS_AVAILABLE", "2026-12-01T10:00:00Z"), NOW, true)), ["NEW_ACCOUNTS_AVAILABLE"]);
    assert.deepStrictEqual(codes(h.itemSeen({}, hook("NEW_ACCOUNTS_AVAILABLE", "2026-12-01T10:00:00Z"), NOW + DAY, true)), []);
    assert.deepStrictEqual(codes(h.itemSeen({}, hook("PENDING_DISCONNECT", "2026-12-03T10:00:00Z"), NOW + 2 * DAY, true)), ["PENDING_DISCONNECT"]);
    assert.strictEqual(h.state, "PENDING_DISCONNECT");
    assert.deepStrictEqual(codes(h.itemSeen({}, hook("LOGIN_REPAIRED", "2026-12-04T10:00:00Z"), NOW + 3 * DAY, true)), ["LOGIN_REPAIRED"]);
    assert.strictEqual(h.state, "OK");
  });

  it("/item/get is due once a day; an Item error seen there counts like a failed sync", () => {
    const h = new ItemHealth({ itemId: "i" });
    assert.ok(h.checkDue(NOW));
    h.itemSeen({ error: { error_code: "ITEM_LOGIN_REQUIRED" } }, null, NOW, true);
    assert.ok(!h.checkDue(NOW + ITEM_CHECK_INTERVAL_MS - 1));
    assert.ok(h.checkDue(NOW + ITEM_CHECK_INTERVAL_MS));
    assert.deepStrictEqual(h.syncFailed({ code: "ITEM_LOGIN_REQUIRED" }), [], "already announced by /item/get");
  });
});
