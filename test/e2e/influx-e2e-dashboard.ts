/**
 * The Grafana dashboard (grafana/dashboard.json) against what the end-to-end test's 30 simulated
 * days left in a real InfluxDB: runs every panel's real queries — read from the file, with
 * $timeFilter set to the history's whole range, $__interval to 1d and the template variables to
 * All (or to one value, escaped as Grafana escapes it) — through InfluxDB's HTTP /query, and
 * checks that each returns data and that what the panels show is Plaid's truth: net worth (the
 * panel's queries and transformation) against /accounts/get through the official client, the
 * spending and income sums and the largest charges against /transactions/get, the Item table
 * against the linked Item and its last sync.
 *
 * Called inside influx-e2e.test.ts's describe, after its 30-day test, sharing its processes.
 */
import assert from "assert";
import type { AccountBase } from "plaid";
import type { Influxd } from "../support/influxd";
import { ALL, allPanels, escapeRegex, fillQuery, loadDashboard, nonNullRows, panelByTitle, seriesOf, timeFilterBetween, transformedSeries, variableQuery, type Fill, type Frame, type GrafanaPanel } from "../support/grafana";
import { simulatorClient, type Simulator } from "../support/simulator";
import { allTransactions, type TruthTx } from "../support/sync-flow";

export interface History {
  accessToken: string;
  itemId: string;
  institutionName: string;
}

interface State {
  sim: Simulator;
  influx: Influxd;
  db: string;
  history: History | undefined;
}

type Tx = TruthTx & { personal_finance_category?: { primary?: string | null } | null };

/** Not spending (the dashboard's spending panels leave them out), and not income except INCOME itself. */
const NOT_SPENDING = new Set(["TRANSFER_IN", "TRANSFER_OUT", "INCOME", "LOAN_PAYMENTS"]);
const NOT_INCOME = new Set(["TRANSFER_IN", "TRANSFER_OUT", "LOAN_PAYMENTS"]);
const LIABILITIES = new Set(["credit", "loan"]);
const TOP_N = 25;

const cents = (n: number) => Math.round(n * 100);
const money = (c: number) => (c / 100).toFixed(2);
const categoryOf = (t: Tx) => t.personal_finance_category?.primary || "UNCATEGORIZED";
const label = (a: AccountBase) => (a.mask ? `${a.name} ••${a.mask}` : a.name);

function lastNonNull(f: Frame): { time: number; value: number } | undefined {
  const rows = nonNullRows(f);
  const row = rows[rows.length - 1];
  return row ? { time: Number(row[0]), value: Number(row[1]) } : undefined;
}

/** Rows of a table-format answer as objects (tags included). */
function records(frames: Frame[]): Array<Record<string, unknown>> {
  return frames.flatMap((f) => f.values.map((v) => ({ ...f.tags, ...Object.fromEntries(f.columns.map((c, i) => [c, v[i]])) })));
}

