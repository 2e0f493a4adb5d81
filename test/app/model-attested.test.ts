import { expect } from "chai";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { LocalStore } from "../../core/storage/local-store.ts";
import { startGateway, type Gateway } from "../../core/storage/gateway-server.ts";
import { REPO } from "../helpers/local-chain.ts";
import { makeDataset, startWorld, TRAIN, trainArgs, type World } from "../attestor/world.ts";
import { launchChromium, screenshot, newPage } from "./helpers/browser.ts";
import { buildApp, mineBlock, startApp, type AppProcess } from "./helpers/stack.ts";

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
      w.cli(trainArgs({ data, out, code, name: "samples-net", version, parent: parent?.id, parentWeights: parent?.dir }));
    const g1 = await train(join(w.work, "gen1"), "1.0.0");
    expect(g1.code, g1.stderr + g1.stdout).to.equal(0);
    const g2 = await train(join(w.work, "gen2"), "2.0.0", { id: g1.json.modelId, dir: join(w.work, "gen1") });
    expect(g2.code, g2.stderr + g2.stdout).to.equal(0);
    gen2 = { modelId: g2.json.modelId, certificateCid: g2.json.certificateCid };

    gateway = await startGateway(new LocalStore(w.home), { port: 0 });
    await built;
    app = await startApp({ ...w.chain.env, PROVENANT_GATEWAY_URL: gateway.url, PROVENANT_HOME: w.home, PROVENANT_EK_ROOTS: w.env.PROVENANT_EK_ROOTS });
    browser = await launchChromium();
    page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true }));
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await gateway?.close();
    await w?.stop();
  });

  it("verifies both attested generations and shows who attested, what was measured, every check and the replay", async () => {
    await page.goto(`${app.url}/models`, { waitUntil: "networkidle" });
    expect(await page.textContent(`[data-model-id="${gen2.modelId}"] .badge.ok`)).to.contain("TPM-attested");
    await page.goto(`${app.url}/models/${gen2.modelId}`, { waitUntil: "networkidle" });
    await page.waitForSelector('[data-testid="lineage-node"]');
    const nodes = await page.$$eval('[data-testid="lineage-node"]', (els) => els.map((e) => [e.getAttribute("data-node"), e.getAttribute("data-verified")]));
    expect(nodes).to.have.length(3);
    for (const [, ok] of nodes) expect(ok).to.equal("true");
    expect(await page.getAttribute('[data-testid="lineage"]', "data-ok"), (await page.textContent('[data-testid="lineage"]')) ?? "").to.equal("true");
    expect(await page.getAttribute('[data-testid="certificate"]', "data-ok")).to.equal("true");
    const cert = (await page.textContent('[data-testid="certificate"]'))!;
    expect(cert).to.contain("software TPM").and.to.contain("software-tpm-pcr23").and.to.contain("model #1").and.to.contain("dataset #1");
    // What a PCR-23-only certificate is worth, in words, on the page and in the exports.
    expect(cert).to.contain("the machine's boot state is not attested");
    expect(await page.textContent(RECORD_GREEN)).to.contain("TPM-attested");
    const card = await exportText(page, "hf-card");
    expect(card).to.contain("provenant-attested").and.to.contain("the machine's boot state is not attested");
    const cli = await w.cli(["export", gen2.modelId, "--format", "hf-card"]);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.json.document).to.contain("provenant-attested");
    expect(cert).to.contain("Replaying the event log gives the PCR value the TPM quoted");
    const statuses = await page.$$eval('[data-testid="certificate-checks"] li', (els) => els.map((e) => e.getAttribute("data-status")));
    expect(statuses.length).to.be.greaterThan(10);
    expect(statuses.every((s) => s === "pass")).to.equal(true);
    expect(await page.$$eval('[data-testid="replay"] tr', (els) => els.length)).to.be.greaterThan(3);
    // The certificate checks are listed once, in the certificate section: the graph's node list points there.
    await page.click(`[data-node="model:${gen2.modelId}"]`);
    expect(await page.$$('[data-testid="node-checks"] li[data-check^="model.certificate."]')).to.have.length(0);
    expect(await page.textContent('[data-testid="node-checks"] li[data-check="model.certificate"]')).to.contain(
      `${statuses.length} of ${statuses.length} certificate checks passed`,
    );
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
      // The page keeps lineage verdicts for the block they were reached at: storage changes show at the next one.
      await mineBlock(w.chain.url);
      await page.goto(`${app.url}/models/${gen2.modelId}`, { waitUntil: "networkidle" });
      await page.waitForSelector('[data-testid="lineage-node"]');
      expect(await page.getAttribute(`[data-testid="lineage-node"][data-node="model:${gen2.modelId}"]`, "data-verified")).to.equal("false");
      expect(await page.getAttribute('[data-testid="certificate"]', "data-ok")).to.equal("false");
      const failures = (await page.textContent('[data-testid="lineage-failures"]'))!;
      expect(failures, failures).to.contain("training certificate: the certificate is a well-formed provenant-training-certificate-v1, failed");
      expect(failures).to.contain("does not hash to");
      await screenshot(page, "model-attested-tampered");

      // No green "attested" anywhere: the record, the certificate's exports, the list of models.
      expect(await page.$$(RECORD_GREEN)).to.have.length(0);
      expect(await page.textContent(RECORD_PROVENANCE)).to.match(/attestation failed/);
      const card = await exportText(page, "hf-card");
      expect(card).to.not.contain("provenant-attested");
      expect(card).to.match(/failed verification/);
      // The BOM holds generation 1 too, whose certificate is intact: the root's component is the one to read.
      const root = JSON.parse(await exportText(page, "cyclonedx")).metadata.component;
      expect(JSON.stringify(root.externalReferences)).to.not.contain("TPM-attested");
      expect(JSON.stringify(root.externalReferences)).to.contain("failed verification");
      expect(root.properties).to.deep.include({ name: "provenant:provenance", value: "attestation-failed" });
      await page.goto(`${app.url}/models`, { waitUntil: "networkidle" });
      expect(await page.$$(`[data-model-id="${gen2.modelId}"] .badge.ok`)).to.have.length(0);
      expect(await page.textContent(`[data-model-id="${gen2.modelId}"]`)).to.match(/attestation failed/);
      expect(await page.$$(`[data-model-id="1"] .badge.ok`), "generation 1's certificate is intact").to.have.length(1);
    } finally {
      writeFileSync(path, original);
    }
  });

  it("says 'attested by a revoked attestor' with the revocation time once the attestor is revoked, on the page, in the list and the exports", async () => {
    const status = await w.cli(["attestor", "status"]);
    const revoked = await w.cli(["attestor", "revoke", status.json.address]);
    expect(revoked.code, revoked.stderr).to.equal(0);
    const after = await w.cli(["attestor", "status", status.json.address]);
    const when = new Date(after.json.revokedAt * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

    await page.goto(`${app.url}/models/${gen2.modelId}`, { waitUntil: "networkidle" });
    await page.waitForSelector('[data-testid="lineage-node"]');
    expect(await page.$$(RECORD_GREEN)).to.have.length(0);
    expect(await page.textContent(RECORD_PROVENANCE))
      .to.contain("attested by a revoked attestor")
      .and.to.contain(when);
    const card = await exportText(page, "hf-card");
    expect(card).to.not.contain("provenant-attested");
    expect(card).to.contain("revoked attestor").and.to.contain(when);
    const spdx = await exportText(page, "spdx");
    expect(spdx).to.not.contain("TPM-attested");
    const cli = await w.cli(["export", gen2.modelId, "--format", "hf-card"]);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.json.document).to.not.contain("provenant-attested");
    expect(cli.json.document).to.contain("revoked attestor").and.to.contain(when);
    await page.goto(`${app.url}/models`, { waitUntil: "networkidle" });
    for (const id of ["1", gen2.modelId]) {
      expect(await page.$$(`[data-model-id="${id}"] .badge.ok`)).to.have.length(0);
      expect(await page.textContent(`[data-model-id="${id}"]`)).to.contain("attested by a revoked attestor");
    }
    await screenshot(page, "models-revoked-attestor");
  });
});

/** The Provenance row of the model page's on-chain record, and a green badge in it. */
const RECORD_PROVENANCE = 'tr:has(th:text-is("Provenance")) td';
const RECORD_GREEN = `${RECORD_PROVENANCE} .badge.ok`;

/** The text of an export the model page makes in the browser, as the user downloads it. */
async function exportText(page: Page, format: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(`[data-testid="export-${format}"]`)]);
  return readFileSync((await download.path())!, "utf8");
}
