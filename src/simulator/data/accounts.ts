import type { AccountKind } from "./catalog";

/** An account as an Item's profile describes it, before ids are assigned. */
export interface AccountTemplate {
  name: string;
  mask: string | null;
  official_name: string | null;
  type: "depository" | "credit" | "loan" | "investment" | "other";
  subtype: string | null;
  /** Which generated activity the account gets; null: none, not in /transactions/sync (investment, non-student loan, other). */
  kind: AccountKind | null;
  currency: string;
  /** The balance `current` shows at link time; later activity moves it. */
  startCurrentCents: number;
  limitCents: number | null;
  /**
   * Opened after the Item was created (NEW_ACCOUNTS_AVAILABLE): not part of the generated
   * history, whose account choice must not change, so its activity is in the change log.
   */
  addedLater?: boolean;
}

/** Plaid's standard Sandbox accounts (plaid-api-notes §4.2); the IRA shows /sync omits investments. */
export const STANDARD_ACCOUNTS: readonly AccountTemplate[] = [
  { name: "Plaid Checking", mask: "0000", official_name: "Plaid Gold Standard 0% Interest Checking", type: "depository", subtype: "checking", kind: "checking", currency: "USD", startCurrentCents: 11000, limitCents: null },
  { name: "Plaid Saving", mask: "1111", official_name: "Plaid Silver Standard 0.1% Interest Saving", type: "depository", subtype: "savings", kind: "savings", currency: "USD", startCurrentCents: 21000, limitCents: null },
  { name: "Plaid Credit Card", mask: "3333", official_name: "Plaid Diamond 12.5% APR Interest Credit Card", type: "credit", subtype: "credit card", kind: "credit", currency: "USD", startCurrentCents: 41000, limitCents: 200000 },
  { name: "Plaid IRA", mask: "5555", official_name: null, type: "investment", subtype: "ira", kind: null, currency: "USD", startCurrentCents: 11001, limitCents: null },
];

/**
 * The account /sandbox/item/fire_webhook NEW_ACCOUNTS_AVAILABLE opens at the institution (the
 * k-th one is "Plaid New Savings k+1" from the second on), funded with `startCurrentCents`.
 */
export function newAccountTemplate(k: number): AccountTemplate {
  return {
    name: k === 0 ? "Plaid New Savings" : `Plaid New Savings ${k + 1}`,
    mask: String(2222 + k * 1000).slice(-4),
    official_name: "Plaid Bronze Standard 0.2% Interest Saving",
    type: "depository",
    subtype: "savings",
    kind: "savings",
    currency: "USD",
    startCurrentCents: 50000,
    limitCents: null,
    addedLater: true,
  };
}

/**
 * Maps a Plaid type/subtype to the generated activity it should carry; null: none, and the
 * account is left out of /transactions/sync, which (spec) "supports credit, depository, and some
 * loan-type accounts (only those with account subtype student)" — not investment, mortgage, ….
 */
export function kindFor(type: string, subtype: string | null): AccountKind | null {
  if (type === "depository") return subtype === "checking" || subtype === null ? "checking" : "savings";
  if (type === "credit") return "credit";
  if (type === "loan" && subtype === "student") return "loan";
  return null;
}

/** Relative share of generated transactions per account kind. */
export const KIND_WEIGHT: Readonly<Record<AccountKind, number>> = { checking: 5, credit: 4, savings: 1, loan: 0.3 };

/** Accounts whose balances grow with spending (amount owed) rather than shrink. */
export function isLiability(type: string): boolean {
  return type === "credit" || type === "loan";
}
