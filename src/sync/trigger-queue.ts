/**
 * Triggers never run in parallel (DESIGN §3.3): while a sync runs, every trigger that arrives
 * joins one follow-up run — a burst of ten injects is two syncs, not eleven, and never two
 * /transactions/sync loops at once. A reset waits for the running sync, then runs before the
 * follow-up's sync. Each caller's promise settles with the run it joined.
 */

export type Operation = "sync" | "resync" | "reset";

/** What one run does: the union of what was asked while it waited. */
export interface Job {
  sync: boolean;
  /** At least one of the joined triggers asked for a resync. */
  resync: boolean;
  reset: boolean;
  /** Asked while another run was busy (it may wait for that run's confirmations). */
  followUp: boolean;
}

interface Waiter<R> {
  resolve(v: R): void;
  reject(e: unknown): void;
}

export class TriggerQueue<R> {
  private next: (Job & { waiters: Array<Waiter<R>> }) | null = null;
  private draining = false;
  private busy = false;
  private idle: Promise<void> = Promise.resolve();

  /**
   * @param run does one job; its result (or rejection) goes to every caller that joined it
   * @param refuse when it returns an error (e.g. the node closed), queued and new calls get it
   */
  constructor(
    private readonly run: (job: Job) => Promise<R>,
    private readonly refuse: () => Error | null,
  ) {}

  request(op: Operation): Promise<R> {
    const refused = this.refuse();
    if (refused) return Promise.reject(refused);
    return new Promise<R>((resolve, reject) => {
      if (!this.next) this.next = { sync: false, resync: false, reset: false, followUp: this.busy, waiters: [] };
      const job = this.next;
      if (op === "reset") job.reset = true;
      else {
        job.sync = true;
        if (op === "resync") job.resync = true;
      }
      job.waiters.push({ resolve, reject });
      if (!this.draining) this.idle = this.drain();
    });
  }

  /** True while a job runs or waits to run. */
  get active(): boolean {
    return this.draining;
  }

  /** Resolves once nothing runs and nothing is queued. */
  settled(): Promise<void> {
    return this.idle.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.next) {
        const job = this.next;
        this.next = null;
        const refused = this.refuse();
        if (refused) {
          for (const w of job.waiters) w.reject(refused);
          continue;
        }
        this.busy = true;
        try {
          const result = await this.run(job);
          for (const w of job.waiters) w.resolve(result);
        } catch (err) {
          for (const w of job.waiters) w.reject(err);
        } finally {
          this.busy = false;
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
