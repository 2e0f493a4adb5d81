import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { DATASET_UPLOAD_TYPE, encodeDatasetUpload } from "../../app/_lib/dataset-upload.ts";
import { hashContainerSamples } from "../../core/dataset/formats/containers.ts";
import { fileSource } from "../../core/dataset/formats/containers.ts";
import { parquetRowBytes } from "../../core/dataset/formats/single-sample.ts";
import { sortUniqueHashes } from "../../core/dataset/sort-unique.ts";
import { toHex } from "../../core/hex.ts";
import { rootOf } from "../../core/merkle/tree.ts";
import { digitPng, loadDigitPixels } from "../../scripts/demo/mnist-png.ts";
import { readDigits, writeMnistParquet, writeMnistShards, type Digit } from "../../scripts/demo/mnist-formats.ts";
import { writeShard } from "../../scripts/lib/shards.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { launchChromium, readVerdict, screenshot, newPage } from "./helpers/browser.ts";
import { startStack, type AppProcess, type Stack } from "./helpers/stack.ts";

/**
 * The dataset page proves samples of a WebDataset and of a Parquet dataset minted by the CLI, taking them as
 * `provenant prove` does (the key's files or a .tar of that key; a row of a .parquet file by index, or pasted as
 * JSON), hashed in chromium by core's rules: each verdict is the contract's, on the leaf the CLI computes.
 */
