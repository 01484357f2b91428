/**
 * personal_finance_category versions. Transactions are built and kept with PFC v1 values (the
 * catalogue's); a response asking for `options.personal_finance_category_version: "v2"` gets
 * them mapped here. Plaid's v2 taxonomy (pfc-taxonomy-all.csv) is not available offline, so this
 * is a stand-in, not Plaid's mapping: it uses the v2 values the spec's examples show
 * (DINING_DINING, FOOD_RETAIL_GROCERIES; EARNED_INCOME as a primary, with SALARY as the
 * secondary of an income category) and keeps every other category as it is in v1.
 */
import { pfcIconUrl } from "./catalog";
import type { Transaction } from "../types";

export type PfcVersion = "v1" | "v2";
export const PFC_VERSIONS: readonly PfcVersion[] = ["v1", "v2"];

/** v1 `detailed` → v2 {primary, detailed}, for the v1 categories the catalogue uses that v2 renames. */
const V2_BY_V1_DETAILED: Readonly<Record<string, { primary: string; detailed: string }>> = {
  FOOD_AND_DRINK_COFFEE: { primary: "DINING", detailed: "DINING_DINING" },
  FOOD_AND_DRINK_FAST_FOOD: { primary: "DINING", detailed: "DINING_DINING" },
  FOOD_AND_DRINK_RESTAURANT: { primary: "DINING", detailed: "DINING_DINING" },
  FOOD_AND_DRINK_GROCERIES: { primary: "FOOD_RETAIL", detailed: "FOOD_RETAIL_GROCERIES" },
  INCOME_WAGES: { primary: "EARNED_INCOME", detailed: "EARNED_INCOME_SALARY" },
};

/** The v2 category of a v1 one: a pure function of the v1 values, so a transaction keeps it across syncs. */
export function pfcV2(primary: string, detailed: string): { primary: string; detailed: string } {
  return V2_BY_V1_DETAILED[detailed] ?? { primary, detailed };
}

/** The transaction as a response for `version` returns it: category, its `version` and the icon of its primary. */
export function withPfcVersion(t: Transaction, version: PfcVersion): Transaction {
  const pfc = t.personal_finance_category;
  if (!pfc || pfc.version === version) return t;
  // Stored transactions are v1 (older state files: without `version`).
  const values = version === "v2" ? pfcV2(pfc.primary, pfc.detailed) : { primary: pfc.primary, detailed: pfc.detailed };
  return {
    ...t,
    personal_finance_category: { ...values, confidence_level: pfc.confidence_level, version },
    personal_finance_category_icon_url: pfcIconUrl(values.primary),
  };
}
