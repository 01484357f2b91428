import { SimError } from "../errors";
import { newItemId, newLinkToken } from "../ids";

const ADD_TTL_MS = 4 * 3600_000;
const UPDATE_TTL_MS = 30 * 60_000;

export interface LinkTokenRecord {
  token: string;
  expiresAt: number;
  mode: "add" | "update";
  /** Update mode: the Item being repaired. */
  itemId: string | null;
  clientName: string;
  countryCodes: string[];
  language: string;
  products: string[];
  webhook: string | null;
  redirectUri: string | null;
  daysRequested: number;
}

/**
 * Link tokens (4 h for new Items, 30 min in update mode; reusable, as in Plaid's Sandbox) and the
 * stand-in Link's drafts: the Item id chosen at login, so account ids shown to the user before
 * "complete" are the ones the Item gets.
 */
export class LinkTokens {
  private readonly tokens = new Map<string, LinkTokenRecord>();
  private readonly drafts = new Map<string, string>();
  private readonly oauthStates = new Map<string, { token: string; institutionId: string; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  create(init: Omit<LinkTokenRecord, "token" | "expiresAt">): LinkTokenRecord {
    const rec: LinkTokenRecord = {
      ...init,
      token: newLinkToken(),
      expiresAt: this.now() + (init.mode === "update" ? UPDATE_TTL_MS : ADD_TTL_MS),
    };
    this.tokens.set(rec.token, rec);
    return rec;
  }

  get(token: unknown): LinkTokenRecord {
    const rec = typeof token === "string" ? this.tokens.get(token) : undefined;
    if (!rec || rec.expiresAt <= this.now()) throw new SimError("INVALID_LINK_TOKEN");
    return rec;
  }

  /** The Item id a login will create, stable until that login completes. */
  draftItemId(token: string, institutionId: string, username: string): string {
    const key = `${token}\u0000${institutionId}\u0000${username}`;
    let id = this.drafts.get(key);
    if (!id) {
      id = newItemId();
      this.drafts.set(key, id);
    }
    return id;
  }

  consumeDraft(token: string, institutionId: string, username: string): string {
    const key = `${token}\u0000${institutionId}\u0000${username}`;
    const id = this.drafts.get(key) ?? newItemId();
    this.drafts.delete(key);
    return id;
  }

  addOauthState(stateId: string, token: string, institutionId: string): void {
    this.oauthStates.set(stateId, { token, institutionId, expiresAt: this.now() + UPDATE_TTL_MS });
  }

  oauthState(stateId: unknown, token: string): { institutionId: string } {
    const s = typeof stateId === "string" ? this.oauthStates.get(stateId) : undefined;
    if (!s || s.token !== token || s.expiresAt <= this.now()) throw new SimError("INVALID_FIELD", "oauth_state_id is invalid or expired");
    return { institutionId: s.institutionId };
  }

  clear(): void {
    this.tokens.clear();
    this.drafts.clear();
    this.oauthStates.clear();
  }
}
