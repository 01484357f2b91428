/**
 * Links completed but not yet deployed (`<userDir>/plaid-sync/pending-links.json`).
 *
 * `RED.nodes.addCredentials` keeps a new access token in memory only until the next deploy, so a
 * restart before Deploy would lose the link (and, in production, leave a billed orphan Item).
 * The token is therefore also written here, encrypted exactly like Node-RED's flows_cred.json
 * (encrypted-file.ts). The entry is dropped once the deployed credentials hold the same token.
 */
import type { LinkedAccount } from "../plaid/types";
import { EncryptedJsonFile, type EncryptedFileOptions } from "./encrypted-file";

export interface PendingLink {
  accessToken: string;
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: LinkedAccount[];
  configId: string;
  savedAt: string;
}

export class PendingLinkStore {
  private readonly store: EncryptedJsonFile<Record<string, PendingLink>>;

  constructor(options: EncryptedFileOptions) {
    this.store = new EncryptedJsonFile(options);
  }

  get file(): string {
    return this.store.file;
  }

  /** All entries; an unreadable file is reported (and kept aside) and treated as empty. */
  all(): Record<string, PendingLink> {
    return this.store.read() ?? {};
  }

  get(linkId: string): PendingLink | undefined {
    const all = this.all();
    const entry = Object.prototype.hasOwnProperty.call(all, linkId) ? all[linkId] : undefined;
    return entry && typeof entry.accessToken === "string" ? entry : undefined;
  }

  put(linkId: string, entry: PendingLink): void {
    const all = this.all();
    all[linkId] = entry;
    this.save(all);
  }

  remove(linkId: string): boolean {
    const all = this.all();
    if (!Object.prototype.hasOwnProperty.call(all, linkId)) return false;
    delete all[linkId];
    this.save(all);
    return true;
  }

  private save(all: Record<string, PendingLink>): void {
    this.store.write(Object.keys(all).length === 0 ? null : all);
  }
}
