import { expect } from "chai";
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { LocalStore } from "../../core/storage/local-store.ts";
import { startGateway, type Gateway } from "../../core/storage/gateway-server.ts";
import { REPO } from "../helpers/local-chain.ts";
import { makeDataset, startWorld, TRAIN, trainArgs, type World } from "../attestor/world.ts";
import { dropFiles, launchChromium, readVerdict, screenshot, newPage } from "./helpers/browser.ts";
import { buildApp, startApp, type AppProcess } from "./helpers/stack.ts";

/** A phone held upright (390 px, the width of most current phones) and a laptop screen. */
const WIDTHS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
] as const;
type Width = (typeof WIDTHS)[number]["width"];

interface Fit {
  /** The page's layout width (the viewport less any classic scrollbar). */
  width: number;
  scrollWidth: number;
  /** The innermost elements whose visible right edge passes the viewport: a selector path and the edge. */
  offenders: { selector: string; right: number }[];
  offenderCount: number;
}

/**
 * How wide the page lays out, and which elements stick out past the right edge. An element inside a box that
 * clips or scrolls its overflow (a table wrapper, the lineage canvas) counts only as far as that box shows it;
 * html and body do not count as such boxes, since their overflow is the viewport's (hiding it there would hide
 * the fault, not fix it). A string, not a function: the test runner's transpiler may wrap named functions in
 * helpers the page does not have.
 */
const MEASURE_FIT = `(() => {
  const width = document.documentElement.clientWidth;
  // How far right a box shows: clipped by every ancestor (from \`from\` up) that clips or scrolls its overflow.
  const visibleRight = (right, from) => {
    for (let a = from; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") right = Math.min(right, a.getBoundingClientRect().right);
    }
    return right;
  };
  const selectorOf = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const testId = e.getAttribute("data-testid");
      let part = e.tagName.toLowerCase();
      if (e.id) part += "#" + e.id;
      if (testId) part += '[data-testid="' + testId + '"]';
      else if (e.classList.length) part += "." + Array.from(e.classList).join(".");
      parts.unshift(part);
      if (testId || (e.id && e.id !== "content")) break;
    }
    return parts.join(" > ");
  };
  // Elements by their boxes, and text (a long hex string overflows its box without widening it) by its own
  // rectangle, blamed on the element holding it.
  const past = new Map();
  for (const el of Array.from(document.body.querySelectorAll("*"))) {
    const r = el.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || getComputedStyle(el).visibility === "hidden") continue;
    const right = visibleRight(r.right, el.parentElement);
    if (right > width + 0.5) past.set(el, Math.max(past.get(el) ?? 0, right));
  }
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = texts.nextNode(); t; t = texts.nextNode()) {
    if (!t.textContent.trim() || !t.parentElement) continue;
    const range = document.createRange();
    range.selectNodeContents(t);
    const r = range.getBoundingClientRect();
    if (r.width === 0 || getComputedStyle(t.parentElement).visibility === "hidden") continue;
    const right = visibleRight(r.right, t.parentElement);
    if (right > width + 0.5) past.set(t.parentElement, Math.max(past.get(t.parentElement) ?? 0, right));
  }
  const innermost = Array.from(past.keys()).filter((el) => !Array.from(past.keys()).some((o) => o !== el && el.contains(o)));
  return {
    width,
    scrollWidth: document.documentElement.scrollWidth,
    offenders: innermost.slice(0, 6).map((el) => ({ selector: selectorOf(el), right: Math.round(past.get(el)) })),
    offenderCount: innermost.length,
  };
})()`;

