/**
 * What the last committed sync left (DESIGN §6): the cursor and index from the state file, and
 * from its journal what syncs since then did without committing — events already emitted (so
 * none is emitted twice), points written at identities the index does not hold, and a resync
 * that must be carried through. Loaded by a sync and kept for the next one while syncs come in a
 * burst (the engine lets go of it after a quiet while); reloaded after any sync that did not commit
 * (its changes to the in-memory index must not count).
 */
import type { ItemInfo } from "./types";
import { emptyState, type JournalWrite, type StateStore, type SyncState } from "./state-store";

export interface LoadedState {
  state: SyncState;
  /** Why this sync fetches the whole history, when it must ("no saved state", ...). */
  fullReason?: string;
  /** The points' settings changed since the last commit: every point is rebuilt (a resync). */
  forceResync: boolean;
}

export class CommittedState {
  private state: SyncState | null = null;
  /** Event keys emitted since the last commit (mirrors the journal). */
  emitted = new Set<string>();
  /** Points sent by syncs that never committed (from the journal), checked by the next sync. */
  uncommittedWrites: JournalWrite[] = [];
  /** A resync that did not commit is carried through by the next trigger (journaled: a restart too). */
  resyncPending = false;

  constructor(
    readonly store: StateStore,
    private readonly hooks: { warn(message: string): void; log?(message: string): void },
  ) {}

  /** The committed state (cached), checked against the Item and the points' settings. */
  async load(item: ItemInfo, settingsKey: string): Promise<LoadedState> {
    let fullReason: string | undefined;
    if (!this.state) {
      const loaded = await this.store.load();
      this.state = loaded.state;
      if (loaded.status === "corrupt") {
        fullReason = "state file unreadable";
        this.hooks.warn(
          `The saved sync state ${this.store.file} could not be read (${loaded.reason})` +
            (loaded.movedTo ? `; it was moved to ${loaded.movedTo}` : "") +
            ". Doing a safe full resync: every transaction is written again at the same points, nothing is doubled.",
        );
      } else if (loaded.status === "missing") {
        fullReason = "no saved state";
        this.hooks.warn(`No saved sync state (${this.store.file}): first sync, or the file was removed. Fetching the full history; points are idempotent, nothing is doubled.`);
      }
      const journal = this.store.loadJournal(this.state.gen);
      this.emitted = journal.keys;
      this.uncommittedWrites = journal.writes;
      if (journal.resync) this.resyncPending = true;
    }
    let state = this.state;
    if (state.itemId && item.itemId && state.itemId !== item.itemId) {
      this.hooks.warn(`This node is now linked to another Item (${item.itemId}); starting its history from the beginning.`);
      state = emptyState(item.itemId);
      state.gen = this.state.gen + 1;
      this.state = state;
      this.emitted = new Set();
      this.uncommittedWrites = [];
      fullReason = "linked to another Item";
    }
    let forceResync = false;
    if (state.cursor !== "" && state.settingsKey !== settingsKey) {
      forceResync = true;
      fullReason = "point settings changed";
      this.hooks.warn("Measurement, time zone, amount sign, pending or category setting changed: rebuilding every point (resync).");
    }
    return { state, fullReason, forceResync };
  }

  /** A resync begins: journaled before its first event, so a restart in the middle finds it. */
  startResync(gen: number): void {
    if (this.resyncPending) return;
    this.resyncPending = true;
    this.store.journalResync(gen);
  }

  /** The in-memory index may be ahead of the file (a sync that did not commit): reload it next time. */
  forget(): void {
    this.state = null;
  }

  /**
   * A sync committed. `saved`: its state was written (a new generation, so the journal is done
   * with); an idle sync keeps the file — and the journal of nothing — as they were.
   */
  committed(state: SyncState, saved: boolean): void {
    this.state = state;
    this.resyncPending = false;
    if (!saved) return;
    this.emitted = new Set();
    this.uncommittedWrites = [];
    try {
      this.store.clearJournal();
    } catch {
      /* a stale journal is ignored: it belongs to an older generation */
    }
  }

  /** Forgets cursor, index and journal: the next trigger fetches the full history. */
  async reset(): Promise<void> {
    await this.store.clear();
    this.state = emptyState();
    this.emitted = new Set();
    this.uncommittedWrites = [];
    this.resyncPending = false;
    this.hooks.log?.("Sync state forgotten; the next sync fetches the full history.");
  }
}
