import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ARTIFACTS } from "./stack.ts";

/** Debian's chromium, headless, with nothing reaching the network on its own. Never a downloaded browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PROVENANT_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A new page of `context` whose uncaught errors are printed: a page that throws shows in the test's output. */
export async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  return page;
}

export const SHOTS = join(ARTIFACTS, "screenshots");

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Drops files on an element the way a user's drag and drop does: a real DataTransfer holding File objects,
 * dispatched as a drop event. Bytes cross into the page as base64.
 */
export async function dropFiles(page: Page, selector: string, files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString("base64") }));
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bin = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bin], f.name));
    }
    return dt;
  }, payload);
  await page.dispatchEvent(selector, "drop", { dataTransfer });
}

/** Appends one measurement to artifacts-e2e/timings.json (the report reads it). */
export function recordTiming(name: string, value: Record<string, unknown>): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, "timings.json");
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(file, "utf8"));
  } catch {}
  all[name] = { ...value, at: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}

export interface Verdict {
  kind: string;
  valid: boolean;
  title: string;
  totalMs: number;
  proof: any;
}

/** Waits for the prove panel's verdict (or fails with the notice it shows instead). */
export async function readVerdict(page: Page, timeout = 120_000): Promise<Verdict> {
  const first = await page.waitForSelector('[data-testid="verdict"], section[aria-labelledby="prove-h"] .notice', { timeout });
  if ((await first.getAttribute("data-testid")) !== "verdict") throw new Error(`no verdict: ${await first.textContent()}`);
  return {
    kind: (await first.getAttribute("data-kind"))!,
    valid: (await first.getAttribute("data-valid")) === "true",
    title: (await page.textContent('[data-testid="verdict-title"]'))!,
    totalMs: Number(await page.getAttribute('[data-testid="timings"]', "data-total-ms")),
    proof: JSON.parse((await page.textContent('[data-testid="proof-json"]'))!),
  };
}
