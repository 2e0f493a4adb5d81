import { expect } from "chai";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { LocalStore } from "../../core/storage/local-store.ts";
import { startGateway, type Gateway } from "../../core/storage/gateway-server.ts";
import { REPO } from "../helpers/local-chain.ts";
import { makeDataset, startWorld, type World } from "../attestor/world.ts";
import { launchChromium, screenshot, newPage } from "./helpers/browser.ts";
import { buildApp, startApp, type AppProcess } from "./helpers/stack.ts";

const EVALUATE = join(REPO, "test", "attestor", "fixtures", "evaluate.ts");

/**
 * The model page's results: an evaluation measured under the attestor (a real swtpm, the service and
 * `provenant evaluate`) in the table of attested results with its verdict and dataset, the record's metrics
 * apart as claims, and the verdict that follows the attestor's revocation.
 */
describe("the model page's attested evaluation results (swtpm, chromium)", function () {
  this.timeout(900_000);
  let w: World;
  let gateway: Gateway;
  let app: AppProcess;
  let browser: Browser;
  let page: Page;
  let accuracy: number;

  before(async () => {
    const built = buildApp();
    w = await startWorld("app-evaluations");
    const enrolled = await w.cli(["attestor", "enroll", "--service", w.service.url]);
    expect(enrolled.code, enrolled.stderr + enrolled.stdout).to.equal(0);
    const data = makeDataset(join(w.work, "test-digits"), 12, "test digit");
    const minted = await w.cli(["dataset", "mint", data, "--name", "Held-out digits", "--license", "CC0-1.0"]);
    expect(minted.code, minted.stderr).to.equal(0);
    const weights = join(w.work, "weights");
    mkdirSync(weights, { recursive: true });
    writeFileSync(join(weights, "model.bin"), Buffer.alloc(512, 3));
    writeFileSync(join(w.work, "record.yaml"), "task: image-classification\nmetrics: { accuracy: 0.999, f1: 0.98 }\n");
    const model = await w.cli(["model", "register", weights, "--name", "digits-net", "--version", "1.0.0", "--record", join(w.work, "record.yaml")]);
    expect(model.code, model.stderr).to.equal(0);
    const code = join(w.work, "eval-code");
    mkdirSync(code, { recursive: true });
    cpSync(EVALUATE, join(code, "evaluate.ts"));
    const evaluated = await w.cli([
      "evaluate",
      "--model",
      "1",
      "--weights",
      weights,
      "--dataset",
      "1",
      "--data",
      data,
      "--code",
      code,
      "--",
      process.execPath,
      join(code, "evaluate.ts"),
      "--data",
      data,
      "--weights",
      weights,
    ]);
    expect(evaluated.code, evaluated.stderr + evaluated.stdout).to.equal(0);
    accuracy = evaluated.json.metrics[0].value;

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

  it("shows the attested accuracy with its verdict and dataset, and the record's metrics apart as claims", async () => {
    await page.goto(`${app.url}/models/1`, { waitUntil: "networkidle" });
    await page.waitForSelector('[data-testid="evaluations"]');
    const row = page.locator('[data-testid="evaluations"] tr[data-evaluation="1"]');
    expect(await row.getAttribute("data-verdict")).to.equal("verified");
    const text = (await row.textContent())!;
    expect(text).to.contain("accuracy").and.to.contain(String(accuracy)).and.to.contain("test").and.to.contain("dataset #1 Held-out digits").and.to.contain("✓ attested");
    const claims = (await page.textContent('[data-testid="claimed-metrics"]'))!;
    expect(claims).to.contain("0.999").and.to.contain("f1").and.to.contain("claim");
    // The claim is not in the attested table.
    expect(await page.locator('[data-testid="evaluations"] tr[data-evaluation]').count()).to.equal(1);
    expect(await page.getAttribute('[data-testid="lineage"]', "data-ok")).to.equal("true");
    await screenshot(page, "model-evaluations");
    cpSync(join(REPO, "artifacts-e2e", "screenshots", "model-evaluations.png"), join(REPO, "docs", "screenshots", "model-evaluations.png"));
  });

  it("puts the attested result in the exports the page makes, apart from the claims", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="export-cyclonedx"]')]);
    const bom = JSON.parse(readFileSync((await download.path())!, "utf8"));
    const metrics = bom.metadata.component.modelCard.quantitativeAnalysis.performanceMetrics;
    expect(metrics).to.deep.include({ type: "accuracy", value: String(accuracy), slice: "test split of Held-out digits (dataset #1)" });
    expect(metrics).to.deep.include({ type: "accuracy", value: "0.999" });
  });

  it("no longer calls the result attested once the attestor is revoked, and says why", async () => {
    const status = await w.cli(["attestor", "status"]);
    const revoked = await w.cli(["attestor", "revoke", status.json.address]);
    expect(revoked.code, revoked.stderr).to.equal(0);
    await page.goto(`${app.url}/models/1`, { waitUntil: "networkidle" });
    await page.waitForSelector('[data-testid="evaluations"]');
    const row = page.locator('[data-testid="evaluations"] tr[data-evaluation="1"]');
    expect(await row.getAttribute("data-verdict")).to.equal("revoked");
    expect(await row.textContent())
      .to.contain("attestor revoked")
      .and.to.not.contain("✓ attested");
    expect(await page.getAttribute('[data-testid="lineage"]', "data-ok")).to.equal("false");
  });
});
