/**
 * The pieces of Hosted Link that need no Plaid: when to poll, what a /link/token/get answer
 * means, the request we send, and sessions kept across a restart.
 */
import * as assert from "assert";
import { readHostedOutcome } from "../../src/link/hosted-result";
import { linkTokenRequest, MAX_HOSTED_LIFETIME_SECONDS } from "../../src/link/link-token";
import { PollSchedule, type PollResult } from "../../src/link/poll-schedule";
import { ENDED_RETENTION_MS, SessionStore, type LinkSession } from "../../src/link/sessions";

/** A manual clock and timer queue: the schedule's decisions, without waiting for them. */
function fakeTime() {
  let now = 1_000_000;
  const timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let seq = 0;
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn, id: ++seq };
      timers.push(t);
      return t.id;
    },
    clearTimer: (id: unknown) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    /** Runs the next timer (advancing the clock to it); returns the delay it had, or null. */
    async next(): Promise<number | null> {
      timers.sort((a, b) => a.at - b.at);
      const t = timers.shift();
      if (!t) return null;
      const delay = t.at - now;
      now = t.at;
      t.fn();
      for (let i = 0; i < 5; i++) await Promise.resolve();
      return delay;
    },
    advance(ms: number) {
      now += ms;
    },
    pending: () => timers.length,
  };
}

describe("link: Hosted Link poll schedule", () => {
  it("polls fast while watched, slowly otherwise, never past expiry; the last poll is at the expiry", async () => {
    const time = fakeTime();
    const polls: number[] = [];
    const expiresAt = time.now() + 150_000;
    // Like the service: the look at the expiry is the last one.
    const schedule = new PollSchedule({ ...time, poll: async () => (polls.push(time.now()), (time.now() >= expiresAt ? "done" : "again") as PollResult) });
    schedule.watch("s1", expiresAt, true);
    const delays: number[] = [];
    let d: number | null;
    while ((d = await time.next()) !== null) delays.push(d);
    // Watched for 10 s after the watch: fast polls, then the slow pace, the last one cut to land on the expiry.
    assert.deepStrictEqual(delays, [2000, 2000, 2000, 2000, 2000, 60_000, 60_000, 20_000]);
    assert.strictEqual(polls.at(-1), expiresAt);
    assert.ok(polls.every((t) => t <= expiresAt));
    assert.strictEqual(time.pending(), 0, "nothing is planned after the look at the expiry");
  });

  it("a status request brings the fast pace back at once", async () => {
    const time = fakeTime();
    const schedule = new PollSchedule({ ...time, poll: async () => "again" });
    schedule.watch("s1", time.now() + 3_600_000);
    assert.strictEqual(await time.next(), 10_000, "not watched: first look after 10 s");
    assert.strictEqual(await time.next(), 60_000);
    time.advance(5000);
    schedule.touch("s1");
    assert.strictEqual(await time.next(), 2000, "touched: the next poll within 2 s");
    assert.strictEqual(await time.next(), 2000);
  });

  it("backs off on failures (429, network) up to 5 minutes, and recovers its pace after a success", async () => {
    const time = fakeTime();
    let fail = 6;
    const errors: unknown[] = [];
    const schedule = new PollSchedule({
      ...time,
      poll: async () => {
        if (fail-- > 0) throw Object.assign(new Error("rate limited"), { status: 429 });
        return "again";
      },
      onError: (_id, e) => errors.push(e),
    });
    schedule.watch("s1", time.now() + 86_400_000);
    await time.next();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) delays.push((await time.next())!);
    // Each failure doubles the pace it failed at (60 s here), up to 5 minutes; a success resets it.
    assert.deepStrictEqual(delays, [120_000, 240_000, 300_000, 300_000, 300_000, 300_000, 60_000]);
    assert.strictEqual(errors.length, 6);
  });

  it("a failed last poll after the expiry is retried with backoff, never in a tight loop", async () => {
    const time = fakeTime();
    let n = 0;
    const schedule = new PollSchedule({
      ...time,
      poll: async () => {
        n++;
        if (n < 4) throw new Error("ECONNREFUSED");
        return "done";
      },
    });
    schedule.watch("s1", time.now() - 1000);
    const delays: number[] = [];
    let d: number | null;
    while ((d = await time.next()) !== null) delays.push(d);
    assert.strictEqual(n, 4);
    assert.ok(delays.slice(1).every((x) => x >= 2000), delays.join());
    assert.strictEqual(schedule.size, 0);
  });

  it("stop and done forget the session; nothing is scheduled while nothing is open", async () => {
    const time = fakeTime();
    const schedule = new PollSchedule({ ...time, poll: async () => "done" });
    schedule.watch("a", time.now() + 60_000);
    schedule.watch("b", time.now() + 60_000);
    schedule.stop("b");
    await time.next();
    assert.strictEqual(schedule.size, 0);
    assert.strictEqual(time.pending(), 0);
  });
});

