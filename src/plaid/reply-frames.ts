/**
 * The frames in which the Plaid worker (client-worker.ts) answers, on a pipe of their own.
 * Plaid's JSON crosses as the bytes Plaid sent, parsed once in Node-RED — as the client in-process
 * would parse it — rather than parsed in the worker, structured-cloned and rebuilt: for a 50 000
 * transaction first sync, 100 pages of ~0.7 MB, the clone cost about as much as fetching them.
 *
 * Frame: id (u32) · status (u16) · kind (u8: 0 body is Plaid's JSON, 1 body is a cleaned error
 * as JSON) · length (u32) · body.
 */
const HEADER = 11;

export const FRAME_DATA = 0;
export const FRAME_ERROR = 1;
export type FrameKind = typeof FRAME_DATA | typeof FRAME_ERROR;

export interface Frame {
  id: number;
  status: number;
  kind: FrameKind;
  body: Buffer;
}

export function encodeFrame(id: number, status: number, kind: FrameKind, body: Buffer): Buffer[] {
  const h = Buffer.alloc(HEADER);
  h.writeUInt32LE(id, 0);
  h.writeUInt16LE(status & 0xffff, 4);
  h.writeUInt8(kind, 6);
  h.writeUInt32LE(body.length, 7);
  return [h, body];
}

/** Reassembles frames from a byte stream's chunks; each chunk is copied once, into its frame. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private header: { id: number; status: number; kind: FrameKind; length: number } | null = null;

  constructor(private readonly onFrame: (f: Frame) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.have += chunk.length;
    for (;;) {
      if (!this.header) {
        if (this.have < HEADER) return;
        const h = this.take(HEADER);
        this.header = { id: h.readUInt32LE(0), status: h.readUInt16LE(4), kind: h.readUInt8(6) as FrameKind, length: h.readUInt32LE(7) };
      }
      if (this.have < this.header.length) return;
      const { id, status, kind, length } = this.header;
      this.header = null;
      this.onFrame({ id, status, kind, body: this.take(length) });
    }
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.have);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    return out;
  }
}
