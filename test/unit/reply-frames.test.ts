/**
 * The worker's answers arrive on a pipe in pieces of whatever size the OS hands over; every
 * answer must come out whole, in order, and matched to its call, wherever the pieces split.
 */
import * as assert from "assert";
import { encodeFrame, FRAME_DATA, FRAME_ERROR, FrameReader, type Frame } from "../../src/plaid/reply-frames";

describe("the worker's reply frames", () => {
  const frames = [
    { id: 1, status: 200, kind: FRAME_DATA, body: Buffer.from(JSON.stringify({ added: [{ name: "Café ☕" }], has_more: true })) },
    { id: 7, status: 400, kind: FRAME_ERROR, body: Buffer.from(JSON.stringify({ code: "INVALID_ACCESS_TOKEN" })) },
    { id: 2, status: 200, kind: FRAME_DATA, body: Buffer.alloc(0) },
    { id: 70_000, status: 200, kind: FRAME_DATA, body: Buffer.from("x".repeat(300)) },
  ] as const;
  const stream = Buffer.concat(frames.flatMap((f) => encodeFrame(f.id, f.status, f.kind, f.body)));
  const read = (pieces: Buffer[]): Frame[] => {
    const out: Frame[] = [];
    const r = new FrameReader((f) => out.push({ ...f, body: Buffer.from(f.body) }));
    for (const p of pieces) r.push(p);
    return out;
  };
  const expected = frames.map((f) => ({ id: f.id, status: f.status, kind: f.kind, body: f.body.toString("utf8") }));
  const plain = (fs: Frame[]) => fs.map((f) => ({ id: f.id, status: f.status, kind: f.kind, body: f.body.toString("utf8") }));

  it("come out whole and in order when all arrive in one piece", () => {
    assert.deepStrictEqual(plain(read([stream])), expected);
  });

  it("come out whole wherever the stream is cut in two, and byte by byte", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepStrictEqual(plain(read([stream.subarray(0, cut), stream.subarray(cut)])), expected, `cut at byte ${cut}`);
    }
    assert.deepStrictEqual(plain(read([...stream].map((b) => Buffer.from([b])))), expected);
  });

  it("a frame not yet complete is held, not delivered", () => {
    assert.deepStrictEqual(plain(read([stream.subarray(0, stream.length - 1)])), expected.slice(0, 3));
  });
});
