/** Response object shapes, mirroring the spec's schemas (AccountBase, Transaction, Item, ...). */

export interface AccountBalance {
  available: number | null;
  current: number | null;
  limit: number | null;
  iso_currency_code: string | null;
  unofficial_currency_code: string | null;
}

export interface AccountBase {
  account_id: string;
  balances: AccountBalance;
  mask: string | null;
  name: string;
  official_name: string | null;
  type: "depository" | "credit" | "loan" | "investment" | "other";
  subtype: string | null;
  holder_category?: "personal" | "business" | "unrecognized" | null;
}

export interface Location {
  address: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  lat: number | null;
  lon: number | null;
  store_number: string | null;
}

export interface PaymentMeta {
  reference_number: string | null;
  ppd_id: string | null;
  payee: string | null;
  by_order_of: string | null;
  payer: string | null;
  payment_method: string | null;
  payment_processor: string | null;
  reason: string | null;
}

export interface Counterparty {
  name: string;
  type: "merchant" | "financial_institution" | "payment_app" | "marketplace" | "payment_terminal" | "income_source";
  logo_url: string | null;
  website: string | null;
  entity_id: string | null;
  confidence_level: string | null;
  phone_number: string | null;
}

export interface Transaction {
  account_id: string;
  account_owner: string | null;
  amount: number;
  iso_currency_code: string | null;
  unofficial_currency_code: string | null;
  check_number: string | null;
  counterparties: Counterparty[];
  date: string;
  datetime: string | null;
  authorized_date: string | null;
  authorized_datetime: string | null;
  location: Location;
  name: string;
  merchant_name: string | null;
  merchant_entity_id: string | null;
  logo_url: string | null;
  website: string | null;
  original_description: string | null;
  payment_meta: PaymentMeta;
  payment_channel: "online" | "in store" | "other";
  pending: boolean;
  pending_transaction_id: string | null;
  /** Kept as v1 (`version` absent in older state files); responses map it to the version asked for (data/pfc.ts). */
  personal_finance_category: { primary: string; detailed: string; confidence_level: string | null; version?: "v1" | "v2" } | null;
  personal_finance_category_icon_url: string;
  transaction_id: string;
  transaction_code: string | null;
  transaction_type: "digital" | "place" | "special" | "unresolved";
}

export interface RemovedTransaction {
  transaction_id: string;
  account_id: string;
}
