/**
 * The sync engine's vocabulary: its settings, what it is told about the Item, what it hands out
 * (points messages, transaction events, the summary) and the hooks the node uses for its status.
 */
import type { CleanError } from "../plaid/errors";
import type { LinkedAccount } from "../plaid/types";
import type { InfluxPoint } from "../influx/points";
import type { ChangeKind } from "./apply";
import type { HealthCode } from "./item-health";

export type CommitMode = "send" | "confirm";
export type SyncMode = "sync" | "resync";

export interface EngineSettings {
  measurement: string;
  balanceMeasurement: string;
  includePending: boolean;
  invertAmounts: boolean;
  /** "" = 12:00 UTC; else an IANA zone, points at local midnight. */
  timezone: string;
  batchSize: number;
  commit: CommitMode;
  /** Add msg.lineProtocol to each part (default false: it costs CPU and memory per point). */
  lineProtocol?: boolean;
  /**
   * Build and send per-transaction events (default true). The node turns this off when its
   * events output is not wired: a first sync of 50 000 transactions spent ~0.6 s of CPU and a
   * good part of its garbage on events nobody received (bench/README.md). Nothing is journaled
   * for them either, so wiring the output later starts with the changes after that deploy.
   */
  events?: boolean;
  /** Measurement of the per-sync Item point (health, counts). Default "plaid_items". */
  itemMeasurement?: string;
  /** personal_finance_category_version asked of /transactions/sync; "" = the Plaid account's default. */
  categoryVersion?: "" | "v1" | "v2";
}

export interface ItemInfo {
  itemId: string;
  institutionId: string;
  institutionName: string;
  accounts: LinkedAccount[];
}

export interface ItemRef {
  itemId: string;
  institutionId: string;
  institutionName: string;
}

export interface SyncSummary {
  syncId: string;
  mode: SyncMode;
  /** Why the engine chose a full sync, when it did ("first sync", "state corrupt", ...). */
  fullSyncReason?: string;
  commit: CommitMode;
  added: number;
  modified: number;
  removed: number;
  /** Events actually emitted (replays of already-emitted events are not repeated). */
  events: number;
  points: number;
  balances: number;
  parts: number;
  pages: number;
  restarts: number;
  retries: number;
  /** Plaid had no transactions ready yet (next_cursor ""). */
  notReady: boolean;
  startedAt: string;
  finishedAt: string;
}

export interface PointsMessage {
  payload: InfluxPoint[];
  lineProtocol?: string;
  /** `failed`: the code of a sync that failed for a login; the message holds only its plaid_items point. */
  plaid: { syncId: string; part: number; last: boolean; item: ItemRef; summary?: SyncSummary; failed?: string };
}

export interface TransactionEvent {
  kind: ChangeKind;
  topic: string;
  payload: Record<string, unknown>;
  plaid: { syncId: string; event: ChangeKind; item: ItemRef };
}

/** An Item health event (item-health.ts): `plaid/<institution>/item/<code>`. */
export interface HealthEvent {
  kind: "item";
  topic: string;
  payload: {
    item_id: string;
    institution: string;
    code: HealthCode;
    message: string;
    relinkUrl?: string;
    consent_expiration_time?: string;
    error_code?: string;
  };
  plaid: { event: HealthCode; item: ItemRef; syncId?: string };
}

export interface SyncSink {
  points(msg: PointsMessage): void;
  event(ev: TransactionEvent | HealthEvent): void;
}

export interface EngineHooks {
  warn(message: string): void;
  log?(message: string): void;
  onStart?(mode: SyncMode): void;
  onRetry?(error: CleanError, attempt: number, delayMs: number): void;
  /** All parts sent (send mode: state saved too; confirm mode: waiting for confirmations). */
  onSent?(summary: SyncSummary): void;
  /** State saved: right after sending in send mode, after the last confirmation in confirm mode. */
  onCommitted?(summary: SyncSummary): void;
  /** confirm mode: a part failed or was abandoned; the next trigger replays. */
  onConfirmFailed?(syncId: string, reason: string): void;
  /** A re-login URL for a health event whose fix is a login (undefined when none can be made). */
  relinkUrl?(): Promise<string | undefined>;
}

