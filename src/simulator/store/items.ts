import * as fs from "node:fs";
import type { ItemProfile } from "../data/profile";
import { SimError } from "../errors";
import { hashToken, newAccessToken, newItemId, newPublicToken } from "../ids";
import { SimItem } from "./item";
import { loadState, saveState, type SimState } from "./persistence";

const PUBLIC_TOKEN_TTL_MS = 30 * 60_000;

interface PublicTokenRecord {
  itemId: string;
  expiresAt: number;
}

/**
 * All Items and the tokens that lead to them. Access tokens exist in plaintext only in the
 * response that hands them out; everything kept (in memory and on disk) is their SHA-256.
 */
export class ItemStore {
  private readonly items = new Map<string, SimItem>();
  private readonly byTokenHash = new Map<string, string>();
  private readonly removedHashes = new Set<string>();
  private readonly publicTokens = new Map<string, PublicTokenRecord>();

  constructor(
    private readonly now: () => number,
    private readonly stateFile?: string,
    warn: (line: string) => void = () => undefined,
  ) {
    if (!stateFile) return;
    let state: SimState | null = null;
    try {
      state = loadState(stateFile);
    } catch (e) {
      // Demo mode must still start: keep the unreadable file for inspection and begin empty.
      const aside = `${stateFile}.corrupt-${Date.now()}`;
      fs.renameSync(stateFile, aside);
      warn(`state file ${stateFile} could not be read (${e instanceof Error ? e.message : String(e)}); moved to ${aside}, starting with no Items`);
    }
    if (state) this.restore(state);
  }

  private restore(state: SimState): void {
    for (const rec of state.items) this.add(new SimItem(rec));
    for (const h of state.removed_token_hashes) this.removedHashes.add(h);
  }

  private add(item: SimItem): void {
    this.items.set(item.itemId, item);
    for (const h of item.rec.token_hashes) this.byTokenHash.set(h, item.itemId);
  }

  /** Writes the state file, if there is one; call after every change worth surviving a restart. */
  save(): void {
    if (!this.stateFile) return;
    saveState(this.stateFile, {
      version: 1,
      items: [...this.items.values()].map((i) => i.rec),
      removed_token_hashes: [...this.removedHashes],
    });
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
    accountIds?: string[];
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
      accountIds: init.accountIds,
    });
    this.add(item);
    this.save();
    return item;
  }

  issuePublicToken(itemId: string): string {
    const token = newPublicToken();
    this.publicTokens.set(token, { itemId, expiresAt: this.now() + PUBLIC_TOKEN_TTL_MS });
    return token;
  }

  /** Single use and 30 minutes, as Plaid's public tokens. */
  exchangePublicToken(publicToken: string): { accessToken: string; item: SimItem } {
    const rec = this.publicTokens.get(publicToken);
    this.publicTokens.delete(publicToken);
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
