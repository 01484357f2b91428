import type { BaseHistory } from "../data/history";
import { dayNumber } from "../dates";
import type { RemovedTransaction, Transaction } from "../types";

/**
 * What happened after the Item was created. `a` is the sequence number at which the affected
 * transaction was first added (its base index for the initial history), which is what
 * /transactions/sync needs to tell "modified" (client already has it) from "added".
 * `show` changes no data: it delivers, as added, a live transaction of an account that has just
 * been shared (update mode with account selection); its state is the one at that point.
 */
export type ChangeEvent =
  | { k: "add"; txn: Transaction }
  | { k: "mod"; a: number; txn: Transaction }
  | { k: "rem"; a: number; id: string; account_id: string }
  | { k: "show"; a: number };

interface LiveEntry {
  addSeq: number;
  txn: Transaction;
}

interface SeqEvent {
  id: string;
  addSeq: number;
  accountId: string;
  /** State after this event; null: removed. Built lazily for base entries. */
  txn: () => Transaction | null;
}

export interface SyncPage {
  added: Transaction[];
  modified: Transaction[];
  removed: RemovedTransaction[];
  next: number;
  hasMore: boolean;
}

export interface NetEntry {
  day: number;
  seq: number;
  base: number;
  txn: Transaction | null;
}

export interface Totals {
  postedCents: number;
  pendingCents: number;
}

/**
 * The Item's transactions as an append-only sequence: positions [0, history.size) are the lazily
 * generated initial history (each one "add"), later positions are the change log. A sync cursor
 * is a position in this sequence; /transactions/get is the net state at its end.
 *
 * Only shared accounts are delivered: an event of account p is seen by /transactions/sync when
 * `sharedSince[p]` is not null and the event is at or after it. Sharing an account later sets it
 * to the ledger end and appends a `show` per live transaction, so every client (in sync or
 * starting over) receives that account's history once, as added; unsharing sets it to null, so
 * nothing of the account is delivered from then on (and nothing is reported removed).
 */
export class Ledger {
  private readonly baseOverride = new Map<number, Transaction | null>();
  private readonly logLive = new Map<string, LiveEntry>();
  private readonly accountPos: Map<string, number>;
  /** The state a `show` at this sequence number delivers: a base index (unchanged base transaction), the transaction, or null. */
  private readonly shown = new Map<number, number | Transaction | null>();
  private totalsCache: { end: number; totals: Totals[] } | null = null;

  constructor(
    readonly history: BaseHistory,
    readonly log: ChangeEvent[],
    private readonly accountIds: readonly string[],
    private readonly sharedSince: ReadonlyArray<number | null>,
  ) {
    this.accountPos = new Map(accountIds.map((id, i) => [id, i]));
    log.forEach((ev, j) => this.applyOverlay(ev, history.size + j));
  }

  /** An account appended to the Item (accountIds and sharedSince already hold it). */
  accountAdded(accountId: string): void {
    this.accountPos.set(accountId, this.accountIds.indexOf(accountId));
    this.totalsCache = null;
  }

  /** Appends a `show` for every live transaction of the account, oldest first (see the class comment). */
  showAccount(pos: number): void {
    const live = this.netEntries(new Set([pos]), -Infinity, Infinity).sort((x, y) => x.seq - y.seq);
    for (const e of live) this.append({ k: "show", a: e.seq });
  }

  private visible(pos: number | undefined, seq: number, accountFilter: number | null): boolean {
    if (pos === undefined || (accountFilter !== null && pos !== accountFilter)) return false;
    const since = this.sharedSince[pos];
    return since !== null && since !== undefined && seq >= since;
  }

  /** One past the last sequence number; grows with every change. */
  get end(): number {
    return this.history.size + this.log.length;
  }

  append(ev: ChangeEvent): void {
    this.log.push(ev);
    this.applyOverlay(ev, this.end - 1);
  }

