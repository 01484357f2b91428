/**
 * The editor's health line for a linked Item (GET <admin>/plaid-sync/links/<id>/health), read
 * from /item/get. Plain data in, plain data out: the service makes the call.
 */
import type { ItemGetResponse } from "plaid";
import { NEEDS_LOGIN_CODES, type ErrorInfo } from "../plaid/errors";
import type { LinkNodeLike } from "./link-writer";

export interface HealthReport {
  linked: boolean;
  itemId?: string;
  institutionId?: string | null;
  institutionName?: string | null;
  lastSuccessfulUpdate?: string | null;
  lastFailedUpdate?: string | null;
  consentExpiration?: string | null;
  error?: { code: string; type: string; message: string; display_message: string | null } | null;
  needsLogin?: boolean;
  /** Plaid's last webhook for the Item was NEW_ACCOUNTS_AVAILABLE: "Add new accounts" has something to add. */
  newAccounts?: boolean;
  /** The token is pending (linked, not yet deployed). */
  pendingDeploy?: boolean;
}

type KnownLink = Pick<LinkNodeLike, "itemId" | "institutionId" | "institutionName"> | null | undefined;

export function healthOfItem(data: ItemGetResponse, linkNode: KnownLink, pendingDeploy: boolean): HealthReport {
  const item = data.item;
  const tx = data.status?.transactions;
  const error = item.error
    ? {
        code: item.error.error_code,
        type: String(item.error.error_type),
        message: item.error.error_message,
        display_message: item.error.display_message ?? null,
      }
    : null;
  return {
    linked: true,
    itemId: item.item_id,
    institutionId: item.institution_id ?? linkNode?.institutionId ?? null,
    institutionName: item.institution_name ?? linkNode?.institutionName ?? null,
    lastSuccessfulUpdate: tx?.last_successful_update ?? null,
    lastFailedUpdate: tx?.last_failed_update ?? null,
    consentExpiration: item.consent_expiration_time ?? null,
    error,
    needsLogin: !!error && NEEDS_LOGIN_CODES.has(error.code),
    newAccounts: data.status?.last_webhook?.code_sent === "NEW_ACCOUNTS_AVAILABLE",
    pendingDeploy,
  };
}

/**
 * /item/get failed. A 4xx from Plaid means the Item itself is broken (removed, token invalid,
 * login required...): that is the health to report, with a 200. Null when Plaid could not answer
 * (5xx, network): the caller reports a failure.
 */
export function healthOfFailure(e: ErrorInfo, linkNode: KnownLink, pendingDeploy: boolean): HealthReport | null {
  if (e.status === null || e.status >= 500 || e.type === "NETWORK_ERROR") return null;
  return {
    linked: true,
    itemId: linkNode?.itemId,
    institutionName: linkNode?.institutionName ?? null,
    error: { code: e.code, type: e.type, message: e.message, display_message: e.display_message },
    needsLogin: NEEDS_LOGIN_CODES.has(e.code),
    pendingDeploy,
  };
}
