import type { Merchant } from "./catalog";
import { currencyFields, merchantLogoUrl, pfcIconUrl } from "./catalog";
import { plaidId } from "../prng";
import type { Location, Transaction } from "../types";

const NO_LOCATION: Location = {
  address: null, city: null, region: null, postal_code: null, country: null, lat: null, lon: null, store_number: null,
};

const NO_PAYMENT_META = {
  reference_number: null, ppd_id: null, payee: null, by_order_of: null, payer: null, payment_method: null,
  payment_processor: null, reason: null,
};

export interface TxnParts {
  transactionId: string;
  accountId: string;
  currency: string;
  merchant: Merchant;
  /** Overrides the merchant's description (custom users). */
  description?: string;
  amountCents: number;
  date: string;
  authorizedDate: string | null;
  pending: boolean;
  pendingTransactionId: string | null;
  /** Seconds after midnight UTC when the card was used; null: the bank gives no time. */
  timeOfDay: number | null;
}

function timeString(date: string, secs: number): string {
  const h = String(Math.floor(secs / 3600)).padStart(2, "0");
  const m = String(Math.floor((secs % 3600) / 60)).padStart(2, "0");
  const s = String(secs % 60).padStart(2, "0");
  return `${date}T${h}:${m}:${s}Z`;
}

const entityIds = new Map<string, string>();
const logos = new Map<Merchant, string | null>();

function entityId(name: string): string {
  let id = entityIds.get(name);
  if (id === undefined) entityIds.set(name, (id = plaidId("entity", name)));
  return id;
}

function logoFor(m: Merchant): string | null {
  let logo = logos.get(m);
  if (logo === undefined) logos.set(m, (logo = merchantLogoUrl(m)));
  return logo;
}

/** Builds a complete Transaction object as the spec's example-1 shows it. */
export function buildTransaction(p: TxnParts): Transaction {
  const m = p.merchant;
  const entity = m.merchant ? entityId(m.merchant) : null;
  const logo = logoFor(m);
  const loc: Location = m.city && p.merchant.channel === "in store"
    ? { address: m.city.address, city: m.city.city, region: m.city.region, postal_code: m.city.postal_code, country: "US", lat: m.city.lat, lon: m.city.lon, store_number: m.city.store }
    : NO_LOCATION;
  return {
    account_id: p.accountId,
    account_owner: null,
    amount: p.amountCents / 100,
    ...currencyFields(p.currency),
    check_number: null,
    counterparties: m.merchant && m.counterpartyType
      ? [{ name: m.merchant, type: m.counterpartyType, logo_url: logo, website: m.website, entity_id: entity, confidence_level: "VERY_HIGH", phone_number: null }]
      : [],
    date: p.date,
    datetime: p.timeOfDay !== null && !p.pending ? timeString(p.date, (p.timeOfDay + 7 * 3600) % 86400) : null,
    authorized_date: p.authorizedDate,
    authorized_datetime: p.timeOfDay !== null && p.authorizedDate ? timeString(p.authorizedDate, p.timeOfDay) : null,
    location: { ...loc },
    name: p.description ?? m.description,
    merchant_name: m.merchant,
    merchant_entity_id: entity,
    logo_url: logo,
    website: m.website,
    original_description: null,
    payment_meta: { ...NO_PAYMENT_META },
    payment_channel: m.channel,
    pending: p.pending,
    pending_transaction_id: p.pendingTransactionId,
    personal_finance_category: { primary: m.primary, detailed: m.detailed, confidence_level: m.merchant ? "VERY_HIGH" : "HIGH", version: "v1" },
    personal_finance_category_icon_url: pfcIconUrl(m.primary),
    transaction_id: p.transactionId,
    transaction_code: null,
    transaction_type: m.channel === "online" ? "digital" : m.channel === "in store" ? "place" : "special",
  };
}
