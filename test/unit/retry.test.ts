import * as assert from "assert";
import { CleanError } from "../../src/plaid/errors";
import { backoffDelay, withRetry } from "../../src/plaid/retry";

function axiosLike(status: number, data: Record<string, unknown>): Error {
  // What the official client rejects with: note the secret in config.headers.
  return Object.assign(new Error(`Request failed with status code ${status}`), {
    isAxiosError: true,
    config: { headers: { "PLAID-SECRET": "super-secret-value" } },
    response: { status, data },
  });
}

const rateLimit = () => axiosLike(429, { error_type: "RATE_LIMIT_EXCEEDED", error_code: "TRANSACTIONS_SYNC_LIMIT", error_message: "rate limit exceeded", display_message: null, request_id: "r1" });
const serverError = () => axiosLike(500, { error_type: "API_ERROR", error_code: "INTERNAL_SERVER_ERROR", error_message: "an unexpected error occurred", display_message: null, request_id: "r2" });
const loginRequired = () => axiosLike(400, { error_type: "ITEM_ERROR", error_code: "ITEM_LOGIN_REQUIRED", error_message: "login required", display_message: null, request_id: "r3" });

describe("retry: withRetry", () => {
  it("retries 429, 5xx and network errors with growing, jittered delays, then succeeds", async () => {
    const delays: number[] = [];
    const errors = [rateLimit(), serverError(), Object.assign(new Error("socket hang up"), { code: "ECONNRESET", isAxiosError: true })];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        const e = errors.shift();
        if (e) throw e;
        return "ok";
      },
      { sleep: async (ms) => void delays.push(ms), random: () => 0.5, baseDelayMs: 100, maxDelayMs: 10_000 },
    );
    assert.strictEqual(result, "ok");
    assert.strictEqual(calls, 4);
    assert.deepStrictEqual(delays, [75, 150, 300]); // step/2 + step/2 * 0.5 for steps 100, 200, 400
  });

  it("gives up after the bounded number of retries with a clean error (no secret, no axios config)", async () => {
    let calls = 0;
    const sleeps: number[] = [];
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw rateLimit();
        },
        { retries: 3, sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
      ),
      (err: unknown) => {
        assert.ok(err instanceof CleanError);
        assert.strictEqual(err.plaid.code, "TRANSACTIONS_SYNC_LIMIT");
        assert.strictEqual(err.plaid.type, "RATE_LIMIT_EXCEEDED");
        assert.match(err.message, /gave up after 4 attempts/);
        assert.ok(!JSON.stringify({ ...err, plaid: err.plaid, message: err.message, stack: err.stack }).includes("super-secret-value"));
        assert.strictEqual((err as unknown as { config?: unknown }).config, undefined);
        return true;
      },
    );
    assert.strictEqual(calls, 4);
    assert.strictEqual(sleeps.length, 3);
  });

  it("does not retry errors that need a person (ITEM_LOGIN_REQUIRED)", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw loginRequired();
      }, { sleep: async () => undefined }),
      (err: CleanError) => err.plaid.code === "ITEM_LOGIN_REQUIRED",
    );
    assert.strictEqual(calls, 1);
  });

  it("stops waiting when aborted", async () => {
    const ac = new AbortController();
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw serverError();
        },
        { signal: ac.signal, sleep: async () => ac.abort() },
      ),
      (err: CleanError) => err.plaid.code === "SYNC_ABORTED",
    );
    assert.strictEqual(calls, 1);
  });

  it("backoff is exponential, capped, and jitter stays within [step/2, step]", () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const step = Math.min(30_000, 1000 * 2 ** (attempt - 1));
      assert.strictEqual(backoffDelay(attempt, () => 0), step / 2);
      assert.strictEqual(backoffDelay(attempt, () => 0.999999), Math.round(step / 2 + (step / 2) * 0.999999));
    }
    assert.strictEqual(backoffDelay(20, () => 1), 30_000);
  });
});
