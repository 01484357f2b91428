import { createHash, randomBytes, randomUUID } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Random base62 string; used where the value must be unguessable (item ids, request ids). */
export function randomBase62(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62[bytes[i] % 62];
  return out;
}

export const newRequestId = (): string => randomBase62(15);
export const newItemId = (): string => randomBase62(37);
export const newAccessToken = (): string => `access-sandbox-${randomUUID()}`;
export const newPublicToken = (): string => `public-sandbox-${randomUUID()}`;
export const newLinkToken = (): string => `link-sandbox-${randomUUID()}`;
export const newUuid = (): string => randomUUID();
/** The opaque part of a hosted_link_url: unguessable (≈190 bits), and unrelated to the link token. */
export const newHostedLinkId = (): string => randomBase62(32);

/** Access tokens are only ever kept as this hash (memory and state file alike). */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
