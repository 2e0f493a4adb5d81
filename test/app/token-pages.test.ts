import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Contract, dataSlice, getAddress, id as eventTopic, JsonRpcProvider, Network, toBeHex, zeroPadValue, ZeroAddress, type Log } from "ethers";
import type { Browser, Page } from "playwright-core";
import { REPO } from "../helpers/local-chain.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { contractAddress } from "../../core/chain/addresses.ts";
import { readIgnitionDeployment } from "../../core/chain/ignition-record.ts";
import { launchChromium, newPage } from "./helpers/browser.ts";
import { startApp, startStack, type AppProcess, type Stack } from "./helpers/stack.ts";
import { sampleDeals, samplePodsi, startLighthouseStandin, type LighthouseStandin } from "../storage/lighthouse-standin.ts";

const sha = (s: string) => `0x${createHash("sha256").update(s).digest("hex")}`;

/**
 * The token pages' explorer sections in a real browser, each compared with what the chain says (read here with
 * ethers, apart from the app's code): mint transaction and block, owner and transfers, dataset versions, recorded
 * proofs, a model's card, history and descendants, and the dataset's Filecoin status from the local store and
 * from a Lighthouse stand-in.
 */
describe("token pages: mint, owner, transfers, versions, recorded proofs, model card, descendants, Filecoin (chromium)", function () {
  this.timeout(900_000);
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let provider: JsonRpcProvider;
  let registries: { dataset: string; model: string };
  let v1: string;
  let v2: string;
  let v1ManifestCid: string;
  let baseId: string;
  let childId: string;
  let grandId: string;
  let alice: string;
  let bob: string;
  const recorded: { kind: string; hash: string; txHash: string; blockNumber: number; index: number | null }[] = [];

  const cli = async (args: string[]) => {
    const r = await runCli(args, stack.cliEnv);
    expect(r.code, r.stderr).to.equal(0);
    return r.json;
  };
  const folder = (name: string, files: Record<string, string | Uint8Array>) => {
    const dir = join(stack.work, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, bytes] of Object.entries(files)) writeFileSync(join(dir, f), bytes);
    return dir;
  };
  const transfersOf = (address: string, tokenId: string): Promise<Log[]> =>
    provider.getLogs({
      address,
      topics: [eventTopic("Transfer(address,address,uint256)"), null, null, zeroPadValue(toBeHex(BigInt(tokenId)), 32)],
      fromBlock: 0,
      toBlock: "latest",
    });
  const topicAddress = (topic: string) => getAddress(dataSlice(topic, 12));
  const attr = (selector: string, name: string) => page.getAttribute(selector, name);
  const all = (selector: string, names: string[]) => page.$$eval(selector, (els, ns) => els.map((e) => ns.map((n) => e.getAttribute(n))), names);

  before(async () => {
    stack = await startStack({ name: "token-pages", withApp: true });
    provider = new JsonRpcProvider(stack.chain.url, 31337, { staticNetwork: Network.from(31337) });
    const deployment = readIgnitionDeployment(join(REPO, "ignition", "deployments", stack.chain.deploymentId), 31337);
    registries = { dataset: contractAddress(deployment, "DatasetRegistry"), model: contractAddress(deployment, "ModelRegistry") };

    const samples = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`s-${i}.txt`, `sample ${i}\n`]));
    const first = await cli(["dataset", "mint", folder("v1", samples), "--name", "Versioned set", "--license", "CC0-1.0"]);
    v1 = String(first.datasetId);
    v1ManifestCid = String(first.manifestCid);
    v2 = String(
      (await cli(["dataset", "mint", folder("v2", { ...samples, "s-12.txt": "sample 12\n" }), "--name", "Versioned set", "--license", "CC0-1.0", "--previous", v1]))
        .datasetId,
    );
    await cli(["dataset", "mint", folder("other", { "x.txt": "unrelated\n" }), "--name", "Unrelated", "--license", "CC0-1.0"]);

    // One proof of each kind recorded on-chain, as the CLI records them.
    for (const [hash, kind] of [
      [sha("sample 5\n"), "inclusion"],
      [sha("never a sample\n"), "exclusion"],
    ] as const) {
      const r = await cli(["prove", "--hash", hash, "--dataset", v1, "--record"]);
      expect(r.kind).to.equal(kind);
      recorded.push({ kind, hash, txHash: r.recorded.txHash, blockNumber: r.recorded.blockNumber, index: kind === "inclusion" ? Number(r.index) : null });
    }

    // Dataset #v1 changes hands (after v2 was minted from it, which takes its owner).
    const dataset = new Contract(registries.dataset, ["function ownerOf(uint256) view returns (address)", "function transferFrom(address,address,uint256)"], provider);
    alice = await dataset.ownerOf(BigInt(v1));
    bob = await (await provider.getSigner(3)).getAddress();
    await (await (dataset.connect(await provider.getSigner(alice)) as Contract).transferFrom(alice, bob, BigInt(v1))).wait();

    const weights = (name: string) => folder(`w-${name}`, { "config.json": JSON.stringify({ name }), "model.safetensors": randomBytes(4096) });
    const recordFile = (name: string, record: Record<string, unknown>) => {
      const path = join(stack.work, `${name}.json`);
      writeFileSync(path, JSON.stringify(record));
      return path;
    };
    const base = recordFile("base", {
      name: "Base MLP",
      version: "1.0.0",
      intendedUse: "Classifying short English sentences by topic.",
      limitations: "Untested on non-English text.",
      hyperparameters: { epochs: 3, lr: 0.1 },
      metrics: { accuracy: 0.91 },
    });
    const child = recordFile("child", { name: "Tuned MLP", version: "1.1.0", limitations: "Tuned on 12 samples only.", hyperparameters: { lr: 0.01 } });
    baseId = String((await cli(["model", "register", weights("base"), "--record", base, "--license", "MIT", "--dataset", `${v1}:training`])).modelId);
    childId = String((await cli(["model", "register", weights("child"), "--record", child, "--parent", `${baseId}:finetune`])).modelId);
    grandId = String((await cli(["model", "register", weights("grand"), "--name", "Small MLP", "--version", "1.1.1", "--parent", `${childId}:quantized`])).modelId);

    browser = await launchChromium();
    page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 1000 } }));
  });

  after(async () => {
    await browser?.close();
    provider?.destroy();
    await stack?.stop();
  });

  it("shows a dataset's mint transaction and block, its owner and every transfer as the chain has them", async () => {
    const logs = await transfersOf(registries.dataset, v1);
    expect(logs).to.have.length(2);
    const mint = logs[0];
    await page.goto(`${stack.app!.url}/datasets/${v1}`, { waitUntil: "networkidle" });
    expect(await attr('[data-testid="mint-tx"]', "data-tx")).to.equal(mint.transactionHash);
    expect(await attr('[data-testid="mint-tx"] [data-testid="copy"]', "data-value"), "copies the full hash").to.equal(mint.transactionHash);
    expect(await page.textContent('[data-testid="mint-tx"] code')).to.equal(mint.transactionHash);
    expect(await attr('[data-testid="mint-block"]', "data-block")).to.equal(String(mint.blockNumber));
    const time = new Date((await provider.getBlock(mint.blockNumber))!.timestamp * 1000).toISOString().slice(0, 16).replace("T", " ");
    expect(await page.textContent('[data-testid="mint-block"]')).to.equal(`${mint.blockNumber}, ${time} UTC`);
    expect(await attr('[data-testid="owner"]', "data-owner")).to.equal(bob);
    expect(await all('[data-testid="transfers"] li', ["data-from", "data-to", "data-block", "data-tx"])).to.deep.equal(
      logs.map((l) => [topicAddress(l.topics[1]), topicAddress(l.topics[2]), String(l.blockNumber), l.transactionHash]),
    );
    expect((await all('[data-testid="transfers"] li', ["data-from"]))[0][0]).to.equal(ZeroAddress);
    expect(await page.textContent('[data-testid="token-history"] summary'))
      .to.contain(`minted in block ${mint.blockNumber}`)
      .and.to.contain("1 transfer");
  });

  it("links a dataset's previous version and the newer versions minted from it", async () => {
    expect(await attr('[data-testid="previous-version"]', "data-id")).to.equal("");
    expect(await attr('[data-testid="newer-versions"]', "data-ids")).to.equal(v2);
    expect(await page.getAttribute(`[data-testid="newer-versions"] a`, "href")).to.equal(`/datasets/${v2}`);
    await page.goto(`${stack.app!.url}/datasets/${v2}`, { waitUntil: "networkidle" });
    expect(await attr('[data-testid="previous-version"]', "data-id")).to.equal(v1);
    expect(await attr('[data-testid="newer-versions"]', "data-ids")).to.equal("");
    expect(await attr('[data-testid="recorded-proofs"]', "data-count")).to.equal("0");
  });

  it("lists the proofs recorded against a dataset: kind, full hash linking to the prove panel, index, recorder, block and tx", async () => {
    await page.goto(`${stack.app!.url}/datasets/${v1}`, { waitUntil: "networkidle" });
    const rows = await all('[data-testid="recorded-proofs"] li', ["data-kind", "data-hash", "data-index", "data-recorder", "data-block", "data-tx"]);
    expect(rows).to.deep.equal(recorded.map((r) => [r.kind, r.hash, r.index === null ? "" : String(r.index), alice, String(r.blockNumber), r.txHash]));
    expect(await page.$$eval('[data-testid="proof-hash"]', (els) => els.map((e) => [e.textContent, e.getAttribute("href")]))).to.deep.equal(
      recorded.map((r) => [r.hash, `/datasets/${v1}?hash=${r.hash}#prove-h`]),
    );
  });

  it("says a dataset in the local store is not on Filecoin", async () => {
    expect(await attr('[data-testid="filecoin"]', "data-store")).to.equal("local");
    expect(await page.textContent('[data-testid="filecoin-none"]')).to.contain("local store: not on Filecoin");
  });

  it("shows the model card with inherited fields marked, the model's mint and owner, and no descendants for the newest", async () => {
    await page.goto(`${stack.app!.url}/models/${childId}`, { waitUntil: "networkidle" });
    expect(await page.textContent('[data-testid="card-intendedUse"]')).to.equal("Classifying short English sentences by topic.");
    expect(await page.getAttribute('[data-field="intendedUse"] [data-testid="inherited"] a', "href")).to.equal(`/models/${baseId}`);
    expect(await page.textContent('[data-testid="card-limitations"]')).to.equal("Tuned on 12 samples only.");
    expect(await page.$('[data-field="limitations"] [data-testid="inherited"]')).to.equal(null);
    expect(
      await page.$$eval('[data-testid="card-hyperparameters"] > div', (els) => els.map((e) => [e.getAttribute("data-key"), e.querySelector("dd")!.textContent])),
    ).to.deep.equal([
      ["epochs", "3"],
      ["lr", "0.01"],
    ]);
    const [mint] = await transfersOf(registries.model, childId);
    expect(await attr('[data-testid="mint-tx"]', "data-tx")).to.equal(mint.transactionHash);
    expect(await attr('[data-testid="mint-block"]', "data-block")).to.equal(String(mint.blockNumber));
    const model = new Contract(registries.model, ["function ownerOf(uint256) view returns (address)"], provider);
    expect(await attr('[data-testid="owner"]', "data-owner")).to.equal(await model.ownerOf(BigInt(childId)));
    expect(await attr('[data-testid="token-history"]', "open"), "collapsed: the page stays short").to.equal(null);
    expect(await all('[data-testid="descendants"] li', ["data-model", "data-parent", "data-relation", "data-depth"])).to.deep.equal([
      [grandId, childId, "quantized", "1"],
    ]);

    await page.goto(`${stack.app!.url}/models/${baseId}`, { waitUntil: "networkidle" });
    expect(await page.textContent('[data-field="metrics"]')).to.contain("1 self-reported");
    expect(await page.$('[data-field="intendedUse"] [data-testid="inherited"]')).to.equal(null);
    expect(await all('[data-testid="descendants"] li', ["data-model", "data-parent", "data-relation", "data-depth"])).to.deep.equal([
      [childId, baseId, "finetune", "1"],
      [grandId, childId, "quantized", "2"],
    ]);
    await page.goto(`${stack.app!.url}/models/${grandId}`, { waitUntil: "networkidle" });
    expect(await page.textContent('[data-testid="descendants"]')).to.contain("None: no registered model names this one as a parent");
  });

  describe("with the app's store on Lighthouse (a local stand-in of its API)", () => {
    let standin: LighthouseStandin;
    let app: AppProcess;

    before(async () => {
      standin = await startLighthouseStandin();
      standin.deals.set(v1ManifestCid, sampleDeals(v1ManifestCid));
      standin.proofs.set(v1ManifestCid, samplePodsi());
      const config = standin.writeProjectConfig(join(stack.work, "provenant.config.json"), {}, "lighthouse");
      app = await startApp({ ...stack.app!.env, ...stack.chain.env, PROVENANT_GATEWAY_URL: stack.gateway.url, PROVENANT_HOME: stack.home, PROVENANT_CONFIG: config });
    });
    after(async () => {
      await app?.stop();
      await standin?.close();
    });

    it("shows the deals and PoDSI Lighthouse reports for the manifest, and none yet for the index and shards", async () => {
      await page.goto(`${app.url}/datasets/${v1}`, { waitUntil: "networkidle" });
      await page.waitForSelector('[data-testid="filecoin"][data-store]');
      expect(await attr('[data-testid="filecoin"]', "data-store")).to.equal("lighthouse");
      const rows = await all('[data-testid="filecoin"] li[data-role]', ["data-role", "data-cid", "data-deals", "data-onchain", "data-sealed", "data-podsi"]);
      expect(rows[0]).to.deep.equal(["manifest", v1ManifestCid, "2", "2", "true", "yes"]);
      expect(rows.slice(1).map((r) => [r[0], r[2], r[5]])).to.deep.equal([
        ["index", "0", "no"],
        ["shard", "0", "no"],
      ]);
      const deals = await page.$$eval('[data-role="manifest"] [data-testid="deal"]', (els) =>
        els.map((e) => [e.getAttribute("data-deal"), e.getAttribute("data-provider")]),
      );
      expect(deals).to.deep.equal(sampleDeals(v1ManifestCid).map((d) => [String(d.chainDealID), d.miner]));
      expect(await page.textContent('[data-role="manifest"] [data-testid="podsi"]')).to.contain(`piece ${samplePodsi().pieceCID}`);
      expect(standin.requests.filter((r) => r.route === "deals").map((r) => r.query.cid)).to.include(v1ManifestCid);
    });
  });
});
