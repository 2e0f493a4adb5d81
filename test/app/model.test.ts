import { expect } from "chai";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { REPO } from "../../scripts/lib/local-chain.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { launchChromium, screenshot, SHOTS } from "./helpers/browser.ts";
import { startStack, type Stack } from "./helpers/stack.ts";

/**
 * The model page in a real browser: a dataset, a base model and a fine-tune registered with the real CLI, the
 * fine-tune's lineage drawn and verified node by node, the exports downloaded, and a tampered manifest caught.
 */
describe("the model page: lineage graph, checks and exports (chromium, production build)", function () {
  this.timeout(900_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let datasetId: string;
  let parentId: string;
  let childId: string;
  let childManifestCid: string;

  const weights = (name: string, bytes: number) => {
    const dir = join(stack.work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.json"), JSON.stringify({ hidden_size: 8, name }));
    writeFileSync(join(dir, "model.safetensors"), randomBytes(bytes));
    return dir;
  };

  before(async () => {
    stack = await startStack({ name: "model-page", withApp: true });
    const data = join(stack.work, "data");
    mkdirSync(data, { recursive: true });
    for (let i = 0; i < 24; i++) writeFileSync(join(data, `sample-${i}.txt`), `sample ${i}\n`);
    const minted = await runCli(["dataset", "mint", data, "--name", "Tiny text set", "--license", "CC0-1.0"], stack.cliEnv);
    expect(minted.code, minted.stderr).to.equal(0);
    datasetId = String(minted.json.datasetId);

    const base = await runCli(
      ["model", "register", weights("base", 20_000), "--name", "Base MLP", "--version", "1.0.0", "--license", "Apache-2.0", "--dataset", `${datasetId}:training`],
      stack.cliEnv,
    );
    expect(base.code, base.stderr).to.equal(0);
    parentId = String(base.json.modelId);
    const child = await runCli(
      ["model", "register", weights("child", 24_000), "--name", "Tuned MLP", "--version", "1.1.0", "--parent", `${parentId}:finetune`, "--dataset", `${datasetId}:evaluation`],
      stack.cliEnv,
    );
    expect(child.code, child.stderr).to.equal(0);
    childId = String(child.json.modelId);
    childManifestCid = String(child.json.manifestCid);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    page = await context.newPage();
    page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("draws the fine-tune's lineage with every node verified, and saves the screenshot", async () => {
    await page.goto(`${stack.app!.url}/models/${childId}`, { waitUntil: "networkidle" });
    await page.waitForSelector('[data-testid="lineage-node"]');
    const nodes = await page.$$eval('[data-testid="lineage-node"]', (els) => els.map((e) => [e.getAttribute("data-node"), e.getAttribute("data-verified")]));
    expect(nodes).to.have.length(3);
    expect(Object.fromEntries(nodes)).to.deep.equal({ [`model:${childId}`]: "true", [`model:${parentId}`]: "true", [`dataset:${datasetId}`]: "true" });
    expect(await page.getAttribute('[data-testid="lineage"]', "data-ok")).to.equal("true");
    expect(await page.textContent('[data-testid="lineage-verdict"]')).to.contain("verified");
    // Edges are labelled with relation and role.
    const labels = await page.$$eval(".react-flow__edge-text", (els) => els.map((e) => e.textContent));
    expect(labels).to.include.members(["finetune", "training", "evaluation"]);
    // Clicking a node lists its checks in plain words.
    await page.click(`[data-node="dataset:${datasetId}"]`);
    const checks = await page.textContent('[data-testid="node-checks"]');
    expect(checks).to.contain("The manifest's Merkle root and sample count are the ones on-chain").and.to.contain("Tiny text set");
    // The page's model node is at the bottom: ancestors above.
    const y = async (id: string) => (await page.locator(`[data-testid="lineage-node"][data-node="${id}"]`).boundingBox())!.y;
    expect(await y(`model:${parentId}`)).to.be.lessThan(await y(`model:${childId}`));
    await page.click(`[data-node="model:${childId}"]`);
    const shot = await screenshot(page, "model-lineage");
    mkdirSync(join(REPO, "docs", "screenshots"), { recursive: true });
    copyFileSync(shot, join(REPO, "docs", "screenshots", "model-lineage.png"));
    expect(shot).to.equal(join(SHOTS, "model-lineage.png"));
  });

  it("downloads the four lineage exports, made in the browser from the graph", async () => {
    const got: Record<string, string> = {};
    for (const format of ["cyclonedx", "spdx", "hf-card", "openlineage"]) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(`[data-testid="export-${format}"]`)]);
      const file = join(stack.work, `export-${format}-${download.suggestedFilename()}`);
      await download.saveAs(file);
      got[format] = readFileSync(file, "utf8");
    }
    expect(JSON.parse(got.cyclonedx).bomFormat).to.equal("CycloneDX");
    expect(got.spdx).to.contain("spdx");
    expect(got["hf-card"]).to.contain("Tuned MLP");
    expect(JSON.parse(got.openlineage).eventType).to.be.a("string");
  });

  it("reports, in plain words, a child manifest whose stored bytes no longer match its CID", async () => {
    // Overwrite the manifest object in the local store behind the gateway: same CID, different bytes.
    const path = join(stack.home, "ipfs", childManifestCid);
    const original = readFileSync(path);
    writeFileSync(path, Buffer.from(original.toString("utf8").replace("Tuned MLP", "Tampered!")));
    try {
      await page.goto(`${stack.app!.url}/models/${childId}`, { waitUntil: "networkidle" });
      await page.waitForSelector('[data-testid="lineage-node"]');
      expect(await page.getAttribute('[data-testid="lineage"]', "data-ok")).to.equal("false");
      expect(await page.getAttribute(`[data-testid="lineage-node"][data-node="model:${childId}"]`, "data-verified")).to.equal("false");
      expect(await page.getAttribute(`[data-testid="lineage-node"][data-node="model:${parentId}"]`, "data-verified")).to.equal("true");
      const failures = await page.textContent('[data-testid="lineage-failures"]');
      expect(failures).to.contain(`Model #${childId}`).and.to.contain("manifest read from storage, its bytes match its CID, and it is valid, failed");
      expect(await page.getAttribute(`[data-testid="lineage-failures"] li[data-node="model:${childId}"]`, "data-check")).to.equal("model.manifest");
      expect(await page.getAttribute(`[data-testid="lineage-failures"] li[data-node="model:${childId}"]`, "data-code")).to.equal("STORAGE_CORRUPT");
      expect(failures).to.contain("Storage sent the wrong bytes").and.to.contain("does not hash to its CID");
      expect(await page.textContent('[data-testid="node-checks"]')).to.contain("✗ failed");
      expect(await page.textContent('[data-testid="exports"]')).to.contain("Not available");
      await screenshot(page, "model-lineage-tampered");
    } finally {
      writeFileSync(path, original);
    }
  });
});
