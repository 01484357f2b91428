import { STANDARD_ACCOUNTS, kindFor, type AccountTemplate } from "./accounts";
import type { ExplicitTxn, ItemProfile } from "./profile";
import type { SimInstitution } from "./institutions";
import { SimError, invalidField, isKnownErrorCode } from "../errors";
import { isIsoDate } from "../dates";
import { hash32 } from "../prng";
import { isObject } from "../validate";

/** Volume limit for the simulator's own `simulator.transactions` knob. */
export const MAX_GENERATED = 2_000_000;
/** Upper bound of `simulator.consent_expiration_days` (ten years; Plaid's consents are shorter). */
const MAX_CONSENT_DAYS = 3650;

const PERSONAS = new Set(["user_ewa_user", "user_yuppie", "user_small_business"]);

function invalidCredentials(): SimError {
  return new SimError("INVALID_CREDENTIALS");
}

/** Sandbox passwords of the form error_<CODE> force that error, as Plaid's Sandbox does. */
function forcedError(password: string): SimError | null {
  const m = /^error_([A-Z_]+)$/.exec(password);
  if (!m) return null;
  return new SimError(isKnownErrorCode(m[1]) ? m[1] : "INVALID_CREDENTIALS");
}

function standardProfile(username: string, seed: number, generated: number, days: number, pending: number, dynamic: boolean): ItemProfile {
  return {
    username,
    dynamic,
    allowsCreate: dynamic,
    accounts: STANDARD_ACCOUNTS.map((a) => ({ ...a })),
    seed,
    generated,
    days,
    pendingCount: pending,
    explicit: [],
  };
}

/**
 * Turns Sandbox credentials into the recipe of the Item they create, or throws the error Plaid
 * gives for them. `daysRequested` bounds the generated history (Plaid's default is 90 days).
 */
export function profileFor(
  institution: SimInstitution,
  username: string,
  password: string,
  daysRequested: number,
): ItemProfile {
  const forced = forcedError(password);
  if (forced) throw forced;
  if (username === "user_good" || (institution.anyCredentials && username !== "user_transactions_dynamic" && username !== "user_custom")) {
    if (!institution.anyCredentials && password !== "pass_good") throw invalidCredentials();
    return standardProfile("user_good", 1, 48, Math.min(daysRequested, 90), 4, false);
  }
  if (username === "user_transactions_dynamic") {
    if (password.trim() === "") throw invalidCredentials();
    return standardProfile(username, 2, 50, Math.min(daysRequested, 90), 6, true);
  }
  if (PERSONAS.has(username)) {
    if (password.trim() === "") throw invalidCredentials();
    return standardProfile(username, hash32(username), 120, Math.min(daysRequested, 90), 5, false);
  }
  if (username === "user_custom") return customProfile(password);
  throw invalidCredentials();
}

function num(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw invalidField(field, "must be a number");
  return v;
}

function str(v: unknown, field: string): string {
  if (typeof v !== "string") throw invalidField(field, "must be a string");
  return v;
}

const ACCOUNT_TYPES = new Set(["depository", "credit", "loan", "investment", "other"]);

/**
 * Plaid's custom Sandbox user: the password is a JSON configuration,
 * {"override_accounts":[{type, subtype, starting_balance, currency, meta?, transactions?}]},
 * plus the simulator's own {"simulator":{seed, transactions, days, pending}} for volume and
 * {"simulator":{consent_expiration_days}} for an Item whose consent expires.
 */