async function expectFits(page: Page, what: string, width: Width): Promise<void> {
  const fit = (await page.evaluate(MEASURE_FIT)) as Fit;
  const where = fit.offenders.map((o) => `\n  ${o.selector} (right edge at ${o.right} px)`).join("");
  const more = fit.offenderCount > fit.offenders.length ? `\n  … and ${fit.offenderCount - fit.offenders.length} more` : "";
  const message = `${what} at ${width} px is ${fit.scrollWidth} px wide (viewport ${fit.width} px); past the right edge:${where}${more}`;
  expect(fit.offenderCount, message).to.equal(0);
  expect(fit.scrollWidth, message).to.be.at.most(fit.width);
  // The header's search box is whole on screen, and wide enough to type a hash into.
  const search = (await page.locator('header input[type="search"]').boundingBox())!;
  expect(search, `${what} at ${width} px: the header search box is not shown`).to.not.equal(null);
  expect(search.x, `${what} at ${width} px: the header search box starts off-screen`).to.be.at.least(0);
  expect(search.x + search.width, `${what} at ${width} px: the header search box ends off-screen`).to.be.at.most(fit.width);
  expect(search.width, `${what} at ${width} px: the header search box is too narrow to use`).to.be.at.least(200);
}

/** Each element matched is whole: nothing cut inside it (scrollWidth) and nothing off-screen (its box). */
async function expectUnclipped(page: Page, selector: string, width: Width): Promise<void> {
  const boxes = await page.$$eval(selector, (els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return {
        text: (el.textContent ?? "").slice(0, 50),
        scrollWidth: el.scrollWidth,
        clientWidth: el.clientWidth,
        left: r.left,
        right: r.right,
        view: document.documentElement.clientWidth,
      };
    }),
  );
  expect(boxes.length, selector).to.be.greaterThan(0);
  for (const b of boxes) {
    const what = `${selector} "${b.text}" at ${width} px`;
    expect(b.scrollWidth, `${what}: its content is ${b.scrollWidth} px in a ${b.clientWidth} px box`).to.be.at.most(b.clientWidth);
    expect(b.left, `${what}: starts off-screen`).to.be.at.least(0);
    expect(b.right, `${what}: ends at ${Math.round(b.right)} px, past the ${b.view} px viewport`).to.be.at.most(b.view);
  }
}

/**
 * Every page of the app at 390 × 844 (a phone) and 1280 × 800: nothing scrolls sideways, long CIDs and digests
 * wrap, tables scroll inside their own box, the header search stays on screen, the prove panel's words get the
 * width, and a verdict's badges and timings are whole. Full-page screenshots of both widths go to docs/screenshots.
 */
