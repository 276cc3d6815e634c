// Debian's Chromium driven by playwright-core (no browser download), headless, for the tests
// that look at what a page draws.
import { type Browser, chromium } from "playwright-core";
import { requireTool } from "../../tools/jupyter_env.ts";

/**
 * Launches headless Chromium (`/usr/bin/chromium`); a missing browser is one line naming it.
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await browser.newPage();
 * await browser.close();
 * ```
 */
export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({
    executablePath: requireTool("chromium"),
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}
