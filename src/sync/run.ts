/**
 * One sync, from the loaded state to its summary: turns each page of /transactions/sync into
 * points (output 1) and events (output 2) as it arrives, journals what the committed state does
 * not know yet, and — for a resync — settles what the replay held back or no longer found. What
 * every step shares (the index, the part emitter, the counts, account labels) lives here, so the
 * engine only orchestrates.
 */
import type { AccountBase, RemovedTransaction, Transaction, TransactionsSyncResponse } from "plaid";
import type { IndexEntry } from "../influx/identity";
import { accountLabel, balancePoint, itemPoint, ITEM_MEASUREMENT, tombstonePoint } from "../influx/points";
import { ChangeApplier, identityKey, type ChangeKind } from "./apply";
import { PartEmitter } from "./parts";
import { topicPart } from "./topic";
import type { JournalWrite, StateStore, SyncState } from "./state-store";
import type { EngineSettings, ItemInfo, ItemRef, SyncMode, SyncSink, SyncSummary } from "./types";
import type { WriteOrder } from "./write-order";

export interface SyncRunInit {
  syncId: string;
  mode: SyncMode;
  state: SyncState;
  item: ItemInfo;
  settings: EngineSettings;
  store: StateStore;
  /** Event keys already emitted since the last commit (journaled): never emitted again. */
  emitted: Set<string>;
  sink: SyncSink;
  /** Confirm mode: a part that rewrites a point waits for the earlier write (write-order.ts). */
  order?: WriteOrder;
}

/** One event to announce: the change, its journal key, and what it is about. */
interface EventInput {
  kind: ChangeKind;
  key: string;
  payload: Record<string, unknown>;
  accountId: string;
  account: string;
}

export class SyncRun {
  readonly counts = { added: 0, modified: 0, removed: 0, events: 0, balances: 0 };
  private readonly applier: ChangeApplier;
  private readonly emitter: PartEmitter<SyncSummary>;
  private readonly itemRef: ItemRef;
  private readonly institution: string;
  private readonly linked: Map<string, ItemInfo["accounts"][number]>;
  private readonly accounts = new Map<string, AccountBase>();
  /** Labels and event topics are per account, not per transaction: memoised (cleared whenever a page brings the accounts again, in case a name changed). */
  private readonly labels = new Map<string, string>();
  private readonly topics = new Map<string, string>();
  private readonly wantEvents: boolean;
  /** Resync: every transaction the replay mentioned (what the index knows beyond that vanished). */
  private readonly seen: Set<string> | null;
  private lastAccounts: AccountBase[] = [];
  private itemPoints = 0;
  /** This step's journal lines: written once per page (or step), synchronously. */
  private keys: string[] = [];
  private writes: JournalWrite[] = [];

  constructor(private readonly r: SyncRunInit) {
    const { item, settings } = r;
    this.itemRef = { itemId: item.itemId, institutionId: item.institutionId, institutionName: item.institutionName };
    this.institution = item.institutionName || item.institutionId || "Unknown institution";
    this.linked = new Map(item.accounts.map((a) => [a.account_id, a]));
    this.wantEvents = settings.events !== false;
    this.seen = r.mode === "resync" ? new Set() : null;
    this.applier = new ChangeApplier(r.state.index, {
      measurement: settings.measurement,
      timezone: settings.timezone,
      invertAmounts: settings.invertAmounts,
      includePending: settings.includePending,
      institution: this.institution,
      accountLabel: (id) => this.labelOf(id),
      eventKeys: this.wantEvents,
    });
    if (r.mode === "resync") this.applier.deferKnownChanges();
    this.emitter = new PartEmitter<SyncSummary>(r.syncId, settings.batchSize, settings.lineProtocol === true, (part) =>
      r.sink.points({ payload: part.points, lineProtocol: part.lineProtocol, plaid: { ...part.meta, item: this.itemRef } }),
      r.order,
    );
  }

  /** Points handed out so far (overwrites of one identity in a part counted once). */
  get points(): number {
    return this.emitter.points;
  }

