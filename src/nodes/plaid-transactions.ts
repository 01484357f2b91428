/**
 * plaid-transactions: glue between Node-RED and the sync engine (src/sync). Reads the node's
 * properties (DESIGN §3.3, an interface), turns engine output into messages, keeps the status
 * dot honest, and reports failures with done(err) so a Catch node can act on them.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from "node-red";
import { errorOf, needsLogin, CleanError, toCleanError, type ErrorInfo } from "../plaid/errors";
import { describe, statusKeyFor } from "../sync/advice";
import type { CommitMode, EngineSettings, SyncEngine, SyncSummary } from "../sync/engine";
import { isSyncIdOf } from "../sync/sync-id";
import { DEFAULT_BATCH_SIZE } from "../sync/parts";
import { isValidTimezone } from "../influx/time";
import type { RetryOptions } from "../plaid/retry";
import { dataDirOf } from "./runtime";
import { warmPlaidClient } from "./client-choice";
import type { PlaidLinkNode } from "./types";

interface PlaidTransactionsDef extends NodeDef {
  link?: string;
  measurement?: string;
  balanceMeasurement?: string;
  includePending?: boolean | string;
  invertAmounts?: boolean | string;
  timezone?: string;
  batchSize?: number | string;
  commit?: string;
  lineProtocol?: boolean | string;
  itemMeasurement?: string;
  categoryVersion?: string;
}

/** What msg.error holds on failure: secret-free, with what to do in `message`. */
interface SyncErrorInfo {
  code: string;
  type: string;
  message: string;
  display_message: string | null;
  request_id: string | null;
  relinkUrl?: string;
}

function bool(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null || v === "") return dflt;
  return v === true || v === "true";
}

/** Advanced runtime settings (settings.js `plaidSync: {retries, retryBaseDelayMs, retryMaxDelayMs}`). */
function retrySettings(settings: unknown): RetryOptions {
  const ps = (settings as { plaidSync?: Record<string, unknown> } | undefined)?.plaidSync ?? {};
  const n = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);
  const out: RetryOptions = {};
  if (n(ps.retries) !== undefined) out.retries = Math.floor(n(ps.retries) as number);
  if (n(ps.retryBaseDelayMs) !== undefined) out.baseDelayMs = n(ps.retryBaseDelayMs);
  if (n(ps.retryMaxDelayMs) !== undefined) out.maxDelayMs = n(ps.retryMaxDelayMs);
  return out;
}