  private applyOverlay(ev: ChangeEvent, seq: number): void {
    if (ev.k === "show") this.shown.set(seq, this.liveState(ev.a));
    else if (ev.k === "add") this.logLive.set(ev.txn.transaction_id, { addSeq: seq, txn: ev.txn });
    else if (ev.a < this.history.size) this.baseOverride.set(ev.a, ev.k === "mod" ? ev.txn : null);
    else if (ev.k === "mod") this.logLive.set(ev.txn.transaction_id, { addSeq: ev.a, txn: ev.txn });
    else this.logLive.delete(ev.id);
  }

  /** What a `show` of the transaction added at `addSeq` delivers, as of now (no object built for an unchanged base one). */
  private liveState(addSeq: number): number | Transaction | null {
    if (addSeq < this.history.size) {
      const ov = this.baseOverride.get(addSeq);
      return ov === undefined ? addSeq : ov;
    }
    const ev = this.log[addSeq - this.history.size];
    return ev?.k === "add" ? (this.logLive.get(ev.txn.transaction_id)?.txn ?? null) : null;
  }

  private eventAt(seq: number, accountFilter: number | null): SeqEvent | null {
    const h = this.history;
    if (seq < h.size) {
      const core = h.core(seq);
      if (!this.visible(core.accountPos, seq, accountFilter)) return null;
      return { id: h.id(seq), addSeq: seq, accountId: this.accountIds[core.accountPos], txn: () => h.fromCore(seq, core) };
    }
    const ev = this.log[seq - h.size];
    if (ev.k === "show") {
      const state = this.shown.get(seq) ?? null;
      if (state === null) return null;
      const base = typeof state === "number" ? state : null;
      const pos = base === null ? this.accountPos.get((state as Transaction).account_id) : h.core(base).accountPos;
      if (!this.visible(pos, seq, accountFilter)) return null;
      const txn = (): Transaction => (base === null ? (state as Transaction) : h.txn(base));
      // addSeq is the show itself: a client that has passed the original add has not seen it.
      return { id: base === null ? (state as Transaction).transaction_id : h.id(base), addSeq: seq, accountId: this.accountIds[pos as number], txn };
    }
    const accountId = ev.k === "rem" ? ev.account_id : ev.txn.account_id;
    if (!this.visible(this.accountPos.get(accountId), seq, accountFilter)) return null;
    if (ev.k === "add") return { id: ev.txn.transaction_id, addSeq: seq, accountId, txn: () => ev.txn };
    if (ev.k === "mod") return { id: ev.txn.transaction_id, addSeq: ev.a, accountId, txn: () => ev.txn };
    return { id: ev.id, addSeq: ev.a, accountId, txn: () => null };
  }

  /**
   * One /transactions/sync page from position `pos`: events are taken in order until `count`
   * distinct transactions are covered, then folded so each id appears once with its latest state.
   */
  page(pos: number, count: number, accountFilter: number | null): SyncPage {
    const end = this.end;
    const order: string[] = [];
    const last = new Map<string, SeqEvent>();
    /** Ids added (or shown) within this page: new to the client whatever follows them here. */
    const fresh = new Set<string>();
    let seq = pos;
    for (; seq < end; seq++) {
      const ev = this.eventAt(seq, accountFilter);
      if (!ev) continue;
      if (!last.has(ev.id)) {
        if (order.length >= count) break;
        order.push(ev.id);
      }
      last.set(ev.id, ev);
      if (ev.addSeq >= pos) fresh.add(ev.id);
    }
    // Skip trailing events not delivered (other accounts, unshared ones), so has_more is false when nothing is left.
    while (seq < end && !this.eventAt(seq, accountFilter)) seq++;
    const page: SyncPage = { added: [], modified: [], removed: [], next: seq, hasMore: seq < end };
    for (const id of order) {
      const ev = last.get(id) as SeqEvent;
      const known = !fresh.has(id);
      const txn = ev.txn();
      if (txn === null) {
        if (known) page.removed.push({ transaction_id: id, account_id: ev.accountId });
      } else if (known) page.modified.push(txn);
      else page.added.push(txn);
    }
    return page;
  }

