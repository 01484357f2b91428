/**
 * Confirm mode: the order in which one sync's writes of the same point land.
 *
 * node-red-contrib-influxdb writes each message as it arrives, so the parts of a sync are in
 * flight together and InfluxDB keeps whichever write of a point it receives last. Usually a point
 * is written once per sync, but a transaction can change again on a later page (a pending one
 * added, then removed when it posts; an amount corrected), and then the later version must win.
 * So a part that writes a point an earlier part of the same sync also wrote is held back until
 * that earlier part is confirmed. Parts without such a point are not held, so a first sync still
 * keeps several writes in flight.
 *
 * Only what is unconfirmed is remembered (a part's keys are forgotten once it is confirmed).
 * Waiting is bounded: when confirmations stop coming (no Complete node, a database that hangs),
 * the sync could not commit anyway, and the rest is sent without waiting.
 */

export class WriteOrder {
  /** Point key → the latest sent part, still unconfirmed, that carries it. */
  private readonly partOf = new Map<string, number>();
  private readonly keysOf = new Map<number, readonly string[]>();
  private readonly waiters = new Map<number, Array<() => void>>();
  private released = false;

  constructor(
    private readonly maxWaitMs: number,
    private readonly onGaveUp: (part: number) => void = () => undefined,
  ) {}

  /** The latest unconfirmed part that carries one of `keys` (0 = none: send at once). */
  mustFollow(keys: Iterable<string>): number {
    if (this.released) return 0;
    let dep = 0;
    for (const k of keys) {
      const p = this.partOf.get(k);
      if (p !== undefined && p > dep) dep = p;
    }
    return dep;
  }

  /** `part` was handed to the database with these point keys. */
  sent(part: number, keys: readonly string[]): void {
    if (this.released) return;
    for (const k of keys) this.partOf.set(k, part);
    this.keysOf.set(part, keys);
  }

  /** `part` is written: what it carried may be overwritten now. */
  confirmed(part: number): void {
    const keys = this.keysOf.get(part);
    if (!keys) return;
    this.keysOf.delete(part);
    for (const k of keys) if (this.partOf.get(k) === part) this.partOf.delete(k);
    this.wake(part);
  }

  /** Resolves once `part` is confirmed, the order is released, or the wait ran out. */
  waitFor(part: number): Promise<void> {
    if (this.released || !this.keysOf.has(part)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (this.released) return;
        this.onGaveUp(part);
        this.release();
      }, this.maxWaitMs);
      const list = this.waiters.get(part) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.waiters.set(part, list);
    });
  }

  /** The sync is over for the database (refused, superseded, closed): nothing waits any more. */
  release(): void {
    this.released = true;
    this.partOf.clear();
    this.keysOf.clear();
    for (const part of [...this.waiters.keys()]) this.wake(part);
  }

  private wake(part: number): void {
    const list = this.waiters.get(part);
    if (!list) return;
    this.waiters.delete(part);
    for (const w of list) w();
  }
}
