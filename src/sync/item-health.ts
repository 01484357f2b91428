/**
 * Item health (DESIGN §3.3, output 2): turns what Plaid says about an Item — a sync's error,
 * /item/get's `error`, `consent_expiration_time` and `status.last_webhook` — into events a home
 * automation can act on, each sent once per change of state rather than once per failed sync.
 *
 * Without a webhook receiver, the webhook-only codes (NEW_ACCOUNTS_AVAILABLE, PENDING_DISCONNECT)
 * are seen only as /item/get's `last_webhook`, which Plaid fills only for an Item that has a
 * webhook URL; consent expiry needs no webhook (`consent_expiration_time`).
 *
 * Plain rules over a small record; the record is saved before an event leaves (health-store.ts),
 * so a crash can lose an announcement but never repeat one.
 */
import { needsLogin, type ErrorInfo } from "../plaid/errors";

export type HealthCode = "ITEM_LOGIN_REQUIRED" | "PENDING_EXPIRATION" | "PENDING_DISCONNECT" | "NEW_ACCOUNTS_AVAILABLE" | "LOGIN_REPAIRED";

/** The state of an Item as the plaid_items point reports it. */
export type HealthState = "OK" | "ITEM_LOGIN_REQUIRED" | "PENDING_DISCONNECT" | "PENDING_EXPIRATION";

/**
 * PENDING_EXPIRATION is announced this long before the consent runs out. Plaid's own webhook comes
 * 7 days ahead; /item/get is asked at most once a day, and syncs may be days apart, so a wider
 * window keeps the announcement at least a week ahead.
 */
export const EXPIRY_NOTICE_MS = 14 * 86_400_000;

/** /item/get at most this often per Item. */
export const ITEM_CHECK_INTERVAL_MS = 86_400_000;

export interface HealthRecord {
  itemId: string;
  /** The needs-login error code announced and not repaired since. */
  loginRequired?: string;
  /** consent_expiration_time announced (kept after a repair, so the same date is not announced again). */
  expiryAnnounced?: string;
  /** True while that expiry is the Item's open problem. */
  expiring?: boolean;
  /** `sent_at` of the PENDING_DISCONNECT webhook announced; cleared by a repair. */
  disconnectAt?: string;
  /** `sent_at` of the last NEW_ACCOUNTS_AVAILABLE webhook announced. */
  newAccountsAt?: string;
  /** `sent_at` of the last LOGIN_REPAIRED webhook seen. */
  repairedAt?: string;
  /** When /item/get was last asked (ms). */
  checkedAt?: number;
}

/** One announcement: the code and what the user should do. */
export interface HealthChange {
  code: HealthCode;
  message: string;
  /** The error that made the Item need a login (ITEM_LOGIN_REQUIRED may stand for INVALID_MFA and the like). */
  errorCode?: string;
  consentExpirationTime?: string;
}

/** What /item/get (or /accounts/get's `item`) says, in the fields these rules read. */
export interface ItemView {
  error?: { error_code?: string; error_type?: string } | null;
  consent_expiration_time?: string | null;
}

export interface ItemStatusView {
  last_webhook?: { sent_at?: string | null; code_sent?: string } | null;
}

const MESSAGES: Record<HealthCode, string> = {
  ITEM_LOGIN_REQUIRED: "The bank needs you to log in again: open the re-login link (or \"Log in again\" in the plaid-link node). Syncs fail until then.",
  PENDING_EXPIRATION: "Your consent for this bank runs out soon: log in again before then (the re-login link, or \"Log in again\" in the plaid-link node), or syncs will stop.",
  PENDING_DISCONNECT: "The bank is about to disconnect this link (e.g. moving to a new login method): log in again to keep it working.",
  NEW_ACCOUNTS_AVAILABLE: "The bank has accounts you have not shared yet: open the plaid-link node and click \"Add new accounts\" to add them.",
  LOGIN_REPAIRED: "The bank login works again; syncs continue.",
};

export class ItemHealth {
  constructor(private readonly rec: HealthRecord) {}

  get record(): Readonly<HealthRecord> {
    return this.rec;
  }

