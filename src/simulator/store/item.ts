import { isLiability } from "../data/accounts";
import { currencyFields } from "../data/catalog";
import { BaseHistory } from "../data/history";
import type { ItemProfile } from "../data/profile";
import { addDays } from "../dates";
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
  account_ids: string[];
  /** Balance before the initial history, chosen so that link-time balances match the profile. */
  opening_cents: number[];
  log: ChangeEvent[];
  last_successful_update: string;
  last_webhook: { sent_at: string; code_sent: string } | null;
  sync_called: boolean;
}

/** An Item with its ledger; the ledger is rebuilt from the record, never stored. */
export class SimItem {
  readonly history: BaseHistory;
  readonly ledger: Ledger;

  constructor(readonly rec: ItemRecord) {
    this.history = new BaseHistory(rec.profile, rec.item_id, rec.account_ids, rec.created_date);
    this.ledger = new Ledger(this.history, rec.log, rec.account_ids);
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
    /** Ids already shown to the user (stand-in Link's account selection); default: derived. */
    accountIds?: string[];
  }): SimItem {
    const accountIds = init.accountIds ?? init.profile.accounts.map((_, i) => plaidId(init.itemId, "acct", i));
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
      opening_cents: init.profile.accounts.map(() => 0),
      log: [],
      last_successful_update: init.createdAt,
      last_webhook: null,
      sync_called: false,
    };
    const item = new SimItem(rec);
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

  accountPos(accountId: string): number {
    return this.rec.account_ids.indexOf(accountId);
  }

  /** Accounts with balances that follow from the transactions (Plaid sign: positive = money out). */
  accounts(opts: { withInvestments: boolean }): AccountBase[] {
    const totals = this.ledger.totals();
    const out: AccountBase[] = [];
    this.rec.profile.accounts.forEach((a, i) => {
      if (!opts.withInvestments && a.kind === null) return;
      const t = totals[i];
      let current: number;
      let available: number | null;
      if (a.kind === null) {
        current = a.startCurrentCents;
        available = a.type === "investment" ? null : current;
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