describe("the dataset page proves WebDataset and Parquet samples (chromium, production build)", function () {
  this.timeout(900_000);
  let stack: Stack;
  let app: AppProcess;
  let browser: Browser;
  let page: Page;
  let digits: Digit[];
  let table: string;
  let wdsId: string;
  let pqId: string;
  let pqRoot: string;

  /** The sample hash `provenant prove` computes for `args` (it proves too: the CLI and the page must agree). */
  async function cliSampleHash(args: string[], datasetId: string): Promise<string> {
    const r = await runCli(["prove", ...args, "--dataset", datasetId], stack.cliEnv);
    expect(r.code, r.stderr).to.equal(0);
    return r.json.kind === "inclusion" ? r.json.sampleHash : r.json.x;
  }

  const files = (list: { name: string; bytes: Uint8Array | string }[]) =>
    list.map((f) => ({ name: f.name, mimeType: "application/octet-stream", buffer: Buffer.from(f.bytes) }));

  /**
   * The refusal the panel shows instead of a verdict, once it says `words` (a notice left from the previous input
   * says something else). The page writes the library's line as a sentence: its first letter in capitals.
   */
  async function refusal(words: string): Promise<string> {
    const el = page.locator('section[aria-labelledby="prove-h"] .notice', { hasText: new RegExp(words.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i") });
    await el.waitFor({ timeout: 120_000 });
    expect(await page.locator('[data-testid="verdict"]').count(), "a verdict beside the refusal").to.equal(0);
    return (await el.textContent())!;
  }

  before(async () => {
    stack = await startStack({ name: "formats", withApp: true });
    app = stack.app!;
    const png = join(stack.work, "png");
    for (let d = 0; d <= 9; d++) {
      mkdirSync(join(png, String(d)), { recursive: true });
      loadDigitPixels(d)
        .slice(0, 6)
        .forEach((pixels, i) => writeFileSync(join(png, String(d), `${d}-${String(i).padStart(4, "0")}.png`), digitPng(pixels)));
    }
    digits = readDigits(png);
    const wds = join(stack.work, "wds");
    await writeMnistShards(digits, wds, 3);
    const hf = join(stack.work, "hf");
    table = writeMnistParquet(digits, hf);
    const a = await runCli(["dataset", "mint", wds, "--format", "webdataset", "--name", "MNIST 60 (WebDataset)", "--license", "CC-BY-SA-3.0"], stack.cliEnv);
    expect(a.code, a.stderr).to.equal(0);
    wdsId = a.json.datasetId;
    const b = await runCli(["dataset", "mint", hf, "--format", "parquet", "--name", "MNIST 60 (Parquet)", "--license", "CC-BY-SA-3.0"], stack.cliEnv);
    expect(b.code, b.stderr).to.equal(0);
    pqId = b.json.datasetId;
    pqRoot = b.json.root;
    browser = await launchChromium();
    page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  describe("WebDataset", () => {
    before(async () => {
      await page.goto(`${app.url}/datasets/${wdsId}`, { waitUntil: "networkidle" });
      expect(await page.textContent('[data-testid="manifest-check"]')).to.contain("matches the on-chain root");
    });

    it("proves a sample given as the key's files in, on the leaf provenant prove computes from the same files", async () => {
      const d = digits[23];
      const members = [
        { name: `${d.key}.cls`, bytes: String(d.label) },
        { name: `${d.key}.png`, bytes: d.png },
      ];
      await page.setInputFiles('[data-testid="member-files"]', files(members));
      const v = await readVerdict(page);
      expect(v).to.include({ kind: "inclusion", valid: true, title: "In the dataset" });
      const dir = join(stack.work, "given");
      mkdirSync(dir, { recursive: true });
      for (const m of members) writeFileSync(join(dir, m.name), m.bytes);
      expect(v.proof.sampleHash).to.equal(
        await cliSampleHash(
          members.map((m) => join(dir, m.name)),
          wdsId,
        ),
      );
      expect(await page.textContent("pre")).to.contain(`provenant prove "${d.key}.cls" "${d.key}.png" --dataset ${wdsId}`);
      await screenshot(page, "dataset-webdataset-inclusion");
    });

    it("proves a .tar holding just that key in, and the key's image alone out (a sample is all of its members)", async () => {
      const d = digits[41];
      const tar = join(stack.work, "one-key.tar");
      await writeShard(tar, [
        { name: `${d.key}.png`, bytes: d.png },
        { name: `${d.key}.cls`, bytes: String(d.label) },
      ]);
      await page.setInputFiles('[data-testid="member-files"]', files([{ name: "one-key.tar", bytes: readFileSync(tar) }]));
      const v = await readVerdict(page);
      expect(v).to.include({ kind: "inclusion", valid: true });
      expect(v.proof.sampleHash).to.equal(await cliSampleHash([tar], wdsId));
      await page.setInputFiles('[data-testid="member-files"]', files([{ name: `${d.key}.png`, bytes: d.png }]));
      const alone = await readVerdict(page);
      expect(alone).to.include({ kind: "exclusion", valid: true, title: "Not in the dataset" });
    });

    it("refuses files of two keys, and a .tar of several keys, in one line naming why", async () => {
      await page.setInputFiles(
        '[data-testid="member-files"]',
        files([
          { name: `${digits[0].key}.png`, bytes: digits[0].png },
          { name: `${digits[1].key}.cls`, bytes: "0" },
        ]),
      );
      await refusal("one sample's files share one key");
      await page.setInputFiles('[data-testid="member-files"]', files([{ name: "mnist-00000.tar", bytes: readFileSync(join(stack.work, "wds", "mnist-00000.tar")) }]));
      expect(await refusal("mnist-00000.tar holds 20 samples: give a .tar holding just the one key to prove")).to.contain("That input is not valid");
    });
  });

  describe("Parquet", () => {
    before(async () => {
      await page.goto(`${app.url}/datasets/${pqId}`, { waitUntil: "networkidle" });
      expect(await page.textContent('[data-testid="manifest-check"]')).to.contain("matches the on-chain root");
    });

    it("proves a row picked by index from the .parquet file in, on the leaf provenant prove --row computes", async () => {
      await page.setInputFiles('[data-testid="parquet-file"]', table);
      await page.fill('[data-testid="row-index"]', "37");
      await page.click('form:has([data-testid="parquet-file"]) button[type="submit"]');
      const v = await readVerdict(page);
      expect(v).to.include({ kind: "inclusion", valid: true, title: "In the dataset" });
      expect(v.proof.sampleHash).to.equal(await cliSampleHash([table, "--row", "37"], pqId));
      expect(await page.textContent("pre")).to.contain(`provenant prove "test-00000-of-00001.parquet" --row 37 --dataset ${pqId}`);
      await screenshot(page, "dataset-parquet-row");
    });

    it("proves the same row pasted as JSON (members reordered) in, and the row relabelled out", async () => {
      const src = fileSource(table, table);
      const row = JSON.parse(new TextDecoder().decode(await parquetRowBytes(src, 37)));
      src.close();
      const reordered = JSON.stringify({ label: row.label, image: row.image }, null, 1);
      await page.click('button[role="tab"]:has-text("Row as JSON")');
      await page.fill('[data-testid="row-json"]', reordered);
      await page.click('form:has([data-testid="row-json"]) button[type="submit"]');
      const v = await readVerdict(page);
      expect(v).to.include({ kind: "inclusion", valid: true });
      expect(v.proof.sampleHash).to.equal(await cliSampleHash([table, "--row", "37"], pqId));
      await page.fill('[data-testid="row-json"]', JSON.stringify({ ...row, label: (row.label + 1) % 10 }));
      await page.click('form:has([data-testid="row-json"]) button[type="submit"]');
      const out = await readVerdict(page);
      expect(out).to.include({ kind: "exclusion", valid: true, title: "Not in the dataset" });
    });

    it("refuses a row the file does not have, and JSON that is not one row, in plain words", async () => {
      await page.click('button[role="tab"]:has-text("Row of a file")');
      await page.setInputFiles('[data-testid="parquet-file"]', table);
      await page.fill('[data-testid="row-index"]', "60");
      await page.click('form:has([data-testid="parquet-file"]) button[type="submit"]');
      await refusal("has 60 rows (0 to 59): there is no row 60");
      await page.click('button[role="tab"]:has-text("Row as JSON")');
      await page.fill('[data-testid="row-json"]', '{"label": 1, "label": 2}');
      await page.click('form:has([data-testid="row-json"]) button[type="submit"]');
      await refusal('has the key "label" twice');
    });

    it("stores a Parquet commitment sent to the app's dataset route, as it does the other encodings", async () => {
      const r = await hashContainerSamples(join(stack.work, "hf"), "parquet");
      const leaves = sortUniqueHashes(r.hashes.subarray(0, r.total * 32));
      expect(toHex(rootOf(leaves))).to.equal(pqRoot);
      const meta = {
        name: "MNIST 60 (Parquet), via the app",
        license: "CC-BY-SA-3.0",
        encoding: "parquet",
        root: pqRoot,
        totalSamples: r.total,
        skipped: r.skipped,
        bytes: r.bytes,
      };
      const res = await fetch(`${app.url}/api/datasets`, { method: "POST", headers: { "content-type": DATASET_UPLOAD_TYPE }, body: encodeDatasetUpload(meta, leaves) });
      const body = (await res.json()) as { ok: boolean; manifest?: { encoding: string; root: string }; error?: { message: string } };
      expect(res.status, body.error?.message).to.equal(200);
      expect(body.manifest).to.include({ encoding: "parquet", root: pqRoot });
    });
  });
});
