/**
 * A finished Link, turned into a stored Item (DESIGN §4), for the embedded page's complete() and
 * for hosted sessions alike: a new bank's public token is exchanged server-side and its access
 * token stored before anything else, so the Item is never orphaned; after update mode the Item
 * keeps its token and what we know of it is refreshed.
 */
import type { PlaidApi } from "plaid";
import { NEEDS_LOGIN_CODES, toCleanError } from "../plaid/errors";
import { normaliseInstitution } from "./accounts";
import type { ConfigLike } from "./config-like";
import type { HostedSuccess } from "./hosted-result";
import { readItemDetails, type ItemDetails } from "./item-details";
import { LinkError } from "./link-error";
import type { LinkEvent, LinkNodeLike, LinkWriter } from "./link-writer";
import { plaidFailure, type Translate } from "./plaid-failure";
import type { LinkSession, SessionResult } from "./sessions";

export interface ItemCollectorDeps {
  writer: LinkWriter;
  getLinkNode(id: string): LinkNodeLike | null | undefined;
  t: Translate;
  warn(message: string): void;
  /** An update-mode session finished: its link's other re-login sessions end, its sync nodes hear of it. */
  onRepaired(s: LinkSession): void;
}

/** What a session keeps of the Item it linked (shown by its status route). */
export function resultOf(ev: LinkEvent): SessionResult {
  return { itemId: ev.itemId, institutionId: ev.institution?.institution_id ?? "", institutionName: ev.institution?.name ?? "", accounts: ev.accounts };
}

export class ItemCollector {
  /** Per link, the end of the last change to its Item (exclusive). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly deps: ItemCollectorDeps) {}

  /**
   * Runs `fn` once every earlier change to this link's Item has ended. Two windows that finish
   * Link together would otherwise both pass "already linked?" while their exchanges run, and
   * the second token overwrite the first: that Item stays at Plaid, billed, with no token
   * left anywhere. A Remove racing a re-login would likewise store a removed Item back.
   */
  exclusive<T>(linkId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.queues.get(linkId) ?? Promise.resolve();
    const run = before.then(fn);
    const ended = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(linkId, ended);
    void ended.then(() => {
      if (this.queues.get(linkId) === ended) this.queues.delete(linkId);
    });
    return run;
  }

  /**
   * A new Item: exchange the public token server-side, store the access token durably, then read
   * the institution and accounts from Plaid. `fallback` (hosted: what Plaid's server reported at
   * the end of the flow) is used only when Plaid cannot be asked right now.
   */
  added(s: LinkSession, config: ConfigLike, publicToken: string, fallback?: HostedSuccess): Promise<LinkEvent> {
    return this.exclusive(s.linkId, () => this.add(s, config, publicToken, fallback));
  }

  private async add(s: LinkSession, config: ConfigLike, publicToken: string, fallback?: HostedSuccess): Promise<LinkEvent> {
    if (this.deps.writer.currentAccessToken(s.linkId)) throw new LinkError(409, this.deps.t("errors.already-linked"), "ALREADY_LINKED");
    let client: PlaidApi;
    let accessToken: string;
    let itemId: string;
    try {
      client = await config.getClient();
      const ex = await client.itemPublicTokenExchange({ public_token: publicToken });
      accessToken = ex.data.access_token;
      itemId = ex.data.item_id;
    } catch (err) {
      throw plaidFailure(err, this.deps.t, "errors.exchange-failed");
    }
    // The token first, alone: from here on the Item is ours whatever fails next, never orphaned.
    const stored = { accessToken, itemId, institutionId: "", institutionName: "", accounts: [] as LinkEvent["accounts"], configId: s.configId };
    await this.storeOrFail(s.linkId, stored);
    let details: Omit<ItemDetails, "errorCode">;
    try {
      details = await readItemDetails(client, accessToken);
    } catch (err) {
      this.deps.warn(this.deps.t("errors.details-failed", { message: toCleanError(err).plaid.message }));
      details = { itemId, institutionId: fallback?.institution?.institution_id ?? "", institutionName: fallback?.institution?.name ?? "", accounts: fallback?.accounts ?? [] };
    }
    await this.storeOrFail(s.linkId, { ...stored, ...details, itemId });
    const event: LinkEvent = { mode: "add", linkId: s.linkId, itemId, institution: normaliseInstitution({ institution_id: details.institutionId, name: details.institutionName }), accounts: details.accounts };
    this.deps.writer.announce(event);
    return event;
  }

  /**
   * Update mode finished (a login, or "Add new accounts"): the Item keeps its access token (no
   * exchange); confirm with Plaid and refresh what we know — the account list from /accounts/get,
   * which after account selection is the user's new choice.
   */
  repaired(s: LinkSession, config: ConfigLike): Promise<LinkEvent> {
    return this.exclusive(s.linkId, () => this.repair(s, config));
  }

  private async repair(s: LinkSession, config: ConfigLike): Promise<LinkEvent> {
    const accessToken = this.deps.writer.currentAccessToken(s.linkId);
    if (!accessToken) throw new LinkError(409, this.deps.t("errors.not-linked"), "NOT_LINKED");
    let details: ItemDetails;
    try {
      details = await readItemDetails(await config.getClient(), accessToken);
    } catch (err) {
      throw plaidFailure(err, this.deps.t);
    }
    if (details.errorCode && NEEDS_LOGIN_CODES.has(details.errorCode)) {
      throw new LinkError(409, this.deps.t("errors.still-needs-login", { code: details.errorCode }), details.errorCode);
    }
    const linkNode = this.deps.getLinkNode(s.linkId);
    const accounts = details.accounts.length ? details.accounts : (linkNode?.accounts ?? this.deps.writer.pendingEntry(s.linkId)?.accounts ?? []);
    await this.storeOrFail(s.linkId, { accessToken, itemId: details.itemId, institutionId: details.institutionId, institutionName: details.institutionName, accounts, configId: s.configId });
    const event: LinkEvent = { mode: s.mode, linkId: s.linkId, itemId: details.itemId, institution: normaliseInstitution({ institution_id: details.institutionId, name: details.institutionName }), accounts };
    this.deps.writer.announce(event);
    this.deps.onRepaired(s);
    return event;
  }

  private async storeOrFail(linkId: string, link: Parameters<LinkWriter["store"]>[1]): Promise<void> {
    try {
      await this.deps.writer.store(linkId, link);
    } catch (err) {
      throw new LinkError(500, this.deps.t("errors.store-failed", { message: (err as Error).message }), "STORE_FAILED");
    }
  }

  /** An extra Item from the same Hosted Link session (or a second window): exchanged and removed at Plaid, so nothing is orphaned. */
  async removeStray(config: ConfigLike, publicToken: string): Promise<void> {
    try {
      const client = await config.getClient();
      const ex = await client.itemPublicTokenExchange({ public_token: publicToken });
      await client.itemRemove({ access_token: ex.data.access_token });
      this.deps.warn(this.deps.t("errors.stray-removed", { item: ex.data.item_id }));
    } catch (err) {
      this.deps.warn(this.deps.t("errors.stray-failed", { message: toCleanError(err).plaid.message }));
    }
  }
}
