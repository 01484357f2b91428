/**
 * Plaid's error catalogue as the simulator uses it: HTTP status, error_type and the documented
 * messages (plaid-api-notes §5). Handlers throw SimError; the server turns it into the body.
 */

export interface PlaidErrorBody {
  error_type: string;
  error_code: string;
  error_message: string;
  display_message: string | null;
  request_id: string;
}

interface CatalogueEntry {
  status: number;
  type: string;
  message: string;
  display: string | null;
}

const INSTITUTION_DISPLAY =
  "This financial institution is not currently responding to requests. We apologize for the inconvenience.";
const RATE_LIMIT_MESSAGE = "rate limit exceeded for attempts to access this item. please try again later";

export const ERROR_CATALOGUE: Readonly<Record<string, CatalogueEntry>> = {
  ITEM_LOGIN_REQUIRED: {
    status: 400,
    type: "ITEM_ERROR",
    message:
      "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state",
    display: null,
  },
  INVALID_CREDENTIALS: {
    status: 400,
    type: "ITEM_ERROR",
    message: "the provided credentials were not correct",
    display: "The provided credentials were not correct. Please try again.",
  },
  // Fault injection only: the simulator's test users do not produce these (the node treats them
  // like ITEM_LOGIN_REQUIRED, NEEDS_LOGIN_CODES).
  INVALID_MFA: {
    status: 400,
    type: "ITEM_ERROR",
    message: "the provided MFA responses were not correct",
    display: "The provided MFA responses were not correct. Please try again.",
  },
  ITEM_LOCKED: {
    status: 400,
    type: "ITEM_ERROR",
    message: "the account is locked. prompt the user to visit the institution's site and unlock their account",
    display: "The given account has been locked by the financial institution. Please visit your financial institution's website to unlock your account.",
  },
  ITEM_NOT_FOUND: {
    status: 400,
    type: "ITEM_ERROR",
    message:
      "The Item you requested cannot be found. This Item does not exist, has been previously removed via /item/remove, or has had access removed by the user.",
    display: null,
  },
  PRODUCT_NOT_READY: {
    status: 400,
    type: "ITEM_ERROR",
    message: "the requested product is not yet ready. please provide a webhook or try the request again later",
    display: null,
  },
  PRODUCTS_NOT_SUPPORTED: { status: 400, type: "ITEM_ERROR", message: "", display: null },
  INVALID_ACCESS_TOKEN: { status: 400, type: "INVALID_INPUT", message: "could not find matching access token", display: null },
  INVALID_API_KEYS: { status: 400, type: "INVALID_INPUT", message: "invalid client_id or secret provided", display: null },
  INVALID_PUBLIC_TOKEN: { status: 400, type: "INVALID_INPUT", message: "could not find matching public token", display: null },
  INVALID_LINK_TOKEN: { status: 400, type: "INVALID_INPUT", message: "invalid link_token provided", display: null },
  INVALID_ACCOUNT_ID: {
    status: 400,
    type: "INVALID_INPUT",
    message: "failed to find requested account ID for requested item",
    display: null,
  },
  INVALID_INSTITUTION: { status: 400, type: "INVALID_INPUT", message: "invalid institution_id provided", display: null },
  INVALID_PRODUCT: { status: 400, type: "INVALID_INPUT", message: "invalid product provided", display: null },
  TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION: {
    status: 400,
    type: "TRANSACTIONS_ERROR",
    message: "Underlying transaction data changed since last page was fetched. Please restart pagination from last update.",
    display: null,
  },
  INTERNAL_SERVER_ERROR: { status: 500, type: "API_ERROR", message: "an unexpected error occurred", display: null },
  PLANNED_MAINTENANCE: {
    status: 503,
    type: "API_ERROR",
    message:
      "the Plaid API is temporarily unavailable due to planned maintenance. visit https://status.plaid.com/ for more information",
    display: null,
  },
  INSTITUTION_DOWN: {
    status: 400,
    type: "INSTITUTION_ERROR",
    message: "this institution is not currently responding to this request. please try again soon",
    display: INSTITUTION_DISPLAY,
  },
  INSTITUTION_NOT_RESPONDING: {
    status: 400,
    type: "INSTITUTION_ERROR",
    message: "this institution is not currently responding to this request. please try again soon",
    display: INSTITUTION_DISPLAY,
  },
  SANDBOX_PRODUCT_NOT_ENABLED: {
    status: 400,
    type: "SANDBOX_ERROR",
    message: "The transactions product is not enabled on this item",
    display: null,
  },
  SANDBOX_WEBHOOK_INVALID: {
    status: 400,
    type: "SANDBOX_ERROR",
    message: "Webhook for this item is either not set up, or invalid. Please update the item's webhook and try again.",
    display: null,
  },
  INVALID_BODY: { status: 400, type: "INVALID_REQUEST", message: "body could not be parsed as JSON", display: null },
  MISSING_FIELDS: { status: 400, type: "INVALID_REQUEST", message: "the following required fields are missing", display: null },
  UNKNOWN_FIELDS: { status: 400, type: "INVALID_REQUEST", message: "the following fields are not recognized by this endpoint", display: null },
  INVALID_FIELD: { status: 400, type: "INVALID_REQUEST", message: "one or more of the request fields is invalid", display: null },
  INVALID_HEADERS: { status: 400, type: "INVALID_REQUEST", message: "request headers are invalid", display: null },
  NOT_FOUND: { status: 404, type: "INVALID_REQUEST", message: "not found", display: null },
  SANDBOX_ONLY: { status: 400, type: "INVALID_REQUEST", message: "this route is only available in the sandbox environment", display: null },
  // Rate limits: error_type RATE_LIMIT_EXCEEDED, one code per endpoint family.
  RATE_LIMIT: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: RATE_LIMIT_MESSAGE, display: null },
  TRANSACTIONS_SYNC_LIMIT: {
    status: 429,
    type: "RATE_LIMIT_EXCEEDED",
    message: 'rate limit exceeded for attempts to access "transactions/sync". please try again later',
    display: null,
  },
  TRANSACTIONS_LIMIT: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: RATE_LIMIT_MESSAGE, display: null },
  TRANSACTIONS_REFRESH_LIMIT: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: RATE_LIMIT_MESSAGE, display: null },
  ACCOUNTS_LIMIT: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: RATE_LIMIT_MESSAGE, display: null },
  ACCOUNTS_BALANCE_GET_LIMIT: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: RATE_LIMIT_MESSAGE, display: null },
  BALANCE_LIMIT: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: RATE_LIMIT_MESSAGE, display: null },
  ITEM_GET_LIMIT: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: RATE_LIMIT_MESSAGE, display: null },
  INSTITUTIONS_GET_BY_ID_LIMIT: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: RATE_LIMIT_MESSAGE, display: null },
  INSTITUTION_RATE_LIMIT: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: RATE_LIMIT_MESSAGE, display: null },
};