  get parts(): number {
    return this.emitter.parts;
  }

  /** Transaction points and tombstones handed out (not balances, not the Item point). */
  get transactionPoints(): number {
    return this.emitter.points - this.counts.balances - this.itemPoints;
  }

  /** One page: its accounts, added and modified transactions, removals; then its journal line. */
  applyPage(page: TransactionsSyncResponse): void {
    for (const a of page.accounts ?? []) this.accounts.set(a.account_id, a);
    if (page.accounts?.length) this.labels.clear();
    this.lastAccounts = page.accounts ?? [];
    this.consume(page.added, "added");
    this.consume(page.modified, "modified");
    for (const r of page.removed ?? []) this.remove(r);
    this.flushJournal();
  }

  /**
   * Resync, after the last page: the known transactions that really changed, in their final
   * version (the replay can show older versions first), and whatever the index knows that Plaid
   * no longer has — it vanished.
   */
  finishResync(): void {
    if (!this.seen) return;
    for (const t of this.applier.takeDeferred()) this.upsert(t, "modified");
    const vanished: string[] = [];
    for (const id of this.r.state.index.liveIds()) if (!this.seen.has(id)) vanished.push(id);
    for (const id of vanished) this.remove({ transaction_id: id, account_id: "" });
    this.flushJournal();
  }

  /**
   * Points that an uncommitted sync (killed, refused by the database, never confirmed) sent at an
   * identity this replay did not write again: the transaction vanished at Plaid in the meantime
   * (its net change since the saved cursor is nothing, so Plaid never mentions it) or moved.
   * Its point is in the database all the same: tombstone it, and if its transaction is gone and
   * was announced, announce the removal (once, like every event).
   */
  settleUncommittedWrites(writes: readonly JournalWrite[]): void {
    if (!writes.length) return;
    const index = this.applier.index;
    const announced = new Set<string>();
    for (const k of this.r.emitted) {
      const [kind, id] = k.split("|");
      if (kind === "added" || kind === "modified") announced.add(id);
    }
    for (const w of writes) {
      const s = index.seriesId(w.measurement, w.tags);
      const cur = index.get(w.id);
      if (cur && cur.series === s && cur.timestamp === w.ts) continue; // written again (or tombstoned) at that identity
      const owner = index.ownerAt(s, w.ts);
      if (owner !== undefined && owner !== w.id) continue; // another transaction's point took that place
      if (!cur && announced.has(w.id)) {
        // Gone, and announced: a removal with its event (remove() writes the tombstone).
        index.set(w.id, { series: s, timestamp: w.ts, hash: 0 });
        this.remove({ transaction_id: w.id, account_id: w.tags.account_id ?? "" });
        continue;
      }
      this.emitter.add({ key: identityKey(s, w.ts), point: tombstonePoint(index.series(s), w.ts, w.id) });
      if (!cur) index.set(w.id, { series: s, timestamp: w.ts, hash: 0, removed: true });
    }
    this.flushJournal();
  }

  /** The accounts /transactions/sync returned (its last page's `accounts`). */
  syncAccountIds(): Set<string> {
    return new Set(this.lastAccounts.map((a) => a.account_id));
  }

  /**
   * One balance point per account: those of the last page (`accounts`, free with
   * /transactions/sync) and `outside` ones from /accounts/get (investments, some loans).
   */
  addBalances(time: Date, outside: readonly AccountBase[] = []): void {
    for (const a of [...this.lastAccounts, ...outside]) {
      const p = balancePoint(a, this.institution, this.r.settings.balanceMeasurement, time);
      if (p) {
        this.counts.balances++;
        this.emitter.add({ key: `b${a.account_id}`, point: p });
      }
    }
  }

  /** The Item's point (health and this sync's counts): plaid_items. */
  addItemPoint(health: string, consentExpirationTime: string | undefined, time: Date): void {
    const { item, settings } = this.r;
    const p = itemPoint(
      { itemId: item.itemId, institution: this.institution, health, consentExpirationTime, ...this.counts },
      settings.itemMeasurement || ITEM_MEASUREMENT,
      time,
    );
    this.emitter.add({ key: "item", point: p });
    this.itemPoints = 1;
  }

