import { expect } from "chai";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { LocalStore } from "../../core/storage/local-store.ts";
import { startGateway, type Gateway } from "../../core/storage/gateway.ts";
import { REPO } from "../../scripts/lib/local-chain.ts";
import { makeDataset, startWorld, TRAIN, type World } from "../attestor/world.ts";
import { launchChromium, screenshot } from "./helpers/browser.ts";
import { buildApp, startApp, type AppProcess } from "./helpers/stack.ts";

/**
 * The model page of TPM-attested models: a real swtpm, the attestor service and `provenant train` (the world of
 * test/attestor), then the app pointed at that chain and store with the swtpm's EK root in PROVENANT_EK_ROOTS.
 */
describe("the model page of an attested model: certificate in plain words (swtpm, chromium)", function () {
  this.timeout(900_000);
  let w: World;
  let gateway: Gateway;
  let app: AppProcess;
  let browser: Browser;
  let page: Page;
  let gen2: { modelId: string; certificateCid: string };

  before(async () => {
    const built = buildApp();
    w = await startWorld("app-model");
    const enrolled = await w.cli(["attestor", "enroll", "--service", w.service.url]);
    expect(enrolled.code, enrolled.stderr + enrolled.stdout).to.equal(0);
    const data = makeDataset(join(w.work, "data"), 30);
    const minted = await w.cli(["dataset", "mint", data, "--name", "Attested samples", "--license", "CC0-1.0"]);
    expect(minted.code, minted.stderr).to.equal(0);
    const code = join(w.work, "code");
    mkdirSync(code, { recursive: true });
    cpSync(TRAIN, join(code, "train.ts"));
    const train = (out: string, version: string, parent?: { id: string; dir: string }) =>
      w.cli([
        "train", "--dataset", "1", "--data", data,
        ...(parent ? ["--parent", `${parent.id}:finetune`, "--parent-weights", parent.dir] : []),
        "--code", code, "--out", out, "--name", "samples-net", "--version", version, "--license", "MIT",
        "--", process.execPath, TRAIN, "--data", data, "--out", out, ...(parent ? ["--parent", parent.dir] : []),
      ]);
    const g1 = await train(join(w.work, "gen1"), "1.0.0");
    expect(g1.code, g1.stderr + g1.stdout).to.equal(0);
    const g2 = await train(join(w.work, "gen2"), "2.0.0", { id: g1.json.modelId, dir: join(w.work, "gen1") });
    expect(g2.code, g2.stderr + g2.stdout).to.equal(0);
    gen2 = { modelId: g2.json.modelId, certificateCid: g2.json.certificateCid };

    gateway = await startGateway(new LocalStore(w.home), { port: 0 });
    await built;
    app = await startApp({ ...w.chain.env, PROVENANT_GATEWAY_URL: gateway.url, PROVENANT_HOME: w.home, PROVENANT_EK_ROOTS: w.env.PROVENANT_EK_ROOTS });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
    page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await gateway?.close();
    await w?.stop();
  });

  it("verifies both attested generations and shows who attested, what was measured, every check and the replay", async () => {
    await page.goto(`${app.url}/models/${gen2.modelId}`, { waitUntil: "networkidle" });
    await page.waitForSelector('[data-testid="lineage-node"]');
    const nodes = await page.$$eval('[data-testid="lineage-node"]', (els) => els.map((e) => [e.getAttribute("data-node"), e.getAttribute("data-verified")]));
    expect(nodes).to.have.length(3);
    for (const [, ok] of nodes) expect(ok).to.equal("true");
    expect(await page.getAttribute('[data-testid="lineage"]', "data-ok"), await page.textContent('[data-testid="lineage"]') ?? "").to.equal("true");
    expect(await page.getAttribute('[data-testid="certificate"]', "data-ok")).to.equal("true");
    const cert = (await page.textContent('[data-testid="certificate"]'))!;
    expect(cert).to.contain("software TPM").and.to.contain("software-tpm-pcr23").and.to.contain("model #1").and.to.contain("dataset #1");
    expect(cert).to.contain("Replaying the event log gives the PCR value the TPM quoted");
    const statuses = await page.$$eval('[data-testid="certificate-checks"] li', (els) => els.map((e) => e.getAttribute("data-status")));
    expect(statuses.length).to.be.greaterThan(10);
    expect(statuses.every((s) => s === "pass")).to.equal(true);
    expect(await page.$$eval('[data-testid="replay"] tr', (els) => els.length)).to.be.greaterThan(3);
    await screenshot(page, "model-attested");
    cpSync(join(REPO, "artifacts-e2e", "screenshots", "model-attested.png"), join(REPO, "docs", "screenshots", "model-attested.png"));
  });

  it("reports a stored certificate whose bytes were changed, in plain words", async () => {
    const path = join(w.home, "ipfs", gen2.certificateCid);
    const original = readFileSync(path);
    // Any change will do (here a trailing newline: still valid JSON); the store and gateway refuse the bytes.
    writeFileSync(path, Buffer.concat([original, Buffer.from("\n")]));
    expect(readFileSync(path).equals(original)).to.equal(false);
    try {
      await page.goto(`${app.url}/models/${gen2.modelId}`, { waitUntil: "networkidle" });
      await page.waitForSelector('[data-testid="lineage-node"]');
      expect(await page.getAttribute(`[data-testid="lineage-node"][data-node="model:${gen2.modelId}"]`, "data-verified")).to.equal("false");
      expect(await page.getAttribute('[data-testid="certificate"]', "data-ok")).to.equal("false");
      const failures = (await page.textContent('[data-testid="lineage-failures"]'))!;
      expect(failures, failures).to.contain("training certificate: the certificate is a well-formed provenant-training-certificate-v1, failed");
      expect(failures).to.contain("does not hash to");
      await screenshot(page, "model-attested-tampered");
    } finally {
      writeFileSync(path, original);
    }
  });
});