describe("link: reading /link/token/get", () => {
  const success = (token: string, finished = "2026-01-01T00:01:00Z") => ({
    link_session_id: `ls-${token}`,
    started_at: "2026-01-01T00:00:00Z",
    finished_at: finished,
    results: {
      item_add_results: [
        { public_token: token, institution: { name: "First Platypus Bank", institution_id: "ins_109508" }, accounts: [{ id: "a1", name: "Plaid Checking", mask: "0000", type: "depository", subtype: "checking" }] },
      ],
    },
  });
  const exit = (finished: string, error: Record<string, unknown> | null = null) => ({
    link_session_id: `ls-x-${finished}`,
    started_at: "2026-01-01T00:00:00Z",
    finished_at: finished,
    exit: { error, metadata: { status: "requires_credentials" } },
  });

  it("no session yet, or one still open: pending", () => {
    assert.deepStrictEqual(readHostedOutcome({}, "add"), { state: "pending" });
    assert.deepStrictEqual(readHostedOutcome({ link_sessions: [{ link_session_id: "a", started_at: "2026-01-01T00:00:00Z", finished_at: null }] } as never, "add"), { state: "pending" });
  });

  it("a linked bank wins over an earlier exit, and every public token is reported", () => {
    const out = readHostedOutcome({ link_sessions: [exit("2026-01-01T00:00:30Z"), success("public-1"), success("public-2")] } as never, "add");
    assert.strictEqual(out.state, "success");
    if (out.state !== "success") return;
    assert.deepStrictEqual(out.publicTokens, ["public-1", "public-2"]);
    assert.deepStrictEqual(out.institution, { institution_id: "ins_109508", name: "First Platypus Bank" });
    assert.deepStrictEqual(out.accounts, [{ account_id: "a1", name: "Plaid Checking", mask: "0000", type: "depository", subtype: "checking" }]);
  });

  it("legacy on_success is read too", () => {
    const out = readHostedOutcome({ link_sessions: [{ link_session_id: "x", finished_at: "2026-01-01T00:00:00Z", on_success: { public_token: "public-legacy", metadata: {} } }] } as never, "add");
    assert.ok(out.state === "success" && out.publicTokens[0] === "public-legacy");
  });

  it("an exit is reported with Plaid's text; a new visit after it is pending again", () => {
    const err = { error_code: "INVALID_CREDENTIALS", error_message: "the provided credentials were not correct", display_message: "The credentials were not correct." };
    assert.deepStrictEqual(readHostedOutcome({ link_sessions: [exit("2026-01-01T00:02:00Z", err)] } as never, "add"), {
      state: "exited",
      message: "The credentials were not correct.",
      code: "INVALID_CREDENTIALS",
    });
    const retry = { link_session_id: "again", started_at: "2026-01-01T00:03:00Z", finished_at: null };
    assert.deepStrictEqual(readHostedOutcome({ link_sessions: [exit("2026-01-01T00:02:00Z", err), retry] } as never, "add"), { state: "pending" });
  });

  it("update mode: a visit finished without an exit is a repaired login even without a public token", () => {
    const out = readHostedOutcome({ link_sessions: [{ link_session_id: "u", started_at: "2026-01-01T00:00:00Z", finished_at: "2026-01-01T00:01:00Z" }] } as never, "update");
    assert.strictEqual(out.state, "success");
    assert.strictEqual(readHostedOutcome({ link_sessions: [exit("2026-01-01T00:01:00Z")] } as never, "update").state, "exited");
  });
});

