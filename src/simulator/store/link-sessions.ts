import { isoSeconds } from "../dates";
import { newUuid } from "../ids";
import type { JsonObject } from "../validate";

/** A LinkEvent as /link/token/get returns it (event_metadata values are strings, never null). */
export interface LinkEventRecord {
  event_id: string;
  event_name: string;
  timestamp: string;
  event_metadata: Record<string, string>;
}

export interface LinkInstitution {
  name: string;
  institution_id: string;
}

/** LinkSessionSuccessMetadataAccount. */
export interface LinkResultAccount {
  id: string;
  name: string;
  mask: string | null;
  type: string;
  subtype?: string;
  verification_status: string | null;
  class_type: string | null;
}

/** LinkSessionItemAddResult. */
export interface ItemAddResult {
  public_token: string;
  institution: LinkInstitution;
  accounts: LinkResultAccount[];
}

/** The PlaidError of an exit, as Link's onExit reported it. */
export interface LinkExitError {
  error_type: string;
  error_code: string;
  error_message: string;
  display_message: string | null;
}

export interface LinkExitRecord {
  error: LinkExitError | null;
  institution: LinkInstitution | null;
  status: string;
  request_id: string;
}

/**
 * One link session: what Plaid's servers see of one opening of Link for a link_token, from the
 * stand-in Link backend's calls. Times are simulator-clock milliseconds.
 */
export interface LinkSessionRecord {
  id: string;
  startedAt: number;
  finishedAt: number | null;
  /** The institution last selected (for SELECT_INSTITUTION events and the exit metadata). */
  institution: LinkInstitution | null;
  events: LinkEventRecord[];
  /** Add mode's success; null in update mode, whose success is a finish without an exit. */
  result: ItemAddResult | null;
  exit: LinkExitRecord | null;
}

/** Enough for any real Link flow; a client looping on errors cannot grow a session without bound. */
const MAX_EVENTS = 100;

export function newLinkSession(id: string, now: number): LinkSessionRecord {
  return { id, startedAt: now, finishedAt: null, institution: null, events: [], result: null, exit: null };
}

/** Appends a LinkEvent; metadata entries that are null or undefined are left out (the spec's are strings). */
export function addLinkEvent(s: LinkSessionRecord, name: string, now: number, metadata: Record<string, string | null | undefined>): void {
  if (s.events.length >= MAX_EVENTS) return;
  const md: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (typeof v === "string") md[k] = v;
  if (s.institution) {
    md.institution_id ??= s.institution.institution_id;
    md.institution_name ??= s.institution.name;
  }
  s.events.push({ event_id: newUuid(), event_name: name, timestamp: isoSeconds(new Date(now)), event_metadata: md });
}

/** LinkTokenGetSessionsResponse. */
export function linkSessionJson(s: LinkSessionRecord): JsonObject {
  const out: JsonObject = {
    link_session_id: s.id,
    started_at: isoSeconds(new Date(s.startedAt)),
    finished_at: s.finishedAt === null ? null : isoSeconds(new Date(s.finishedAt)),
    events: s.events,
  };
  // Finished without an exit is a success; update mode's has no Item add (result null).
  if (s.result || (s.finishedAt !== null && !s.exit)) {
    out.results = {
      item_add_results: s.result ? [s.result] : [],
      cra_item_add_results: [],
      cra_update_results: [],
      bank_income_results: [],
      payroll_income_results: [],
      document_income_results: null,
    };
  }
  if (s.exit) {
    out.exit = {
      error: s.exit.error,
      metadata: { institution: s.exit.institution, status: s.exit.status, link_session_id: s.id, request_id: s.exit.request_id },
    };
  }
  return out;
}
