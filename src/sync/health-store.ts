/**
 * Where an Item's health record lives: `<userDir>/plaid-sync/health-<nodeId>.json`, beside the
 * sync state but apart from it, because health changes on syncs that commit nothing (a failed
 * one) and the state file is written only on commit. Small, rewritten atomically and only when
 * it changed. An unreadable file reads as "nothing known", which at worst announces a standing
 * problem once more.
 */
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomic } from "../util/atomic-file";
import type { HealthRecord } from "./item-health";
import { safeId } from "./state-store";

export class HealthStore {
  readonly file: string;
  private lastText = "";

  constructor(dir: string, nodeId: string) {
    this.file = path.join(dir, `health-${safeId(nodeId)}.json`);
  }

  load(itemId: string): HealthRecord {
    try {
      const text = fs.readFileSync(this.file, "utf8");
      const rec = JSON.parse(text) as HealthRecord;
      if (rec && typeof rec === "object" && rec.itemId === itemId) {
        this.lastText = text;
        return rec;
      }
    } catch {
      // Missing or damaged: start from nothing known.
    }
    return { itemId };
  }

  /** Synchronous, so it is on disk before the event it records is sent. */
  save(rec: HealthRecord): void {
    const text = JSON.stringify(rec);
    if (text === this.lastText) return;
    writeFileAtomic(this.file, text);
    this.lastText = text;
  }

  clear(): void {
    fs.rmSync(this.file, { force: true });
    this.lastText = "";
  }
}
