import { isoSeconds } from "./dates";
import type { SimItem } from "./store/item";

/**
 * Delivers webhooks the way Plaid does: a JSON POST to the Item's webhook URL, pretty-printed
 * with 2-space indentation (Plaid's body hashing depends on it). Delivery failures are ignored,
 * as Plaid does not report them to the caller either.
 */
export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();
  /** Every payload attempted, for tests and the demo log. */
  readonly sent: Array<{ url: string; payload: Record<string, unknown> }> = [];

  constructor(private readonly now: () => number) {}

  send(item: SimItem, payload: Record<string, unknown>): boolean {
    const url = item.rec.webhook;
    if (!url || !isWebhookUrl(url)) return false;
    item.rec.last_webhook = { sent_at: isoSeconds(new Date(this.now())), code_sent: String(payload.webhook_code) };
    this.sent.push({ url, payload });
    const p = fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload, null, 2),
      signal: AbortSignal.timeout(5000),
    })
      .then((r) => r.arrayBuffer())
      .then(
        () => undefined,
        () => undefined,
      );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return true;
  }

  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}

export function isWebhookUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

export function syncUpdatesAvailable(item: SimItem): Record<string, unknown> {
  return {
    webhook_type: "TRANSACTIONS",
    webhook_code: "SYNC_UPDATES_AVAILABLE",
    item_id: item.itemId,
    initial_update_complete: true,
    historical_update_complete: true,
    environment: "sandbox",
  };
}
