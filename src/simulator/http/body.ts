import type { IncomingMessage } from "node:http";
import { SimError } from "../errors";
import { isObject, type JsonObject } from "../validate";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the request body; past the limit it stops buffering and reports INVALID_BODY. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (chunk: Buffer) => {
      if (tooBig) return; // keep draining so the client sees our answer instead of a reset
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooBig = true;
        chunks.length = 0;
        reject(new SimError("INVALID_BODY", `request body exceeds the maximum size of ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!tooBig) resolve(Buffer.concat(chunks));
    });
    req.on("error", (e) => reject(e));
  });
}

/** Plaid expects a JSON object; anything else (including an empty body) is INVALID_BODY. */
export function parseJsonObject(raw: Buffer): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new SimError("INVALID_BODY");
  }
  if (!isObject(value)) throw new SimError("INVALID_BODY", "body must be a JSON object");
  return value;
}
