/**
 * Real Chromium for tests, through playwright-core (no bundled browser: Debian's /usr/bin/chromium).
 *
 *   const browser = await launchBrowser();
 *   try { const page = await browser.newPage(); ...; await screenshot(page, "link/01-institutions"); }
 *   finally { await browser.close(); }
 *
 * CHROMIUM_PATH overrides the executable. Screenshots go under <repo>/test-artifacts/.
 */
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { chromium, type Browser, type LaunchOptions, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const ARTIFACTS_DIR = path.resolve(__dirname, "..", "..", "test-artifacts");

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

export function chromiumAvailable(): boolean {
  try {
    fs.accessSync(CHROMIUM_PATH, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Launches headless Chromium. The caller closes it (in an after/finally). */
export function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    ...options,
    executablePath: options.executablePath ?? CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    headless: true,
  });
}

/**
 * Saves a full-page PNG as test-artifacts/<name>.png (name may contain "/" for sub folders).
 * Returns the file path. Never fails the test: a screenshot is evidence, not an assertion.
 */
export async function screenshot(page: Page, name: string): Promise<string | null> {
  const safe = name.replace(/[^A-Za-z0-9._/-]+/g, "-").replace(/^\/+/, "");
  const file = path.join(ARTIFACTS_DIR, safe.endsWith(".png") ? safe : `${safe}.png`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file, fullPage: true });
    return file;
  } catch (err) {
    console.warn(`      (screenshot ${name} failed: ${err instanceof Error ? err.message : String(err)})`);
    return null;
  }
}

/**
 * For a before() hook of a browser suite: skips it when Chromium is missing, except under
 * CI=true, where a missing browser must fail rather than pass silently.
 */
export function requireChromium(ctx: Mocha.Context): void {
  if (chromiumAvailable()) return;
  const message = `Chromium not found at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`;
  if (process.env.CI === "true") throw new Error(`CI=true: ${message}`);
  console.warn(`      skipped: ${message}`);
  ctx.skip();
}

/**
 * A page of the test's own on a loopback port, addressed as `localhost` — another origin than
 * the simulator's `127.0.0.1` (and another port), as a real site would be.
 */
export async function serveOnLoopback(handle: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
