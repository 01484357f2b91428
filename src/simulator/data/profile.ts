import type { AccountTemplate } from "./accounts";

/** One transaction a user_custom password spells out (Plaid's custom-user format). */
export interface ExplicitTxn {
  accountPos: number;
  dateTransacted: string;
  datePosted: string;
  amountCents: number;
  description: string;
  currency: string | null;
}

/**
 * Everything needed to regenerate an Item's initial data: who logged in, the accounts, and the
 * recipe for the history (generated lazily from `seed`, plus explicit custom transactions).
 */
export interface ItemProfile {
  username: string;
  /** Each /transactions/refresh simulates a day of activity (user_transactions_dynamic, volume users). */
  dynamic: boolean;
  /** /sandbox/transactions/create is allowed (Plaid: user_transactions_dynamic only). */
  allowsCreate: boolean;
  accounts: AccountTemplate[];
  seed: number;
  /** Number of generated transactions in the initial history. */
  generated: number;
  /** Days the generated history spans, ending on the Item's creation day. */
  days: number;
  /** How many of the most recent generated transactions are still pending. */
  pendingCount: number;
  explicit: ExplicitTxn[];
  /**
   * user_custom's simulator.consent_expiration_days: the Item's consent_expiration_time is its
   * link time (and again each completed update mode) plus this many days. Absent or null: none.
   */
  consentExpirationDays?: number | null;
}
