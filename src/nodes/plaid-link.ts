/**
 * plaid-link: one linked bank login (a Plaid Item). Glue only; the linking logic and the admin
 * routes live in src/link. See DESIGN §3.2 for the property names (an interface).
 */
import type { NodeAPI, NodeDef } from "node-red";
import { linkRuntime } from "./link-runtime";
import { normaliseAccounts } from "../link/accounts";
import type { LinkedAccount, PlaidConfigNode, PlaidLinkNode } from "./types";

interface PlaidLinkDef extends NodeDef {
  config?: string;
  itemId?: string;
  institutionId?: string;
  institutionName?: string;
  accounts?: unknown;
}

type LinkNodeImpl = PlaidLinkNode & { config: string };

export = function plaidLinkModule(RED: NodeAPI): void {
  // One set of admin routes, session store and pending-link store per runtime.
  const rt = linkRuntime(RED);
  const t = (key: string, vars?: Record<string, string | number>) => RED._(`plaid-link.${key}`, vars);

  function PlaidLink(this: LinkNodeImpl, def: PlaidLinkDef) {
    RED.nodes.createNode(this, def);
    this.config = String(def.config ?? "");
    this.itemId = String(def.itemId ?? "");
    this.institutionId = String(def.institutionId ?? "");
    this.institutionName = String(def.institutionName ?? "");
    // Accounts come from the editor as saved; keep only the documented, non-secret fields.
    this.accounts = normaliseAccounts(
      Array.isArray(def.accounts) ? (def.accounts as Array<Record<string, unknown>>).map((a) => ({ ...a, id: a?.account_id ?? a?.id })) : [],
    ) as LinkedAccount[];

    this.configNode = (): PlaidConfigNode | null => {
      const n = this.config ? RED.nodes.getNode(this.config) : null;
      return n && (n as { type?: string }).type === "plaid-config" ? (n as PlaidConfigNode) : null;
    };

    this.getAccessToken = (): string | undefined => rt.writer.currentAccessToken(this.id);

    this.relinkUrl = (): Promise<string> => {
      const cfg = this.configNode();
      if (!cfg) return Promise.reject(new Error(t("errors.config-not-deployed")));
      return rt.service().relinkUrl(this.id, cfg.id);
    };

    // Nothing to end when no service runs: no re-login was ever started in this process.
    this.loginWorks = (): void => {
      rt.serviceIfLoaded()?.endRelink(this.id);
    };

    this.onLoginRepaired = (listener: () => void): (() => void) => rt.onLoginRepaired(this.id, listener);

    // A link completed but never deployed (or deployed before a restart) is taken back from the
    // encrypted pending store; one whose token is now deployed is dropped from it.
    const deployed = (this.credentials as { accessToken?: string } | undefined)?.accessToken;
    const entry = rt.pending.get(this.id);
    rt.writer
      .reconcilePending(this.id, deployed)
      .then((outcome) => {
        if (outcome === "adopted" && entry) {
          this.itemId = entry.itemId;
          this.institutionId = entry.institutionId;
          this.institutionName = entry.institutionName;
          this.accounts = entry.accounts;
          this.log(t("log.adopted", { institution: entry.institutionName || entry.itemId }));
        }
      })
      .catch((err: Error) => this.warn(t("errors.adopt-failed", { message: err.message })));

  }

  RED.nodes.registerType("plaid-link", PlaidLink as unknown as Parameters<NodeAPI["nodes"]["registerType"]>[1], {
    credentials: {
      accessToken: { type: "password" },
    },
  });
};
