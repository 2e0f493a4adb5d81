import { expect } from "chai";
import { Contract, JsonRpcProvider } from "ethers";
import type { Browser, Page } from "playwright-core";
import { datasetRegistryAbi } from "../../core/chain/abi.generated.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { toHex } from "../../core/hex.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { leafAt, mintDirectly, sortedHashes, storeLeavesAsGiven, swapped } from "../helpers/misordered.ts";
import { launchChromium, readVerdict, screenshot, newPage } from "./helpers/browser.ts";
import { startStack, type Stack } from "./helpers/stack.ts";

/**
 * The dataset page in a real browser: "Audit this dataset" streams every shard through the gateway and finds a
 * sound dataset sound and a misordered one (minted directly with the contract) unsound; once the violation is
 * reported on-chain the page shows the dataset as misordered and builds no exclusion proof.
 */
describe("the app audits datasets in the browser and shows a misordered one as such", function () {
  this.timeout(900_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let soundId: string;
  let misorderedId: string;
  const big = sortedHashes(65_537, "app-audit-sound");
  const sorted = sortedHashes(300, "app-audit");

  before(async () => {
    stack = await startStack({ name: "e2e-audit", withApp: true });
    process.env.PROVENANT_DEPLOYMENT_ID = stack.chain.deploymentId;
    const address = deployedAddress(31337, "DatasetRegistry");
    delete process.env.PROVENANT_DEPLOYMENT_ID;
    const registry = new Contract(address, datasetRegistryAbi as never, await new JsonRpcProvider(stack.chain.url).getSigner(1));
    soundId = String(await mintDirectly(registry, await storeLeavesAsGiven(stack.store, big, "Sound, two shards")));
    misorderedId = String(await mintDirectly(registry, await storeLeavesAsGiven(stack.store, swapped(sorted, 1, 2), "Misordered")));
    browser = await launchChromium();
    page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Clicks "Audit this dataset" and returns the result element's verdict and every progress value shown on the way. */
  async function audit(id: string) {
    await page.goto(`${stack.app!.url}/datasets/${id}`, { waitUntil: "networkidle" });
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { auditProgress: string[] }).auditProgress = seen;
      new MutationObserver(() => {
        const done = document.querySelector('[data-testid="audit-progress"]')?.getAttribute("data-done");
        if (done !== undefined && done !== null && seen.at(-1) !== done) seen.push(done);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.click('[data-testid="audit-button"]');
    const result = await page.waitForSelector('[data-testid="audit-result"], section[aria-labelledby="audit-h"] .notice', { timeout: 300_000 });
    if ((await result.getAttribute("data-testid")) !== "audit-result") throw new Error(`no audit result: ${await result.textContent()}`);
    return {
      sound: (await result.getAttribute("data-sound")) === "true",
      text: (await result.textContent()) ?? "",
      progress: (await page.evaluate(() => (window as unknown as { auditProgress: string[] }).auditProgress)).map(Number),
    };
  }

  async function proveHash(id: string, hash: string) {
    await page.goto(`${stack.app!.url}/datasets/${id}`, { waitUntil: "networkidle" });
    await page.click('role=tab[name="Hash"]');
    await page.fill('input[aria-label="Sample hash"]', hash);
    await page.click('button:has-text("Prove")');
  }

  it("streams both shards of a sound dataset, with progress per shard, and finds it sound", async () => {
    const r = await audit(soundId);
    expect(r.sound).to.equal(true);
    expect(r.text).to.contain("Sound: all 65,537 leaves are strictly increasing across 2 shards");
    expect(r.progress).to.include(65_536);
    expect(r.progress.at(-1)).to.equal(65_537);
    expect(await page.$('[data-testid="misordered"]')).to.equal(null);
    expect(await page.textContent('[data-testid="record-order"]')).to.contain("no misorder reported");
  });

  it("finds leaves 1 and 2 of a dataset minted out of order, and shows how to prove it on-chain", async () => {
    const r = await audit(misorderedId);
    expect(r.sound).to.equal(false);
    expect(await page.getAttribute('[data-testid="audit-violation"]', "data-index")).to.equal("1");
    expect(await page.textContent('[data-testid="audit-report-hint"]')).to.contain(`provenant dataset audit ${misorderedId} --report`);
    expect(await page.$('[data-testid="misordered"]')).to.equal(null);
    await screenshot(page, "dataset-audit-misordered");
  });

  it("once reported on-chain, shows the dataset as misordered, proves members in and refuses to prove anything out", async () => {
    const reported = await runCli(["dataset", "audit", misorderedId, "--report"], stack.cliEnv);
    expect(reported.json.reported, reported.stderr).to.include({ index: 1 });

    await page.goto(`${stack.app!.url}/datasets/${misorderedId}`, { waitUntil: "networkidle" });
    expect(await page.textContent('[data-testid="misordered"]')).to.contain("Misordered: exclusion disabled");
    expect(await page.textContent('[data-testid="record-order"]')).to.contain("reported misordered");
    expect(await page.textContent('.notice[data-code="DATASET_MISORDERED"]')).to.contain("exclusion proofs disabled");
    await screenshot(page, "dataset-misordered");

    await proveHash(misorderedId, toHex(leafAt(sorted, 200)));
    expect(await readVerdict(page)).to.include({ kind: "inclusion", valid: true });

    // An absent sample whose proof reads the misordered shard: the library refuses before the contract is asked.
    await proveHash(misorderedId, `0x${"ff".repeat(31)}fe`);
    const notice = await page.waitForSelector('section[aria-labelledby="prove-h"] .notice');
    expect(await notice.getAttribute("data-code")).to.equal("DATASET_MISORDERED");
    expect(await page.$('[data-testid="verdict"]')).to.equal(null);

    const again = await audit(misorderedId);
    expect(again.sound).to.equal(false);
    expect(again.text).to.contain("Already flagged misordered on-chain");
    expect(await page.$('[data-testid="audit-report-hint"]')).to.equal(null);
  });
});
