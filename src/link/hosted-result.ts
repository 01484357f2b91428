/**
 * What a /link/token/get answer says about a Hosted Link session (DESIGN §4.6): still going,
 * finished with a bank linked, or left by the user. Plaid keeps one entry in `link_sessions` per
 * visit of the hosted URL; the results of a successful one are in
 * `results.item_add_results[].public_token` (older integrations: `on_success`).
 */
import type { LinkMode } from "./sessions";
import type { LinkTokenGetResponse } from "plaid";
import { normaliseAccounts, normaliseInstitution } from "./accounts";
import type { LinkedAccount } from "../plaid/types";

export interface HostedSuccess {
  state: "success";
  /** Every public token Plaid produced, oldest first (normally one; each must be used or removed, never orphaned). */
  publicTokens: string[];
  /** What Plaid's server reported at the end of the flow (a fallback: /item/get and /accounts/get are the source). */
  institution: { institution_id: string; name: string } | null;
  accounts: LinkedAccount[];
}

export interface HostedExit {
  state: "exited";
  /** Plaid's text for the user, or its error code, when the flow ended on an error. */
  message: string | null;
  code: string | null;
}

export type HostedOutcome = { state: "pending" } | HostedSuccess | HostedExit;

type LinkSessionData = NonNullable<LinkTokenGetResponse["link_sessions"]>[number];

function str(v: unknown): string | null {
  return typeof v === "string" && v ? v : null;
}

function successesOf(session: LinkSessionData): Array<{ publicToken: string; institution: unknown; accounts: unknown }> {
  const out: Array<{ publicToken: string; institution: unknown; accounts: unknown }> = [];
  for (const r of session.results?.item_add_results ?? []) {
    const token = str(r?.public_token);
    if (token) out.push({ publicToken: token, institution: r.institution, accounts: r.accounts });
  }
  const legacy = session.on_success;
  if (!out.length && legacy && str(legacy.public_token)) {
    out.push({ publicToken: legacy.public_token, institution: legacy.metadata?.institution, accounts: legacy.metadata?.accounts });
  }
  return out;
}

/**
 * Any visit that linked a bank wins (the user may have exited once and then finished from the QR
 * code). Otherwise the latest visit decides: still open, or an exit. In update mode a visit that
 * finished without an exit counts as success even without a public token: the Item keeps its
 * access token, and the caller confirms the repair with /item/get.
 */
export function readHostedOutcome(data: Pick<LinkTokenGetResponse, "link_sessions">, mode: LinkMode): HostedOutcome {
  const sessions = Array.isArray(data.link_sessions) ? data.link_sessions : [];
  const wins = sessions.flatMap(successesOf);
  if (wins.length) {
    return {
      state: "success",
      publicTokens: wins.map((w) => w.publicToken),
      institution: normaliseInstitution(wins[0].institution),
      accounts: normaliseAccounts(wins[0].accounts),
    };
  }
  // The most recent visit decides: still open (perhaps a second try after an exit), or how it ended.
  const time = (s: LinkSessionData): number => Date.parse(s.finished_at ?? s.started_at ?? "") || 0;
  const last = [...sessions].sort((a, b) => time(a) - time(b)).pop();
  if (!last || !last.finished_at) return { state: "pending" };
  const exit = last.exit ?? last.on_exit ?? null;
  if (!exit && mode !== "add") return { state: "success", publicTokens: [], institution: null, accounts: [] };
  const err = (exit?.error ?? null) as { display_message?: unknown; error_message?: unknown; error_code?: unknown } | null;
  return { state: "exited", message: str(err?.display_message) ?? str(err?.error_message), code: str(err?.error_code) };
}
