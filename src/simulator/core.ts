import { todayUtc, addDays } from "./dates";
import { Faults } from "./faults";
import { ItemStore } from "./store/items";
import { LinkTokens } from "./store/link-tokens";
import { StateFile } from "./store/persistence";
import { WebhookSender } from "./webhooks";

export interface CoreOptions {
  clientId: string;
  secret: string;
  stateFile?: string;
  today?: string;
  /** Test knob (not Plaid): the most updates a /transactions/sync page holds, whatever `count` asks. */
  syncPageLimit?: number;
  warn?: (line: string) => void;
}

/**
 * The simulator's state and services, shared by all handlers. Time is a function so tests can
 * move it forward (token expiry) without waiting.
 */
export class SimulatorCore {
  readonly clientId: string;
  readonly secret: string;
  readonly store: ItemStore;
  readonly linkTokens: LinkTokens;
  readonly faults = new Faults();
  readonly webhooks: WebhookSender;
  readonly syncPageLimit: number | undefined;
  private clockOffsetMs = 0;
  private readonly startDate: string | null;
  private readonly startMs: number;

  constructor(opts: CoreOptions) {
    this.clientId = opts.clientId;
    this.secret = opts.secret;
    this.startDate = opts.today ?? null;
    if (opts.syncPageLimit !== undefined && !(Number.isInteger(opts.syncPageLimit) && opts.syncPageLimit >= 1)) {
      throw new Error(`syncPageLimit must be a positive integer (got ${opts.syncPageLimit})`);
    }
    this.syncPageLimit = opts.syncPageLimit;
    this.startMs = Date.now();
    const now = (): number => this.now();
    // One file for Items, tokens and link sessions; either store's change rewrites it whole.
    const file = new StateFile(opts.stateFile, opts.warn);
    const initial = file.load();
    const persist = (): void => file.save();
    this.store = new ItemStore(now, persist, initial);
    this.linkTokens = new LinkTokens(now, persist, initial?.link_tokens ?? []);
    file.setSource(() => ({ ...this.store.toState(), link_tokens: this.linkTokens.toState() }));
    this.webhooks = new WebhookSender(now);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** The date new Items treat as "today": options.today, moving on with the (adjusted) clock. */
  today(): string {
    if (this.startDate === null) return todayUtc(new Date(this.now()));
    return addDays(this.startDate, Math.floor((this.now() - this.startMs) / 86_400_000));
  }

  reset(): void {
    this.store.reset();
    this.linkTokens.clear();
    this.faults.clear();
  }
}
