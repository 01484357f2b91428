/**
 * One confirm-mode first sync through the SyncEngine alone (no Node-RED), as the bench tools
 * engine-only.ts and engine-replay.ts run it: settings as example 02, parts "written" by
 * confirming them after `confirmDelayMs` (0 = on the next turn of the event loop), a fresh state
 * directory removed afterwards. Resolves once the state is committed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlaidApi } from "plaid";
import { SyncEngine } from "../../src/sync/engine";
import { DEFAULT_BATCH_SIZE } from "../../src/sync/parts";

export async function engineFirstSync(client: PlaidApi, accessToken: string, opts: { events: boolean; confirmDelayMs: number; batchSize?: number }): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-engine-bench-"));
  try {
    let engine!: SyncEngine;
    const committed = new Promise<void>((resolve, reject) => {
      engine = new SyncEngine({
        nodeId: "bench",
        stateDir,
        settings: { measurement: "plaid_transactions", balanceMeasurement: "plaid_balances", includePending: true, invertAmounts: false, timezone: "", batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE, commit: "confirm", events: opts.events },
        getClient: async () => client,
        getAccessToken: () => accessToken,
        getItem: () => ({ itemId: "", institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts: [] }),
        sink: {
          points: (m) => {
            const confirm = (): void => void engine.confirm(m.plaid.syncId, m.plaid.part);
            if (opts.confirmDelayMs > 0) setTimeout(confirm, opts.confirmDelayMs);
            else setImmediate(confirm);
          },
          event: () => undefined,
        },
        hooks: { warn: () => undefined, onCommitted: () => resolve(), onConfirmFailed: (_id, why) => reject(new Error(why)) },
      });
    });
    await engine.trigger();
    await committed;
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

/** `--name value` from the command line, or `fallback`. */
export function flagValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