  /** Every live transaction (date as a day number), unsorted, optionally for some accounts. */
  netEntries(accountFilter: Set<number> | null, fromDay: number, toDay: number): NetEntry[] {
    const out: NetEntry[] = [];
    const h = this.history;
    for (let i = 0; i < h.size; i++) {
      const ov = this.baseOverride.get(i);
      if (ov === null) continue;
      if (ov) {
        const d = dayNumber(ov.date);
        if (d < fromDay || d > toDay) continue;
        if (accountFilter && !accountFilter.has(this.accountPos.get(ov.account_id) ?? -1)) continue;
        out.push({ day: d, seq: i, base: i, txn: ov });
      } else {
        const c = h.core(i);
        if (c.day < fromDay || c.day > toDay) continue;
        if (accountFilter && !accountFilter.has(c.accountPos)) continue;
        out.push({ day: c.day, seq: i, base: i, txn: null });
      }
    }
    for (const { addSeq, txn } of this.logLive.values()) {
      const d = dayNumber(txn.date);
      if (d < fromDay || d > toDay) continue;
      if (accountFilter && !accountFilter.has(this.accountPos.get(txn.account_id) ?? -1)) continue;
      out.push({ day: d, seq: addSeq, base: -1, txn });
    }
    return out;
  }

  materialise(e: NetEntry): Transaction {
    return e.txn ?? this.history.txn(e.base);
  }

  /** Current state of a transaction added at `addSeq`; null if removed. */
  stateAt(addSeq: number): Transaction | null {
    if (addSeq < this.history.size) {
      const ov = this.baseOverride.get(addSeq);
      return ov === undefined ? this.history.txn(addSeq) : ov;
    }
    const ev = this.log[addSeq - this.history.size];
    if (ev?.k !== "add") return null;
    return this.logLive.get(ev.txn.transaction_id)?.txn ?? null;
  }

  /** Live pending transactions with the position they were added at. */
  pending(): LiveEntry[] {
    const out: LiveEntry[] = [];
    const h = this.history;
    for (let i = 0; i < h.size; i++) {
      const ov = this.baseOverride.get(i);
      if (ov === null) continue;
      if (ov ? ov.pending : h.core(i).pending) out.push({ addSeq: i, txn: ov ?? h.txn(i) });
    }
    for (const e of this.logLive.values()) if (e.txn.pending) out.push(e);
    return out;
  }

  /** Live posted transactions added through the change log (recent activity). */
  postedFromLog(): LiveEntry[] {
    return [...this.logLive.values()].filter((e) => !e.txn.pending);
  }

  isLiveBase(i: number): boolean {
    return this.baseOverride.get(i) !== null;
  }

  /** Posted and pending sums per account position, cached until the next change. */
  totals(): Totals[] {
    if (this.totalsCache && this.totalsCache.end === this.end) return this.totalsCache.totals;
    const totals: Totals[] = this.accountIds.map(() => ({ postedCents: 0, pendingCents: 0 }));
    const add = (pos: number | undefined, cents: number, pending: boolean): void => {
      if (pos === undefined) return;
      if (pending) totals[pos].pendingCents += cents;
      else totals[pos].postedCents += cents;
    };
    const h = this.history;
    for (let i = 0; i < h.size; i++) {
      const ov = this.baseOverride.get(i);
      if (ov === null) continue;
      if (ov) add(this.accountPos.get(ov.account_id), Math.round(ov.amount * 100), ov.pending);
      else {
        const c = h.core(i);
        add(c.accountPos, c.amountCents, c.pending);
      }
    }
    for (const { txn } of this.logLive.values())
      add(this.accountPos.get(txn.account_id), Math.round(txn.amount * 100), txn.pending);
    this.totalsCache = { end: this.end, totals };
    return totals;
  }
}
