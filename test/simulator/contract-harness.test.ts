/**
 * Self-test of the OpenAPI contract harness: it accepts Plaid's own examples and it can fail.
 * A validator that accepts everything would make every contract test worthless.
 */
import * as assert from "assert";
import {
  convertSchema,
  requireSpec,
  responseExample,
  responseSchemaName,
  validateError,
  validateResponse,
  validateSchema,
} from "../support/openapi";

/* eslint-disable @typescript-eslint/no-explicit-any */

const ENDPOINTS = [
  "/sandbox/public_token/create",
  "/link/token/create",
  "/link/token/get",
  "/item/public_token/exchange",
  "/transactions/sync",
  "/transactions/get",
  "/transactions/refresh",
  "/accounts/get",
  "/item/get",
  "/item/remove",
  "/institutions/get_by_id",
  "/sandbox/item/reset_login",
  "/sandbox/item/fire_webhook",
  "/sandbox/transactions/create",
];

describe("OpenAPI contract harness", function () {
  this.timeout(60000);
  before(function () {
    requireSpec(this);
  });

  describe("spec examples pass", function () {
    for (const p of ENDPOINTS) {
      it(`${p} example-1 validates against ${p} 200`, function () {
        const example = responseExample(p);
        assert.ok(example && typeof example === "object", `no example for ${p}`);
        const r = validateResponse(p, example);
        assert.deepStrictEqual(r.errors, []);
        assert.strictEqual(r.valid, true);
      });
    }
  });

  it("resolves the response schema names", function () {
    assert.strictEqual(responseSchemaName("/transactions/sync"), "TransactionsSyncResponse");
    assert.strictEqual(responseSchemaName("/accounts/get"), "AccountsGetResponse");
    assert.throws(() => validateResponse("/no/such/endpoint", {}), /no POST \/no\/such\/endpoint/);
  });

  describe("it can fail", function () {
    it("a required field removed at the top level", function () {
      const ex = responseExample("/transactions/sync") as any;
      delete ex.next_cursor;
      const r = validateResponse("/transactions/sync", ex);
      assert.strictEqual(r.valid, false);
      assert.ok(r.errors.some((e) => e.includes("next_cursor")), r.errors.join("\n"));
    });

    it("a required field removed deep inside (allOf Transaction → TransactionBase)", function () {
      const ex = responseExample("/transactions/sync") as any;
      delete ex.added[0].amount;
      const r = validateResponse("/transactions/sync", ex);
      assert.strictEqual(r.valid, false);
      assert.ok(r.errors.some((e) => e.startsWith("/added/0") && e.includes("amount")), r.errors.join("\n"));
    });

    it("wrong types: boolean as string, number as string, array as object", function () {
      const ex = responseExample("/transactions/sync") as any;
      ex.has_more = "false";
      ex.accounts[0].balances.current = "110.94";
      ex.removed = {};
      const r = validateResponse("/transactions/sync", ex);
      assert.strictEqual(r.valid, false);
      const all = r.errors.join("\n");
      assert.match(all, /\/has_more must be boolean/);
      assert.match(all, /\/accounts\/0\/balances\/current/);
      assert.match(all, /\/removed must be array/);
    });

    it("formats: date and date-time are checked", function () {
      const ex = responseExample("/transactions/sync") as any;
      ex.added[0].date = "24/09/2023";
      const r = validateResponse("/transactions/sync", ex);
      assert.ok(r.errors.some((e) => e.startsWith("/added/0/date") && e.includes("date")), r.errors.join("\n"));
      const lt = responseExample("/link/token/create") as any;
      lt.expiration = "tomorrow";
      const r2 = validateResponse("/link/token/create", lt);
      assert.ok(r2.errors.some((e) => e.startsWith("/expiration")), r2.errors.join("\n"));
    });

    it("nullable fields accept null but not another type", function () {
      const ok = responseExample("/accounts/get") as any;
      ok.accounts[0].mask = null;
      ok.accounts[0].balances.available = null;
      ok.item.error = null;
      assert.deepStrictEqual(validateResponse("/accounts/get", ok).errors, []);
      const bad = responseExample("/accounts/get") as any;
      bad.accounts[0].mask = 1234;
      const r = validateResponse("/accounts/get", bad);
      assert.ok(r.errors.some((e) => e.startsWith("/accounts/0/mask")), r.errors.join("\n"));
    });

    it("nullable allOf (ItemStatusNullable) accepts null and checks the object", function () {
      const ok = responseExample("/item/get") as any;
      ok.status = null;
      assert.deepStrictEqual(validateResponse("/item/get", ok).errors, []);
      const bad = responseExample("/item/get") as any;
      bad.status = "healthy";
      assert.strictEqual(validateResponse("/item/get", bad).valid, false);
    });

    it("/link/token/get: created_at required; results need every result array; an event needs event_id", function () {
      const ex = responseExample("/link/token/get") as any;
      delete ex.created_at;
      const r = validateResponse("/link/token/get", ex);
      assert.ok(r.errors.some((e) => e.includes("created_at")), r.errors.join("\n"));
      const s = (responseExample("/link/token/get") as any).link_sessions[0];
      assert.deepStrictEqual(validateSchema("LinkTokenGetSessionsResponse", s).errors, []);
      delete s.results.document_income_results;
      assert.ok(validateSchema("LinkSessionResults", s.results).errors.some((e) => e.includes("document_income_results")));
      delete s.events[0].event_id;
      assert.strictEqual(validateSchema("LinkEvent", s.events[0]).valid, false);
      assert.strictEqual(validateSchema("LinkSessionItemAddResult", { accounts: [], institution: null }).valid, false, "public_token is required");
    });

    it("item.error holds a PlaidError whose required fields are checked", function () {
      const ex = responseExample("/item/get") as any;
      ex.item.error = { error_type: "ITEM_ERROR", error_code: "ITEM_LOGIN_REQUIRED", error_message: "login" };
      const r = validateResponse("/item/get", ex);
      assert.ok(r.errors.some((e) => e.includes("display_message")), r.errors.join("\n"));
    });
  });

  describe("extensible enums", function () {
    it("an unknown enum value is a warning, not an error", function () {
      const ex = responseExample("/transactions/sync") as any;
      ex.added[0].payment_channel = "telepathy";
      ex.transactions_update_status = "SOMETHING_NEW";
      const r = validateResponse("/transactions/sync", ex);
      assert.strictEqual(r.valid, true, r.errors.join("\n"));
      assert.ok(r.warnings.some((w) => w.includes("/added/0/payment_channel") && w.includes("telepathy")), r.warnings.join("\n"));
      assert.ok(r.warnings.some((w) => w.includes("SOMETHING_NEW")));
    });

    it("a known value gives no warning", function () {
      const r = validateResponse("/transactions/sync", responseExample("/transactions/sync"));
      assert.deepStrictEqual(r.warnings, []);
    });

    it("but the type of an enum field is still checked", function () {
      const ex = responseExample("/transactions/sync") as any;
      ex.added[0].payment_channel = 7;
      assert.strictEqual(validateResponse("/transactions/sync", ex).valid, false);
    });
  });

  describe("PlaidError", function () {
    const good = {
      error_type: "INVALID_INPUT",
      error_code: "INVALID_ACCESS_TOKEN",
      error_message: "provided access token is in an invalid format",
      display_message: null,
      request_id: "m8MDnv9okwxFNBV",
    };
    it("accepts a well-formed error", function () {
      assert.deepStrictEqual(validateError(good), { valid: true, errors: [], warnings: [] });
    });
    it("refuses a missing display_message, a numeric error_code, and null", function () {
      const { display_message: _d, ...missing } = good;
      assert.strictEqual(validateError(missing).valid, false);
      assert.strictEqual(validateError({ ...good, error_code: 400 }).valid, false);
      assert.strictEqual(validateError(null).valid, false);
      assert.strictEqual(validateError("INVALID_ACCESS_TOKEN").valid, false);
    });
    it("a named component can be validated directly", function () {
      assert.strictEqual(validateSchema("RemovedTransaction", { transaction_id: "t", account_id: "a" }).valid, true);
      assert.strictEqual(validateSchema("RemovedTransaction", { transaction_id: "t" }).valid, false);
    });
  });

  describe("convertSchema (OpenAPI 3.0 → JSON Schema)", function () {
    it("nullable scalar → type union; nullable $ref/allOf → anyOf with null", function () {
      assert.deepStrictEqual(convertSchema({ type: "string", nullable: true }), { type: ["string", "null"] });
      assert.deepStrictEqual(convertSchema({ nullable: true, description: "d", allOf: [{ $ref: "#/x" }] }), {
        description: "d",
        anyOf: [{ type: "null" }, { allOf: [{ $ref: "#/x" }] }],
      });
    });
    it("boolean exclusiveMinimum → numeric; x-* and example dropped; enum kept as a soft keyword", function () {
      assert.deepStrictEqual(convertSchema({ type: "integer", minimum: 1, exclusiveMinimum: false, "x-hidden-from-docs": true, example: 3 }), {
        type: "integer",
        minimum: 1,
      });
      assert.deepStrictEqual(convertSchema({ type: "number", minimum: 0, exclusiveMinimum: true }), { type: "number", exclusiveMinimum: 0 });
      assert.deepStrictEqual(convertSchema({ type: "string", enum: ["a"] }), { type: "string", "x-plaid-enum": ["a"] });
    });
    it("a property named like a keyword is not mistaken for one", function () {
      const out = convertSchema({ type: "object", properties: { enum: { type: "string" }, nullable: { type: "boolean" } } }) as any;
      assert.deepStrictEqual(Object.keys(out.properties), ["enum", "nullable"]);
    });
  });
});