  /** Resolves once every part cut so far has been handed out. */
  drained(): Promise<void> {
    return this.emitter.drained();
  }

  /** Sends the last part, which carries the summary built from the final counts; resolves once it is out. */
  finish(summary: (parts: number, points: number) => SyncSummary): Promise<SyncSummary> {
    return this.emitter.finish(summary);
  }

  private labelOf(id: string): string {
    let l = this.labels.get(id);
    if (l === undefined) {
      l = accountLabel(this.accounts.get(id) ?? this.linked.get(id), id);
      this.labels.set(id, l);
    }
    return l;
  }

  private topicOf(account: string, kind: ChangeKind): string {
    const k = `${kind}\u0000${account}`;
    let t = this.topics.get(k);
    if (t === undefined) {
      t = `plaid/${topicPart(this.institution)}/${topicPart(account)}/${kind}`;
      this.topics.set(k, t);
    }
    return t;
  }

  /**
   * Each transaction is let go as soon as it is applied: the raw page is the bulk of what is alive
   * when V8 collects young garbage mid-page, and what survives it is copied into the old
   * generation, which is what a first sync's memory peak is made of.
   */
  private consume(list: Array<Transaction | undefined> | undefined, as: "added" | "modified"): void {
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      const t = list[i];
      list[i] = undefined;
      if (t) {
        this.seen?.add(t.transaction_id);
        this.upsert(t, as);
      }
    }
  }

  private upsert(t: Transaction, as: "added" | "modified"): void {
    const res = this.applier.upsert(t, as);
    this.noteWrite(t.transaction_id, res.previous, res.entry);
    this.emitter.addAll(res.points);
    if (res.kind) this.announce({ kind: res.kind, key: res.eventKey ?? "", payload: t as unknown as Record<string, unknown>, accountId: t.account_id, account: this.labelOf(t.account_id) });
  }

  private remove(r: RemovedTransaction): void {
    const res = this.applier.remove(r.transaction_id);
    this.emitter.addAll(res.points);
    if (res.kind && res.eventKey && res.previous) {
      const tags = this.applier.index.series(res.previous.series).tags;
      this.announce({
        kind: "removed",
        key: res.eventKey,
        payload: { transaction_id: r.transaction_id, removed: true, pending: tags.pending === "true", category: tags.category, currency: tags.currency },
        accountId: r.account_id || tags.account_id,
        account: tags.account,
      });
    }
  }

  /** Counts the change; emits its event unless events are off or it was already emitted (journal). */
  private announce(e: EventInput): void {
    this.counts[e.kind]++;
    if (!this.wantEvents || this.r.emitted.has(e.key)) return;
    this.r.emitted.add(e.key);
    this.keys.push(e.key);
    this.counts.events++;
    const { item } = this.r;
    this.r.sink.event({
      kind: e.kind,
      topic: this.topicOf(e.account, e.kind),
      payload: Object.assign(e.payload, {
        account_id: e.accountId,
        account_name: this.accounts.get(e.accountId)?.name ?? this.linked.get(e.accountId)?.name ?? e.account,
        account: e.account,
        institution_name: this.institution,
        institution_id: item.institutionId,
        item_id: item.itemId,
      }),
      plaid: { syncId: this.r.syncId, event: e.kind, item: this.itemRef },
    });
  }

  /** Journals a transaction point sent at an identity the committed state may not know. */
  private noteWrite(id: string, before: IndexEntry | undefined, after: IndexEntry | undefined): void {
    if (!after || after.removed || (before && before.series === after.series && before.timestamp === after.timestamp)) return;
    const series = this.applier.index.series(after.series);
    this.writes.push({ id, measurement: series.measurement, tags: series.tags, ts: after.timestamp });
  }

  private flushJournal(): void {
    this.r.store.appendJournal(this.r.state.gen, this.keys, this.writes);
    this.keys = [];
    this.writes = [];
  }
}
