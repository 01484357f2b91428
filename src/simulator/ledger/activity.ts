import { newAccountTemplate } from "../data/accounts";
import { MERCHANTS, MERCHANTS_BY_KIND } from "../data/catalog";
import { enrich } from "../data/history";
import { buildTransaction } from "../data/transaction";
import { dayNumber } from "../dates";
import { Rng, hash32, plaidId } from "../prng";
import type { SimItem } from "../store/item";
import type { Transaction } from "../types";

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** A random live, posted transaction of the initial history, or null if there is none. */
function pickPostedBase(item: SimItem, rng: Rng, exclude: Set<number>): number | null {
  const h = item.history;
  const limit = h.size - item.rec.profile.pendingCount;
  if (limit <= 0) return null;
  for (let tries = 0; tries < 30; tries++) {
    const i = rng.int(0, limit - 1);
    if (exclude.has(i) || !item.ledger.isLiveBase(i)) continue;
    const t = item.ledger.stateAt(i);
    if (t && !t.pending) return i;
  }
  return null;
}

/**
 * One simulated day for a dynamic Item, as Plaid documents user_transactions_dynamic's refresh:
 * every pending transaction posts (pending id removed, posted copy added with
 * pending_transaction_id), one earlier transaction's amount goes up by 1.00, sometimes one is
 * removed, and new pending transactions appear. Returns whether anything changed.
 */
export function simulateDay(item: SimItem): boolean {
  const rec = item.rec;
  const ledger = item.ledger;
  const profile = rec.profile;
  const bearing = profile.accounts.map((a, i) => (a.kind ? i : -1)).filter((i) => i >= 0);
  if (!bearing.length) return false;
  rec.day += 1;
  const today = item.today();
  const rng = new Rng(hash32(profile.seed, rec.item_id, "day", rec.day));

  // Chosen before today's postings so "previous transaction" means one the client could know.
  const recentPosted = ledger.postedFromLog();
  const modifiedTarget: { addSeq: number; txn: Transaction } | null = recentPosted.length
    ? rng.pick(recentPosted)
    : (() => {
        const i = pickPostedBase(item, rng, new Set());
        const t = i === null ? null : ledger.stateAt(i);
        return i !== null && t ? { addSeq: i, txn: t } : null;
      })();

  for (const p of ledger.pending()) {
    ledger.append({ k: "rem", a: p.addSeq, id: p.txn.transaction_id, account_id: p.txn.account_id });
    let amount = p.txn.amount;
    if (p.txn.personal_finance_category?.primary === "FOOD_AND_DRINK" && amount > 0 && rng.next() < 0.35)
      amount = round2(amount * 1.18); // a tip added when the charge settles
    const posted: Transaction = {
      ...p.txn,
      transaction_id: plaidId(rec.item_id, "posted", p.txn.transaction_id),
      amount,
      pending: false,
      pending_transaction_id: p.txn.transaction_id,
      date: today,
      authorized_date: p.txn.authorized_date ?? p.txn.date,
      datetime: p.txn.authorized_datetime ? `${today}T${p.txn.authorized_datetime.slice(11)}` : null,
      location: { ...p.txn.location },
      payment_meta: { ...p.txn.payment_meta },
      counterparties: p.txn.counterparties.map((c) => ({ ...c })),
    };
    ledger.append({ k: "add", txn: posted });
  }

  if (modifiedTarget) {
    const current = ledger.stateAt(modifiedTarget.addSeq);
    if (current) ledger.append({ k: "mod", a: modifiedTarget.addSeq, txn: { ...current, amount: round2(current.amount + 1) } });
  }

  if (rng.next() < 0.3) {
    const exclude = new Set(modifiedTarget ? [modifiedTarget.addSeq] : []);
    const i = pickPostedBase(item, rng, exclude);
    const t = i === null ? null : ledger.stateAt(i);
    if (i !== null && t) ledger.append({ k: "rem", a: i, id: t.transaction_id, account_id: t.account_id });
  }

  const fresh = rng.int(1, 3);
  for (let k = 0; k < fresh; k++) {
    const pos = bearing[rng.int(0, bearing.length - 1)];
    const account = profile.accounts[pos];
    const pool = MERCHANTS_BY_KIND[account.kind ?? "checking"];
    // New pending activity is card spending, not payroll or transfers.
    const cardPool = pool.indices.filter((m) => MERCHANTS[m].channel !== "other");
    const merchant = MERCHANTS[cardPool.length ? rng.pick(cardPool) : rng.pick(pool.indices)];
    ledger.append({
      k: "add",
      txn: buildTransaction({
        transactionId: plaidId(rec.item_id, "dyn", rec.day, k),
        accountId: rec.account_ids[pos],
        currency: account.currency,
        merchant,
        amountCents: rng.int(merchant.minCents, merchant.maxCents),
        date: today,
        authorizedDate: today,
        pending: true,
        pendingTransactionId: null,
        timeOfDay: rng.int(6 * 3600, 22 * 3600),
      }),
    });
  }
  return true;
}

export interface CustomSandboxTxn {
  date_transacted: string;
  date_posted: string;
  amount: number;
  description: string;
  iso_currency_code?: string;
}

/** /sandbox/transactions/create: posted transactions on the Item's depository account. */
export function addSandboxTransactions(item: SimItem, txns: CustomSandboxTxn[]): void {
  const rec = item.rec;
  const pos = rec.profile.accounts.findIndex((a) => a.type === "depository");
  const account = rec.profile.accounts[pos];
  const salt = item.ledger.end;
  txns.forEach((t, k) => {
    const cents = Math.round(t.amount * 100);
    item.ledger.append({
      k: "add",
      txn: buildTransaction({
        transactionId: plaidId(rec.item_id, "custom", salt, k),
        accountId: rec.account_ids[pos],
        currency: t.iso_currency_code ?? account.currency,
        merchant: enrich(t.description, cents),
        description: t.description,
        amountCents: cents,
        date: t.date_posted,
        authorizedDate: t.date_transacted,
        pending: dayNumber(t.date_posted) > dayNumber(item.today()),
        pendingTransactionId: null,
        timeOfDay: null,
      }),
    });
  });
}

/**
 * NEW_ACCOUNTS_AVAILABLE: the institution has one more account for the login, "Plaid New
 * Savings", not shared with the app, funded today by a transfer (its history once shared).
 */
export function openNewAccount(item: SimItem): string {
  const k = item.rec.profile.accounts.filter((a) => a.addedLater).length;
  const template = newAccountTemplate(k);
  const accountId = item.addAccount(template);
  const transfer = MERCHANTS.find((m) => m.primary === "TRANSFER_IN" && m.kinds.includes("savings")) ?? enrich("TRANSFER", -1);
  item.ledger.append({
    k: "add",
    txn: buildTransaction({
      transactionId: plaidId(item.itemId, "new-account-deposit", k),
      accountId,
      currency: template.currency,
      merchant: transfer,
      amountCents: -template.startCurrentCents,
      date: item.today(),
      authorizedDate: item.today(),
      pending: false,
      pendingTransactionId: null,
      timeOfDay: null,
    }),
  });
  return accountId;
}
