import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { parquetWriteBuffer } from "hyparquet-writer";
import { writeShard } from "../../scripts/lib/shards.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { launchChromium, readVerdict, screenshot, newPage } from "./helpers/browser.ts";
import { startStack, type AppProcess, type Stack } from "./helpers/stack.ts";

/**
 * The mint page mints a WebDataset shard set and a Hugging Face-style Parquet folder: chromium hashes them by
 * core's rules (the root equals `provenant dataset hash`'s on the same files), the server stores the commitment,
 * the wallet mints; then the dataset page proves one sample of each in, on the leaf the CLI computes.
 */
describe("the mint page mints WebDataset and Parquet datasets (chromium, production build)", function () {
  this.timeout(900_000);
  let stack: Stack;
  let app: AppProcess;
  let browser: Browser;
  let page: Page;
  const caption = (k: number) => `caption of sample ${k}`;
  const pixels = (k: number) => Uint8Array.from({ length: 48 }, (_, i) => (i * 5 + k) & 0xff);
  const rowText = (i: number) => `row ${i}: a sentence to train on`;

  before(async () => {
    stack = await startStack({ name: "mint-formats", withApp: true });
    app = stack.app!;
    for (let s = 0; s < 2; s++) {
      const members = [];
      for (let k = s * 5; k < s * 5 + 5; k++) {
        const key = String(k).padStart(6, "0");
        members.push({ name: `${key}.jpg`, bytes: pixels(k) }, { name: `${key}.txt`, bytes: caption(k) });
      }
      await writeShard(join(stack.work, "wds", `shard-${s}.tar`), members);
    }
    writeFileSync(join(stack.work, "wds", "README.md"), "not a shard: skipped");
    mkdirSync(join(stack.work, "hf", "data"), { recursive: true });
    const texts = Array.from({ length: 9 }, (_, i) => rowText(i));
    writeFileSync(
      join(stack.work, "hf", "data", "train-00000-of-00001.parquet"),
      new Uint8Array(
        parquetWriteBuffer({
          rowGroupSize: 4,
          columnData: [
            { name: "id", data: Int32Array.from(texts, (_, i) => i), type: "INT32" },
            { name: "text", data: texts, type: "STRING" },
          ],
        }) as unknown as ArrayBuffer,
      ),
    );
    writeFileSync(join(stack.work, "hf", "README.md"), "---\nlicense: cc0-1.0\n---\n");
    browser = await launchChromium();
    page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Picks `dir` on the mint page, hashes it as `encoding`, checks the root against the CLI's and mints; the new id. */
  async function mintFolder(dir: string, encoding: string, name: string, samples: number): Promise<string> {
    await page.goto(`${app.url}/mint`, { waitUntil: "networkidle" });
    await page.setInputFiles('[data-testid="folder-input"]', dir);
    // A folder holding shards (or Parquet files) is read as them by default; files stays one choice away.
    expect(await page.inputValue('[data-testid="folder-encoding"]')).to.equal(encoding);
    expect(await page.textContent('[data-testid="selection-encoding"]')).to.contain(`Encoding: ${encoding}`);
    await page.fill('input[name="name"]', name);
    await page.fill('input[name="license"]', "CC0-1.0");
    await page.click('[data-testid="hash-button"]');
    await page.waitForSelector('[data-testid="hash-result"]', { timeout: 120_000 });
    const root = (await page.textContent('[data-testid="root"]'))!.trim();
    const cli = await runCli(["dataset", "hash", dir, "--format", encoding], stack.cliEnv);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(root).to.equal(cli.json.root);
    expect(await page.textContent('[data-testid="distinct"]')).to.equal(String(samples));
    expect(cli.json.n).to.equal(samples);
    await page.click('button[data-wallet="local"]');
    await page.waitForSelector('[data-testid="wallet-connected"]');
    await page.click('[data-testid="mint-button"]');
    const id = (await (await page.waitForSelector('[data-testid="minted"]', { timeout: 120_000 })).getAttribute("data-id"))!;
    // The chain holds the browser's root: the CLI proves against it, over what the server stored.
    const proof = await runCli(["prove", "--hash", `0x${"00".repeat(32)}`, "--dataset", id], stack.cliEnv);
    expect(proof.code, proof.stderr).to.equal(0);
    expect(proof.json).to.include({ kind: "exclusion", root });
    return id;
  }

  it("mints a WebDataset shard set from the page on the CLI's root; the dataset page proves a key's files in, an altered one out", async () => {
    const id = await mintFolder(join(stack.work, "wds"), "webdataset", "Captions (WebDataset, from the browser)", 10);
    await page.goto(`${app.url}/datasets/${id}`, { waitUntil: "networkidle" });
    expect(await page.textContent('[data-testid="manifest-check"]')).to.contain("matches the on-chain root");
    const member = (name: string, bytes: Uint8Array | string) => ({ name, mimeType: "application/octet-stream", buffer: Buffer.from(bytes) });
    await page.setInputFiles('[data-testid="member-files"]', [member("000007.jpg", pixels(7)), member("000007.txt", caption(7))]);
    const v = await readVerdict(page);
    expect(v).to.include({ kind: "inclusion", valid: true });
    await screenshot(page, "dataset-webdataset-minted-in-browser");
    await page.setInputFiles('[data-testid="member-files"]', [member("000007.jpg", pixels(7)), member("000007.txt", `${caption(7)}!`)]);
    expect(await readVerdict(page)).to.include({ kind: "exclusion", valid: true });
  });

  it("mints a Hugging Face-style folder (data/*.parquet, a README) from the page on the CLI's root; a row proves in", async () => {
    const id = await mintFolder(join(stack.work, "hf"), "parquet", "Sentences (Parquet, from the browser)", 9);
    await page.goto(`${app.url}/datasets/${id}`, { waitUntil: "networkidle" });
    expect(await page.textContent('[data-testid="manifest-check"]')).to.contain("matches the on-chain root");
    await page.click('button[role="tab"]:has-text("Row as JSON")');
    await page.fill('[data-testid="row-json"]', JSON.stringify({ text: rowText(5), id: 5 }));
    await page.click('form:has([data-testid="row-json"]) button[type="submit"]');
    expect(await readVerdict(page)).to.include({ kind: "inclusion", valid: true });
  });

  it("takes a single .parquet file too, and says which encoding a file is read as", async () => {
    await page.goto(`${app.url}/mint`, { waitUntil: "networkidle" });
    const file = join(stack.work, "hf", "data", "train-00000-of-00001.parquet");
    await page.setInputFiles('[data-testid="records-input"]', file);
    expect(await page.textContent('[data-testid="selection-encoding"]')).to.contain("Encoding: parquet (each row of the .parquet files is a sample)");
    await page.click('[data-testid="hash-button"]');
    await page.waitForSelector('[data-testid="hash-result"]', { timeout: 120_000 });
    const cli = await runCli(["dataset", "hash", file], stack.cliEnv);
    expect(cli.code, cli.stderr).to.equal(0);
    expect((await page.textContent('[data-testid="root"]'))!.trim()).to.equal(cli.json.root);
  });
});
