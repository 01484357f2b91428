/**
 * Read-ahead of /transactions/sync pages, in the Plaid worker (client-worker.ts).
 *
 * The sync asks for page k+1 as soon as page k arrives (sync/pages.ts), but "arrives" means
 * after the page has crossed the pipe and Node-RED has parsed it: with the client in a worker,
 * that hop sat between every two pages, on Node-RED's busy thread. The worker sees the page first,
 * so when Plaid says `has_more` it asks for the next page itself, with the same request and the
 * new cursor, and holds the answer for the call Node-RED is about to make.
 *
 * What it may and may not change:
 * - Plaid is asked exactly what the sync would ask, only earlier: the same calls, in the same
 *   order, one Plaid call for each call of the sync. At most one page is held per Item chain, so
 *   a sync that stops (aborted, a mutation restart, Node-RED stopping) costs one call more at most.
 * - An answer is served once, and only to a call whose body is the same as the read-ahead's
 *   (a different count, cursor, token or option is a call of its own).
 * - A failure is an answer too: the sync gets it as if it had asked at that moment, and its
 *   retry (sync/pages.ts) is a call of its own. Serving it keeps the one-for-one order above:
 *   a mutation error during pagination, say, is not hidden by a second try the sync never made.
 */
import { nextCursorOf } from "./next-cursor";

export interface RawReply {
  status: number;
  bytes: Buffer;
}

/** Makes one call at Plaid; rejects on any failure, as the client does. */
export type Fetch = (body: Record<string, unknown>, signal: AbortSignal) => Promise<RawReply>;

interface Held {
  key: string;
  reply: Promise<RawReply>;
  abort: AbortController;
  timer: NodeJS.Timeout;
}

export interface Claimed {
  /** Plaid's answer to the read-ahead; rejects as the call would have. */
  reply: Promise<RawReply>;
  /** Cancels the read-ahead (Node-RED cancelled the call it serves). */
  abort: AbortController;
}

/** A stable text for a JSON body: key order does not make two requests different. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export class SyncReadAhead {
  /** By chain: the configuration and the body without its cursor (one Item's sync). */
  private readonly held = new Map<string, Held>();

  /** `holdMs`: how long an unclaimed answer is kept before it is dropped (its sync has gone). */
  constructor(private readonly holdMs = 30_000) {}

  /** Pages held or in flight (tests). */
  get size(): number {
    return this.held.size;
  }

  /** The read-ahead for exactly this call, if there is one; it is served once. */
  claim(configKey: string, body: Record<string, unknown>): Claimed | undefined {
    const chain = chainOf(configKey, body);
    const h = this.held.get(chain);
    if (!h || h.key !== keyOf(configKey, body)) return undefined;
    this.drop(chain, false);
    return { reply: h.reply, abort: h.abort };
  }

  /**
   * Called with each /transactions/sync answer served to Node-RED: when more pages follow, asks
   * for the next one now. Replaces (and cancels) what the chain held before.
   */
  after(configKey: string, body: Record<string, unknown>, reply: RawReply, fetch: Fetch): void {
    const cursor = reply.status >= 200 && reply.status < 300 ? nextCursorOf(reply.bytes) : null;
    const chain = chainOf(configKey, body);
    this.drop(chain, true);
    if (!cursor) return;
    const next = { ...body, cursor };
    const abort = new AbortController();
    const answer = fetch(next, abort.signal);
    // An answer nobody claims (its sync stopped) must not become an unhandled rejection.
    answer.catch(() => undefined);
    const h: Held = {
      key: keyOf(configKey, next),
      reply: answer,
      abort,
      timer: setTimeout(() => this.held.get(chain) === h && this.drop(chain, true), this.holdMs),
    };
    h.timer.unref();
    this.held.set(chain, h);
  }

  private drop(chain: string, cancel: boolean): void {
    const h = this.held.get(chain);
    if (!h) return;
    this.held.delete(chain);
    clearTimeout(h.timer);
    if (cancel) h.abort.abort();
  }
}

function keyOf(configKey: string, body: Record<string, unknown>): string {
  return `${configKey}\n${canonicalJson(body)}`;
}

function chainOf(configKey: string, body: Record<string, unknown>): string {
  const { cursor: _cursor, ...rest } = body;
  return keyOf(configKey, rest);
}
