import { isLiability, type AccountTemplate } from "../data/accounts";
import { currencyFields } from "../data/catalog";
import { BaseHistory } from "../data/history";
import type { ItemProfile } from "../data/profile";
import { addDays, isoSeconds } from "../dates";
import { Ledger, type ChangeEvent } from "../ledger/ledger";
import { plaidId } from "../prng";
import type { AccountBase } from "../types";

/** What the state file keeps for an Item (no plaintext tokens: only their SHA-256). */
export interface ItemRecord {
  item_id: string;
  institution_id: string;
  institution_name: string;
  created_at: string;
  /** The Item's "today" when it was created (YYYY-MM-DD). */
  created_date: string;
  /** Simulated days since creation (each refresh of a dynamic Item adds one). */
  day: number;
  token_hashes: string[];
  webhook: string | null;
  products: string[];
  login_required: boolean;
  profile: ItemProfile;
  /** Every account the institution has for this login (positions as in profile.accounts), shared or not. */
  account_ids: string[];
  /**
   * Per account: the ledger position from which /transactions/sync delivers it, or null while
   * it is not shared with the app (Link's account selection). Absent in older state files: all
   * shared from the start.
   */
  shared_since?: Array<number | null>;
  /** Balance before the initial history, chosen so that link-time balances match the profile. */
  opening_cents: number[];
  log: ChangeEvent[];
  last_successful_update: string;
  last_webhook: { sent_at: string; code_sent: string } | null;
  sync_called: boolean;
  /** Item.consent_expiration_time (see ItemProfile.consentExpirationDays); absent in older files: null. */
  consent_expiration_time?: string | null;
}

/** An Item with its ledger; the ledger is rebuilt from the record, never stored. */
export class SimItem {
  readonly history: BaseHistory;
  readonly ledger: Ledger;

  constructor(readonly rec: ItemRecord) {
    rec.shared_since ??= rec.account_ids.map(() => 0);
    this.history = new BaseHistory(rec.profile, rec.item_id, rec.account_ids, rec.created_date);
    this.ledger = new Ledger(this.history, rec.log, rec.account_ids, rec.shared_since);
  }

  static create(init: {
    itemId: string;
    institutionId: string;
    institutionName: string;
    createdAt: string;
    createdDate: string;
    profile: ItemProfile;
    products: string[];
    webhook: string | null;
    /** Positions in profile.accounts the user chose to share (stand-in Link's account selection); default: all. */
    sharedPositions?: number[];
  }): SimItem {
    // The same derivation as the stand-in Link's login, so the ids the user saw are the Item's.
    const accountIds = init.profile.accounts.map((_, i) => plaidId(init.itemId, "acct", i));
    const rec: ItemRecord = {
      item_id: init.itemId,
      institution_id: init.institutionId,
      institution_name: init.institutionName,
      created_at: init.createdAt,
      created_date: init.createdDate,
      day: 0,
      token_hashes: [],
      webhook: init.webhook,
      products: init.products,
      login_required: false,
      profile: init.profile,
      account_ids: accountIds,
      shared_since: accountIds.map((_, i) => (!init.sharedPositions || init.sharedPositions.includes(i) ? 0 : null)),
      opening_cents: init.profile.accounts.map(() => 0),
      log: [],
      last_successful_update: init.createdAt,
      last_webhook: null,
      sync_called: false,
    };
    const item = new SimItem(rec);
    item.renewConsent(Date.parse(init.createdAt));
    const totals = item.ledger.totals();
    rec.opening_cents = init.profile.accounts.map((a, i) =>
      isLiability(a.type) ? a.startCurrentCents - totals[i].postedCents : a.startCurrentCents + totals[i].postedCents,
    );
    return item;
  }

  get itemId(): string {
    return this.rec.item_id;
  }

  today(): string {
    return addDays(this.rec.created_date, this.rec.day);
  }

  private get sharedSince(): Array<number | null> {
    return this.rec.shared_since as Array<number | null>;
  }

