import { SimError, isKnownErrorCode, rateLimitCodeFor } from "./errors";
import { Rng } from "./prng";
import { Fields, type JsonObject } from "./validate";
import { invalidField } from "./errors";

/**
 * Injected failures (POST /simulator/faults). A fault matches calls to `path` ("*" = every Plaid
 * endpoint); it skips the first `after` matches, then fires at most `times` times (default:
 * forever), each time with `probability` (default 1), after waiting `delay_ms`.
 * `error` is an error_code of the catalogue, or RATE_LIMIT_EXCEEDED (the endpoint's own 429 code),
 * or CONNECTION_RESET (the socket is destroyed without an answer).
 */
export interface FaultSpec {
  id: string;
  path: string;
  error: string | null;
  status: number | null;
  delayMs: number;
  times: number | null;
  probability: number;
  after: number;
  seen: number;
  fired: number;
}

export type FaultOutcome = { kind: "none" } | { kind: "error"; error: SimError } | { kind: "reset" };

export class Faults {
  private readonly list: FaultSpec[] = [];
  private nextId = 1;
  private readonly rng = new Rng(0x5eed);

  add(body: JsonObject): FaultSpec {
    const f = new Fields(body);
    const path = f.string("path", { required: true });
    const error = f.string("error") ?? null;
    const status = f.integer("status", { min: 400, max: 599 }) ?? null;
    const delayMs = f.integer("delay_ms", { min: 0, max: 600_000 }) ?? 0;
    const times = f.integer("times", { min: 1 }) ?? null;
    const probability = f.number("probability") ?? 1;
    const after = f.integer("after", { min: 0 }) ?? 0;
    f.done();
    if (path !== "*" && !path.startsWith("/")) throw invalidField("path", 'must start with "/" or be "*"');
    if (error !== null && error !== "RATE_LIMIT_EXCEEDED" && error !== "CONNECTION_RESET" && !isKnownErrorCode(error))
      throw invalidField("error", "must be a known error_code, RATE_LIMIT_EXCEEDED or CONNECTION_RESET");
    if (probability < 0 || probability > 1) throw invalidField("probability", "must be between 0 and 1");
    if (error === null && status === null && delayMs === 0) throw invalidField("error", "or status or delay_ms is required");
    const spec: FaultSpec = { id: `fault-${this.nextId++}`, path, error, status, delayMs, times, probability, after, seen: 0, fired: 0 };
    this.list.push(spec);
    return spec;
  }

  clear(): void {
    this.list.length = 0;
  }

  get active(): readonly FaultSpec[] {
    return this.list;
  }

  /** Decides what happens to a call of `path`, waiting for any delays first. */
  async apply(path: string): Promise<FaultOutcome> {
    for (const f of this.list) {
      if (f.path !== "*" && f.path !== path) continue;
      f.seen++;
      if (f.seen <= f.after) continue;
      if (f.times !== null && f.fired >= f.times) continue;
      if (f.probability < 1 && this.rng.next() >= f.probability) continue;
      f.fired++;
      if (f.delayMs > 0) await new Promise((r) => setTimeout(r, f.delayMs));
      if (f.error === "CONNECTION_RESET") return { kind: "reset" };
      if (f.error !== null || f.status !== null) return { kind: "error", error: faultError(path, f.error, f.status) };
    }
    return { kind: "none" };
  }
}

function faultError(path: string, code: string | null, status: number | null): SimError {
  if (code === "RATE_LIMIT_EXCEEDED" || (code === null && status === 429)) return new SimError(rateLimitCodeFor(path));
  if (code !== null) return new SimError(code, undefined, status !== null ? { status } : undefined);
  if (status === 503) return new SimError("PLANNED_MAINTENANCE");
  if (status !== null && status >= 500) return new SimError("INTERNAL_SERVER_ERROR", undefined, { status });
  return new SimError("INVALID_FIELD", `fault injected with HTTP ${status}`, { status: status ?? 400 });
}