export function dashboardChecks(state: () => State): void {
  describe("the Grafana dashboard (grafana/dashboard.json) on this history", function () {
    const dashboard = loadDashboard();
    const allVars = Object.fromEntries(dashboard.templating.list.filter((v) => v.type === "query").map((v) => [v.name, ALL]));
    let s: State;
    let history: History;
    let fill: Fill;
    let accounts: AccountBase[];
    let txs: Tx[];

    const run = async (query: string, f: Fill = fill): Promise<Frame[]> => seriesOf(await s.influx.query(fillQuery(dashboard, query, f), s.db));
    /** Each target's frames, by refId. */
    const panelFrames = async (panel: GrafanaPanel, f: Fill = fill): Promise<Map<string, Frame[]>> => {
      const out = new Map<string, Frame[]>();
      for (const t of panel.targets ?? []) out.set(t.refId, (await run(t.query as string, f)).map((x) => ({ ...x, refId: t.refId })));
      return out;
    };
    const byAlias = (panel: GrafanaPanel, alias: string): string => {
      const t = (panel.targets ?? []).find((x) => x.alias === alias);
      assert.ok(t, `panel "${panel.title}" has a query aliased ${alias}`);
      return t.query as string;
    };
    const sumOf = (frames: Frame[]) => frames.reduce((acc, f) => acc + nonNullRows(f).reduce((a, r) => a + cents(Number(r[1])), 0), 0);

    before(async function () {
      s = state();
      assert.ok(s.history, "needs the 30-day history of the test above, which did not finish");
      history = s.history;
      // The whole history: transactions are dated by the simulated days (into the future), balances at the syncs' real times.
      const edges = await s.influx.rows(
        `SELECT first("amount") FROM "plaid_transactions"; SELECT last("amount") FROM "plaid_transactions"; SELECT first("current") FROM "plaid_balances"; SELECT last("current") FROM "plaid_balances"`,
        s.db,
      );
      const times = edges.map((r) => Number(r.time));
      assert.strictEqual(times.length, 4, "InfluxDB has transactions and balances");
      fill = { timeFilter: timeFilterBetween(Math.min(...times), Math.max(...times, Date.now())), interval: "1d", vars: allVars };
      accounts = (await simulatorClient(s.sim).accountsGet({ access_token: history.accessToken })).data.accounts;
      txs = (await allTransactions(s.sim, history.accessToken)) as Tx[];
    });

    for (const panel of allPanels(dashboard).filter((p) => p.type !== "row")) {
      it(`panel "${panel.title}": every query returns data`, async function () {
        for (const t of panel.targets ?? []) {
          const frames = await run(t.query as string);
          assert.ok(frames.some((f) => nonNullRows(f).length > 0), `query ${t.refId} returns a non-empty series: ${fillQuery(dashboard, t.query as string, fill)}`);
        }
      });
    }

    it("template variables list the institution and accounts, and one value filters as All does", async function () {
      const values = async (name: string) => {
        const v = dashboard.templating.list.find((x) => x.name === name);
        assert.ok(v, `variable ${name}`);
        return (await run(variableQuery(v))).flatMap((f) => f.values.map((r) => String(r[1]))).sort();
      };
      assert.deepStrictEqual(await values("institution"), [history.institutionName]);
      const balances = panelByTitle(dashboard, "Balance per account");
      const balanceLabels = (await run(balances.targets![0].query as string)).map((f) => f.tags.account).sort();
      assert.deepStrictEqual(await values("account"), balanceLabels, "$account lists the accounts with balances");

      // One institution chosen (escaped as Grafana does): the same answers as All, since there is only one.
      const one: Fill = { ...fill, vars: { ...allVars, institution: history.institutionName } };
      for (const p of allPanels(dashboard).filter((x) => x.type !== "row")) {
        assert.deepStrictEqual(await panelFrames(p, one), await panelFrames(p), `panel "${p.title}" with $institution = ${history.institutionName}`);
      }
      // One account chosen: its series only ("••" and spaces survive the escaping).
      for (const account of balanceLabels) {
        const frames = await run(balances.targets![0].query as string, { ...fill, vars: { ...allVars, account } });
        assert.deepStrictEqual(frames.map((f) => f.tags.account), [account], `$account = ${account} (${escapeRegex(account)})`);
      }
    });

    it("Net worth: the panel's queries and transformation give Plaid's net worth (/accounts/get, credit and loans negative)", async function () {
      const panel = panelByTitle(dashboard, "Net worth");
      const frames = [...(await panelFrames(panel)).values()].flat();
      const shown = transformedSeries(panel, frames);
      assert.ok(shown.length > 0, "the panel shows a series");
      const now = shown[shown.length - 1].value;

      const want = new Map<string, { label: string; type: string; value: number }>();
      for (const a of accounts) {
        if (typeof a.balances.current !== "number") continue;
        want.set(a.account_id, { label: label(a), type: a.type, value: (LIABILITIES.has(a.type) ? -1 : 1) * a.balances.current });
      }
      const wantTotal = [...want.values()].reduce((acc, a) => acc + cents(a.value), 0);
      // Account by account first, to say which one is off.
      const got = new Map(frames.map((f) => [f.tags.account_id, lastNonNull(f)?.value]));
      const problems: string[] = [];
      for (const [id, w] of want) {
        if (!got.has(id)) problems.push(`${w.label} (${w.type}, ${money(cents(w.value))} at Plaid) has no balance series`);
        else if (cents(got.get(id) ?? NaN) !== cents(w.value)) problems.push(`${w.label} (${w.type}): ${got.get(id)} in InfluxDB, ${money(cents(w.value))} at Plaid`);
      }
      for (const id of got.keys()) if (!want.has(id)) problems.push(`balance series for unknown account ${id}`);
      assert.ok(
        cents(now) === wantTotal && problems.length === 0,
        `net worth shown ${money(cents(now))}, Plaid's ${money(wantTotal)} over ${want.size} accounts${problems.length ? `: ${problems.join("; ")}` : ""}`,
      );
    });

    it("Balance per account: each series ends at the account's balance at Plaid", async function () {
      const panel = panelByTitle(dashboard, "Balance per account");
      const frames = [...(await panelFrames(panel)).values()].flat();
      assert.ok(frames.length >= 3, `series for the Item's transaction accounts (${frames.length})`);
      for (const f of frames) {
        const a = accounts.find((x) => x.account_id === f.tags.account_id);
        assert.ok(a, `series ${f.tags.account} is an account of the Item`);
        assert.strictEqual(f.tags.account, label(a), "labelled name ••mask");
        assert.strictEqual(cents(lastNonNull(f)?.value ?? NaN), cents(a.balances.current ?? NaN), `${f.tags.account}: latest balance`);
      }
    });

    it("Spending by category: per category, Plaid's charges (amount > 0) without transfers, income and loan payments", async function () {
      const panel = panelByTitle(dashboard, "Spending by category (30-day buckets)");
      const frames = [...(await panelFrames(panel)).values()].flat();
      const got = Object.fromEntries(frames.map((f) => [f.tags.category, money(sumOf([f]))]));
      const want: Record<string, number> = {};
      for (const t of txs) if (t.amount > 0 && !NOT_SPENDING.has(categoryOf(t))) want[categoryOf(t)] = (want[categoryOf(t)] ?? 0) + cents(t.amount);
      assert.ok(Object.keys(want).length >= 3, "the history has charges in several categories");
      assert.deepStrictEqual(got, Object.fromEntries(Object.entries(want).map(([k, v]) => [k, money(v)])));
    });

    it("Income vs spending: Plaid's money in and money out, transfers and loan payments left out", async function () {
      const panel = panelByTitle(dashboard, "Income vs spending");
      const income = sumOf(await run(byAlias(panel, "Income")));
      const spending = sumOf(await run(byAlias(panel, "Spending")));
      const wantIncome = txs.filter((t) => t.amount < 0 && !NOT_INCOME.has(categoryOf(t))).reduce((a, t) => a - cents(t.amount), 0);
      const wantSpending = txs.filter((t) => t.amount > 0 && !NOT_SPENDING.has(categoryOf(t))).reduce((a, t) => a + cents(t.amount), 0);
      assert.ok(wantIncome > 0 && wantSpending > 0, "the history has income and spending");
      assert.deepStrictEqual({ income: money(income), spending: money(spending) }, { income: money(wantIncome), spending: money(wantSpending) });
    });

    it(`Largest charges: Plaid's ${TOP_N} largest charges, with their name, merchant, account and category`, async function () {
      const panel = panelByTitle(dashboard, "Largest charges");
      const rows = records((await panelFrames(panel)).get("A") ?? []);
      const charges = txs.filter((t) => t.amount > 0 && !NOT_SPENDING.has(categoryOf(t))).sort((a, b) => b.amount - a.amount);
      assert.ok(charges.length > TOP_N, `more than ${TOP_N} charges in the history (${charges.length})`);
      assert.deepStrictEqual(
        rows.map((r) => cents(Number(r.amount))).sort((a, b) => b - a),
        charges.slice(0, TOP_N).map((t) => cents(t.amount)),
        "the largest amounts",
      );
      const labels = new Map(accounts.map((a) => [a.account_id, label(a)]));
      for (const r of rows) {
        const match = charges.find(
          (t) => cents(t.amount) === cents(Number(r.amount)) && t.name === r.name && labels.get(t.account_id) === r.account && categoryOf(t) === r.category && String(t.pending) === r.pending,
        );
        assert.ok(match, `row ${JSON.stringify(r)} is a charge at Plaid`);
        assert.ok("merchant" in r, "the row has the merchant");
      }
    });

    it("Item health and last sync: the linked Item, OK, last synced when the last sync started", async function () {
      const panel = panelByTitle(dashboard, "Item health and last sync");
      const rows = records((await panelFrames(panel)).get("A") ?? []);
      const lastBalance = await s.influx.rows(`SELECT last("current") FROM "plaid_balances"`, s.db);
      const lastSync = Number(lastBalance[0]?.time); // a sync's balance points and its Item point share its start time
      assert.deepStrictEqual(
        rows.map((r) => ({ institution: r.institution, item_id: r.item_id, health: r.health, healthy: r.healthy, time: r.time, counts: ["added", "modified", "removed"].every((k) => typeof r[k] === "number") })),
        [{ institution: history.institutionName, item_id: history.itemId, health: "OK", healthy: 1, time: lastSync, counts: true }],
        "one row: the linked Item, healthy, at its last sync",
      );
    });
  });
}
