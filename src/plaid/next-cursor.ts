/**
 * The next cursor of a /transactions/sync answer, read from Plaid's bytes without parsing them.
 * The worker needs only `has_more` and `next_cursor` to read the next page ahead
 * (read-ahead.ts); parsing a 0.7 MB page for two fields would cost it ~2.5 ms a page and hold its
 * event loop while Node-RED waits for the rest of that page on the pipe. The scan jumps from quote
 * to quote (Buffer.indexOf) and looks only at the top level, so a nested field of the same name,
 * or the same text inside a string, is never taken for it.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

const NEXT_CURSOR = Buffer.from("next_cursor");
const HAS_MORE = Buffer.from("has_more");
const TRUE = Buffer.from("true");

/** Index of the quote that ends the string whose content starts at `from`; -1 if unterminated. */
function endOfString(b: Buffer, from: number): number {
  let q = b.indexOf(QUOTE, from);
  while (q !== -1) {
    let slashes = 0;
    for (let k = q - 1; k >= from && b[k] === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q;
    q = b.indexOf(QUOTE, q + 1);
  }
  return -1;
}

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(b: Buffer, i: number): number {
  while (i < b.length && isSpace(b[i])) i++;
  return i;
}

function sameBytes(b: Buffer, start: number, end: number, word: Buffer): boolean {
  return end - start === word.length && b.compare(word, 0, word.length, start, end) === 0;
}

/**
 * The answer's `next_cursor` when its `has_more` is true; null when it is false, either field is
 * missing, or the bytes are not a JSON object.
 */
export function nextCursorOf(b: Buffer): string | null {
  let depth = 0;
  let hasMore = false;
  let cursor: string | null = null;
  let i = skipSpace(b, 0);
  if (b[i] !== 0x7b) return null;
  for (; i < b.length; i++) {
    const c = b[i];
    if (c === QUOTE) {
      const start = i + 1;
      const end = endOfString(b, start);
      if (end === -1) return null;
      i = end;
      if (depth !== 1) continue;
      const after = skipSpace(b, end + 1);
      if (b[after] !== COLON) continue;
      // A key of the top-level object: look at its value.
      const v = skipSpace(b, after + 1);
      if (sameBytes(b, start, end, HAS_MORE)) {
        hasMore = sameBytes(b, v, Math.min(v + TRUE.length, b.length), TRUE);
      } else if (sameBytes(b, start, end, NEXT_CURSOR) && b[v] === QUOTE) {
        const vEnd = endOfString(b, v + 1);
        if (vEnd === -1) return null;
        try {
          cursor = JSON.parse(b.toString("utf8", v, vEnd + 1)) as string;
        } catch {
          return null;
        }
        i = vEnd;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) break;
    }
  }
  return depth === 0 && hasMore && cursor ? cursor : null;
}