describe("every page fits a 390 px phone and a 1280 px screen (chromium, production build)", function () {
  this.timeout(900_000);
  let w: World;
  let gateway: Gateway;
  let app: AppProcess;
  let browser: Browser;
  const contexts = new Map<Width, BrowserContext>();
  let filesDatasetId: string;
  let jsonlDatasetId: string;
  let modelId: string;
  let sample: { name: string; bytes: Buffer };

  before(async () => {
    const built = buildApp();
    w = await startWorld("responsive");
    const enrolled = await w.cli(["attestor", "enroll", "--service", w.service.url]);
    expect(enrolled.code, enrolled.stderr + enrolled.stdout).to.equal(0);
    const data = makeDataset(join(w.work, "data"), 40);
    const files = await w.cli(["dataset", "mint", data, "--name", "Phone samples", "--license", "CC0-1.0", "--description", "Forty small text files"]);
    expect(files.code, files.stderr).to.equal(0);
    filesDatasetId = String(files.json.datasetId);
    sample = { name: "s0003.txt", bytes: readFileSync(join(data, "s0003.txt")) };
    const jsonl = join(w.work, "records.jsonl");
    writeFileSync(jsonl, Array.from({ length: 30 }, (_, i) => JSON.stringify({ text: `record number ${i}`, label: i % 3 })).join("\n"));
    const records = await w.cli(["dataset", "mint", jsonl, "--name", "Phone records", "--license", "CC-BY-4.0"]);
    expect(records.code, records.stderr).to.equal(0);
    jsonlDatasetId = String(records.json.datasetId);

    // An attested fine-tune: a parent, a training certificate, and the lineage that links them.
    const code = join(w.work, "code");
    mkdirSync(code, { recursive: true });
    cpSync(TRAIN, join(code, "train.ts"));
    const gen1 = await w.cli(trainArgs({ data, out: join(w.work, "gen1"), code, name: "phone-net", version: "1.0.0" }));
    expect(gen1.code, gen1.stderr + gen1.stdout).to.equal(0);
    const gen2 = await w.cli(
      trainArgs({ data, out: join(w.work, "gen2"), code, name: "phone-net", version: "2.0.0", parent: gen1.json.modelId, parentWeights: join(w.work, "gen1") }),
    );
    expect(gen2.code, gen2.stderr + gen2.stdout).to.equal(0);
    modelId = String(gen2.json.modelId);

    gateway = await startGateway(new LocalStore(w.home), { port: 0 });
    await built;
    app = await startApp({ ...w.chain.env, PROVENANT_GATEWAY_URL: gateway.url, PROVENANT_HOME: w.home, PROVENANT_EK_ROOTS: w.env.PROVENANT_EK_ROOTS });
    browser = await launchChromium();
    for (const viewport of WIDTHS) contexts.set(viewport.width, await browser.newContext({ viewport }));
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await gateway?.close();
    await w?.stop();
  });

  /** Opens `path` at both widths, waits for `ready`, opens every details, checks the fit, runs `more`, and saves both screenshots. */
  async function atBothWidths(name: string, path: string, options: { ready?: string; more?: (page: Page, width: Width) => Promise<void> } = {}) {
    for (const { width } of WIDTHS) {
      const page = await newPage(contexts.get(width)!);
      try {
        await page.goto(`${app.url}${path}`, { waitUntil: "networkidle" });
        if (options.ready) await page.waitForSelector(options.ready, { state: "attached" });
        // Collapsed sections (the token and history card) open: what they hold must fit too, and the screenshots show it.
        await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
        await expectFits(page, path, width);
        await options.more?.(page, width);
        const shot = await screenshot(page, `${name}-${width}`);
        mkdirSync(join(REPO, "docs", "screenshots"), { recursive: true });
        copyFileSync(shot, join(REPO, "docs", "screenshots", `${name}-${width}.png`));
      } finally {
        await page.close();
      }
    }
  }

  it("the home page", async () => {
    await atBothWidths("home", "/", { ready: `[data-dataset-id="${filesDatasetId}"]` });
  });

  it("the model list", async () => {
    await atBothWidths("models", "/models", { ready: `[data-model-id="${modelId}"]` });
  });

  it("an attested fine-tune's page: record, certificate, lineage graph", async () => {
    await atBothWidths("model", `/models/${modelId}`, { ready: '[data-testid="lineage-node"]' });
  });

  it("a files dataset: the prove panel's description keeps the width, its tabs go under it", async () => {
    await atBothWidths("dataset-files", `/datasets/${filesDatasetId}`, {
      ready: '[data-testid="dropzone"]',
      more: async (page, width) => {
        const words = (await page.locator("#prove-h + p").boundingBox())!;
        if (width === 390) expect(words.width, "the prove panel's description at 390 px").to.be.at.least(250);
      },
    });
  });

  it("a proof's verdict: title, badges and timings whole", async () => {
    await atBothWidths("dataset-proof", `/datasets/${filesDatasetId}`, {
      ready: '[data-testid="dropzone"]',
      more: async (page, width) => {
        await dropFiles(page, '[data-testid="dropzone"]', [sample]);
        expect(await readVerdict(page)).to.include({ kind: "inclusion", valid: true });
        await expectFits(page, `/datasets/${filesDatasetId} with a verdict`, width);
        await expectUnclipped(page, '[data-testid="verdict-title"], [data-testid="verdict"] .badge', width);
        await expectUnclipped(page, '[data-testid="timings"], [data-testid="timings"] > div', width);
      },
    });
  });

  it("a JSONL dataset", async () => {
    await atBothWidths("dataset-jsonl", `/datasets/${jsonlDatasetId}`, { ready: '[data-testid="manifest-check"]' });
  });

  it("the mint page", async () => {
    await atBothWidths("mint", "/mint", { ready: '[data-testid="folder-input"]' });
  });

  it("a search that finds a sample", async () => {
    const hash = `0x${createHash("sha256").update(sample.bytes).digest("hex")}`;
    await atBothWidths("search", `/search?q=${hash}`, { ready: '[data-testid="hash-results"]' });
  });

  it("a missing token's 404 page", async () => {
    await atBothWidths("not-found", "/models/999", { ready: '[data-testid="not-found"]' });
  });
});
