import { expect } from "chai";
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { commitSamples, storeCommitment } from "../../core/dataset/commit.ts";
import { SHARD_SIZE } from "../../core/dataset/shard-index.ts";
import { toHex } from "../../core/hex.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { dropFiles, launchChromium, readVerdict, recordTiming, screenshot } from "./helpers/browser.ts";
import { startStack, type Stack } from "./helpers/stack.ts";

/**
 * The shard path at scale: a synthetic dataset of 2^20 distinct leaves (16 shards of 65,536) committed and
 * stored with the library, minted through the CLI, then proven from the browser, which reads the index and
 * one 2 MiB shard per proof.
 */
describe("the app on a dataset of a million samples", function () {
  this.timeout(900_000);
  const N = 1 << 20;
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let id: string;
  let leaves: Uint8Array;

  before(async () => {
    stack = await startStack({ name: "e2e-large", withApp: true });
    const t0 = performance.now();
    const c = commitSamples({
      encoding: "files",
      hashes: new Uint8Array(randomBytes(N * 32)),
      total: N,
      skipped: { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 },
      bytes: 0,
    });
    leaves = c.leaves;
    const stored = await storeCommitment(c, stack.store, {
      name: "Synthetic 1M",
      description: "2^20 random sample hashes, committed by the library",
      license: "CC0-1.0",
    });
    const minted = await runCli(["dataset", "mint", "--manifest", stored.manifestCid, "--name", "Synthetic 1M", "--license", "CC0-1.0"], stack.cliEnv);
    expect(minted.code, minted.stderr).to.equal(0);
    id = minted.json.datasetId;
    console.log(`      committed, stored and minted ${c.n} leaves in ${Math.round(performance.now() - t0)} ms (${stored.shardCids.length} shards)`);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function proveHash(hash: string) {
    await page.goto(`${stack.app!.url}/datasets/${id}`, { waitUntil: "networkidle" });
    await page.click('role=tab[name="Hash"]');
    await page.fill('input[aria-label="Sample hash"]', hash);
    await page.click('button:has-text("Prove")');
    return readVerdict(page);
  }

  it("proves members in the first, a middle and the last shard from the index and one shard each", async () => {
    for (const index of [7, 8 * SHARD_SIZE + 12_345, N - 1]) {
      const hash = toHex(leaves.subarray(index * 32, index * 32 + 32));
      const v = await proveHash(hash);
      expect(v).to.include({ kind: "inclusion", valid: true });
      expect(v.proof.index).to.equal(index);
      expect(v.proof.siblings).to.have.length(20);
      const timings = await page.textContent('[data-testid="timings"]');
      recordTiming(`1M leaves, pasted member hash, leaf ${index}`, { panelTotalMs: v.totalMs, breakdown: timings });
      console.log(`      leaf ${index}: hash to verdict ${v.totalMs} ms: ${timings}`);
    }
    await screenshot(page, "dataset-1m-inclusion");
  });

  it("takes a dropped 1 MiB file to an exclusion verdict", async () => {
    await page.goto(`${stack.app!.url}/datasets/${id}`, { waitUntil: "networkidle" });
    const t0 = Date.now();
    await dropFiles(page, '[data-testid="dropzone"]', [{ name: "random-1MiB.bin", bytes: randomBytes(1 << 20) }]);
    const v = await readVerdict(page);
    const wall = Date.now() - t0;
    expect(v).to.include({ kind: "exclusion", valid: true });
    const timings = await page.textContent('[data-testid="timings"]');
    recordTiming("1M leaves, dropped 1 MiB file", { panelTotalMs: v.totalMs, testWallMs: wall, breakdown: timings });
    console.log(`      1 MiB file on 1M leaves: drop to verdict ${v.totalMs} ms in the page (${wall} ms seen by the test): ${timings}`);
    await screenshot(page, "dataset-1m-exclusion");
  });
});
