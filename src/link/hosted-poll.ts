/**
 * One look at Plaid for a Hosted Link session (DESIGN §4.6): the server learns how the user's
 * flow ended from /link/token/get, then collects the linked bank, records an exit, or lets the
 * session expire. poll-schedule.ts decides when to look; this decides what a look finds.
 */
import { toCleanError } from "../plaid/errors";
import type { ConfigLike } from "./config-like";
import { readHostedOutcome, type HostedSuccess } from "./hosted-result";
import { resultOf, type ItemCollector } from "./item-collector";
import { LinkError } from "./link-error";
import type { Translate } from "./plaid-failure";
import type { PollResult } from "./poll-schedule";
import type { LinkSession, SessionStatus, SessionStore } from "./sessions";

/** A hosted session Plaid cannot be asked about for this long after it expired is given up. */
const EXPIRED_GIVE_UP_MS = 60 * 60_000;

export interface HostedPollDeps {
  sessions: SessionStore;
  getConfig(id: string): ConfigLike | null;
  collector: ItemCollector;
  t: Translate;
  now(): number;
}

export class HostedPoll {
  constructor(private readonly deps: HostedPollDeps) {}

  /** One look at Plaid for a hosted session; collects a linked bank, records an exit, or expires it. */
  async poll(id: string): Promise<PollResult> {
    const s = this.deps.sessions.find(id);
    if (!s || s.kind !== "hosted" || (s.status !== "open" && s.status !== "exited")) return "done";
    const config = this.deps.getConfig(s.configId);
    const now = this.deps.now();
    const expired = now >= s.expiresAt;
    if (!config) {
      // Not deployed (yet): keep the session; it is picked up when the config comes back.
      if (expired && now - s.expiresAt > EXPIRED_GIVE_UP_MS) return this.endSession(s, "expired");
      throw new Error(this.deps.t("errors.config-not-deployed"));
    }
    let data;
    try {
      data = (await (await config.getClient()).linkTokenGet({ link_token: s.linkToken })).data;
    } catch (err) {
      const e = toCleanError(err).plaid;
      if (e.code === "INVALID_LINK_TOKEN" || (expired && now - s.expiresAt > EXPIRED_GIVE_UP_MS)) return this.endSession(s, "expired");
      throw toCleanError(err);
    }
    const outcome = readHostedOutcome(data, s.mode);
    if (outcome.state === "success") return this.collectHosted(s, config, outcome);
    if (expired) return this.endSession(s, "expired");
    if (outcome.state === "exited" && s.status !== "exited") {
      this.deps.sessions.update(s.id, { status: "exited", message: outcome.message ?? this.deps.t("page.exited") });
    }
    return "again";
  }

  private endSession(s: LinkSession, status: SessionStatus, message?: string): PollResult {
    this.deps.sessions.update(s.id, { status, ...(message ? { message } : {}) });
    return "done";
  }

  private async collectHosted(s: LinkSession, config: ConfigLike, outcome: HostedSuccess): Promise<PollResult> {
    if (s.mode !== "add") {
      try {
        const ev = await this.deps.collector.repaired(s, config);
        this.deps.sessions.update(s.id, { status: "linked", result: resultOf(ev) });
        return "done";
      } catch (err) {
        return this.hostedFailure(s, err);
      }
    }
    const [first, ...extra] = outcome.publicTokens;
    let result: PollResult = "done";
    try {
      const ev = await this.deps.collector.added(s, config, first, outcome);
      this.deps.sessions.update(s.id, { status: "linked", result: resultOf(ev) });
    } catch (err) {
      if (err instanceof LinkError && err.code === "ALREADY_LINKED") {
        // Another window finished first: this Item would be billed and never synced. Remove it.
        extra.unshift(first);
        this.deps.sessions.update(s.id, { status: "failed", message: this.deps.t("errors.linked-elsewhere") });
      } else {
        result = this.hostedFailure(s, err);
        if (result === "again") return result;
      }
    }
    for (const token of extra) await this.deps.collector.removeStray(config, token);
    return result;
  }

  /**
   * A temporary failure (Plaid unavailable or rate-limited, the credential store refusing) is
   * polled again: Plaid keeps the result and the public token lives 30 minutes. Anything else
   * ends the session, saying why.
   */
  private hostedFailure(s: LinkSession, err: unknown): PollResult {
    if (!(err instanceof LinkError) || err.status >= 500 || err.status === 429) throw err;
    return this.endSession(s, "failed", err.message);
  }
}
