/**
 * What generated transactions are made of: merchants with their Plaid personal_finance_category
 * (v1 taxonomy), channel, amount range and which kind of account they appear on.
 */

export type AccountKind = "checking" | "savings" | "credit" | "loan";

export interface Merchant {
  /** Raw bank description (Transaction.name). */
  description: string;
  merchant: string | null;
  website: string | null;
  counterpartyType: "merchant" | "financial_institution" | "payment_app" | "marketplace" | "income_source" | null;
  primary: string;
  detailed: string;
  channel: "online" | "in store" | "other";
  /** Amount range in cents; negative = money in (Plaid's sign). */
  minCents: number;
  maxCents: number;
  kinds: readonly AccountKind[];
  weight: number;
  /** Restaurants: the posted amount may include a tip. */
  tips?: boolean;
  city?: { address: string; city: string; region: string; postal_code: string; lat: number; lon: number; store: string };
}

const M = (m: Merchant): Merchant => m;

export const MERCHANTS: readonly Merchant[] = [
  M({ description: "PURCHASE WM SUPERCENTER #1700", merchant: "Walmart", website: "walmart.com", counterpartyType: "merchant", primary: "GENERAL_MERCHANDISE", detailed: "GENERAL_MERCHANDISE_SUPERSTORES", channel: "in store", minCents: 1500, maxCents: 18000, kinds: ["checking", "credit"], weight: 6, city: { address: "13425 Community Rd", city: "Poway", region: "CA", postal_code: "92064", lat: 32.959068, lon: -117.037666, store: "1700" } }),
  M({ description: "STARBUCKS STORE 0443", merchant: "Starbucks", website: "starbucks.com", counterpartyType: "merchant", primary: "FOOD_AND_DRINK", detailed: "FOOD_AND_DRINK_COFFEE", channel: "in store", minCents: 350, maxCents: 1400, kinds: ["checking", "credit"], weight: 10, city: { address: "1912 Pike Pl", city: "Seattle", region: "WA", postal_code: "98101", lat: 47.610378, lon: -122.342436, store: "0443" } }),
  M({ description: "MCDONALD'S F2359", merchant: "McDonald's", website: "mcdonalds.com", counterpartyType: "merchant", primary: "FOOD_AND_DRINK", detailed: "FOOD_AND_DRINK_FAST_FOOD", channel: "in store", minCents: 600, maxCents: 2200, kinds: ["checking", "credit"], weight: 6, city: { address: "600 N Clark St", city: "Chicago", region: "IL", postal_code: "60654", lat: 41.892902, lon: -87.631226, store: "2359" } }),
  M({ description: "Dd Doordash Burgerkin", merchant: "Burger King", website: "burgerking.com", counterpartyType: "marketplace", primary: "FOOD_AND_DRINK", detailed: "FOOD_AND_DRINK_FAST_FOOD", channel: "online", minCents: 1500, maxCents: 4500, kinds: ["credit"], weight: 4, tips: true }),
  M({ description: "SQ *BLUE BOTTLE COFFEE", merchant: "Blue Bottle Coffee", website: "bluebottlecoffee.com", counterpartyType: "merchant", primary: "FOOD_AND_DRINK", detailed: "FOOD_AND_DRINK_COFFEE", channel: "in store", minCents: 450, maxCents: 1600, kinds: ["credit"], weight: 3, tips: true },),
  M({ description: "TST* OLIVE GARDEN 1452", merchant: "Olive Garden", website: "olivegarden.com", counterpartyType: "merchant", primary: "FOOD_AND_DRINK", detailed: "FOOD_AND_DRINK_RESTAURANT", channel: "in store", minCents: 2800, maxCents: 11000, kinds: ["credit", "checking"], weight: 3, tips: true, city: { address: "1452 Main St", city: "Springfield", region: "IL", postal_code: "62701", lat: 39.801055, lon: -89.643604, store: "1452" } }),
  M({ description: "WHOLEFDS MKT 10234", merchant: "Whole Foods Market", website: "wholefoodsmarket.com", counterpartyType: "merchant", primary: "FOOD_AND_DRINK", detailed: "FOOD_AND_DRINK_GROCERIES", channel: "in store", minCents: 1800, maxCents: 16000, kinds: ["checking", "credit"], weight: 7, city: { address: "399 4th St", city: "San Francisco", region: "CA", postal_code: "94107", lat: 37.781337, lon: -122.399727, store: "10234" } }),
  M({ description: "TRADER JOE S #558", merchant: "Trader Joe's", website: "traderjoes.com", counterpartyType: "merchant", primary: "FOOD_AND_DRINK", detailed: "FOOD_AND_DRINK_GROCERIES", channel: "in store", minCents: 2000, maxCents: 12000, kinds: ["checking", "credit"], weight: 6, city: { address: "555 9th St", city: "San Francisco", region: "CA", postal_code: "94103", lat: 37.770537, lon: -122.407768, store: "558" } }),
  M({ description: "UBER 063015 SF**POOL**", merchant: "Uber", website: "uber.com", counterpartyType: "merchant", primary: "TRANSPORTATION", detailed: "TRANSPORTATION_TAXIS_AND_RIDE_SHARES", channel: "online", minCents: 800, maxCents: 4500, kinds: ["credit"], weight: 5 }),
  M({ description: "SHELL OIL 57444", merchant: "Shell", website: "shell.com", counterpartyType: "merchant", primary: "TRANSPORTATION", detailed: "TRANSPORTATION_GAS", channel: "in store", minCents: 2500, maxCents: 7500, kinds: ["checking", "credit"], weight: 5, city: { address: "2200 Shattuck Ave", city: "Berkeley", region: "CA", postal_code: "94704", lat: 37.869884, lon: -122.267804, store: "57444" } }),
  M({ description: "AMZN Mktp US*2K4L81F", merchant: "Amazon", website: "amazon.com", counterpartyType: "marketplace", primary: "GENERAL_MERCHANDISE", detailed: "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", channel: "online", minCents: 900, maxCents: 15000, kinds: ["credit", "checking"], weight: 8 }),
  M({ description: "AMZN Mktp US REFUND", merchant: "Amazon", website: "amazon.com", counterpartyType: "marketplace", primary: "GENERAL_MERCHANDISE", detailed: "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", channel: "online", minCents: -6000, maxCents: -900, kinds: ["credit"], weight: 1 }),
  M({ description: "Netflix.com", merchant: "Netflix", website: "netflix.com", counterpartyType: "merchant", primary: "ENTERTAINMENT", detailed: "ENTERTAINMENT_TV_AND_MOVIES", channel: "online", minCents: 1549, maxCents: 1549, kinds: ["credit"], weight: 1 }),
  M({ description: "Spotify USA", merchant: "Spotify", website: "spotify.com", counterpartyType: "merchant", primary: "ENTERTAINMENT", detailed: "ENTERTAINMENT_MUSIC_AND_AUDIO", channel: "online", minCents: 1099, maxCents: 1099, kinds: ["credit"], weight: 1 }),
  M({ description: "CVS/PHARMACY #08421", merchant: "CVS", website: "cvs.com", counterpartyType: "merchant", primary: "MEDICAL", detailed: "MEDICAL_PHARMACIES_AND_SUPPLEMENTS", channel: "in store", minCents: 500, maxCents: 6000, kinds: ["checking", "credit"], weight: 3, city: { address: "731 Market St", city: "San Francisco", region: "CA", postal_code: "94103", lat: 37.786834, lon: -122.404234, store: "08421" } }),
  M({ description: "THE HOME DEPOT #0621", merchant: "The Home Depot", website: "homedepot.com", counterpartyType: "merchant", primary: "HOME_IMPROVEMENT", detailed: "HOME_IMPROVEMENT_HARDWARE", channel: "in store", minCents: 1200, maxCents: 25000, kinds: ["credit"], weight: 2, city: { address: "2 Colma Blvd", city: "Colma", region: "CA", postal_code: "94014", lat: 37.677271, lon: -122.465011, store: "0621" } }),
  M({ description: "PLANET FITNESS", merchant: "Planet Fitness", website: "planetfitness.com", counterpartyType: "merchant", primary: "PERSONAL_CARE", detailed: "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS", channel: "other", minCents: 2499, maxCents: 2499, kinds: ["checking"], weight: 1 }),
  M({ description: "UNITED AIRLINES 0162345678", merchant: "United Airlines", website: "united.com", counterpartyType: "merchant", primary: "TRAVEL", detailed: "TRAVEL_FLIGHTS", channel: "online", minCents: 12000, maxCents: 65000, kinds: ["credit"], weight: 1 }),
  M({ description: "COMCAST CABLE COMM", merchant: "Comcast", website: "xfinity.com", counterpartyType: "merchant", primary: "RENT_AND_UTILITIES", detailed: "RENT_AND_UTILITIES_INTERNET_AND_CABLE", channel: "online", minCents: 7999, maxCents: 8999, kinds: ["checking"], weight: 1 }),
  M({ description: "PGANDE WEB ONLINE", merchant: "PG&E", website: "pge.com", counterpartyType: "merchant", primary: "RENT_AND_UTILITIES", detailed: "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY", channel: "online", minCents: 4500, maxCents: 18000, kinds: ["checking"], weight: 1 }),
  M({ description: "ACH DEBIT RENT PAYMENT GREYSTAR", merchant: null, website: null, counterpartyType: null, primary: "RENT_AND_UTILITIES", detailed: "RENT_AND_UTILITIES_RENT", channel: "other", minCents: 185000, maxCents: 185000, kinds: ["checking"], weight: 1 }),
  M({ description: "ACME CORP PAYROLL PPD ID: 1234567890", merchant: "Acme Corp", website: null, counterpartyType: "income_source", primary: "INCOME", detailed: "INCOME_WAGES", channel: "other", minCents: -320000, maxCents: -260000, kinds: ["checking"], weight: 3 }),
  M({ description: "INTEREST PAYMENT", merchant: null, website: null, counterpartyType: null, primary: "INCOME", detailed: "INCOME_INTEREST_EARNED", channel: "other", minCents: -500, maxCents: -10, kinds: ["savings"], weight: 2 }),
  M({ description: "ONLINE TRANSFER TO SAV ...1111", merchant: null, website: null, counterpartyType: null, primary: "TRANSFER_OUT", detailed: "TRANSFER_OUT_SAVINGS", channel: "other", minCents: 10000, maxCents: 50000, kinds: ["checking"], weight: 2 }),
  M({ description: "ONLINE TRANSFER FROM CHK ...0000", merchant: null, website: null, counterpartyType: null, primary: "TRANSFER_IN", detailed: "TRANSFER_IN_SAVINGS", channel: "other", minCents: -50000, maxCents: -10000, kinds: ["savings"], weight: 3 }),
  M({ description: "AUTOPAY PAYMENT - THANK YOU", merchant: null, website: null, counterpartyType: null, primary: "LOAN_PAYMENTS", detailed: "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT", channel: "other", minCents: -90000, maxCents: -20000, kinds: ["credit"], weight: 2 }),
  M({ description: "CREDIT CARD 3333 AUTOPAY", merchant: null, website: null, counterpartyType: null, primary: "LOAN_PAYMENTS", detailed: "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT", channel: "other", minCents: 20000, maxCents: 90000, kinds: ["checking"], weight: 2 }),
  M({ description: "LOAN PAYMENT RECEIVED", merchant: null, website: null, counterpartyType: null, primary: "LOAN_PAYMENTS", detailed: "LOAN_PAYMENTS_OTHER_PAYMENT", channel: "other", minCents: -60000, maxCents: -20000, kinds: ["loan"], weight: 1 }),
  M({ description: "Venmo *Alex Smith", merchant: "Venmo", website: "venmo.com", counterpartyType: "payment_app", primary: "TRANSFER_OUT", detailed: "TRANSFER_OUT_ACCOUNT_TRANSFER", channel: "online", minCents: 1000, maxCents: 12000, kinds: ["checking"], weight: 2 }),
  M({ description: "ATM WITHDRAWAL FEE", merchant: null, website: null, counterpartyType: null, primary: "BANK_FEES", detailed: "BANK_FEES_ATM_FEES", channel: "other", minCents: 250, maxCents: 350, kinds: ["checking"], weight: 1 }),
  M({ description: "AMERICAN RED CROSS", merchant: "American Red Cross", website: "redcross.org", counterpartyType: "merchant", primary: "GOVERNMENT_AND_NON_PROFIT", detailed: "GOVERNMENT_AND_NON_PROFIT_DONATIONS", channel: "online", minCents: 2500, maxCents: 10000, kinds: ["credit"], weight: 1 }),
  M({ description: "AMC THEATRES 0234", merchant: "AMC Theatres", website: "amctheatres.com", counterpartyType: "merchant", primary: "ENTERTAINMENT", detailed: "ENTERTAINMENT_TV_AND_MOVIES", channel: "in store", minCents: 1400, maxCents: 4800, kinds: ["credit"], weight: 2, city: { address: "1000 Van Ness Ave", city: "San Francisco", region: "CA", postal_code: "94109", lat: 37.785179, lon: -122.421475, store: "0234" } }),
  M({ description: "SUPERCUTS 8841", merchant: "Supercuts", website: "supercuts.com", counterpartyType: "merchant", primary: "PERSONAL_CARE", detailed: "PERSONAL_CARE_HAIR_AND_BEAUTY", channel: "in store", minCents: 2500, maxCents: 4500, kinds: ["checking", "credit"], weight: 1, tips: true }),
];

