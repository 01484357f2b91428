/**
 * What the package costs while Node-RED waits (issue 15): one node-red start with a given set of
 * modules in `nodesDir` and nothing else, timed from spawn to the "Started flows" log line (read
 * from a pipe as it is written, so the figure is not rounded to a poll interval), then VmRSS after
 * a settle time. Each start has its own fresh userDir, so no start inherits another's files.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { performance } from "perf_hooks";
import { settingsFileText } from "../../test/support/nodered";
import { freePort, LOOPBACK, sleep, stopChild, trackChild } from "../../test/support/ports";
import { REPO_ROOT } from "./build";
import { memKb } from "./procstat";

export interface StartFigure {
  /** spawn → "Started flows" in Node-RED's log. */
  startMs: number;
  /** VmRSS `settleMs` after that line. */
  rssMb: number;
}

const STARTED = /\[info\] (Started flows|No flows found)/;

/** A throwaway Node-RED start with `nodesDir` and empty flows; stopped before it resolves. */
export async function measureStart(nodesDir: string[], settleMs: number): Promise<StartFigure> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "plaid-bench-rest-"));
  try {
    const port = await freePort();
    const settings = path.join(userDir, "settings.js");
    fs.writeFileSync(
      settings,
      settingsFileText({
        uiHost: LOOPBACK,
        uiPort: port,
        flowFile: "flows.json",
        nodesDir,
        editorTheme: { tours: false, projects: { enabled: false } },
        telemetry: { enabled: false, updateNotification: false },
        diagnostics: { enabled: false },
        logging: { console: { level: "info", metrics: false, audit: false } },
        externalModules: { autoInstall: false, palette: { allowInstall: false } },
      }),
    );
    fs.writeFileSync(path.join(userDir, "flows.json"), "[]");
    // The same pair as test/support/nodered.ts, e.g. Node-RED 5 on Node 22 (scripts/compat-node-red-5.sh).
    const home = process.env.NODE_RED_HOME ?? path.join(REPO_ROOT, "node_modules", "node-red");
    const nodeBin = process.env.NODE_RED_NODE_BIN ?? process.execPath;
    const t0 = performance.now();
    const child = spawn(nodeBin, [path.join(home, "red.js"), "--userDir", userDir, "--settings", settings, "--no-telemetry"], {
      cwd: userDir,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_RED_DISABLE_TELEMETRY: "true", NODE_OPTIONS: "" },
    });
    trackChild(child);
    try {
      let out = "";
      const startMs = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`node-red did not start in 60 s:\n${out.slice(-2000)}`)), 60_000);
        const onData = (d: Buffer): void => {
          out += d.toString();
          if (STARTED.test(out)) {
            clearTimeout(timer);
            resolve(performance.now() - t0);
          }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`node-red exited (${code}) before starting:\n${out.slice(-2000)}`));
        });
      });
      const loaded = out.match(/\[warn\] .*(Error|failed).*$/gm);
      if (loaded) throw new Error(`node-red warned while loading ${nodesDir.join(", ")}:\n${loaded.join("\n")}`);
      await sleep(settleMs);
      return { startMs, rssMb: memKb(child.pid!).rss / 1024 };
    } finally {
      await stopChild(child, "SIGINT", 10_000);
    }
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

/**
 * `runs` starts of each variant, interleaved (bare, a, b, bare, a, b, …) so that the VM's drift
 * from one minute to the next falls on every variant alike, after one uncounted start of each:
 * the first start after a build reads everything from disk and takes twice as long.
 */
export async function measureStarts(variants: Record<string, string[]>, runs: number, settleMs: number, log: (s: string) => void): Promise<Record<string, StartFigure[]>> {
  const out: Record<string, StartFigure[]> = {};
  for (const nodesDir of Object.values(variants)) await measureStart(nodesDir, 0);
  for (let run = 1; run <= runs; run++) {
    for (const [name, nodesDir] of Object.entries(variants)) {
      const f = await measureStart(nodesDir, settleMs);
      (out[name] ??= []).push(f);
      log(`at rest, start ${run}/${runs}, ${name}: ${f.startMs.toFixed(0)} ms to "Started flows", ${f.rssMb.toFixed(1)} MB RSS after ${settleMs / 1000} s`);
    }
  }
  return out;
}
