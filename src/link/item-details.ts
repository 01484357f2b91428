/**
 * What is stored about a linked Item comes from Plaid's API with the Item's own access token —
 * /item/get (its id and institution) and /accounts/get (its accounts) — never from what a
 * browser reported (DESIGN §4): a page could claim any bank name or account list.
 */
import type { PlaidApi } from "plaid";
import { normaliseAccounts } from "./accounts";
import type { LinkedAccount } from "../plaid/types";

export interface ItemDetails {
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: LinkedAccount[];
  /** The Item's error as /item/get reports it (e.g. ITEM_LOGIN_REQUIRED), else null. */
  errorCode: string | null;
}

export async function readItemDetails(client: Pick<PlaidApi, "itemGet" | "accountsGet">, accessToken: string): Promise<ItemDetails> {
  const item = (await client.itemGet({ access_token: accessToken })).data.item;
  const errorCode = item.error?.error_code ?? null;
  // /accounts/get refuses an Item that needs a login; its accounts are then unknown, not empty.
  const accounts = errorCode ? [] : normaliseAccounts((await client.accountsGet({ access_token: accessToken })).data.accounts);
  return {
    itemId: item.item_id,
    institutionId: item.institution_id ?? "",
    institutionName: item.institution_name ?? "",
    accounts,
    errorCode,
  };
}