  isShared(pos: number): boolean {
    return this.sharedSince[pos] !== null;
  }

  /** The position of a shared account; -1 for an unknown or unshared one (INVALID_ACCOUNT_ID). */
  sharedPos(accountId: string): number {
    const pos = this.rec.account_ids.indexOf(accountId);
    return pos >= 0 && this.isShared(pos) ? pos : -1;
  }

  /** Positions of the shared accounts; null when every account is shared (no filter needed). */
  sharedFilter(): Set<number> | null {
    const shared = this.rec.account_ids.map((_, i) => i).filter((i) => this.isShared(i));
    return shared.length === this.rec.account_ids.length ? null : new Set(shared);
  }

  /**
   * Makes exactly these account positions the shared ones (update mode with account selection).
   * A newly shared account's live transactions are delivered by the next /transactions/sync as
   * added; an unshared one is simply no longer delivered. Returns whether anything changed.
   */
  setShared(positions: ReadonlySet<number>): boolean {
    const since = this.sharedSince;
    const added = this.rec.account_ids.map((_, i) => i).filter((i) => positions.has(i) && since[i] === null);
    let changed = added.length > 0;
    for (let i = 0; i < since.length; i++) {
      if (!positions.has(i) && since[i] !== null) {
        since[i] = null;
        changed = true;
      }
    }
    // All share from the same point, before their shows, so each show is at or after it.
    for (const i of added) since[i] = this.ledger.end;
    for (const i of added) this.ledger.showAccount(i);
    return changed;
  }

  /** Consent runs for the profile's days from `nowMs` (link time, or a completed update mode). */
  renewConsent(nowMs: number): void {
    const days = this.rec.profile.consentExpirationDays;
    this.rec.consent_expiration_time = days ? isoSeconds(new Date(nowMs + Math.round(days * 86_400_000))) : null;
  }

  /**
   * Opens an account at the institution after the Item was created, not shared (the user adds
   * it in update mode with account selection). Its id is derived from the Item and its number
   * among such accounts, so it is the same on every run.
   */
  addAccount(template: AccountTemplate): string {
    const rec = this.rec;
    const k = rec.profile.accounts.filter((a) => a.addedLater).length;
    const id = plaidId(rec.item_id, "new-account", k);
    rec.profile.accounts.push({ ...template, addedLater: true });
    rec.account_ids.push(id);
    rec.opening_cents.push(0);
    this.sharedSince.push(null);
    this.ledger.accountAdded(id);
    return id;
  }

  /** Accounts with balances that follow from the transactions (Plaid sign: positive = money out); only shared ones unless `unshared`. */
  accounts(opts: { withInvestments: boolean; unshared?: boolean }): AccountBase[] {
    const totals = this.ledger.totals();
    const out: AccountBase[] = [];
    this.rec.profile.accounts.forEach((a, i) => {
      if (!opts.withInvestments && a.kind === null) return;
      if (!opts.unshared && !this.isShared(i)) return;
      const t = totals[i];
      let current: number;
      let available: number | null;
      if (a.kind === null) {
        current = a.startCurrentCents;
        // Plaid's Sandbox investment and loan accounts have no available balance (plaid-api-notes §4.2).
        available = a.type === "investment" || a.type === "loan" ? null : current;
      } else if (isLiability(a.type)) {
        current = this.rec.opening_cents[i] + t.postedCents;
        available = a.limitCents !== null ? a.limitCents - current - t.pendingCents : null;
      } else {
        current = this.rec.opening_cents[i] - t.postedCents;
        available = current - t.pendingCents;
      }
      out.push({
        account_id: this.rec.account_ids[i],
        balances: {
          available: available === null ? null : available / 100,
          current: current / 100,
          limit: a.limitCents === null ? null : a.limitCents / 100,
          ...currencyFields(a.currency),
        },
        mask: a.mask,
        name: a.name,
        official_name: a.official_name,
        type: a.type,
        subtype: a.subtype,
        holder_category: "personal",
      });
    });
    return out;
  }
}
