/**
 * What a sync learns about its Item beyond transactions: the balances /transactions/sync leaves
 * out (outside-accounts.ts) and the Item's health (item-health.ts, from the sync's own outcome,
 * /accounts/get's `item` and a daily /item/get). Health changes leave as events on output 2, each
 * recorded (health-store.ts) before it is sent, so none is sent twice.
 */
import type { AccountBase, PlaidApi } from "plaid";
import { abortedError, withRetry, type RetryOptions } from "../plaid/retry";
import { toCleanError, type ErrorInfo } from "../plaid/errors";
import type { LinkedAccount } from "../plaid/types";
import { HealthStore } from "./health-store";
import { fixedByLogin, ItemHealth, type HealthChange } from "./item-health";
import { OutsideAccounts } from "./outside-accounts";
import { topicPart } from "./topic";
import type { EngineHooks, HealthEvent, ItemRef, SyncSink } from "./types";

export interface ItemWatchDeps {
  stateDir: string;
  nodeId: string;
  sink: SyncSink;
  hooks: EngineHooks;
  /** False when output 2 has no wire: the record still follows the Item, nothing is sent. */
  events: boolean;
}

export interface AfterSync {
  /** Balances to write besides the sync's own accounts. */
  accounts: AccountBase[];
  changes: HealthChange[];
}

export class ItemWatch {
  private readonly store: HealthStore;
  private readonly outside = new OutsideAccounts();
  private health: ItemHealth | null = null;

  constructor(private readonly d: ItemWatchDeps) {
    this.store = new HealthStore(d.stateDir, d.nodeId);
  }

  /** The Item's health, loaded on first use and whenever the link points at another Item. */
  of(itemId: string): ItemHealth {
    if (!this.health || this.health.record.itemId !== itemId) this.health = new ItemHealth(this.store.load(itemId));
    return this.health;
  }

  /**
   * After a sync's pages: /accounts/get when the Item has accounts the sync lacks, /item/get when
   * a day has passed. Neither failing fails the sync (its transactions are in): a warning, and the
   * next sync asks again.
   */
  async afterPages(o: {
    client: PlaidApi;
    accessToken: string;
    itemId: string;
    linked: readonly LinkedAccount[];
    fromSync: ReadonlySet<string>;
    now: number;
    retry: RetryOptions;
  }): Promise<AfterSync> {
    const health = this.of(o.itemId);
    const out: AfterSync = { accounts: [], changes: [] };
    if (this.outside.needed(o.linked, o.fromSync)) {
      try {
        const r = await this.outside.fetch(o.client, o.accessToken, o.linked, o.fromSync, o.retry);
        out.accounts = r.accounts;
        out.changes.push(...health.itemSeen(r.item, null, o.now, false));
      } catch (err) {
        this.notFatal(err, o.retry, "The balances of accounts /transactions/sync leaves out (investments, some loans) are missing from this sync");
      }
    }
    if (health.checkDue(o.now)) {
      try {
        const r = await withRetry(async () => (await o.client.itemGet({ access_token: o.accessToken }, { signal: o.retry.signal })).data, o.retry);
        out.changes.push(...health.itemSeen(r.item, r.status, o.now, true));
      } catch (err) {
        this.notFatal(err, o.retry, "Could not ask Plaid about the Item's health (/item/get); the next sync asks again");
      }
    }
    out.changes.push(...health.syncSucceeded());
    return out;
  }

  /** Records the changes, then sends one event each (with a re-login URL where a login is the fix). */
  async announce(changes: readonly HealthChange[], item: ItemRef, syncId?: string): Promise<void> {
    if (!changes.length || !this.health) return;
    try {
      this.store.save(this.health.record);
    } catch (err) {
      // Unrecorded, an event could be sent again after a restart: better not sent at all.
      this.d.hooks.warn(`Could not save the Item health record (${(err as Error).message}); not announcing ${changes.map((c) => c.code).join(", ")}.`);
      return;
    }
    if (!this.d.events) return;
    const institution = item.institutionName || item.institutionId || "Unknown institution";
    let relinkUrl: string | undefined;
    if (changes.some((c) => fixedByLogin(c.code))) relinkUrl = await this.d.hooks.relinkUrl?.().catch(() => undefined);
    for (const c of changes) {
      const ev: HealthEvent = {
        kind: "item",
        topic: `plaid/${topicPart(institution)}/item/${c.code}`,
        payload: {
          item_id: item.itemId,
          institution,
          code: c.code,
          message: c.message,
          ...(relinkUrl && fixedByLogin(c.code) ? { relinkUrl } : {}),
          ...(c.consentExpirationTime ? { consent_expiration_time: c.consentExpirationTime } : {}),
          ...(c.errorCode && c.errorCode !== c.code ? { error_code: c.errorCode } : {}),
        },
        plaid: { event: c.code, item, ...(syncId ? { syncId } : {}) },
      };
      this.d.sink.event(ev);
    }
  }

  failed(e: Pick<ErrorInfo, "code">, itemId: string): HealthChange[] {
    return this.of(itemId).syncFailed(e);
  }

  loginRepaired(itemId: string): HealthChange[] {
    return this.of(itemId).loginRepaired();
  }

  private notFatal(err: unknown, retry: RetryOptions, what: string): void {
    if (retry.signal?.aborted) throw abortedError();
    const e = toCleanError(err).plaid;
    this.d.hooks.warn(`${what} (${e.message} [${e.code}]).`);
  }
}
