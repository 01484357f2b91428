import { KIND_WEIGHT } from "./accounts";
import { MERCHANTS, MERCHANTS_BY_KIND, type Merchant } from "./catalog";
import type { ItemProfile } from "./profile";
import { buildTransaction } from "./transaction";
import { dateOfDay, dayNumber } from "../dates";
import { Rng, hash32, idFromSeed, mixIndex } from "../prng";
import type { Transaction } from "../types";

/** The cheap part of a generated transaction: enough for balances, filters and sorting. */
export interface Core {
  accountPos: number;
  merchant: Merchant;
  amountCents: number;
  authDay: number;
  /** Posted date (day number); equals authDay while pending. */
  day: number;
  pending: boolean;
  timeOfDay: number | null;
  description?: string;
  currency: string;
}

const mix = mixIndex;

const FALLBACK_OUT: Merchant = {
  description: "", merchant: null, website: null, counterpartyType: null, primary: "GENERAL_MERCHANDISE",
  detailed: "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE", channel: "other", minCents: 0, maxCents: 0, kinds: [], weight: 0,
};
const FALLBACK_IN: Merchant = { ...FALLBACK_OUT, primary: "TRANSFER_IN", detailed: "TRANSFER_IN_DEPOSIT" };

/** Best-effort enrichment of a free-text description, as Plaid would do. */
export function enrich(description: string, amountCents: number): Merchant {
  const lower = description.toLowerCase();
  const hit = MERCHANTS.find((m) => m.merchant && lower.includes(m.merchant.toLowerCase()));
  return hit ?? (amountCents < 0 ? FALLBACK_IN : FALLBACK_OUT);
}

/**
 * An Item's initial transaction history, addressable by index and never stored: index i is
 * rebuilt from (seed, i) whenever needed, so a 50 000-transaction Item costs almost no memory.
 * Indices [0, generated) are generated; the rest are the custom user's explicit transactions.
 */
export class BaseHistory {
  readonly size: number;
  private readonly generatedCount: number;
  private readonly endDay: number;
  private readonly bearing: number[];
  private readonly bearingWeights: number[];
  private readonly explicitMerchants: Merchant[];
  private readonly idSeed: number;

  constructor(
    private readonly profile: ItemProfile,
    itemId: string,
    private readonly accountIds: readonly string[],
    createdDate: string,
  ) {
    this.endDay = dayNumber(createdDate);
    this.idSeed = hash32(itemId, "txn");
    this.bearing = [];
    this.bearingWeights = [];
    profile.accounts.forEach((a, pos) => {
      if (a.kind && !a.addedLater) {
        this.bearing.push(pos);
        this.bearingWeights.push(KIND_WEIGHT[a.kind]);
      }
    });
    const generated = this.bearing.length ? profile.generated : 0;
    this.generatedCount = generated;
    this.size = generated + profile.explicit.length;
    this.explicitMerchants = profile.explicit.map((e) => enrich(e.description, e.amountCents));
  }

  /** Cheap facts about transaction i (no ids, no object building). */
  core(i: number): Core {
    if (i >= this.generatedCount) return this.explicitCore(i - this.generatedCount);
    const p = this.profile;
    const rng = new Rng(mix(p.seed, i));
    const accountPos = this.bearing[rng.weighted(this.bearingWeights)];
    const account = p.accounts[accountPos];
    const pool = MERCHANTS_BY_KIND[account.kind ?? "checking"];
    const merchant = MERCHANTS[pool.indices[rng.weighted(pool.weights)]];
    const amountCents = rng.int(merchant.minCents, merchant.maxCents);
    const pending = i >= this.generatedCount - p.pendingCount;
    let authDay: number;
    let day: number;
    if (pending) {
      authDay = this.endDay - (rng.next() < 0.6 ? 0 : 1);
      day = authDay;
    } else {
      authDay = this.endDay - (p.days - 1) + Math.floor((i * p.days) / this.generatedCount);
      const lag = merchant.channel === "other" ? 0 : rng.int(0, 2);
      day = Math.min(authDay + lag, this.endDay);
    }
    const timeOfDay = merchant.channel === "other" ? null : rng.int(6 * 3600, 22 * 3600);
    return { accountPos, merchant, amountCents, authDay, day, pending, timeOfDay, currency: account.currency };
  }

  private explicitCore(k: number): Core {
    const e = this.profile.explicit[k];
    const account = this.profile.accounts[e.accountPos];
    const posted = dayNumber(e.datePosted);
    const authDay = dayNumber(e.dateTransacted);
    // A posting date after the Item's "today" means the bank has not posted it yet.
    const pending = posted > this.endDay;
    return {
      accountPos: e.accountPos,
      merchant: this.explicitMerchants[k],
      amountCents: e.amountCents,
      authDay,
      day: pending ? authDay : posted,
      pending,
      timeOfDay: null,
      description: e.description,
      currency: e.currency ?? account.currency,
    };
  }

  id(i: number): string {
    return idFromSeed(mixIndex(this.idSeed, i));
  }

  accountId(i: number): string {
    return this.accountIds[this.core(i).accountPos];
  }

  txn(i: number): Transaction {
    return this.fromCore(i, this.core(i));
  }

  fromCore(i: number, c: Core): Transaction {
    return buildTransaction({
      transactionId: this.id(i),
      accountId: this.accountIds[c.accountPos],
      currency: c.currency,
      merchant: c.merchant,
      description: c.description,
      amountCents: c.amountCents,
      date: dateOfDay(c.day),
      authorizedDate: dateOfDay(c.authDay),
      pending: c.pending,
      pendingTransactionId: null,
      timeOfDay: c.timeOfDay,
    });
  }
}
