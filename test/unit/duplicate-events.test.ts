/**
 * The checker behind "no event is ever emitted twice" in the chaos runs (test/support/sync-flow.ts):
 * it must catch a repeat, and must not call a new episode a repeat. Events are sent at most once,
 * so a kill can lose a LOGIN_REPAIRED; the login the chaos run breaks next is then announced again,
 * and that is news, not a duplicate.
 */
import * as assert from "assert";
import { duplicateEvents, type EventReport } from "../support/sync-flow";
import type { MessageSink } from "../support/nodered";

function health(code: string, at: number, syncId = `s${at}`): { body: Partial<EventReport>; receivedAt: number } {
  return { body: { topic: `plaid/First Platypus Bank/item/${code}`, kind: code, syncId }, receivedAt: at };
}

function txn(id: string, amount: number, at: number): { body: Partial<EventReport>; receivedAt: number } {
  return { body: { topic: "plaid/First Platypus Bank/Checking/added", kind: "added", syncId: `s${at}`, id, account_id: "a", amount, date: "2026-12-01", pending: false, name: "Coffee" }, receivedAt: at };
}

function sinkOf(events: Array<{ body: Partial<EventReport>; receivedAt: number }>): MessageSink {
  const messages = events.map((e) => ({ path: "/events", body: e.body, receivedAt: e.receivedAt }));
  return { on: (p: string) => messages.filter((m) => m.path === p) } as unknown as MessageSink;
}

describe("duplicateEvents (the chaos runs' check that no event is emitted twice)", () => {
  it("the same transaction change twice is a duplicate; a change of amount is not", () => {
    assert.deepStrictEqual(duplicateEvents(sinkOf([txn("t1", 5, 1), txn("t1", 6, 2)])), []);
    const d = duplicateEvents(sinkOf([txn("t1", 5, 1), txn("t1", 5, 2)]));
    assert.strictEqual(d.length, 1);
    assert.strictEqual(d[0].count, 2);
  });

  it("ITEM_LOGIN_REQUIRED twice in a row is a duplicate; with LOGIN_REPAIRED between, two episodes", () => {
    assert.strictEqual(duplicateEvents(sinkOf([health("ITEM_LOGIN_REQUIRED", 1), health("ITEM_LOGIN_REQUIRED", 2)])).length, 1);
    assert.deepStrictEqual(duplicateEvents(sinkOf([health("ITEM_LOGIN_REQUIRED", 1), health("LOGIN_REPAIRED", 2), health("ITEM_LOGIN_REQUIRED", 3)])), []);
  });

  it("a login broken again by the test (a new epoch) starts a new episode, even when the repair between was lost", () => {
    const events = [health("ITEM_LOGIN_REQUIRED", 10), health("ITEM_LOGIN_REQUIRED", 30)];
    assert.deepStrictEqual(duplicateEvents(sinkOf(events), { healthEpochs: [5, 20] }), []);
    // Both within the epoch that began at 5: the same announcement twice.
    assert.strictEqual(duplicateEvents(sinkOf(events), { healthEpochs: [5] }).length, 1);
  });

  it("NEW_ACCOUNTS_AVAILABLE runs on its own: it does not end a login episode", () => {
    const d = duplicateEvents(sinkOf([health("ITEM_LOGIN_REQUIRED", 1), health("NEW_ACCOUNTS_AVAILABLE", 2), health("ITEM_LOGIN_REQUIRED", 3)]));
    assert.strictEqual(d.length, 1);
    assert.match(d[0].key, /ITEM_LOGIN_REQUIRED/);
  });
});