export function customProfile(password: string): ItemProfile {
  const F = "options.override_password";
  let cfg: unknown;
  try {
    cfg = JSON.parse(password);
  } catch {
    throw invalidField(F, "must be a JSON custom-user configuration for user_custom");
  }
  if (!isObject(cfg)) throw invalidField(F, "must be a JSON object");
  const rawAccounts = cfg.override_accounts ?? [];
  if (!Array.isArray(rawAccounts)) throw invalidField(`${F}.override_accounts`, "must be an array");
  const accounts: AccountTemplate[] = [];
  const explicit: ExplicitTxn[] = [];
  rawAccounts.forEach((raw: unknown, pos) => {
    const at = `${F}.override_accounts[${pos}]`;
    if (!isObject(raw)) throw invalidField(at, "must be an object");
    const type = str(raw.type ?? "depository", `${at}.type`);
    if (!ACCOUNT_TYPES.has(type)) throw invalidField(`${at}.type`, "must be one of depository, credit, loan, investment, other");
    const subtype = raw.subtype === undefined || raw.subtype === null ? null : str(raw.subtype, `${at}.subtype`);
    const meta = isObject(raw.meta) ? raw.meta : {};
    const currency = raw.currency === undefined ? "USD" : str(raw.currency, `${at}.currency`);
    const startCents = Math.round(num(raw.starting_balance ?? 0, `${at}.starting_balance`) * 100);
    const limit = meta.limit === undefined || meta.limit === null ? null : Math.round(num(meta.limit, `${at}.meta.limit`) * 100);
    accounts.push({
      name: meta.name === undefined ? `Custom ${subtype ?? type} ${pos + 1}` : str(meta.name, `${at}.meta.name`),
      mask: meta.mask === undefined ? String(1000 + pos * 1111).slice(-4) : str(meta.mask, `${at}.meta.mask`),
      official_name: meta.official_name === undefined ? null : str(meta.official_name, `${at}.meta.official_name`),
      type: type as AccountTemplate["type"],
      subtype,
      kind: kindFor(type, subtype),
      currency,
      startCurrentCents: startCents,
      limitCents: limit ?? (type === "credit" ? Math.max(startCents * 4, 100000) : null),
    });
    const txns = raw.transactions ?? [];
    if (!Array.isArray(txns)) throw invalidField(`${at}.transactions`, "must be an array");
    if (txns.length && accounts[pos].kind === null)
      throw invalidField(`${at}.transactions`, "are not supported on this account type: /transactions/sync covers depository, credit and student loan accounts");
    txns.forEach((t: unknown, k) => {
      const tt = `${at}.transactions[${k}]`;
      if (!isObject(t)) throw invalidField(tt, "must be an object");
      const dateTransacted = str(t.date_transacted, `${tt}.date_transacted`);
      const datePosted = str(t.date_posted, `${tt}.date_posted`);
      if (!isIsoDate(dateTransacted)) throw invalidField(`${tt}.date_transacted`, "must be a date in the format YYYY-MM-DD");
      if (!isIsoDate(datePosted)) throw invalidField(`${tt}.date_posted`, "must be a date in the format YYYY-MM-DD");
      explicit.push({
        accountPos: pos,
        dateTransacted,
        datePosted,
        amountCents: Math.round(num(t.amount, `${tt}.amount`) * 100),
        description: str(t.description, `${tt}.description`),
        currency: t.currency === undefined || t.currency === null ? null : str(t.currency, `${tt}.currency`),
      });
    });
  });
  if (!accounts.length) accounts.push(...STANDARD_ACCOUNTS.map((a) => ({ ...a })));

  const sim = isObject(cfg.simulator) ? cfg.simulator : {};
  const S = `${F}.simulator`;
  const int = (v: unknown, field: string, min: number, max: number, dflt: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      throw invalidField(`${S}.${field}`, `must be an integer from ${min} to ${max}`);
    return v;
  };
  const generated = int(sim.transactions, "transactions", 0, MAX_GENERATED, 0);
  const consentDays = (v: unknown): number | null => {
    if (v === undefined || v === null) return null;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > MAX_CONSENT_DAYS)
      throw invalidField(`${S}.consent_expiration_days`, `must be a number of days greater than 0 and at most ${MAX_CONSENT_DAYS}`);
    return v;
  };
  return {
    username: "user_custom",
    // With a volume history the Item behaves like user_transactions_dynamic on refresh.
    dynamic: generated > 0,
    allowsCreate: false,
    accounts,
    seed: int(sim.seed, "seed", 0, 2 ** 31 - 1, hash32(password)),
    generated,
    days: int(sim.days, "days", 1, 3650, 730),
    pendingCount: int(sim.pending, "pending", 0, 1000, Math.min(8, generated)),
    explicit,
    consentExpirationDays: consentDays(sim.consent_expiration_days),
  };
}