  get state(): HealthState {
    if (this.rec.loginRequired) return "ITEM_LOGIN_REQUIRED";
    if (this.rec.disconnectAt) return "PENDING_DISCONNECT";
    if (this.rec.expiring) return "PENDING_EXPIRATION";
    return "OK";
  }

  /** The consent expiry known to be near, for the plaid_items point. */
  get consentExpirationTime(): string | undefined {
    return this.rec.expiring ? this.rec.expiryAnnounced : undefined;
  }

  /** /item/get is due (never asked, or a day has passed). */
  checkDue(now: number): boolean {
    return this.rec.checkedAt === undefined || now - this.rec.checkedAt >= ITEM_CHECK_INTERVAL_MS;
  }

  syncFailed(e: Pick<ErrorInfo, "code">): HealthChange[] {
    return needsLogin(e) ? this.loginBroken(e.code) : [];
  }

  /** A sync went through: whatever stopped it is over. */
  syncSucceeded(): HealthChange[] {
    if (!this.rec.loginRequired) return [];
    delete this.rec.loginRequired;
    return [this.change("LOGIN_REPAIRED")];
  }

  /** The user logged in again (update mode finished): every problem a login fixes is fixed. */
  loginRepaired(): HealthChange[] {
    const wasBroken = this.state !== "OK";
    delete this.rec.loginRequired;
    delete this.rec.disconnectAt;
    delete this.rec.expiring;
    return wasBroken ? [this.change("LOGIN_REPAIRED")] : [];
  }

  /** What /item/get (status included) or /accounts/get's `item` says about the Item. */
  itemSeen(item: ItemView, status: ItemStatusView | null | undefined, now: number, checked: boolean): HealthChange[] {
    const out: HealthChange[] = [];
    if (checked) this.rec.checkedAt = now;
    const code = item.error?.error_code;
    if (code && needsLogin({ code })) out.push(...this.loginBroken(code));

    const hook = status?.last_webhook;
    const sentAt = hook?.sent_at ?? "";
    if (hook && sentAt) {
      if (hook.code_sent === "LOGIN_REPAIRED" && sentAt !== this.rec.repairedAt) {
        this.rec.repairedAt = sentAt;
        if (!code) out.push(...this.loginRepaired());
      } else if (hook.code_sent === "PENDING_DISCONNECT" && sentAt !== this.rec.disconnectAt && !this.seenBefore(sentAt)) {
        this.rec.disconnectAt = sentAt;
        out.push(this.change("PENDING_DISCONNECT"));
      } else if (hook.code_sent === "NEW_ACCOUNTS_AVAILABLE" && sentAt !== this.rec.newAccountsAt) {
        this.rec.newAccountsAt = sentAt;
        out.push(this.change("NEW_ACCOUNTS_AVAILABLE"));
      }
    }

    const expiry = item.consent_expiration_time ?? null;
    const at = expiry ? Date.parse(expiry) : NaN;
    if (expiry && Number.isFinite(at) && at - now <= EXPIRY_NOTICE_MS) {
      if (expiry !== this.rec.expiryAnnounced) {
        this.rec.expiryAnnounced = expiry;
        this.rec.expiring = true;
        out.push({ ...this.change("PENDING_EXPIRATION"), consentExpirationTime: expiry });
      }
    } else if (this.rec.expiring) {
      // Renewed (or no longer limited) without our re-login: the problem is gone.
      delete this.rec.expiring;
      if (this.state === "OK") out.push(this.change("LOGIN_REPAIRED"));
    }
    return out;
  }

  /** A PENDING_DISCONNECT older than the last repair is history, not news. */
  private seenBefore(sentAt: string): boolean {
    return this.rec.repairedAt !== undefined && sentAt <= this.rec.repairedAt;
  }

  private loginBroken(code: string): HealthChange[] {
    if (this.rec.loginRequired) return [];
    this.rec.loginRequired = code;
    return [{ ...this.change("ITEM_LOGIN_REQUIRED"), errorCode: code }];
  }

  private change(code: HealthCode): HealthChange {
    return { code, message: MESSAGES[code] };
  }
}

/** Codes whose fix is a login: their events carry the re-login URL. */
export function fixedByLogin(code: HealthCode): boolean {
  return code === "ITEM_LOGIN_REQUIRED" || code === "PENDING_EXPIRATION" || code === "PENDING_DISCONNECT";
}
