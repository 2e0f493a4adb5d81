import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DatasetRegistryClient } from "../../core/chain/dataset-registry.ts";
import { CLI, ensureBuiltCli, runCli } from "../../scripts/lib/cli.ts";
import { dropFiles, launchChromium, readVerdict, newPage } from "./helpers/browser.ts";
import { startStack, type Stack } from "./helpers/stack.ts";

/**
 * The dataset page's prove panel for everyone: hashes as sha256sum prints them, the verdict read out to screen
 * readers, keyboard tabs, the skip link, whole record files and empty files explained, full values copied,
 * re-check commands that reach this stack's own chain (on a non-default port) as copied, and proofs recorded
 * on-chain from the wallet.
 */

const RECORDS = ['{"text":"the cat sat"}', '{"text":"on the mat"}', '{"text":"a third line"}'];
const bareSha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("the prove panel: hashes as pasted, keyboard and screen readers, files explained, proofs recorded", function () {
  this.timeout(600_000);
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let datasetId: string;
  let datasetUrl: string;

  before(async () => {
    stack = await startStack({ name: "prove-panel", withApp: true });
    const file = join(stack.work, "records.jsonl");
    writeFileSync(file, `${RECORDS.join("\n")}\n`);
    const minted = await runCli(["dataset", "mint", file, "--name", "Three records", "--license", "CC0-1.0"], stack.cliEnv);
    expect(minted.code, minted.stderr).to.equal(0);
    datasetId = String(minted.json.datasetId);
    datasetUrl = `${stack.app!.url}/datasets/${datasetId}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.app!.url });
    page = await newPage(context);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("proves a hash pasted as sha256sum prints it, and announces the verdict in a live region", async () => {
    await page.goto(datasetUrl, { waitUntil: "networkidle" });
    const announce = page.locator('[data-testid="prove-announce"]');
    expect(await announce.getAttribute("role")).to.equal("status");
    expect(await announce.getAttribute("aria-live")).to.equal("polite");
    expect(await announce.textContent()).to.equal("");
    await page.click('role=tab[name="Hash"]');
    await page.fill('input[aria-label="Sample hash"]', `  ${bareSha(RECORDS[1]).toUpperCase()}  records-line-2.jsonl\n`);
    await page.click('button:has-text("Prove")');
    const v = await readVerdict(page);
    expect(v).to.include({ kind: "inclusion", valid: true });
    expect(v.proof.sampleHash).to.equal(`0x${bareSha(RECORDS[1])}`);
    expect(await page.textContent('[data-testid="verdict"]')).to.contain("given hash of records-line-2.jsonl");
    expect(await announce.textContent()).to.match(/^In the dataset\. It is leaf \d of 3, proven with \d+ sibling hashes\.$/);
  });

  it("finds a sha256sum line from the search box", async () => {
    await page.goto(stack.app!.url, { waitUntil: "networkidle" });
    await page.fill('header input[type="search"]', `${bareSha(RECORDS[0])}  records-line-1.jsonl`);
    await page.press('header input[type="search"]', "Enter");
    await page.waitForSelector('[data-testid="hash-results"]');
    expect(await page.textContent('[data-testid="hash-results"]')).to.contain(`dataset #${datasetId}, leaf`);
  });

  it("moves between the input-mode tabs with Left, Right, Home and End, one tab stop, each tab naming its panel", async () => {
    await page.goto(datasetUrl, { waitUntil: "networkidle" });
    const selected = () =>
      page.evaluate(() => ({
        focused: document.activeElement?.getAttribute("data-testid"),
        selected: Array.from(document.querySelectorAll('[role="tab"][aria-selected="true"]')).map((t) => t.id),
        stops: Array.from(document.querySelectorAll('[role="tablist"] [role="tab"]')).filter((t) => (t as HTMLElement).tabIndex === 0).length,
        labelledBy: document.querySelector('[role="tabpanel"]')?.getAttribute("aria-labelledby"),
      }));
    expect(await page.getAttribute('[data-testid="prove-tab-file"]', "aria-controls")).to.equal("prove-panel");
    await page.focus('[data-testid="prove-tab-file"]');
    const walk: [string, string][] = [
      ["ArrowRight", "text"],
      ["End", "hash"],
      ["ArrowRight", "file"], // wraps
      ["ArrowLeft", "hash"], // wraps back
      ["Home", "file"],
    ];
    for (const [key, mode] of walk) {
      await page.keyboard.press(key);
      expect(await selected(), key).to.deep.equal({ focused: `prove-tab-${mode}`, selected: [`prove-tab-${mode}`], stops: 1, labelledBy: `prove-tab-${mode}` });
    }
    // Tab leaves the list for the panel's first control: the file mode's drop zone.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).to.equal("dropzone");
  });

  it("offers a skip link as the first stop of the page, which moves the focus to the main element", async () => {
    await page.goto(datasetUrl, { waitUntil: "networkidle" });
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal("Skip to content");
    const box = await page.locator(".skip-link").boundingBox();
    expect(box!.y, "visible on focus").to.be.at.least(0);
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => [document.activeElement?.tagName, document.activeElement?.id])).to.deep.equal(["MAIN", "content"]);
    expect(await page.locator("main").count()).to.equal(1);
  });

  it("explains a whole record file dropped on the File tab, and an empty one, and proves neither", async () => {
    await page.goto(datasetUrl, { waitUntil: "networkidle" });
    await dropFiles(page, '[data-testid="dropzone"]', [{ name: "records.jsonl", bytes: Buffer.from(`${RECORDS.join("\n")}\n`) }]);
    const notice = (await (await page.waitForSelector('section[aria-labelledby="prove-h"] .notice')).textContent())!;
    expect(notice)
      .to.contain("A record dataset proves records: records.jsonl holds 3 records")
      .and.to.contain("nothing was proved")
      .and.to.contain("batch check")
      .and.to.contain(`provenant prove --batch "records.jsonl" --dataset ${datasetId}`);
    expect(await page.$('[data-testid="verdict"]')).to.equal(null);

    await dropFiles(page, '[data-testid="dropzone"]', [{ name: "empty.jsonl", bytes: new Uint8Array(0) }]);
    await page.waitForSelector('.notice:has-text("empty.jsonl")');
    expect(await page.textContent('section[aria-labelledby="prove-h"] .notice')).to.contain("Nothing was proved: empty.jsonl is empty (0 bytes)");
    expect(await page.$('[data-testid="verdict"]')).to.equal(null);

    // One record in a file is still a sample.
    await dropFiles(page, '[data-testid="dropzone"]', [{ name: "one.jsonl", bytes: Buffer.from(`${RECORDS[2]}\n`) }]);
    expect(await readVerdict(page)).to.include({ kind: "inclusion", valid: true });
  });

  it("copies full values, and shows re-check commands that reach this chain's port and deployment and run as copied", async () => {
    await page.goto(datasetUrl, { waitUntil: "networkidle" });
    await page.click('role=tab[name="Record"]');
    await page.fill('textarea[aria-label="Sample record"]', RECORDS[0]);
    await page.click('button:has-text("Prove")');
    await readVerdict(page);
    const hashCopy = page.locator('[data-testid="verdict"] [data-testid="copy"]').first();
    expect(await hashCopy.getAttribute("data-value")).to.equal(`0x${bareSha(RECORDS[0])}`);
    await hashCopy.click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(`0x${bareSha(RECORDS[0])}`);

    const commands = (await page.textContent('[data-testid="recheck-commands"]'))!;
    const target = `PROVENANT_RPC_URL=http://127.0.0.1:${stack.chain.port} PROVENANT_DEPLOYMENT_ID=${stack.chain.deploymentId} PROVENANT_HOME=${stack.home} `;
    expect(stack.chain.port).to.not.equal(8545);
    expect(commands).to.contain(`${target}provenant verify-proof proof-${datasetId}-`);
    const prove = commands.split("\n").find((l) => l.includes("provenant prove "))!;
    expect(prove).to.equal(`${target}provenant prove --text '${RECORDS[0]}' --dataset ${datasetId}`);

    // Run it as pasted into a shell with no Provenant settings of its own, with the built CLI on the PATH.
    ensureBuiltCli();
    const bin = mkdtempSync(join(tmpdir(), "provenant-bin-"));
    writeFileSync(join(bin, "provenant"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROVENANT_")));
    const ran = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile("sh", ["-c", `${prove} --json`], { env: { ...env, PATH: `${bin}:${env.PATH}` }, cwd: tmpdir() }, (e, out, err) =>
        resolve({ code: e ? 1 : 0, out: out + err }),
      ),
    );
    expect(ran.code, ran.out).to.equal(0);
    const proved = JSON.parse(ran.out);
    expect(proved).to.include({ kind: "inclusion", sampleHash: `0x${bareSha(RECORDS[0])}` });
    expect(proved.verdict.onChain).to.equal(true);
  });

  it("records an inclusion and an exclusion on-chain from the wallet; the chain holds both events", async () => {
    const recordVerdict = async (hash: string) => {
      await page.goto(`${datasetUrl}?hash=${hash}`, { waitUntil: "networkidle" });
      await readVerdict(page);
      await page.click('[data-testid="record-button"]');
      await page.click('button[data-wallet="local"]');
      await page.waitForSelector('[data-testid="wallet-connected"]');
      await page.click('[data-testid="record-button"]');
      const done = await page.waitForSelector('[data-testid="recorded"]', { timeout: 120_000 });
      return { tx: (await done.getAttribute("data-tx"))!, block: Number(await done.getAttribute("data-block")), text: (await done.textContent())! };
    };
    const member = `0x${bareSha(RECORDS[2])}`;
    const stranger = `0x${bareSha("not a record of this dataset")}`;
    const inclusion = await recordVerdict(member);
    expect(inclusion.text).to.contain("The inclusion is on-chain").and.to.contain(`block ${inclusion.block}`);
    const registry = (await page.getAttribute('[data-testid="onchain"] code', "data-full"))!;
    const exclusion = await recordVerdict(stranger);
    expect(exclusion.text).to.contain("The exclusion is on-chain");

    const client = new DatasetRegistryClient(registry, new JsonRpcProvider(stack.chain.url), 31337);
    const c = client.contract;
    const included = await c.queryFilter(c.filters.InclusionRecorded(BigInt(datasetId), member));
    expect(included.map((l) => [l.transactionHash, l.blockNumber])).to.deep.equal([[inclusion.tx, inclusion.block]]);
    const excluded = await c.queryFilter(c.filters.ExclusionRecorded(BigInt(datasetId), stranger));
    expect(excluded.map((l) => [l.transactionHash, l.blockNumber])).to.deep.equal([[exclusion.tx, exclusion.block]]);
  });
});
