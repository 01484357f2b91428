/**
 * Account and institution lists as they come from Plaid (Link metadata, /link/token/get results,
 * /accounts/get) → the few documented, non-secret fields we keep and show, bounded in size.
 */
import type { LinkedAccount } from "../plaid/types";

/** Plaid Link onSuccess metadata.accounts → our LinkedAccount list (only known, non-secret fields). */
export function normaliseAccounts(raw: unknown): LinkedAccount[] {
  if (!Array.isArray(raw)) return [];
  const out: LinkedAccount[] = [];
  for (const a of raw.slice(0, 200)) {
    if (!a || typeof a !== "object") continue;
    const r = a as Record<string, unknown>;
    const id = typeof r.id === "string" ? r.id : typeof r.account_id === "string" ? r.account_id : null;
    if (!id) continue;
    out.push({
      account_id: id.slice(0, 200),
      name: typeof r.name === "string" ? r.name.slice(0, 200) : "",
      mask: typeof r.mask === "string" ? r.mask.slice(0, 20) : null,
      type: typeof r.type === "string" ? r.type.slice(0, 50) : "",
      subtype: typeof r.subtype === "string" ? r.subtype.slice(0, 50) : null,
    });
  }
  return out;
}

export function normaliseInstitution(raw: unknown): { institution_id: string; name: string } | null {
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const name = typeof r.name === "string" ? r.name.slice(0, 200) : "";
  const id = typeof r.institution_id === "string" ? r.institution_id.slice(0, 100) : "";
  if (!name && !id) return null;
  return { institution_id: id, name };
}

