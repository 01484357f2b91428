/**
 * plaid-config: which Plaid (demo simulator, sandbox, production, or a custom URL) and the keys
 * to reach it. Glue only; see DESIGN §3.1 for the property names (an interface).
 */
import * as os from "os";
import type { NodeAPI, NodeDef } from "node-red";
import type { PlaidApi } from "plaid";
import { hostedBasePath, normaliseBasePath, type PlaidEnvironmentName } from "../plaid/environments";
import { plaidClientFor } from "./client-choice";
import { errorOf } from "../plaid/errors";
import { getDemoSimulator, viaDemoProxy } from "../link/demo";
import { MAX_HOSTED_LIFETIME_SECONDS } from "../link/link-token";
import type { LinkModeSetting } from "../link/config-like";
import { adminRootOf, dataDirOf, seenEditorOrigin, setting } from "./runtime";
import type { PlaidConfigNode } from "./types";

interface PlaidConfigDef extends NodeDef {
  environment?: string;
  basePath?: string;
  clientName?: string;
  countryCodes?: string;
  language?: string;
  redirectUri?: string;
  daysRequested?: number | string;
  publicUrl?: string;
  linkMode?: string;
  relinkLifetimeHours?: number | string;
}

interface PlaidConfigCredentials {
  clientId?: string;
  secret?: string;
}

const ENVIRONMENTS: PlaidEnvironmentName[] = ["demo", "sandbox", "production", "custom"];
const LINK_MODES: LinkModeSetting[] = ["hosted", "embedded"];
/** A re-login URL lives a day by default; Plaid allows up to 21 days (url_lifetime_seconds). */
const DEFAULT_RELINK_HOURS = 24;
const MAX_RELINK_HOURS = MAX_HOSTED_LIFETIME_SECONDS / 3600;

function parseCountryCodes(v: unknown): string[] {
  const list = String(v ?? "")
    .split(",")
    .map((c) => c.trim().toUpperCase())
    .filter((c) => /^[A-Z]{2}$/.test(c));
  return list.length ? [...new Set(list)] : ["US"];
}

function parseDaysRequested(v: unknown): number {
  const n = Math.floor(Number(v));
  if (!Number.isFinite(n) || n <= 0) return 730;
  return Math.min(730, Math.max(1, n));
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

export = function plaidConfigModule(RED: NodeAPI): void {
  const t = (key: string, vars?: Record<string, string | number>) => RED._(`plaid-config.${key}`, vars);

  /** "" = guess: the editor origin last seen on a link request, else what settings.js says. */
  function guessBaseUrl(): string {
    const seen = seenEditorOrigin();
    if (seen) return seen;
    const https = !!setting(RED, "https");
    const port = Number(setting(RED, "uiPort")) || 1880;
    const uiHost = setting(RED, "uiHost");
    const host = typeof uiHost === "string" && uiHost && uiHost !== "0.0.0.0" && uiHost !== "::" ? uiHost : os.hostname();
    const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    return `${https ? "https" : "http"}://${h}:${port}`;
  }

  function PlaidConfig(this: PlaidConfigNode & { basePath: string; publicUrl: string }, def: PlaidConfigDef) {
    RED.nodes.createNode(this, def);
    const env = String(def.environment ?? "demo") as PlaidEnvironmentName;
    this.environment = env;
    this.basePath = String(def.basePath ?? "").trim();
    this.clientName = String(def.clientName ?? "").trim() || "Node-RED";
    this.countryCodes = parseCountryCodes(def.countryCodes ?? "US");
    this.language = String(def.language ?? "").trim() || "en";
    this.redirectUri = String(def.redirectUri ?? "").trim();
    this.daysRequested = parseDaysRequested(def.daysRequested ?? 730);
    this.publicUrl = String(def.publicUrl ?? "").trim();
    const linkMode = String(def.linkMode ?? "").trim() || "hosted";
    this.linkMode = linkMode as LinkModeSetting;
    const relinkHoursRaw = def.relinkLifetimeHours ?? DEFAULT_RELINK_HOURS;
    const relinkHours = relinkHoursRaw === "" ? DEFAULT_RELINK_HOURS : Number(relinkHoursRaw);
    this.relinkLifetimeSeconds = Math.round(relinkHours * 3600);

    const creds = (): PlaidConfigCredentials => (this.credentials ?? {}) as PlaidConfigCredentials;
    let client: Promise<PlaidApi> | null = null;
    /** Demo: where the in-process simulator listens, once started (its URLs go through the demo proxy). */
    let demoUrl: string | null = null;

    this.problem = (): string | null => {
      if (!ENVIRONMENTS.includes(env)) return t("errors.bad-environment", { environment: env });
      if (!LINK_MODES.includes(this.linkMode)) return t("errors.bad-link-mode", { mode: linkMode });
      if (!Number.isFinite(relinkHours) || relinkHours < 1 || relinkHours > MAX_RELINK_HOURS) {
        return t("errors.bad-relink-lifetime", { hours: String(relinkHoursRaw), max: MAX_RELINK_HOURS });
      }
      if (env === "custom") {
        if (!this.basePath) return t("errors.missing-base-path");
        if (!isHttpUrl(this.basePath)) return t("errors.bad-base-path");
      }
      if (env !== "demo") {
        const { clientId, secret } = creds();
        const noId = !clientId || !String(clientId).trim();
        const noSecret = !secret || !String(secret).trim();
        if (noId && noSecret) return t("errors.missing-keys");
        if (noId) return t("errors.missing-client-id");
        if (noSecret) return t("errors.missing-secret");
      }
      return null;
    };

    this.getClient = (): Promise<PlaidApi> => {
      const problem = this.problem();
      if (problem) {
        return Promise.reject(errorOf("CONFIG_INVALID", problem, "INVALID_CONFIG"));
      }
      if (!client) {
        client = (async () => {
          if (env === "demo") {
            const sim = await getDemoSimulator(dataDirOf(RED));
            demoUrl = sim.url;
            return plaidClientFor(RED, { basePath: sim.url, clientId: sim.clientId, secret: sim.secret });
          }
          const { clientId, secret } = creds();
          const basePath = env === "custom" ? normaliseBasePath(this.basePath) : hostedBasePath(env);
          return plaidClientFor(RED, { basePath, clientId: String(clientId).trim(), secret: String(secret).trim() });
        })();
        client.catch(() => {
          client = null;
        });
      }
      return client;
    };

    this.publicBaseUrl = (): string => {
      const configured = this.publicUrl.replace(/\/+$/, "");
      return configured && isHttpUrl(configured) ? configured : guessBaseUrl();
    };

    this.browserHostedUrl = (url: string, base?: string): string =>
      env === "demo" && demoUrl ? viaDemoProxy(url, demoUrl, base && /^https?:\/\/[^/]+$/i.test(base) ? base : this.publicBaseUrl(), adminRootOf(RED)) : url;

    const problem = this.problem();
    if (problem) this.warn(problem);
  }

  RED.nodes.registerType("plaid-config", PlaidConfig as unknown as Parameters<NodeAPI["nodes"]["registerType"]>[1], {
    credentials: {
      clientId: { type: "text" },
      secret: { type: "password" },
    },
  });
};
