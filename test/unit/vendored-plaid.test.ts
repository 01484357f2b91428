/**
 * The official client as the built package carries it (dist/vendor/plaid.js, scripts/vendor-plaid.js):
 * plaid-node's own code without its comments, the same version and the same API as the `plaid`
 * package, needing nothing installed but axios — and calling the simulator like the original.
 */
import * as assert from "assert";
import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import * as plaid from "plaid";
import { linkSandboxItem, simulatorSuite } from "../support/simulator";

const REPO = path.resolve(__dirname, "..", "..");
const VENDORED = path.join(REPO, "dist", "vendor", "plaid.js");

type PlaidModule = typeof plaid & { PLAID_VERSION: string };

function methodsOf(api: typeof plaid.PlaidApi): string[] {
  return Object.getOwnPropertyNames(api.prototype).filter((m) => m !== "constructor").sort();
}

describe("the vendored official client (dist/vendor/plaid.js, after npm run build)", function () {
  this.timeout(20_000);
  const suite = simulatorSuite();
  let vendored: PlaidModule;
  before(function () {
    if (!fs.existsSync(VENDORED)) throw new Error(`${VENDORED} is missing: run npm run build first`);
    vendored = require(VENDORED) as PlaidModule;
  });

  it("is the installed plaid-node, same version and every PlaidApi method, with its licence", () => {
    const pkg = JSON.parse(fs.readFileSync(require.resolve("plaid/package.json"), "utf8")) as { version: string };
    assert.strictEqual(vendored.PLAID_VERSION, pkg.version);
    assert.deepStrictEqual(methodsOf(vendored.PlaidApi), methodsOf(plaid.PlaidApi));
    assert.ok(methodsOf(vendored.PlaidApi).includes("transactionsSync"));
    const text = fs.readFileSync(VENDORED, "utf8");
    assert.match(text.slice(0, 2000), new RegExp(`plaid-node ${pkg.version.replace(/\./g, "\\.")}[\\s\\S]*The MIT License[\\s\\S]*Plaid Inc\\.`));
  });

  it("carries none of plaid's JSDoc and requires nothing but axios and Node's own modules", () => {
    const text = fs.readFileSync(VENDORED, "utf8");
    const body = text.slice(text.indexOf("*/") + 2);
    assert.ok(!/\/\*\*/.test(body), "no JSDoc block is left after the banner");
    const required = new Set([...body.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    const foreign = [...required].filter((r) => r !== "axios" && !builtinModules.includes(r.replace(/^node:/, "")));
    assert.deepStrictEqual(foreign, [], "a module the package would have to install");
    assert.ok(required.has("axios"));
  });

  it("calls Plaid like the original: link an Item, then /transactions/sync and an error's fields", async () => {
    const client = new vendored.PlaidApi(
      new vendored.Configuration({ basePath: suite.sim.url, baseOptions: { headers: { "PLAID-CLIENT-ID": suite.sim.clientId, "PLAID-SECRET": suite.sim.secret } } }),
    );
    const { accessToken } = await linkSandboxItem(suite.client, { username: "user_good" });
    const page = await client.transactionsSync({ access_token: accessToken, count: 50 });
    assert.strictEqual(page.status, 200);
    assert.ok(page.data.added.length > 0 && typeof page.data.next_cursor === "string");
    const err = (await client.accountsGet({ access_token: "access-sandbox-nonsense" }).then(
      () => assert.fail("expected an error"),
      (e: unknown) => e,
    )) as { response?: { status: number; data: { error_code: string } } };
    assert.strictEqual(err.response?.status, 400);
    assert.strictEqual(err.response?.data.error_code, "INVALID_ACCESS_TOKEN");
  });
});
