/**
 * Volume and durability: a 50 000-transaction custom user, custom accounts and currencies,
 * the state file across restarts, and the CLI.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Transaction } from "plaid";
import { linkSandboxItem, simulatorClient, startTestSimulator, syncAll, volumeUserPassword, type Simulator } from "../support/simulator";

describe("simulator: volume, custom users, persistence, CLI", function () {
  this.timeout(60_000);

  describe("a 50 000-transaction user_custom Item", () => {
    let sim: Simulator;
    before(async () => {
      sim = await startTestSimulator({ today: "2024-06-15" });
    });
    after(() => sim.close());

    it("pages through completely with count 500, every transaction once, and /transactions/get agrees on the total", async () => {
      const client = simulatorClient(sim);
      const { accessToken, itemId } = await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(50_000) });
      const { pages } = await syncAll(client, accessToken, undefined, 500);
      assert.equal(pages.length, 100);
      const ids = new Set<string>();
      for (const p of pages) {
        assert.equal(p.added.length, 500);
        assert.equal(p.modified.length + p.removed.length, 0);
        for (const t of p.added) ids.add(t.transaction_id);
      }
      assert.equal(ids.size, 50_000);
      const get = await client.transactionsGet({ access_token: accessToken, start_date: "2000-01-01", end_date: "2100-01-01", options: { count: 500, offset: 49_900 } });
      assert.equal(get.data.total_transactions, 50_000);
      assert.equal(get.data.transactions.length, 100);
      // The initial history is generated on demand: the Item keeps only its (empty) change log.
      assert.equal(sim.item(itemId)?.rec.log.length, 0);
    });

    it("is deterministic for a seed and differs between seeds", async () => {
      const client = simulatorClient(sim);
      const a = await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(1000, 7) });
      const b = await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(1000, 7) });
      const c = await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(1000, 8) });
      const shape = async (token: string) =>
        (await client.transactionsSync({ access_token: token, count: 50 })).data.added.map((t) => [t.amount, t.date, t.name]);
      assert.deepEqual(await shape(a.accessToken), await shape(b.accessToken));
      assert.notDeepEqual(await shape(a.accessToken), await shape(c.accessToken));
    });

    it("refresh on a volume Item changes data like the dynamic user, and sync sees only the changes", async () => {
      const client = simulatorClient(sim);
      const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password: volumeUserPassword(5000, 2) });
      const first = await syncAll(client, accessToken);
      await client.transactionsRefresh({ access_token: accessToken });
      const second = await syncAll(client, accessToken, first.cursor);
      const changes = second.pages.reduce((n, p) => n + p.added.length + p.modified.length + p.removed.length, 0);
      assert.ok(changes > 0 && changes < 100, `${changes} changes`);
    });
  });

  describe("user_custom accounts and currencies", () => {
    it("uses the override_accounts, their currencies, starting balances and explicit transactions", async () => {
      const sim = await startTestSimulator({ today: "2024-06-15" });
      try {
        const client = simulatorClient(sim);
        const config = {
          override_accounts: [
            {
              type: "depository", subtype: "checking", starting_balance: 1000, currency: "EUR", meta: { name: "Girokonto", mask: "4321" },
              transactions: [
                { date_transacted: "2024-06-01", date_posted: "2024-06-02", amount: 12.5, description: "Bakery", currency: "EUR" },
                { date_transacted: "2024-06-03", date_posted: "2024-06-03", amount: -2000, description: "Salary", currency: "EUR" },
                { date_transacted: "2024-06-10", date_posted: "2024-06-11", amount: 3.2, description: "Bitcoin fee", currency: "BTC" },
              ],
            },
            { type: "credit", subtype: "credit card", starting_balance: 250, currency: "USD", meta: { limit: 5000 } },
            { type: "investment", subtype: "brokerage", starting_balance: 9000, currency: "USD" },
          ],
        };
        const { accessToken } = await linkSandboxItem(client, { username: "user_custom", password: JSON.stringify(config) });
        const sync = await client.transactionsSync({ access_token: accessToken });
        assert.equal(sync.data.added.length, 3);
        assert.equal(sync.data.accounts.length, 2, "investment omitted");
        const giro = sync.data.accounts.find((a) => a.name === "Girokonto");
        assert.ok(giro);
        assert.equal(giro.mask, "4321");
        assert.equal(giro.balances.iso_currency_code, "EUR");
        assert.equal(giro.balances.current, 1000);
        const byName = new Map(sync.data.added.map((t: Transaction) => [t.name, t]));
        assert.equal(byName.get("Bakery")?.iso_currency_code, "EUR");
        assert.equal(byName.get("Salary")?.amount, -2000);
        assert.equal(byName.get("Bitcoin fee")?.iso_currency_code, null);
        assert.equal(byName.get("Bitcoin fee")?.unofficial_currency_code, "BTC");
        const card = sync.data.accounts.find((a) => a.type === "credit");
        assert.equal(card?.balances.limit, 5000);
        assert.equal(card?.balances.current, 250);

        const bad = await linkSandboxItem(client, { username: "user_custom", password: "{not json" }).catch((e) => e.response);
        assert.equal(bad.status, 400);
        assert.equal(bad.data.error_code, "INVALID_FIELD");
      } finally {
        await sim.close();
      }
    });
  });

  describe("persistence", () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-sim-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("Items, their changes, login state and cursors survive a restart; tokens are stored only hashed", async () => {
      const stateFile = path.join(dir, "sim.json");
      const sim1 = await startTestSimulator({ stateFile, today: "2024-06-15" });
      const c1 = simulatorClient(sim1);
      const dyn = await linkSandboxItem(c1, { username: "user_transactions_dynamic", password: "pw" });
      const good = await linkSandboxItem(c1);
      const removed = await linkSandboxItem(c1);
      await c1.itemRemove({ access_token: removed.accessToken });
      await c1.transactionsRefresh({ access_token: dyn.accessToken });
      const synced = await syncAll(c1, dyn.accessToken, undefined, 7);
      await c1.sandboxItemResetLogin({ access_token: good.accessToken });
      const before = await c1.transactionsGet({ access_token: dyn.accessToken, start_date: "2000-01-01", end_date: "2100-01-01", options: { count: 500 } });
      await sim1.close();

      const text = fs.readFileSync(stateFile, "utf8");
      for (const t of [dyn.accessToken, good.accessToken, removed.accessToken]) {
        assert.ok(!text.includes(t), "no plaintext access token in the state file");
        assert.ok(!text.includes(t.slice("access-sandbox-".length)), "not even its uuid part");
      }
      assert.ok(text.includes(require("node:crypto").createHash("sha256").update(dyn.accessToken).digest("hex")));
      assert.deepEqual(fs.readdirSync(dir), ["sim.json"], "no temp files left behind");

      const sim2 = await startTestSimulator({ stateFile, today: "2024-06-15" });
      try {
        const c2 = simulatorClient(sim2);
        const after = await c2.transactionsGet({ access_token: dyn.accessToken, start_date: "2000-01-01", end_date: "2100-01-01", options: { count: 500 } });
        assert.deepEqual(after.data.transactions, before.data.transactions);
        const next = await c2.transactionsSync({ access_token: dyn.accessToken, cursor: synced.cursor });
        assert.equal(next.data.added.length + next.data.modified.length + next.data.removed.length, 0);
        assert.equal(next.data.has_more, false);
        await c2.transactionsRefresh({ access_token: dyn.accessToken });
        assert.ok((await c2.transactionsSync({ access_token: dyn.accessToken, cursor: synced.cursor })).data.added.length > 0);
        const item = await c2.itemGet({ access_token: good.accessToken });
        assert.equal(item.data.item.error?.error_code, "ITEM_LOGIN_REQUIRED");
        const gone = await c2.itemGet({ access_token: removed.accessToken }).catch((e) => e.response);
        assert.equal(gone.data.error_code, "ITEM_NOT_FOUND");
      } finally {
        await sim2.close();
      }
    });

    it("starts on a corrupt state file, keeping it aside and saying so", async () => {
      const sub = fs.mkdtempSync(path.join(dir, "corrupt-"));
      const stateFile = path.join(sub, "state.json");
      fs.writeFileSync(stateFile, "{ nope");
      const lines: string[] = [];
      const sim = await startTestSimulator({ stateFile, log: (l) => lines.push(l) });
      try {
        assert.equal(sim.core.store.size, 0);
        assert.match(lines.join("\n"), /could not be read/);
        const aside = fs.readdirSync(sub).find((f) => f.startsWith("state.json.corrupt-"));
        assert.ok(aside);
        assert.equal(fs.readFileSync(path.join(sub, aside), "utf8"), "{ nope");
        await linkSandboxItem(simulatorClient(sim));
        assert.ok(fs.existsSync(stateFile));
      } finally {
        await sim.close();
      }
    });
  });

  describe("CLI", () => {
    it("serves on the given port, prints URL and credentials, and stops on SIGTERM", async () => {
      const root = path.resolve(__dirname, "..", "..");
      const child = spawn(process.execPath, [path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), path.join(root, "src", "simulator", "cli.ts"), "--port", "0", "--host", "127.0.0.1"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      try {
        let out = "";
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
          child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (m && out.includes("secret:")) {
              clearTimeout(timer);
              resolve(m[1]);
            }
          });
          child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
        });
        const clientId = /client_id:\s+(\S+)/.exec(out)?.[1] as string;
        const secret = /secret:\s+(\S+)/.exec(out)?.[1] as string;
        const client = simulatorClient({ url, clientId, secret });
        const r = await client.institutionsGetById({ institution_id: "ins_109508", country_codes: ["US" as never] });
        assert.equal(r.data.institution.name, "First Platypus Bank");
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        child.kill("SIGTERM");
        assert.equal(await exited, 0);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    });
  });
});
