/**
 * The pages of one sync: /transactions/sync from a cursor, `count` 500, until `has_more` is false
 * (DESIGN §6), as an async iterable so the caller turns each page into points as it arrives —
 * memory is bounded by a page, not by the history.
 *
 * - The next page is asked for as soon as a page arrives (its cursor is all that request needs),
 *   while the caller works on this one: Plaid's latency overlaps our work instead of adding to
 *   it. Still one request at a time.
 * - 429 / 5xx / network errors are retried with backoff (withRetry), then fail cleanly.
 * - TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION restarts the whole loop from the first cursor,
 *   as Plaid requires; the caller sees the replayed pages again (points are idempotent, and its
 *   index makes replayed changes non-events).
 */
import type { PersonalFinanceCategoryVersion, PlaidApi, TransactionsSyncResponse } from "plaid";
import { errorOf, toCleanError, type CleanError } from "../plaid/errors";
import { abortedError, backoffDelay, defaultSleep, withRetry, type RetryOptions } from "../plaid/retry";

export const PAGE_SIZE = 500;
export const MUTATION_CODE = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION";

export interface SyncPagesOptions {
  client: Pick<PlaidApi, "transactionsSync">;
  accessToken: string;
  /** "" = from the beginning. */
  startCursor: string;
  pageSize?: number;
  /** options.personal_finance_category_version; absent = the Plaid account's default. */
  categoryVersion?: "v1" | "v2";
  signal: AbortSignal;
  retry?: RetryOptions;
  /** Restarts after a mutation during pagination before giving up. Default 5. */
  maxRestarts?: number;
  onRetry?(error: CleanError, attempt: number, delayMs: number): void;
  log?(message: string): void;
}

export class SyncPages implements AsyncIterable<TransactionsSyncResponse> {
  /** The cursor after the last page read (the one to save); the start cursor until then. */
  cursor: string;
  /** Plaid had no transactions ready yet (an empty next_cursor, no more pages). */
  notReady = false;
  pages = 0;
  restarts = 0;
  retries = 0;

  constructor(private readonly o: SyncPagesOptions) {
    this.cursor = o.startCursor;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TransactionsSyncResponse, void, undefined> {
    const { signal } = this.o;
    for (;;) {
      this.cursor = this.o.startCursor;
      try {
        let prefetched: Promise<TransactionsSyncResponse> | null = null;
        for (;;) {
          if (signal.aborted) throw abortedError();
          const page = await (prefetched ?? this.fetch(this.cursor));
          prefetched = null;
          if (page.has_more && page.next_cursor) {
            // A failure of the next page surfaces when it is awaited, in the next round.
            prefetched = this.fetch(page.next_cursor);
            prefetched.catch(() => undefined);
            // The client builds the request in promise callbacks: let them run (and the request
            // go out) before the caller's synchronous work on this page holds the event loop.
            await new Promise<void>((r) => setImmediate(r));
          }
          this.pages++;
          yield page;
          if (!page.next_cursor && !page.has_more) this.notReady = true;
          this.cursor = page.next_cursor || this.cursor;
          if (!page.has_more) return;
          if (!page.next_cursor) throw errorOf("UNEXPECTED_RESPONSE", "Plaid said has_more without a next_cursor");
        }
      } catch (err) {
        const clean = toCleanError(err);
        if (clean.plaid.code !== MUTATION_CODE || this.restarts >= (this.o.maxRestarts ?? 5) || signal.aborted) throw clean;
        this.restarts++;
        this.o.log?.(`Plaid's data changed during the sync; restarting from the first page (restart ${this.restarts}).`);
        const retry = this.o.retry;
        const delay = backoffDelay(this.restarts, retry?.random ?? Math.random, Math.min(retry?.baseDelayMs ?? 1000, 2000), 10_000);
        await (retry?.sleep ?? defaultSleep)(delay, signal);
        if (signal.aborted) throw abortedError();
      }
    }
  }

  private fetch(cursor: string): Promise<TransactionsSyncResponse> {
    const { client, accessToken, signal } = this.o;
    const count = this.o.pageSize ?? PAGE_SIZE;
    return withRetry(
      async () =>
        (
          await client.transactionsSync(
            {
              access_token: accessToken,
              count,
              ...(cursor ? { cursor } : {}),
              ...(this.o.categoryVersion ? { options: { personal_finance_category_version: this.o.categoryVersion as PersonalFinanceCategoryVersion } } : {}),
            },
            { signal },
          )
        ).data,
      {
        ...this.o.retry,
        signal,
        onRetry: (e, attempt, delay) => {
          this.retries++;
          this.o.onRetry?.(e, attempt, delay);
        },
      },
    );
  }
}
