/**
 * Balances of the accounts /transactions/sync does not return ("investment-type accounts will be
 * omitted"): an IRA, a brokerage, a 401k, some loans. Net worth needs them (DESIGN §5), and the
 * free, cached /accounts/get has them — never the paid /accounts/balance/get.
 *
 * /accounts/get is asked only when the Item is known to have such accounts, at most once per sync:
 * an Item with only transaction accounts keeps its one-call no-op sync. What the Item has comes
 * from the plaid-link node (the accounts shared at link time); when that list is unknown, one
 * /accounts/get per engine lifetime finds out. An account the list names but Plaid no longer has
 * (removed in update mode, the flow not redeployed) is not asked about again.
 */
import type { AccountBase, AccountsGetResponse, PlaidApi } from "plaid";
import type { LinkedAccount } from "../plaid/types";
import { withRetry, type RetryOptions } from "../plaid/retry";

export class OutsideAccounts {
  /** Accounts /accounts/get returned that the sync did not: asked for every sync. */
  private readonly outside = new Set<string>();
  /** Listed by the link node, but neither the sync nor /accounts/get has them. */
  private readonly gone = new Set<string>();
  private learned = false;

  /** Should this sync ask /accounts/get? `fromSync`: the account ids the sync's pages returned. */
  needed(linked: readonly LinkedAccount[], fromSync: ReadonlySet<string>): boolean {
    if (!linked.length && !this.learned) return true;
    for (const id of this.outside) if (!fromSync.has(id)) return true;
    for (const a of linked) if (!fromSync.has(a.account_id) && !this.gone.has(a.account_id)) return true;
    return false;
  }

  /** Asks once; returns the accounts the sync lacked, and the Item (for its health). */
  async fetch(
    client: PlaidApi,
    accessToken: string,
    linked: readonly LinkedAccount[],
    fromSync: ReadonlySet<string>,
    retry: RetryOptions,
  ): Promise<{ accounts: AccountBase[]; item: AccountsGetResponse["item"] }> {
    const res = await withRetry(async () => (await client.accountsGet({ access_token: accessToken }, { signal: retry.signal })).data, retry);
    this.learned = true;
    const returned = new Set(res.accounts.map((a) => a.account_id));
    this.outside.clear();
    const accounts: AccountBase[] = [];
    for (const a of res.accounts) {
      if (fromSync.has(a.account_id)) continue;
      this.outside.add(a.account_id);
      accounts.push(a);
    }
    for (const a of linked) if (!returned.has(a.account_id)) this.gone.add(a.account_id);
    return { accounts, item: res.item };
  }
}
