/**
 * A JSON value kept on disk encrypted exactly like Node-RED's flows_cred.json:
 * `{"$": ivHex + base64(aes-256-ctr(JSON))}` with key sha256(credential secret), written
 * atomically with mode 0600. Used for what must survive a restart but holds secrets: links
 * completed before Deploy (pending.ts) and open Link sessions (sessions.ts).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomic } from "../util/atomic-file";

const ALGORITHM = "aes-256-ctr";

export function encryptJson(key: Buffer, value: unknown): { $: string } {
  const iv = randomBytes(16);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  return { $: iv.toString("hex") + cipher.update(JSON.stringify(value), "utf8", "base64") + cipher.final("base64") };
}

export function decryptJson(key: Buffer, wrapped: { $: string }): unknown {
  const iv = Buffer.from(wrapped.$.substring(0, 32), "hex");
  const decipher = createDecipheriv(ALGORITHM, key, iv);
  const text = decipher.update(wrapped.$.substring(32), "base64", "utf8") + decipher.final("utf8");
  return JSON.parse(text);
}

export interface KeySources {
  /** settings.credentialSecret: a string, `false` (user disabled encryption) or undefined. */
  credentialSecret: unknown;
  /** Node-RED's generated `_credentialSecret` (from .config.runtime.json), if known. */
  systemSecret?: unknown;
  /** Node-RED's user directory (where .config.runtime.json is). */
  userDir: string;
  /** This package's folder in it (where the fallback key file goes). */
  dataDir: string;
}

export interface ResolvedKey {
  key: Buffer;
  source: "credentialSecret" | "system" | "keyfile";
}

/** Reads Node-RED's generated secret straight from `<userDir>/.config.runtime.json`. */
export function readSystemSecret(userDir: string): string | undefined {
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(userDir, ".config.runtime.json"), "utf8")) as Record<string, unknown>;
    return typeof cfg._credentialSecret === "string" && cfg._credentialSecret ? cfg._credentialSecret : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The key flows_cred.json uses: sha256(credentialSecret), else sha256(_credentialSecret).
 *
 * When the user set `credentialSecret: false`, Node-RED itself stores credentials in plain JSON.
 * We still never write an access token in plaintext: a random 256-bit key is created in
 * `<dataDir>/pending-links.key` (mode 0600) and used instead. That protects the token
 * in copies of our files (backups, pasted files) though not against someone who can read the
 * whole userDir — which, with encryption disabled, already exposes flows_cred.json.
 */
export function resolveKey(src: KeySources): ResolvedKey {
  if (typeof src.credentialSecret === "string" && src.credentialSecret.length > 0) {
    return { key: createHash("sha256").update(src.credentialSecret).digest(), source: "credentialSecret" };
  }
  if (src.credentialSecret !== false) {
    const system = typeof src.systemSecret === "string" && src.systemSecret ? src.systemSecret : readSystemSecret(src.userDir);
    if (system) return { key: createHash("sha256").update(system).digest(), source: "system" };
  }
  const keyFile = path.join(src.dataDir, "pending-links.key");
  try {
    const hex = fs.readFileSync(keyFile, "utf8").trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return { key: Buffer.from(hex, "hex"), source: "keyfile" };
  } catch {
    // created below
  }
  const key = randomBytes(32);
  writeFileAtomic(keyFile, key.toString("hex") + "\n", 0o600);
  return { key, source: "keyfile" };
}

export interface EncryptedFileOptions {
  file: string;
  /** Resolved lazily: Node-RED generates `_credentialSecret` only while loading flows. */
  key: () => Buffer;
  warn?: (message: string) => void;
}

/** One encrypted JSON object in one file; an absent file reads as undefined. */
export class EncryptedJsonFile<T extends object> {
  constructor(private readonly options: EncryptedFileOptions) {}

  get file(): string {
    return this.options.file;
  }

  /** The content; an unreadable file (wrong key, corrupt) is reported, moved aside and read as undefined. */
  read(): T | undefined {
    let raw: string;
    try {
      raw = fs.readFileSync(this.options.file, "utf8");
    } catch {
      return undefined;
    }
    try {
      const wrapped = JSON.parse(raw) as { $?: unknown };
      if (typeof wrapped.$ !== "string") throw new Error("not an encrypted file");
      const value = decryptJson(this.options.key(), wrapped as { $: string });
      if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("unexpected content");
      return value as T;
    } catch (err) {
      // Keep the unreadable file for manual recovery (it may hold tokens under an older key)
      // instead of overwriting it with the next save.
      const aside = `${this.options.file}.unreadable-${Date.now()}`;
      try {
        fs.renameSync(this.options.file, aside);
      } catch {
        // leave it where it is
      }
      this.options.warn?.(`${this.options.file} could not be read (${(err as Error).message}); moved aside to ${path.basename(aside)}`);
      return undefined;
    }
  }

  /** Replaces the content atomically; nothing to keep (null) removes the file. */
  write(value: T | null): void {
    if (value === null) {
      fs.rmSync(this.options.file, { force: true });
      return;
    }
    writeFileAtomic(this.options.file, JSON.stringify(encryptJson(this.options.key(), value)));
  }
}