describe("link: the /link/token/create request", () => {
  const config = { clientName: "Node-RED", language: "en", countryCodes: ["US", "CA"], daysRequested: 365 };

  it("hosted add: transactions, history, hosted_link with the lifetime, no redirect_uri", () => {
    const r = linkTokenRequest(config, { linkId: "l1", mode: "add", hostedLifetimeSeconds: 1800, redirectUri: "https://x.example/oauth" });
    assert.deepStrictEqual(r.products, ["transactions"]);
    assert.deepStrictEqual(r.transactions, { days_requested: 365 });
    assert.deepStrictEqual(r.hosted_link, { url_lifetime_seconds: 1800 });
    assert.strictEqual(r.redirect_uri, undefined, "Plaid handles OAuth itself in Hosted Link");
    assert.deepStrictEqual(r.country_codes, ["US", "CA"]);
    assert.strictEqual(r.user?.client_user_id, "node-red-l1");
  });

  it("update mode: the access token, no products; embedded keeps the redirect URI", () => {
    const r = linkTokenRequest(config, { linkId: "l1", mode: "update", accessToken: "access-x", redirectUri: "https://x.example/oauth" });
    assert.strictEqual(r.access_token, "access-x");
    assert.strictEqual(r.products, undefined);
    assert.strictEqual(r.hosted_link, undefined);
    assert.strictEqual(r.redirect_uri, "https://x.example/oauth");
    assert.strictEqual(MAX_HOSTED_LIFETIME_SECONDS, 21 * 86400);
    assert.strictEqual(r.update, undefined, "no account selection when only logging in again");
  });

  it("\"Add new accounts\": update mode with account selection, in both link modes", () => {
    for (const extra of [{ hostedLifetimeSeconds: 1800 }, { redirectUri: "https://x.example/oauth" }]) {
      const r = linkTokenRequest(config, { linkId: "l1", mode: "accounts", accessToken: "access-x", ...extra });
      assert.strictEqual(r.access_token, "access-x");
      assert.strictEqual(r.products, undefined);
      assert.deepStrictEqual(r.update, { account_selection_enabled: true });
    }
  });
});

describe("link: sessions across a restart", () => {
  function memory() {
    let saved: LinkSession[] = [];
    let saves = 0;
    return {
      persistence: {
        load: () => JSON.parse(JSON.stringify(saved)) as LinkSession[],
        save: (list: LinkSession[]) => {
          saved = JSON.parse(JSON.stringify(list)) as LinkSession[];
          saves++;
        },
      },
      saves: () => saves,
      saved: () => saved,
    };
  }

  it("an open hosted session, its status and result come back after a restart", () => {
    const m = memory();
    let now = 5_000_000;
    const a = new SessionStore({ persistence: m.persistence, now: () => now });
    const s = a.create({ linkId: "l1", configId: "c1", mode: "add", linkToken: "link-1", kind: "hosted", hostedUrl: "https://secure.plaid.example/hl/x", expiresAt: now + 86_400_000 });
    const b = new SessionStore({ persistence: m.persistence, now: () => now });
    assert.strictEqual(b.get(s.id)?.hostedUrl, "https://secure.plaid.example/hl/x");
    assert.deepStrictEqual(b.live().map((x) => x.id), [s.id]);
    b.update(s.id, { status: "linked", result: { itemId: "item-1", institutionId: "ins_1", institutionName: "B", accounts: [] } });
    const c = new SessionStore({ persistence: m.persistence, now: () => now });
    assert.strictEqual(c.find(s.id)?.status, "linked");
    assert.strictEqual(c.get(s.id), null, "an ended session is no longer open");
    now += ENDED_RETENTION_MS;
    assert.strictEqual(c.find(s.id), null, "forgotten after the retention");
    assert.deepStrictEqual(m.saved(), []);
  });

  it("a hosted session is not expired by the clock alone (its watcher takes a last look at Plaid); an embedded one is", () => {
    let now = 0;
    const store = new SessionStore({ now: () => now, ttlMs: 1000 });
    const e = store.create({ linkId: "l1", configId: "c1", mode: "add", linkToken: "t" });
    const h = store.create({ linkId: "l2", configId: "c1", mode: "add", linkToken: "t", kind: "hosted", hostedUrl: "u", expiresAt: 1000 });
    now = 1000;
    assert.strictEqual(store.find(e.id)?.status, "expired");
    assert.strictEqual(store.find(h.id)?.status, "open");
    assert.strictEqual(store.claim(h.id), null, "a hosted session has nothing to complete through the page");
  });
});
