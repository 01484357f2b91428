import { dayNumber, isoSeconds } from "../dates";
import { SimError, invalidField } from "../errors";
import { simulateDay } from "../ledger/activity";
import { decodeCursor, encodeCursor, type SyncCursor } from "../ledger/cursor";
import { PFC_VERSIONS, withPfcVersion, type PfcVersion } from "../data/pfc";
import type { Transaction } from "../types";
import type { Fields, JsonObject } from "../validate";
import { syncUpdatesAvailable } from "../webhooks";
import { itemFor, itemJson, type HandlerContext } from "./common";

interface Presentation {
  includeOriginal: boolean;
  pfcVersion: PfcVersion;
}

/** The options both endpoints share that shape each transaction (not which ones are returned). */
function readPresentation(options: Fields | undefined): Presentation {
  const includeOriginal = options?.boolean("include_original_description") ?? false;
  options?.boolean("include_personal_finance_category");
  options?.boolean("include_logo_and_counterparty_beta");
  const version = options?.string("personal_finance_category_version") ?? "v1";
  if (!(PFC_VERSIONS as readonly string[]).includes(version))
    throw invalidField("options.personal_finance_category_version", `must be one of: ${PFC_VERSIONS.join(", ")}`);
  return { includeOriginal, pfcVersion: version as PfcVersion };
}

function present(txns: Transaction[], p: Presentation): Transaction[] {
  return txns.map((t) => {
    const out = withPfcVersion(t, p.pfcVersion);
    return p.includeOriginal ? { ...out, original_description: t.name.toUpperCase() } : out;
  });
}

export function transactionsSync(ctx: HandlerContext): JsonObject {
  const f = ctx.fields;
  const cursorText = f.string("cursor");
  const count = f.integer("count", { min: 1, max: 500 }) ?? 100;
  const options = f.object("options");
  const presentation = readPresentation(options);
  options?.integer("days_requested", { min: 1, max: 730 });
  const accountIdOpt = options?.string("account_id");
  const item = itemFor(ctx);
  const ledger = item.ledger;

  let accountFilter: number | null = null;
  if (accountIdOpt !== undefined) {
    accountFilter = item.sharedPos(accountIdOpt);
    if (accountFilter < 0) throw new SimError("INVALID_ACCOUNT_ID");
  }

  let cursor: SyncCursor;
  if (cursorText === undefined || cursorText === "") cursor = { pos: 0, mark: null, account: accountFilter };
  else if (cursorText === "now") cursor = { pos: ledger.end, mark: null, account: accountFilter };
  else {
    cursor = decodeCursor(item.itemId, cursorText);
    if (cursor.account !== accountFilter) throw invalidField("cursor", "was issued for a different options.account_id");
    if (cursor.pos > ledger.end) throw invalidField("cursor", "is invalid; use a next_cursor returned by /transactions/sync");
  }
  if (cursor.mark !== null && cursor.mark !== ledger.end) throw new SimError("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION");

  if (!item.rec.sync_called) {
    item.rec.sync_called = true;
    ctx.core.store.save();
  }
  const size = Math.min(count, ctx.core.syncPageLimit ?? count);
  const page = cursorText === "now" ? { added: [], modified: [], removed: [], next: ledger.end, hasMore: false } : ledger.page(cursor.pos, size, accountFilter);
  const accounts = item.accounts({ withInvestments: false }).filter((a) => accountFilter === null || a.account_id === accountIdOpt);
  return {
    transactions_update_status: "HISTORICAL_UPDATE_COMPLETE",
    accounts,
    added: present(page.added, presentation),
    modified: present(page.modified, presentation),
    removed: page.removed,
    next_cursor: encodeCursor(item.itemId, { pos: page.next, mark: page.hasMore ? ledger.end : null, account: accountFilter }),
    has_more: page.hasMore,
  };
}

export function transactionsGet(ctx: HandlerContext): JsonObject {
  const f = ctx.fields;
  const start = f.date("start_date", true);
  const end = f.date("end_date", true);
  const options = f.object("options");
  const accountIds = options?.stringArray("account_ids");
  const count = options?.integer("count", { min: 1, max: 500 }) ?? 100;
  const offset = options?.integer("offset", { min: 0 }) ?? 0;
  const presentation = readPresentation(options);
  options?.boolean("include_personal_finance_category_beta");
  options?.integer("days_requested", { min: 1, max: 730 });
  const item = itemFor(ctx);
  if (start > end) throw invalidField("start_date", "must be on or before end_date");
  let filter = item.sharedFilter();
  if (accountIds) {
    filter = new Set(accountIds.map((id) => item.sharedPos(id)));
    if (filter.has(-1)) throw new SimError("INVALID_ACCOUNT_ID");
  }
  const entries = item.ledger.netEntries(filter, dayNumber(start), dayNumber(end));
  // Newest first, as Plaid lists them; ties broken by position so offset paging is stable.
  entries.sort((a, b) => b.day - a.day || b.seq - a.seq);
  const slice = entries.slice(offset, offset + count).map((e) => item.ledger.materialise(e));
  const accounts = item.accounts({ withInvestments: false }).filter((a) => !accountIds || accountIds.includes(a.account_id));
  return {
    accounts,
    transactions: present(slice, presentation),
    total_transactions: entries.length,
    item: itemJson(item, false),
  };
}

/** One on-demand extraction; for dynamic Items that is one simulated day of activity. */
export function transactionsRefresh(ctx: HandlerContext): JsonObject {
  const item = itemFor(ctx);
  const changed = item.rec.profile.dynamic ? simulateDay(item) : false;
  item.rec.last_successful_update = isoSeconds(new Date(ctx.core.now()));
  ctx.core.store.save();
  if (changed && item.rec.sync_called) ctx.core.webhooks.send(item, syncUpdatesAvailable(item));
  return {};
}
