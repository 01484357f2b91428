/** Plaid's Sandbox test institutions (plaid-api-notes §6), with invented but plausible metadata. */

export interface SimInstitution {
  institution_id: string;
  name: string;
  products: string[];
  country_codes: string[];
  routing_numbers: string[];
  oauth: boolean;
  url: string | null;
  primary_color: string | null;
  /** Link and /sandbox/public_token/create fail with INSTITUTION_DOWN. */
  down?: boolean;
  degraded?: boolean;
  /** Accepts any credentials, even blank (Plaid's OAuth test banks). */
  anyCredentials?: boolean;
  unsupported?: boolean;
}

const US_PRODUCTS = ["assets", "auth", "balance", "identity", "investments", "liabilities", "transactions"];
const EU_PRODUCTS = ["balance", "identity", "transactions", "payment_initiation"];

const inst = (i: SimInstitution): SimInstitution => i;

export const INSTITUTIONS: readonly SimInstitution[] = [
  inst({ institution_id: "ins_109508", name: "First Platypus Bank", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011000015"], oauth: false, url: "https://plaid.com", primary_color: "#1f1f1f" }),
  inst({ institution_id: "ins_130016", name: "First Platypus Balance Bank", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011000028"], oauth: false, url: "https://plaid.com", primary_color: "#1f1f1f" }),
  inst({ institution_id: "ins_109509", name: "First Gingham Credit Union", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011000138"], oauth: false, url: "https://plaid.com", primary_color: "#2c5f8a" }),
  inst({ institution_id: "ins_109510", name: "Tattersall Federal Credit Union", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011200365"], oauth: false, url: "https://plaid.com", primary_color: "#6b2c8a" }),
  inst({ institution_id: "ins_109511", name: "Tartan Bank", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011400495"], oauth: false, url: "https://plaid.com", primary_color: "#8a2c2c" }),
  inst({ institution_id: "ins_109512", name: "Houndstooth Bank", products: ["auth", "balance", "identity", "transactions"], country_codes: ["US"], routing_numbers: ["011000138", "011200365", "011400495"], oauth: false, url: "https://plaid.com", primary_color: "#004966" }),
  inst({ institution_id: "ins_43", name: "Tartan-Dominion Bank of Canada", products: US_PRODUCTS, country_codes: ["CA"], routing_numbers: [], oauth: false, url: "https://plaid.com", primary_color: "#8a2c2c" }),
  inst({ institution_id: "ins_116834", name: "Flexible Platypus Open Banking", products: EU_PRODUCTS, country_codes: ["GB"], routing_numbers: [], oauth: true, url: "https://plaid.com", primary_color: "#1f1f1f", anyCredentials: true }),
  inst({ institution_id: "ins_117650", name: "Royal Bank of Plaid", products: EU_PRODUCTS, country_codes: ["GB"], routing_numbers: [], oauth: false, url: "https://plaid.com", primary_color: "#00214d" }),
  inst({ institution_id: "ins_127287", name: "Platypus OAuth Bank", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011000015"], oauth: true, url: "https://plaid.com", primary_color: "#1f1f1f", anyCredentials: true }),
  inst({ institution_id: "ins_132241", name: "First Platypus OAuth App2App Bank", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011000015"], oauth: true, url: "https://plaid.com", primary_color: "#1f1f1f", anyCredentials: true }),
  inst({ institution_id: "ins_117181", name: "Flexible Platypus Open Banking (QR code)", products: EU_PRODUCTS, country_codes: ["GB", "FR", "ES", "NL", "IE", "DE"], routing_numbers: [], oauth: true, url: "https://plaid.com", primary_color: "#1f1f1f", anyCredentials: true }),
  inst({ institution_id: "ins_135858", name: "Windowpane Bank", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011000015"], oauth: false, url: "https://plaid.com", primary_color: "#3d6b8a" }),
  inst({ institution_id: "ins_132363", name: "Unhealthy Platypus Bank - Degraded", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011000015"], oauth: false, url: "https://plaid.com", primary_color: "#1f1f1f", degraded: true }),
  inst({ institution_id: "ins_132361", name: "Unhealthy Platypus Bank - Down", products: US_PRODUCTS, country_codes: ["US"], routing_numbers: ["011000015"], oauth: false, url: "https://plaid.com", primary_color: "#1f1f1f", down: true }),
  inst({ institution_id: "ins_133402", name: "Unsupported Platypus Bank", products: [], country_codes: ["US"], routing_numbers: ["011000015"], oauth: false, url: "https://plaid.com", primary_color: "#1f1f1f", unsupported: true }),
  inst({ institution_id: "ins_133502", name: "Platypus Bank RUX Auth", products: ["auth", "balance"], country_codes: ["US"], routing_numbers: ["011000015"], oauth: false, url: "https://plaid.com", primary_color: "#1f1f1f" }),
  inst({ institution_id: "ins_133503", name: "Platypus Bank RUX Match", products: ["auth", "balance"], country_codes: ["US"], routing_numbers: ["011000015"], oauth: false, url: "https://plaid.com", primary_color: "#1f1f1f" }),
];

const BY_ID = new Map(INSTITUTIONS.map((i) => [i.institution_id, i]));

export function findInstitution(id: string): SimInstitution | undefined {
  return BY_ID.get(id);
}