function hhmm(d: Date): string {
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/**
 * False only when output 2 is known to have no wire (the usual InfluxDB-only flow): then no events
 * are built at all. A definition without wires for it (e.g. a hand-written test flow) counts as
 * wired: sending to nobody is harmless, dropping events is not.
 */
function eventsOutputWired(wires: unknown): boolean {
  if (!Array.isArray(wires) || wires.length < 2) return true;
  const second: unknown = wires[1];
  return Array.isArray(second) && second.length > 0;
}

function settingsFrom(def: PlaidTransactionsDef, eventsWired: boolean): EngineSettings {
  const batch = Number(def.batchSize);
  return {
    measurement: String(def.measurement || "plaid_transactions").trim() || "plaid_transactions",
    balanceMeasurement: String(def.balanceMeasurement || "plaid_balances").trim() || "plaid_balances",
    includePending: bool(def.includePending, true),
    invertAmounts: bool(def.invertAmounts, false),
    timezone: String(def.timezone ?? "").trim(),
    batchSize: Number.isInteger(batch) && batch >= 1 ? batch : DEFAULT_BATCH_SIZE,
    commit: (def.commit === "confirm" ? "confirm" : "send") as CommitMode,
    lineProtocol: bool(def.lineProtocol, false),
    events: eventsWired,
    itemMeasurement: String(def.itemMeasurement || "plaid_items").trim() || "plaid_items",
    categoryVersion: def.categoryVersion === "v1" || def.categoryVersion === "v2" ? def.categoryVersion : "",
  };
}

export = function plaidTransactionsModule(RED: NodeAPI): void {
  const t = (key: string, vars?: Record<string, string | number>): string => RED._(`plaid-transactions.${key}`, vars);

  function PlaidTransactions(this: Node, def: PlaidTransactionsDef) {
    RED.nodes.createNode(this, def);
    const node = this; // eslint-disable-line @typescript-eslint/no-this-alias -- Node-RED constructor style
    const settings = settingsFrom(def, eventsOutputWired((def as { wires?: unknown }).wires));
    const linkNode = (def.link ? RED.nodes.getNode(def.link) : null) as PlaidLinkNode | null;
    let warnedForeign = false;

    const summaryStatus = (s: SyncSummary): void => {
      node.status({
        fill: "green",
        shape: "dot",
        text: t("status.summary", { added: s.added, modified: s.modified, removed: s.removed, time: hhmm(new Date(s.finishedAt)) }),
      });
    };

    /** One re-login URL per episode (the link service reuses it), or undefined when none can be made (e.g. config not deployed). */
    async function relinkUrl(): Promise<string | undefined> {
      if (!linkNode) return undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        const url = await Promise.race([
          linkNode.relinkUrl(),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), 10_000))),
        ]);
        return typeof url === "string" && url ? url : undefined;
      } catch {
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    }

    let setupProblem: CleanError | null = null;
    if (!isValidTimezone(settings.timezone)) {
      setupProblem = errorOf("INVALID_SETTINGS", t("errors.timezone", { timezone: settings.timezone }));
    } else if (!linkNode) {
      setupProblem = errorOf("NOT_CONFIGURED", t("errors.noLink"));
    }

    // The engine (and the sync code with it) is loaded by the first trigger, not at deploy: a
    // Node-RED that has not synced yet since it started carries none of it.
    let engine: SyncEngine | null = null;
    const engineOf = (): SyncEngine =>
      (engine ??= new (require("../sync/engine") as typeof import("../sync/engine")).SyncEngine({
          nodeId: node.id,
          stateDir: dataDirOf(RED),
          settings,
          retry: retrySettings(RED.settings),
          getClient: async () => {
            const cfg = linkNode!.configNode();
            if (!cfg) throw errorOf("NOT_CONFIGURED", t("errors.noConfig"));
            const problem = cfg.problem();
            if (problem) throw errorOf("NOT_CONFIGURED", problem);
            return cfg.getClient();
          },
          getAccessToken: () => linkNode!.getAccessToken(),
          getItem: () => ({
            itemId: linkNode!.itemId,
            institutionId: linkNode!.institutionId,
            institutionName: linkNode!.institutionName,
            accounts: Array.isArray(linkNode!.accounts) ? linkNode!.accounts : [],
          }),
          sink: {
            points: (m) => node.send([{ payload: m.payload, plaid: m.plaid, ...(m.lineProtocol !== undefined ? { lineProtocol: m.lineProtocol } : {}) }, null]),
            event: (ev) => node.send([null, { topic: ev.topic, payload: ev.payload, plaid: ev.plaid }]),
          },
          hooks: {
            warn: (m) => node.warn(m),
            log: (m) => node.log(m),
            onStart: () => node.status({ fill: "blue", shape: "dot", text: t("status.syncing") }),
            onRetry: (_e, attempt) => node.status({ fill: "blue", shape: "ring", text: t("status.retrying", { attempt }) }),
            onSent: (s) => {
              if (s.commit === "confirm") node.status({ fill: "blue", shape: "ring", text: t("status.confirming") });
            },
            onCommitted: (s) => summaryStatus(s),
            onConfirmFailed: () => node.status({ fill: "yellow", shape: "ring", text: t("status.notConfirmed") }),
            relinkUrl,
          },
        }));

    if (setupProblem) {
      node.status({ fill: "red", shape: "ring", text: t("status.notConfigured") });
      node.error(describe(setupProblem.plaid));
    }

    async function errorInfo(e: ErrorInfo): Promise<SyncErrorInfo> {
      const info: SyncErrorInfo = {
        code: e.code,
        type: e.type,
        message: describe(e),
        display_message: e.display_message,
        request_id: e.request_id,
      };
      if (needsLogin(e)) {
        const url = await relinkUrl();
        if (url) info.relinkUrl = url;
      }
      return info;
    }

    function failStatus(e: ErrorInfo): void {
      if (e.code === "SYNC_ABORTED") node.status({});
      else if (needsLogin(e)) node.status({ fill: "yellow", shape: "ring", text: t("status.needsLogin") });
      else node.status({ fill: "red", shape: "ring", text: t(`status.${statusKeyFor(e)}`) });
    }

    // Logged in again from any device (a re-login URL on a phone, "Log in again" in the editor):
    // the yellow "needs login" goes; the next trigger syncs.
    const unsubscribeRepaired = linkNode?.onLoginRepaired(() => {
      node.status({ fill: "green", shape: "ring", text: t("status.loginRepaired") });
      if (!setupProblem) engineOf().loginRepaired().catch((err: unknown) => node.warn(toCleanError(err).message));
    });

    async function fail(msg: NodeMessageInFlow & { error?: unknown }, err: unknown, done: (err?: Error) => void): Promise<void> {
      const clean = toCleanError(err).plaid;
      failStatus(clean);
      const info = await errorInfo(clean);
      msg.error = info;
      // Node-RED hands `code` (and `cause`) of this Error to Catch nodes as msg.error.code /
      // msg.error.cause; the object set above travels along as msg._error.
      const e = new Error(info.message, { cause: info }) as Error & { code?: string };
      e.code = info.code;
      done(e);
    }

    node.on("input", (msg: NodeMessageInFlow & { plaid?: unknown; error?: unknown }, _send, done) => {
      const plaid = msg.plaid as { syncId?: unknown; part?: unknown } | undefined;
      if (plaid && typeof plaid === "object" && typeof plaid.syncId === "string") {
        if (isSyncIdOf(node.id, plaid.syncId)) {
          // A part coming back (Complete node → confirmation; Catch node → refused). Without an
          // engine yet, it belongs to a sync of before a restart: nothing waits for it.
          engine?.confirm(plaid.syncId, Number(plaid.part), msg.error);
          done();
          return;
        }
        // Output of another plaid-transactions node, a part (output 1) or an event (output 2):
        // never a trigger (that would loop).
        if (!warnedForeign) node.warn(t("warnings.foreignSyncId"));
        warnedForeign = true;
        done();
        return;
      }
      if (setupProblem) {
        void fail(msg, setupProblem, done);
        return;
      }
      const topic = typeof msg.topic === "string" ? msg.topic.trim().toLowerCase() : "";
      if (topic === "reset") {
        engineOf()
          .reset()
          .then(() => {
            node.status({ fill: "grey", shape: "ring", text: t("status.reset") });
            done();
          })
          .catch((err) => fail(msg, err, done));
        return;
      }
      warmPlaidClient(RED, 0);
      engineOf()
        .trigger(topic === "resync" ? "resync" : "sync")
        .then(() => {
          linkNode?.loginWorks();
          done();
        })
        .catch((err) => fail(msg, err, done));
    });

    node.on("close", (_removed: boolean, done: () => void) => {
      unsubscribeRepaired?.();
      const finish = (): void => {
        node.status({});
        done();
      };
      if (engine) engine.close().then(finish, finish);
      else finish();
    });
  }

  RED.nodes.registerType("plaid-transactions", PlaidTransactions);
};
