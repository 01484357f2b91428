/**
 * Memory and CPU of another process from /proc (Linux): VmRSS / VmHWM from /proc/<pid>/status,
 * user+system CPU ticks from /proc/<pid>/stat. The peak is reset before a measurement by writing
 * "5" to /proc/<pid>/clear_refs (resets VmHWM to the current RSS; Linux ≥ 4.0, own children).
 */
import * as fs from "fs";

const TICKS = 100; // USER_HZ on Linux

/**
 * `private` is RssAnon + RssShmem: what the process holds that no other process shares. A child
 * running the same `node` binary shares its file-backed pages (RssFile) with its parent through
 * the page cache, so its private memory is what it adds to the machine.
 */
export function memKb(pid: number): { rss: number; hwm: number; private: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const get = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  return { rss: get("VmRSS"), hwm: get("VmHWM"), private: get("RssAnon") + get("RssShmem") };
}

/** The process's children (all its threads'), e.g. Node-RED's Plaid worker; [] when gone. */
export function childPids(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" "))
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Resets VmHWM to the current RSS; false when the kernel refuses. */
export function resetPeak(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // comm may contain spaces: fields after the closing ')' are space separated; utime/stime are fields 14/15.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / TICKS;
}

/**
 * The process's children now (e.g. Node-RED's Plaid worker): CPU seconds of each, the highest
 * VmHWM among them, and their private memory in all (kB). All 0 when it has none.
 */
export function childrenNow(pid: number): { cpu: Map<number, number>; peakMb: number; privateKb: number } {
  const cpu = new Map<number, number>();
  let peakMb = 0;
  let privateKb = 0;
  for (const c of childPids(pid)) {
    try {
      cpu.set(c, cpuSeconds(c));
      const m = memKb(c);
      peakMb = Math.max(peakMb, m.hwm / 1024);
      privateKb += m.private;
    } catch {
      /* exited meanwhile */
    }
  }
  return { cpu, peakMb, privateKb };
}

/**
 * Samples VmRSS every `intervalMs` until stop(); reports the baseline and the peak growth. Also
 * the machine's: the process's growth plus its children's private memory, added sample by sample
 * (the two peaks need not coincide), so a child such as the Plaid worker counts once and only
 * for what it does not share.
 */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  private maxRss = 0;
  private maxMachine = 0;
  private readonly baseChildren: number;
  private readonly started = Date.now();
  /** ms after start when the highest VmRSS sample was taken (where in the sync the peak is). */
  peakAtMs = 0;
  readonly baseRss: number;
  readonly peakReset: boolean;

  constructor(
    private readonly pid: number,
    intervalMs = 20,
  ) {
    this.peakReset = resetPeak(pid);
    this.baseRss = memKb(pid).rss;
    this.baseChildren = childrenNow(pid).privateKb;
    this.maxRss = this.baseRss;
    this.timer = setInterval(() => {
      try {
        const rss = memKb(pid).rss;
        if (rss > this.maxRss) {
          this.maxRss = rss;
          this.peakAtMs = Date.now() - this.started;
        }
        this.maxMachine = Math.max(this.maxMachine, rss - this.baseRss + childrenNow(pid).privateKb - this.baseChildren);
      } catch {
        /* process gone */
      }
    }, intervalMs);
  }

  /**
   * Peak RSS growth in MB over the baseline (max of the samples and, if it was reset, VmHWM);
   * `machineMb`: the highest sample of that growth plus the children's private growth.
   */
  stop(): { baseMb: number; peakMb: number; growthMb: number; machineMb: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    let peak = this.maxRss;
    try {
      const m = memKb(this.pid);
      peak = Math.max(peak, m.rss, this.peakReset ? m.hwm : 0);
    } catch {
      /* gone */
    }
    return { baseMb: this.baseRss / 1024, peakMb: peak / 1024, growthMb: (peak - this.baseRss) / 1024, machineMb: this.maxMachine / 1024 };
  }
}