/** The rate-limit code Plaid uses for each endpoint; RATE_LIMIT for the rest. */
const RATE_LIMIT_CODE_BY_PATH: Readonly<Record<string, string>> = {
  "/transactions/sync": "TRANSACTIONS_SYNC_LIMIT",
  "/transactions/get": "TRANSACTIONS_LIMIT",
  "/transactions/refresh": "TRANSACTIONS_REFRESH_LIMIT",
  "/accounts/get": "ACCOUNTS_LIMIT",
  "/accounts/balance/get": "ACCOUNTS_BALANCE_GET_LIMIT",
  "/item/get": "ITEM_GET_LIMIT",
  "/institutions/get_by_id": "INSTITUTIONS_GET_BY_ID_LIMIT",
};

export function rateLimitCodeFor(path: string): string {
  return RATE_LIMIT_CODE_BY_PATH[path] ?? "RATE_LIMIT";
}

export function isKnownErrorCode(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}

/** A Plaid API error on its way to the client. */
export class SimError extends Error {
  readonly status: number;
  readonly errorType: string;
  readonly errorCode: string;
  readonly displayMessage: string | null;
  constructor(code: string, message?: string, overrides?: { status?: number; type?: string; display?: string | null }) {
    const entry = ERROR_CATALOGUE[code] ?? ERROR_CATALOGUE.INTERNAL_SERVER_ERROR;
    super(message ?? entry.message);
    this.name = "SimError";
    this.errorCode = isKnownErrorCode(code) ? code : "INTERNAL_SERVER_ERROR";
    this.status = overrides?.status ?? entry.status;
    this.errorType = overrides?.type ?? entry.type;
    this.displayMessage = overrides?.display !== undefined ? overrides.display : entry.display;
  }
  toBody(requestId: string): PlaidErrorBody {
    return {
      error_type: this.errorType,
      error_code: this.errorCode,
      error_message: this.message,
      display_message: this.displayMessage,
      request_id: requestId,
    };
  }
}

export const missingFields = (fields: string[]): SimError =>
  new SimError("MISSING_FIELDS", `the following required fields are missing: ${fields.join(", ")}`);

export const invalidField = (field: string, why: string): SimError =>
  new SimError("INVALID_FIELD", `${field} ${why}`);

/** The ITEM_LOGIN_REQUIRED error object as /item/get embeds it (no request_id, per the spec). */
export function itemLoginRequiredObject(): Omit<PlaidErrorBody, "request_id"> & { error_code_reason: null } {
  const e = ERROR_CATALOGUE.ITEM_LOGIN_REQUIRED;
  return {
    error_type: e.type,
    error_code: "ITEM_LOGIN_REQUIRED",
    error_code_reason: null,
    error_message: e.message,
    display_message: e.display,
  };
}
