/**
 * Where a link's access token lives, and how a finished link is written so it is never lost:
 * `RED.nodes.addCredentials` alone keeps it in memory until the next deploy (DESIGN §4 step 4),
 * so it also goes, encrypted, into the pending store until the deployed credentials hold it.
 * The editor and the node learn the non-secret part (Item id, institution, accounts).
 */
import type { PendingLink, PendingLinkStore } from "./pending";
import type { LinkMode } from "./sessions";
import type { LinkedAccount } from "../plaid/types";

/** What a deployed plaid-link node offers the linking logic. */
export interface LinkNodeLike {
  id: string;
  /** id of its plaid-config */
  config?: string;
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: LinkedAccount[];
  /** The credentials it was deployed with (a clone taken when the node started). */
  credentials?: { accessToken?: string } | Record<string, unknown>;
}

/** Published on `plaid-sync/link/<id>` (RED.comms) and answered to the Link page: nothing secret. */
export interface LinkEvent {
  mode: LinkMode | "remove";
  linkId: string;
  itemId: string;
  institution: { institution_id: string; name: string } | null;
  accounts: LinkedAccount[];
  removed?: boolean;
}

export interface LinkWriterDeps {
  pending: PendingLinkStore;
  getLinkNode(id: string): LinkNodeLike | null;
  getCredentials(id: string): Record<string, unknown> | undefined;
  addCredentials(id: string, creds: Record<string, unknown>): Promise<void> | void;
  publish(topic: string, data: unknown): void;
}

/** What is stored of a finished link (the pending store adds when). */
export type StoredLink = Omit<PendingLink, "savedAt">;

export class LinkWriter {
  constructor(private readonly deps: LinkWriterDeps) {}

  /** The access token of a link: the credential store first, then a pending (undeployed) link. */
  currentAccessToken(linkId: string): string | undefined {
    const creds = this.deps.getCredentials(linkId);
    const token = creds && typeof creds.accessToken === "string" && creds.accessToken ? creds.accessToken : undefined;
    return token ?? this.deps.pending.get(linkId)?.accessToken;
  }

  pendingEntry(linkId: string): PendingLink | undefined {
    return this.deps.pending.get(linkId);
  }

  /**
   * Reconciles the pending store with the credentials a plaid-link node was deployed with:
   * the same token deployed → the pending entry has done its job and is dropped; otherwise the
   * pending token (always the newest: it is written on every completion and removed on
   * "Remove at Plaid") is put back into the credential store so the next deploy persists it.
   */
  async reconcilePending(linkId: string, deployedToken: string | undefined): Promise<"none" | "dropped" | "adopted" | "kept"> {
    const entry = this.deps.pending.get(linkId);
    if (!entry) return "none";
    if (deployedToken && deployedToken === entry.accessToken) {
      this.deps.pending.remove(linkId);
      return "dropped";
    }
    const creds = this.deps.getCredentials(linkId) ?? {};
    if (creds.accessToken === entry.accessToken) return "kept";
    await this.deps.addCredentials(linkId, { ...creds, accessToken: entry.accessToken });
    return "adopted";
  }

  /**
   * Stores a link durably first (encrypted pending entry), then in the credential store; never
   * one without the other. Throws (and rolls the pending entry back) when the credential store
   * refuses it.
   */
  async store(linkId: string, link: StoredLink): Promise<void> {
    const linkNode = this.deps.getLinkNode(linkId);
    const previous = this.deps.pending.get(linkId);
    const deployed = linkNode?.credentials && typeof linkNode.credentials.accessToken === "string" ? linkNode.credentials.accessToken : undefined;
    const entry: PendingLink = { ...link, savedAt: new Date().toISOString() };
    // Deployed with this very token already (update mode): nothing new to keep safe.
    const wrotePending = deployed !== link.accessToken;
    if (wrotePending) this.deps.pending.put(linkId, entry);
    try {
      const existing = this.deps.getCredentials(linkId) ?? {};
      await this.deps.addCredentials(linkId, { ...existing, accessToken: link.accessToken });
    } catch (err) {
      if (wrotePending) {
        if (previous) this.deps.pending.put(linkId, previous);
        else this.deps.pending.remove(linkId);
      }
      throw err;
    }
    if (linkNode) {
      linkNode.itemId = link.itemId;
      linkNode.institutionId = link.institutionId;
      linkNode.institutionName = link.institutionName;
      linkNode.accounts = link.accounts;
    }
  }

  /** Tells every open editor (comms) what happened to a link. */
  announce(event: LinkEvent): void {
    this.deps.publish(`plaid-sync/link/${event.linkId}`, event);
  }

  /** After "Remove at Plaid": the token goes from everywhere, the node forgets the Item. */
  async forget(linkId: string): Promise<void> {
    const creds = { ...(this.deps.getCredentials(linkId) ?? {}) };
    delete creds.accessToken;
    await this.deps.addCredentials(linkId, creds);
    this.deps.pending.remove(linkId);
    const linkNode = this.deps.getLinkNode(linkId);
    if (linkNode) {
      linkNode.itemId = "";
      linkNode.institutionId = "";
      linkNode.institutionName = "";
      linkNode.accounts = [];
    }
    this.announce({ mode: "remove", linkId, itemId: "", institution: null, accounts: [], removed: true });
  }
}
