/**
 * A failed Plaid call as the admin routes answer it: Plaid's code and message in the catalog's
 * words, and an HTTP status that tells the editor whether trying again can help (429: later; 400:
 * the request or the Item is at fault; 502: Plaid could not be reached or failed).
 */
import { toCleanError } from "../plaid/errors";
import { LinkError } from "./link-error";

/** Message catalog lookup; keys are relative to the plaid-link catalog ("errors.x"). */
export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export function plaidFailure(err: unknown, t: Translate, key = "errors.plaid"): LinkError {
  const e = toCleanError(err).plaid;
  const message = e.display_message ? `${e.message} (${e.display_message})` : e.message;
  const status = e.status === 429 || e.type === "RATE_LIMIT_EXCEEDED" ? 429 : e.status !== null && e.status < 500 ? 400 : 502;
  return new LinkError(status, t(key, { code: e.code, message }), e.code);
}
