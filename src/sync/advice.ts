/**
 * Turns a clean Plaid error into the message a Node-RED user sees: what happened, and what to
 * do about it. Never includes request data (and so never a secret).
 */
import { needsLogin, type ErrorInfo } from "../plaid/errors";

export function advice(e: ErrorInfo): string {
  if (needsLogin(e)) {
    return "The bank needs you to log in again: open the plaid-link node and click \"Log in again\" (or open msg.error.relinkUrl), then trigger a sync.";
  }
  switch (e.code) {
    case "NOT_LINKED":
      return "Open the plaid-link node, click \"Link account\" and deploy.";
    case "NOT_CONFIGURED":
      return "Select a plaid-link node (with a deployed plaid-config) in this node's properties.";
    case "INVALID_ACCESS_TOKEN":
    case "ITEM_NOT_FOUND":
      return "This link is no longer valid at Plaid: link the account again in the plaid-link node.";
    case "INVALID_API_KEYS":
      return "Check the client id and secret in the plaid-config node (and that they belong to the selected environment).";
    case "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION":
      return "The bank's data kept changing during the sync; nothing was saved. Trigger again in a few minutes.";
    case "SYNC_ABORTED":
      return "Nothing was saved; the next trigger resumes from the last saved point.";
    case "STATE_SAVE_FAILED":
      return "Check that the Node-RED user directory is writable and not full; the points sent will be written again, idempotently, on the next trigger.";
    default:
      break;
  }
  if (e.type === "RATE_LIMIT_EXCEEDED" || e.status === 429) {
    return "Plaid's rate limit was hit and the retries ran out; nothing was saved. Trigger less often (e.g. every few hours); the next trigger continues from the last saved point.";
  }
  if (e.type === "NETWORK_ERROR") {
    return "Check the network connection to Plaid; nothing was saved and the next trigger retries from the last saved point.";
  }
  if ((e.status !== null && e.status >= 500) || e.type === "API_ERROR" || e.type === "INSTITUTION_ERROR") {
    return "Plaid or the bank is having trouble; nothing was saved. The next trigger retries from the last saved point.";
  }
  return "Nothing was saved; see the Plaid error code in msg.error.code.";
}

export function describe(e: ErrorInfo): string {
  const base = e.message.replace(/[.\s]+$/, "");
  return `${base} [${e.code}]. ${advice(e)}`;
}

/**
 * The node's status text for a failed sync, as a catalog key under `status.` (status in words,
 * never a raw code: the code is in msg.error for those who want it).
 */
export function statusKeyFor(e: ErrorInfo): string {
  if (needsLogin(e)) return "needsLogin";
  switch (e.code) {
    case "NOT_LINKED":
      return "notLinked";
    case "NOT_CONFIGURED":
    case "CONFIG_INVALID":
    case "INVALID_SETTINGS":
      return "notConfigured";
    case "INVALID_API_KEYS":
      return "badKeys";
    case "INVALID_ACCESS_TOKEN":
    case "ITEM_NOT_FOUND":
      return "linkInvalid";
    case "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION":
      return "dataChanging";
    case "STATE_SAVE_FAILED":
      return "cannotSave";
    default:
      break;
  }
  if (e.type === "RATE_LIMIT_EXCEEDED" || e.status === 429) return "rateLimited";
  if (e.type === "NETWORK_ERROR") return "unreachable";
  if (e.type === "INSTITUTION_ERROR") return "bankDown";
  if ((e.status !== null && e.status >= 500) || e.type === "API_ERROR") return "plaidDown";
  return "failed";
}
