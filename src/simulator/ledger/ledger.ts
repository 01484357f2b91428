import type { BaseHistory } from "../data/history";
import { dayNumber } from "../dates";
import type { RemovedTransaction, Transaction } from "../types";

/**
 * What happened after the Item was created. `a` is the sequence number at which the affected
 * transaction was first added (its base index for the initial history), which is what
 * /transactions/sync needs to tell "modified" (client already has it) from "added".
 */
export type ChangeEvent =
  | { k: "add"; txn: Transaction }
  | { k: "mod"; a: number; txn: Transaction }
  | { k: "rem"; a: number; id: string; account_id: string };

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
 */
export class Ledger {
  private readonly baseOverride = new Map<number, Transaction | null>();
  private readonly logLive = new Map<string, LiveEntry>();
  private readonly accountPos: Map<string, number>;
  private totalsCache: { end: number; totals: Totals[] } | null = null;

  constructor(
    readonly history: BaseHistory,
    readonly log: ChangeEvent[],
    private readonly accountIds: readonly string[],
  ) {
    this.accountPos = new Map(accountIds.map((id, i) => [id, i]));
    log.forEach((ev, j) => this.applyOverlay(ev, history.size + j));
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
    if (ev.k === "add") this.logLive.set(ev.txn.transaction_id, { addSeq: seq, txn: ev.txn });
    else if (ev.a < this.history.size) this.baseOverride.set(ev.a, ev.k === "mod" ? ev.txn : null);
    else if (ev.k === "mod") this.logLive.set(ev.txn.transaction_id, { addSeq: ev.a, txn: ev.txn });
    else this.logLive.delete(ev.id);
  }

  private eventAt(seq: number, accountFilter: number | null): SeqEvent | null {
    const h = this.history;
    if (seq < h.size) {
      const core = h.core(seq);
      if (accountFilter !== null && core.accountPos !== accountFilter) return null;
      return { id: h.id(seq), addSeq: seq, accountId: this.accountIds[core.accountPos], txn: () => h.fromCore(seq, core) };
    }
    const ev = this.log[seq - h.size];
    const accountId = ev.k === "rem" ? ev.account_id : ev.txn.account_id;
    if (accountFilter !== null && this.accountPos.get(accountId) !== accountFilter) return null;
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
    let seq = pos;
    for (; seq < end; seq++) {
      const ev = this.eventAt(seq, accountFilter);
      if (!ev) continue;
      if (!last.has(ev.id)) {
        if (order.length >= count) break;
        order.push(ev.id);
      }
      last.set(ev.id, ev);
    }
    // Skip trailing events of other accounts, so has_more is false when nothing is left for this stream.
    if (accountFilter !== null) while (seq < end && !this.eventAt(seq, accountFilter)) seq++;
    const page: SyncPage = { added: [], modified: [], removed: [], next: seq, hasMore: seq < end };
    for (const id of order) {
      const ev = last.get(id) as SeqEvent;
      const known = ev.addSeq < pos;
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
