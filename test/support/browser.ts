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
