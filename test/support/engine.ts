/**
 * What the sync engine's tests share: a simulator and official client for the suite, a fresh
 * state dir per test, engines closed (and faults cleared) after each, the engine options of a
 * typical plaid-transactions node, and a sink that records parts and events into an InfluxDB model.
 *
 *   const suite = engineSuite("plaid-engine-");
 *   const engine = suite.engine({ accessToken, itemId, sink: recording.sink });
 */
import type { PlaidApi } from "plaid";
import { SyncEngine, type EngineSettings, type HealthEvent, type PointsMessage, type SyncEngineOptions, type TransactionEvent } from "../../src/sync/engine";
import { InfluxModel } from "./influx-model";
import type { SimulatorOptions } from "../../src/simulator";
import { simulatorAndDir, simulatorSuite, tempDirEach, type Simulator } from "./simulator";

/** The node's defaults, with small parts so a short history spans several. */
export const TEST_SETTINGS: EngineSettings = {
  measurement: "plaid_transactions",
  balanceMeasurement: "plaid_balances",
  includePending: true,
  invertAmounts: false,
  timezone: "",
  batchSize: 20,
  commit: "send",
};

/** What a test sets of an engine: the Item and the sink, and any option or setting on top. */
export type EngineOverrides = Partial<Omit<SyncEngineOptions, "settings">> & {
  accessToken: string;
  itemId: string;
  sink: SyncEngineOptions["sink"];
  settings?: Partial<EngineSettings>;
};

export interface EngineSuite {
  readonly sim: Simulator;
  readonly client: PlaidApi;
  /** This test's state dir (new for each test). */
  readonly dir: string;
  /**
   * An engine for this test (closed after it): the suite's client and dir, no retry waits, and
   * `o` on top. The caller names the Item and the sink.
   */
  engine(o: EngineOverrides): SyncEngine;
}

export function engineSuite(dirPrefix: string, simOptions: Omit<SimulatorOptions, "host" | "port"> = {}): EngineSuite {
  const simulator = simulatorSuite(simOptions);
  const engines: SyncEngine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
  });
  const dir = tempDirEach(dirPrefix);
  return Object.assign(simulatorAndDir(simulator, dir), {
    engine({ accessToken, itemId, ...o }: EngineOverrides): SyncEngine {
      const c = simulator.client;
      const engine = new SyncEngine({
        nodeId: "node1",
        stateDir: dir.path,
        getClient: async () => c,
        getAccessToken: () => accessToken,
        getItem: () => ({ itemId, institutionId: "ins_109508", institutionName: "First Platypus Bank", accounts: [] }),
        hooks: { warn: () => undefined },
        retry: { sleep: async () => undefined, random: () => 0.5, retries: 1 },
        ...o,
        settings: { ...TEST_SETTINGS, ...o.settings },
      });
      engines.push(engine);
      return engine;
    },
  });
}

/** A sink that keeps every part and event (transaction events and health events apart), and writes the points into an InfluxDB model. */
export function recordingSink(db = new InfluxModel()): {
  db: InfluxModel;
  parts: PointsMessage[];
  events: TransactionEvent[];
  health: HealthEvent[];
  sink: SyncEngineOptions["sink"];
} {
  const parts: PointsMessage[] = [];
  const events: TransactionEvent[] = [];
  const health: HealthEvent[] = [];
  return {
    db,
    parts,
    events,
    health,
    sink: {
      points: (m) => {
        parts.push(m);
        db.write(m.payload);
      },
      event: (e) => void (e.kind === "item" ? health.push(e) : events.push(e)),
    },
  };
}
