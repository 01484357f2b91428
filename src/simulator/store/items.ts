import type { ItemProfile } from "../data/profile";
import { SimError } from "../errors";
import { hashToken, newAccessToken, newItemId, newPublicToken } from "../ids";
import { SimItem } from "./item";
import type { PublicTokenState, SimState } from "./persistence";

const PUBLIC_TOKEN_TTL_MS = 30 * 60_000;

interface PublicTokenRecord {
  itemId: string;
  expiresAt: number;
}

/**
 * All Items and the tokens that lead to them. Access and public tokens exist in plaintext only
 * in the response that hands them out; everything kept (in memory and on disk) is their SHA-256.
 */
export class ItemStore {
  private readonly items = new Map<string, SimItem>();
  private readonly byTokenHash = new Map<string, string>();
  private readonly removedHashes = new Set<string>();
  /** Keyed by the SHA-256 of the public token. */
  private readonly publicTokens = new Map<string, PublicTokenRecord>();

  /** `persist` writes the state file (a no-op without one); `initial` is what it held at start. */
  constructor(
    private readonly now: () => number,
    private readonly persist: () => void = () => undefined,
    initial: SimState | null = null,
  ) {
    if (initial) this.restore(initial);
  }

  private restore(state: SimState): void {
    for (const rec of state.items) this.add(new SimItem(rec));
    for (const h of state.removed_token_hashes) this.removedHashes.add(h);
    for (const p of state.public_tokens ?? []) this.publicTokens.set(p.hash, { itemId: p.item_id, expiresAt: p.expires_at });
  }

  /** This store's sections of the state file. */
  toState(): Pick<SimState, "items" | "removed_token_hashes" | "public_tokens"> {
    const now = this.now();
    const publicTokens: PublicTokenState[] = [];
    for (const [hash, rec] of this.publicTokens) if (rec.expiresAt > now) publicTokens.push({ hash, item_id: rec.itemId, expires_at: rec.expiresAt });
    return {
      items: [...this.items.values()].map((i) => i.rec),
      removed_token_hashes: [...this.removedHashes],
      public_tokens: publicTokens,
    };
  }

  private add(item: SimItem): void {
    this.items.set(item.itemId, item);
    for (const h of item.rec.token_hashes) this.byTokenHash.set(h, item.itemId);
  }

  /** Writes the state file, if there is one; call after every change worth surviving a restart. */
  save(): void {
    this.persist();
  }

  reset(): void {
    this.items.clear();
    this.byTokenHash.clear();
    this.removedHashes.clear();
    this.publicTokens.clear();
    this.save();
  }

  get size(): number {
    return this.items.size;
  }

  all(): SimItem[] {
    return [...this.items.values()];
  }

  get(itemId: string): SimItem | undefined {
    return this.items.get(itemId);
  }

  createItem(init: {
    institutionId: string;
    institutionName: string;
    createdDate: string;
    profile: ItemProfile;
    products: string[];
    webhook: string | null;
    itemId?: string;
    sharedPositions?: number[];
  }): SimItem {
    const item = SimItem.create({
      itemId: init.itemId ?? newItemId(),
      institutionId: init.institutionId,
      institutionName: init.institutionName,
      createdAt: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      createdDate: init.createdDate,
      profile: init.profile,
      products: init.products,
      webhook: init.webhook,
      sharedPositions: init.sharedPositions,
    });
    this.add(item);
    this.save();
    return item;
  }

  /** Saved with the state: Link's result may be exchanged after a restart (hosted Link polls). */
  issuePublicToken(itemId: string): string {
    const token = newPublicToken();
    const now = this.now();
    for (const [h, rec] of this.publicTokens) if (rec.expiresAt <= now) this.publicTokens.delete(h);
    this.publicTokens.set(hashToken(token), { itemId, expiresAt: now + PUBLIC_TOKEN_TTL_MS });
    this.save();
    return token;
  }

  /** Single use and 30 minutes, as Plaid's public tokens. */
  exchangePublicToken(publicToken: string): { accessToken: string; item: SimItem } {
    const key = hashToken(publicToken);
    const rec = this.publicTokens.get(key);
    this.publicTokens.delete(key);
    const item = rec ? this.items.get(rec.itemId) : undefined;
    if (!rec || !item || rec.expiresAt <= this.now()) throw new SimError("INVALID_PUBLIC_TOKEN");
    const accessToken = newAccessToken();
    const h = hashToken(accessToken);
    item.rec.token_hashes.push(h);
    this.byTokenHash.set(h, item.itemId);
    this.save();
    return { accessToken, item };
  }

  /** The Item behind an access token, or Plaid's error for a bad or revoked one. */
  resolve(accessToken: string): SimItem {
    const h = hashToken(accessToken);
    const itemId = this.byTokenHash.get(h);
    const item = itemId ? this.items.get(itemId) : undefined;
    if (item) return item;
    if (this.removedHashes.has(h)) throw new SimError("ITEM_NOT_FOUND");
    throw new SimError("INVALID_ACCESS_TOKEN");
  }

  remove(item: SimItem): void {
    for (const h of item.rec.token_hashes) {
      this.byTokenHash.delete(h);
      this.removedHashes.add(h);
    }
    this.items.delete(item.itemId);
    for (const [token, rec] of this.publicTokens) if (rec.itemId === item.itemId) this.publicTokens.delete(token);
    this.save();
  }
}
