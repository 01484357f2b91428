/**
 * What a V8 heap snapshot holds, grouped: `npx tsx bench/heap-summary.ts <file.heapsnapshot> [--top 30]`.
 * Prints the heap's total and, per node type and name (constructor, or "(string)", "(code)" …),
 * how many objects and their own (shallow) bytes — enough to see what stays after a sync when
 * Node-RED sits idle (bench/run.ts --rest-snapshot). Strings are grouped by their first
 * 40 characters too, since a retained payload usually shows up as many similar strings.
 */
import * as fs from "fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: Array<string[] | string> }; node_count: number };
  nodes: number[];
  strings: string[];
}

function main(): void {
  const argv = process.argv.slice(2);
  const file = argv.find((a) => !a.startsWith("--"));
  const topAt = argv.indexOf("--top");
  const top = topAt >= 0 ? Number(argv[topAt + 1]) : 30;
  if (!file) throw new Error("usage: npx tsx bench/heap-summary.ts <file.heapsnapshot> [--top N]");
  const snap = JSON.parse(fs.readFileSync(file, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const iType = fields.indexOf("type");
  const iName = fields.indexOf("name");
  const iSize = fields.indexOf("self_size");
  const groups = new Map<string, { count: number; bytes: number }>();
  const strings = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const name = snap.strings[snap.nodes[i + iName]];
    const size = snap.nodes[i + iSize];
    total += size;
    const key = type === "object" || type === "closure" ? `${type} ${name}` : `(${type})`;
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(key, g);
    if (type === "string" || type === "concatenated string" || type === "sliced string") {
      const k = name.slice(0, 40).replace(/\s+/g, " ");
      const s = strings.get(k) ?? { count: 0, bytes: 0 };
      s.count++;
      s.bytes += size;
      strings.set(k, s);
    }
  }
  const mb = (b: number): string => (b / 1048576).toFixed(2).padStart(8);
  const print = (title: string, m: Map<string, { count: number; bytes: number }>): void => {
    process.stdout.write(`\n${title}\n`);
    for (const [k, v] of [...m].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
      process.stdout.write(`${mb(v.bytes)} MB  ${String(v.count).padStart(8)}  ${k}\n`);
    }
  };
  process.stdout.write(`${file}: ${snap.snapshot.node_count} objects, ${mb(total).trim()} MB (shallow, all of the JS heap)\n`);
  print("by type and constructor (MB, count):", groups);
  print("strings by their first 40 characters:", strings);
}

main();
