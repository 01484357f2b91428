/**
 * Summarises V8 .cpuprofile files (node --cpu-prof): top frames by self time, and self time per
 * package/file group, so a profile can be read without DevTools.
 *
 *   npx tsx bench/profile-summary.ts bench/results/prof/CPU.*.cpuprofile [--top 30] [--from FUNCTION]
 *
 * --from: count only the samples from the first one with FUNCTION on its stack (e.g. `runSync`,
 * the engine's sync), so Node-RED's start-up does not hide a short sync.
 */
import * as fs from "fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function group(url: string): string {
  if (!url) return "(native/V8)";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const ours = /\/dist\/(.+?)\.js$/.exec(url) ?? /\/src\/(.+?)\.ts$/.exec(url);
  if (ours) return `ours:${ours[1]}`;
  if (url.startsWith("node:")) return url;
  return url.replace(/^file:\/\//, "");
}

/** Index of the first sample with a frame of function `name` on its stack. */
function firstSampleIn(p: Profile, byId: Map<number, ProfileNode>, name: string): number {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, boolean>();
  const inPart = (id: number): boolean => {
    const known = hits.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const f = byId.get(id)!.callFrame;
    // Node's own internals reuse some names (there is a `runSync` in node:internal).
    const hit = (f.functionName === name && !f.url.startsWith("node:")) || (up !== undefined && inPart(up));
    hits.set(id, hit);
    return hit;
  };
  const i = p.samples.findIndex((id) => inPart(id));
  if (i < 0) throw new Error(`--from ${name}: no sample has it on its stack`);
  return i;
}

function summarise(file: string, top: number, from: string | null): string {
  const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const start = from ? firstSampleIn(p, byId, from) : 0;
  for (let i = start; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFrame = new Map<string, number>();
  const byGroup = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const key = `${f.functionName || "(anonymous)"}  ${f.url ? `${f.url.replace(/^.*\/(node_modules|dist|src)\//, "$1/")}:${f.lineNumber + 1}` : ""}`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + us);
    const g = group(f.url);
    byGroup.set(g, (byGroup.get(g) ?? 0) + us);
  }
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms`;
  const lines = [`${file}: ${(total / 1000).toFixed(0)} ms sampled`, "", "self time by frame:"];
  for (const [k, us] of [...byFrame].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  lines.push("", "self time by package / file:");
  for (const [k, us] of [...byGroup].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  return lines.join("\n");
}

const args = process.argv.slice(2);
let top = 30;
let from: string | null = null;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--top") top = Number(args[++i]);
  else if (args[i] === "--from") from = args[++i] ?? null;
  else files.push(args[i]);
}
if (!files.length) {
  process.stderr.write("usage: tsx bench/profile-summary.ts FILE.cpuprofile... [--top 30] [--from FUNCTION]\n");
  process.exit(2);
}
for (const f of files) process.stdout.write(summarise(f, top, from) + "\n\n");