/** For each account kind, the merchant indices usable on it and their weights (precomputed once). */
export const MERCHANTS_BY_KIND: Readonly<Record<AccountKind, { indices: number[]; weights: number[] }>> = (() => {
  const out = {} as Record<AccountKind, { indices: number[]; weights: number[] }>;
  for (const kind of ["checking", "savings", "credit", "loan"] as const) {
    const indices: number[] = [];
    const weights: number[] = [];
    MERCHANTS.forEach((m, i) => {
      if (m.kinds.includes(kind)) {
        indices.push(i);
        weights.push(m.weight);
      }
    });
    out[kind] = { indices, weights };
  }
  return out;
})();

export function pfcIconUrl(primary: string): string {
  return `https://plaid-category-icons.plaid.com/PFC_${primary}.png`;
}

export function merchantLogoUrl(m: Merchant): string | null {
  return m.website ? `https://plaid-merchant-logos.plaid.com/${m.website.replace(/\..*$/, "")}_${m.description.length}.png` : null;
}

/** ISO 4217 codes we treat as official; anything else goes to unofficial_currency_code. */
const ISO_CURRENCIES = new Set([
  "USD", "EUR", "GBP", "CAD", "JPY", "CHF", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "MXN", "INR",
  "CNY", "HKD", "SGD", "BRL", "ZAR", "KRW", "ILS", "TRY", "RON", "BGN", "ISK",
]);

export function currencyFields(code: string): { iso_currency_code: string | null; unofficial_currency_code: string | null } {
  const upper = code.toUpperCase();
  return ISO_CURRENCIES.has(upper)
    ? { iso_currency_code: upper, unofficial_currency_code: null }
    : { iso_currency_code: null, unofficial_currency_code: upper };
}
