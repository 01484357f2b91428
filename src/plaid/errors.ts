/**
 * Every failure that leaves the Plaid layer — and every error of our own — is one of these (a
 * CleanError: safe to log, put in a message or show). The official client rejects with
 * axios errors whose `config.headers` hold the client secret, so the raw error is never passed on:
 * only the fields below are copied out of it.
 */
export interface ErrorInfo {
  code: string;
  type: string;
  message: string;
  display_message: string | null;
  request_id: string | null;
  /** HTTP status, when there was a response. */
  status: number | null;
}

export class CleanError extends Error {
  readonly plaid: ErrorInfo;
  constructor(plaid: ErrorInfo) {
    super(plaid.message);
    this.name = "CleanError";
    this.plaid = plaid;
  }
  toJSON(): ErrorInfo {
    return { ...this.plaid };
  }
}

/**
 * The one way to make an error of our own (not Plaid's answer): a code the node, the editor and a
 * Catch node can branch on, and a message that says what is wrong.
 */
export function errorOf(code: string, message: string, type = "SYNC_ERROR"): CleanError {
  return new CleanError({ code, type, message, display_message: null, request_id: null, status: null });
}

interface MaybeAxiosError {
  isAxiosError?: boolean;
  code?: string;
  message?: string;
  response?: { status?: number; data?: unknown };
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

/** Maps anything thrown by the plaid client (or our own code) to a clean, secret-free error. */
export function toCleanError(err: unknown): CleanError {
  if (err instanceof CleanError) return err;
  const e = (err ?? {}) as MaybeAxiosError;
  const response = e.response;
  if (response) {
    const data = (response.data ?? {}) as Record<string, unknown>;
    const status = typeof response.status === "number" ? response.status : null;
    if (typeof data.error_code === "string") {
      return new CleanError({
        code: data.error_code,
        type: str(data.error_type) ?? "API_ERROR",
        message: str(data.error_message) ?? data.error_code,
        display_message: str(data.display_message),
        request_id: str(data.request_id),
        status,
      });
    }
    return new CleanError({
      code: status !== null && status >= 500 ? "INTERNAL_SERVER_ERROR" : "UNEXPECTED_RESPONSE",
      type: status !== null && status >= 500 ? "API_ERROR" : "INVALID_RESULT",
      message: `Plaid answered HTTP ${status ?? "?"} without an error body`,
      display_message: null,
      request_id: null,
      status,
    });
  }
  if (e.isAxiosError || typeof e.code === "string") {
    // Network-level failure: keep axios' short code (ECONNREFUSED, ETIMEDOUT...), not its config.
    const netCode = typeof e.code === "string" ? e.code : "NETWORK_ERROR";
    return new CleanError({
      code: "NETWORK_ERROR",
      type: "NETWORK_ERROR",
      message: `Could not reach Plaid (${netCode})`,
      display_message: null,
      request_id: null,
      status: null,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CleanError({
    code: "INTERNAL_ERROR",
    type: "INTERNAL_ERROR",
    message,
    display_message: null,
    request_id: null,
    status: null,
  });
}

/**
 * Error codes the user resolves by logging in again (Link update mode). The one list the sync
 * engine, the link service and the editor share: a code here gets "needs login", a re-login URL
 * and the "Log in again" button everywhere, never a raw code in one place and advice in another.
 * PENDING_EXPIRATION and PENDING_DISCONNECT are webhook codes rather than error codes, but they
 * are fixed the same way, before the bank cuts the link.
 */
export const NEEDS_LOGIN_CODES: ReadonlySet<string> = new Set([
  "ITEM_LOGIN_REQUIRED",
  "PENDING_EXPIRATION",
  "PENDING_DISCONNECT",
  "INVALID_CREDENTIALS",
  "INVALID_MFA",
  "INVALID_UPDATED_USERNAME",
  "INSUFFICIENT_CREDENTIALS",
  "ITEM_LOCKED",
  "USER_SETUP_REQUIRED",
]);

export function needsLogin(e: Pick<ErrorInfo, "code">): boolean {
  return NEEDS_LOGIN_CODES.has(e.code);
}

/** Errors worth retrying: rate limits, Plaid-side failures, and the network. */
export function isRetryable(e: ErrorInfo): boolean {
  if (e.type === "RATE_LIMIT_EXCEEDED" || e.status === 429) return true;
  if (e.type === "NETWORK_ERROR") return true;
  if (e.status !== null && e.status >= 500) return true;
  return e.code === "INTERNAL_SERVER_ERROR" || e.code === "PLANNED_MAINTENANCE" || e.code === "INSTITUTION_NOT_RESPONDING" || e.code === "INSTITUTION_DOWN";
}
