import { expect } from "chai";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { REPO } from "../helpers/local-chain.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { dropFiles, launchChromium, screenshot, SHOTS, newPage } from "./helpers/browser.ts";
import { mineBlock, startStack, type Stack } from "./helpers/stack.ts";
import { DatasetProver } from "../../core/dataset/prover.ts";

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
  let datasetManifestCid: string;

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
    datasetManifestCid = String(minted.json.manifestCid);

    const base = await runCli(
      ["model", "register", weights("base", 20_000), "--name", "Base MLP", "--version", "1.0.0", "--license", "Apache-2.0", "--dataset", `${datasetId}:training`],
      stack.cliEnv,
    );
    expect(base.code, base.stderr).to.equal(0);
    parentId = String(base.json.modelId);
    const child = await runCli(
      [
        "model",
        "register",
        weights("child", 24_000),
        "--name",
        "Tuned MLP",
        "--version",
        "1.1.0",
        "--parent",
        `${parentId}:finetune`,
        "--dataset",
        `${datasetId}:evaluation`,
      ],
      stack.cliEnv,
    );
    expect(child.code, child.stderr).to.equal(0);
    childId = String(child.json.modelId);
    childManifestCid = String(child.json.manifestCid);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.app!.url });
    page = await newPage(context);
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

  it("keeps the lineage verdicts for the block: a reload in the same block is not verified again, the next block is", async () => {
    await page.goto(`${stack.app!.url}/models/${childId}`, { waitUntil: "networkidle" });
    const first = await page.getAttribute('[data-testid="lineage-block"]', "data-block");
    await page.reload({ waitUntil: "networkidle" });
    expect(await page.getAttribute('[data-testid="lineage-block"]', "data-cached")).to.equal("true");
    expect(await page.getAttribute('[data-testid="lineage-block"]', "data-block")).to.equal(first);
    await mineBlock(stack.chain.url);
    await page.reload({ waitUntil: "networkidle" });
    expect(await page.getAttribute('[data-testid="lineage-block"]', "data-cached")).to.equal("false");
    expect(Number(await page.getAttribute('[data-testid="lineage-block"]', "data-block"))).to.equal(Number(first) + 1);
  });

  it("answers 'Was this sample used?' in the browser: a training sample in through the ancestry, an altered one in none, marked on the graph", async () => {
    await page.goto(`${stack.app!.url}/models/${childId}`, { waitUntil: "networkidle" });
    await dropFiles(page, '[data-testid="sample-dropzone"]', [{ name: "sample-3.txt", bytes: new TextEncoder().encode("sample 3\n") }]);
    const verdict = await page.waitForSelector('[data-testid="sample-verdict"]');
    expect(await verdict.getAttribute("data-verdict")).to.equal("in");
    expect(await page.textContent('[data-testid="sample-summary"]')).to.equal(
      `In dataset #${datasetId}, used for evaluation by model #${childId} (self-declared); used for training by model #${parentId}, an ancestor of #${childId} (self-declared).`,
    );
    expect(await page.getAttribute(`[data-testid="sample-verdict"] li[data-dataset="${datasetId}"]`, "data-verdict")).to.equal("in");
    expect(await page.getAttribute(`[data-testid="lineage-node"][data-node="dataset:${datasetId}"]`, "data-sample-verdict")).to.equal("in");
    // Announced: the live region holds the verdict.
    expect(await page.textContent('[data-testid="sample-status"]')).to.match(/^In: in dataset #/);
    // The command re-checks it from a terminal against this chain and deployment.
    const cli = (await page.textContent('[data-testid="sample-cli"]'))!;
    expect(cli)
      .to.contain(`PROVENANT_RPC_URL=${stack.chain.url}`)
      .and.to.contain(`PROVENANT_DEPLOYMENT_ID=${stack.chain.deploymentId}`)
      .and.to.contain(`--model ${childId}`);
    copyFileSync(await screenshot(page, "model-sample-in"), join(REPO, "docs", "screenshots", "model-sample-check.png"));

    await dropFiles(page, '[data-testid="sample-dropzone"]', [{ name: "sample-3-altered.txt", bytes: new TextEncoder().encode("sample 3 (altered)\n") }]);
    await page.waitForSelector('[data-testid="sample-verdict"][data-verdict="out"]');
    expect(await page.textContent('[data-testid="sample-summary"]')).to.equal(`In none of the 1 dataset behind model #${childId}.`);
    expect(await page.getAttribute(`[data-testid="lineage-node"][data-node="dataset:${datasetId}"]`, "data-sample-verdict")).to.equal("out");

    // An empty file is answered with why.
    await dropFiles(page, '[data-testid="sample-dropzone"]', [{ name: "empty.txt", bytes: new Uint8Array(0) }]);
    await page.waitForSelector('[data-testid="sample-note"]');
    expect(await page.textContent('[data-testid="sample-note"]')).to.contain("empty.txt is empty");
  });

  it("takes a hash as sha256sum prints it, in input-mode tabs driven by the arrow keys", async () => {
    await page.goto(`${stack.app!.url}/models/${childId}`, { waitUntil: "networkidle" });
    await page.focus('[data-testid="sample-tab-file"]');
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    expect(await page.getAttribute('[data-testid="sample-tab-hash"]', "aria-selected")).to.equal("true");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).to.equal("sample-tab-hash");
    expect(await page.getAttribute('[data-testid="sample-tab-file"]', "role")).to.equal("tab");
    const bare = createHash("sha256").update("sample 5\n").digest("hex");
    await page.fill('[data-testid="sample-hash"]', `  ${bare}  `);
    await page.press('[data-testid="sample-hash"]', "Enter");
    await page.waitForSelector('[data-testid="sample-verdict"][data-verdict="in"]');
  });

  it("checks a folder of samples at once in the browser, and downloads the results as CSV", async () => {
    const folder = mkdtempSync(join(tmpdir(), "provenant-batch-folder-"));
    writeFileSync(join(folder, "sample-1.txt"), "sample 1\n");
    writeFileSync(join(folder, "sample-2.txt"), "sample 2\n");
    writeFileSync(join(folder, "retouched.txt"), "sample 2, retouched\n");
    writeFileSync(join(folder, ".DS_Store"), "hidden");
    await page.goto(`${stack.app!.url}/models/${childId}`, { waitUntil: "networkidle" });
    await page.click('[data-testid="batch-check"] summary');
    await page.setInputFiles('[data-testid="batch-folder"]', folder);
    const result = await page.waitForSelector('[data-testid="batch-result"]');
    expect([await result.getAttribute("data-in"), await result.getAttribute("data-out"), await result.getAttribute("data-unknown")]).to.deep.equal(["2", "1", "0"]);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="batch-csv"]')]);
    const csv = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\n");
    expect(csv[0]).to.equal(`sample,sha256,verdict,dataset_${datasetId},dataset_${datasetId}_leaf`);
    expect(
      csv
        .slice(1)
        .map((l) => l.split(",").slice(0, 3).join(","))
        .sort(),
    ).to.deep.equal(
      [
        `retouched.txt,0x${createHash("sha256").update("sample 2, retouched\n").digest("hex")},out`,
        `sample-1.txt,0x${createHash("sha256").update("sample 1\n").digest("hex")},in`,
        `sample-2.txt,0x${createHash("sha256").update("sample 2\n").digest("hex")},in`,
      ].sort(),
    );
  });

  it("copies full values: the weights digest and a re-check command that works as copied", async () => {
    await page.goto(`${stack.app!.url}/models/${childId}`, { waitUntil: "networkidle" });
    const digestCell = page.locator('tr:has(th:text-is("Weights digest")) td');
    const digest = (await digestCell.locator("code").getAttribute("data-full"))!;
    await digestCell.locator('[data-testid="copy"]').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(digest);
    // The manifest CID is a link to the app's own gateway route.
    expect(await page.getAttribute('[data-testid="manifest-cid"] a', "href")).to.equal(`/ipfs/${childManifestCid}`);

    await page.locator('[data-testid="recheck-commands"] li').first().locator('[data-testid="copy"]').click();
    const command = await page.evaluate(() => navigator.clipboard.readText());
    expect(command).to.match(new RegExp(`^PROVENANT_RPC_URL=\\S+ PROVENANT_DEPLOYMENT_ID=\\S+ PROVENANT_HOME=\\S+ provenant verify model ${childId}$`));
    // Run it as a user would paste it into a shell with no Provenant settings of its own.
    const bin = mkdtempSync(join(tmpdir(), "provenant-bin-"));
    writeFileSync(join(bin, "provenant"), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, "cli", "provenant.ts")}" "$@"\n`, { mode: 0o755 });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROVENANT_")));
    const ran = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile("sh", ["-c", `${command} --json`], { env: { ...env, PATH: `${bin}:${env.PATH}` }, cwd: tmpdir() }, (e, out, err) =>
        resolve({ code: e ? 1 : 0, out: out + err }),
      ),
    );
    expect(ran.code, ran.out).to.equal(0);
    expect(JSON.parse(ran.out).ok).to.equal(true);
  });

  it("answers 404 for a model that does not exist, and offers a skip link to the content", async () => {
    for (const path of ["/models/999", "/models/abc", "/no-such-page"]) {
      const res = await fetch(`${stack.app!.url}${path}`);
      expect(res.status, path).to.equal(404);
    }
    await page.goto(`${stack.app!.url}/models/999`, { waitUntil: "networkidle" });
    expect(await page.textContent('[data-testid="not-found"]')).to.contain("Not found");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("content");
  });

  it("searches by a bare sample hash, a weights digest, a manifest CID and names", async () => {
    const search = async (q: string) => {
      await page.goto(`${stack.app!.url}/search?q=${encodeURIComponent(q)}`, { waitUntil: "networkidle" });
      return (await page.textContent("main"))!;
    };
    const bare = createHash("sha256").update("sample 7\n").digest("hex");
    expect(await search(` ${bare.toUpperCase()} `)).to.contain(`dataset #${datasetId}, leaf`);
    const digest = (await (await fetch(`${stack.app!.url}/models/${childId}`)).text()).match(/data-full="(0x[0-9a-f]{64})"/)![1];
    await search(digest.slice(2));
    expect(await page.$$(`[data-testid="model-results"] [data-model-id="${childId}"]`)).to.have.length(1);
    await search(childManifestCid);
    expect(await page.textContent('[data-testid="cid-results"]')).to.contain("as its manifest");
    expect(await page.$$(`[data-testid="model-results"] [data-model-id="${childId}"]`)).to.have.length(1);
    await search("tuned");
    expect(await page.$$(`[data-testid="model-results"] [data-model-id="${childId}"]`)).to.have.length(1);
    expect(await search("tiny text")).to.contain("Tiny text set");
  });

  it("says a shard failed its CID, and where it came from, when the gateway holds a changed copy (not 'storage unreachable')", async () => {
    const prover = await DatasetProver.open(stack.store, datasetManifestCid);
    const shard = stack.store.pathOf(prover.index.shards[0].cid);
    const original = readFileSync(shard);
    const damaged = Buffer.from(original);
    damaged[0] ^= 1;
    writeFileSync(shard, damaged);
    // A fresh browser: the one above keeps the good shard in its HTTP cache (CIDs are immutable), as it should.
    const fresh = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
    try {
      await fresh.goto(`${stack.app!.url}/models/${childId}`, { waitUntil: "networkidle" });
      await dropFiles(fresh, '[data-testid="sample-dropzone"]', [{ name: "sample-3.txt", bytes: new TextEncoder().encode("sample 3\n") }]);
      await fresh.waitForSelector('[data-testid="sample-verdict"][data-verdict="unknown"]');
      const row = fresh.locator(`[data-testid="sample-verdict"] li[data-dataset="${datasetId}"]`);
      expect(await row.getAttribute("data-code")).to.equal("STORAGE_CORRUPT");
      const words = (await row.textContent())!;
      expect(words).to.contain("do not hash to that CID").and.to.contain(`passed through from the storage gateway at ${stack.gateway.url}`);
      expect(await fresh.textContent('[data-testid="sample-check"]')).to.not.contain("Storage unreachable");
      expect(await fresh.getAttribute(`[data-testid="lineage-node"][data-node="dataset:${datasetId}"]`, "data-sample-verdict")).to.equal("unknown");
      await screenshot(fresh, "model-sample-shard-corrupt");
    } finally {
      writeFileSync(shard, original);
      await fresh.context().close();
    }
  });

  it("reports, in plain words, a child manifest whose stored bytes no longer match its CID", async () => {
    // Overwrite the manifest object in the local store behind the gateway: same CID, different bytes.
    const path = join(stack.home, "ipfs", childManifestCid);
    const original = readFileSync(path);
    writeFileSync(path, Buffer.from(original.toString("utf8").replace("Tuned MLP", "Tampered!")));
    try {
      // Verdicts are kept per block: the change shows once the chain moves on.
      await mineBlock(stack.chain.url);
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
