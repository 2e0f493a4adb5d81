import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Contract, JsonRpcProvider } from "ethers";
import { REPO, startTestChain, type LocalChain } from "../helpers/local-chain.ts";
import { runCli, type CliResult } from "../../scripts/lib/cli.ts";
import { datasetRegistryAbi } from "../../core/chain/abi.generated.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { sampleDeals, samplePodsi, startLighthouseStandin, type LighthouseStandin } from "./lighthouse-standin.ts";

/** Reads the CIDs a data directory's upload journal confirms. */
function journalCids(home: string): string[] {
  const dir = join(home, "lighthouse");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) =>
    readFileSync(join(dir, f), "utf8")
      .split("\n")
      .slice(1)
      .filter(Boolean)
      .map((l) => JSON.parse(l).cid as string),
  );
}

function expectOneLineError(r: CliResult, code: string, words: RegExp) {
  expect(r.code, r.stdout).to.equal(1);
  expect(r.json, r.stdout).to.deep.include({ ok: false });
  expect(r.json.error.code, r.stderr).to.equal(code);
  expect(r.stderr).to.match(words);
  expect(r.stderr.trim().split("\n"), r.stderr).to.have.length(1);
  expect(r.stderr).to.not.match(/\n\s+at /);
}

describe("provenant CLI with --storage lighthouse against the stand-in", function () {
  this.timeout(300_000);
  let chain: LocalChain;
  let standin: LighthouseStandin;
  let work: string;
  let env: Record<string, string>;
  let records: string;
  let small: string;
  let registry: Contract;
  const home = (name: string) => join(work, "homes", name);

  before(async () => {
    [chain, standin] = await Promise.all([startTestChain("lighthouse"), startLighthouseStandin()]);
    work = mkdtempSync(join(tmpdir(), "provenant-lh-cli-"));
    const config = standin.writeProjectConfig(join(work, "provenant.config.json"));
    mkdirSync(join(work, "xdg"));
    // No keystore in this XDG directory: the key comes from LIGHTHOUSE_API_KEY unless a test says otherwise.
    env = { ...chain.env, PROVENANT_CONFIG: config, LIGHTHOUSE_API_KEY: standin.apiKey, XDG_CONFIG_HOME: join(work, "xdg") };
    // 150,000 distinct records: three shards of at most 65,536 leaves (2 MiB each), an index and a manifest.
    records = join(work, "records.jsonl");
    writeFileSync(records, Array.from({ length: 150_000 }, (_, i) => `{"id":${i}}`).join("\n") + "\n");
    small = join(work, "small");
    mkdirSync(small);
    for (let i = 0; i < 20; i++) writeFileSync(join(small, `s${i}.txt`), `small sample ${i}\n`);
    process.env.PROVENANT_DEPLOYMENT_ID = chain.deploymentId;
    registry = new Contract(deployedAddress(31337, "DatasetRegistry"), datasetRegistryAbi as never, new JsonRpcProvider(chain.url));
    delete process.env.PROVENANT_DEPLOYMENT_ID;
  });

  after(async () => {
    await Promise.all([chain?.stop(), standin?.close()]);
    rmSync(join(REPO, "ignition", "deployments", chain?.deploymentId ?? "none"), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  beforeEach(() => standin.clearFaults());

  it("stores a dataset through Lighthouse under the same CIDs as the local store", async () => {
    const local = await runCli(["dataset", "hash", records, "--storage", "local"], { ...env, PROVENANT_HOME: home("local") });
    expect(local.code, local.stderr).to.equal(0);
    const before = standin.uploads().length;
    const lh = await runCli(["dataset", "hash", records, "--storage", "lighthouse"], { ...env, PROVENANT_HOME: home("lh") });
    expect(lh.code, lh.stderr).to.equal(0);
    expect(lh.json.shardCount).to.equal(3);
    expect(lh.json.manifestCid).to.equal(local.json.manifestCid);
    expect(lh.json.indexCid).to.equal(local.json.indexCid);
    const localObjects = readdirSync(join(home("local"), "ipfs")).sort();
    expect(localObjects).to.have.length(5);
    expect(standin.uploads().length - before).to.equal(5);
    expect(journalCids(home("lh")).sort()).to.deep.equal(localObjects);
    for (const cid of localObjects) expect(await standin.store.has(cid), cid).to.equal(true);
  });

  it("resumes an interrupted mint: the re-run uploads only what is missing and mints once", async () => {
    const h = home("resume");
    const minted = async () => (await registry.totalMinted()) as bigint;
    const total0 = await minted();
    // A roomier inactivity timeout than the shared 2 s: on a loaded machine a 2 MiB shard upload could time out
    // and take a fault meant for another attempt, so the run would fail for another reason than the one staged.
    const config = standin.writeProjectConfig(join(work, "resume-config.json"), { timeoutMs: 30_000 });
    const mint = () =>
      runCli(["dataset", "mint", records, "--name", "Records", "--license", "CC0-1.0", "--storage", "lighthouse"], {
        ...env,
        PROVENANT_CONFIG: config,
        PROVENANT_HOME: h,
      });

    // Lighthouse accepts two objects, then fails for good: the run stops before minting.
    standin.failNext("upload", { kind: "pass" }, 2);
    standin.failNext("upload", { kind: "status", status: 500 }, 3);
    const first = await mint();
    expectOneLineError(first, "STORAGE_UNREACHABLE", /HTTP 500.*gave up after 3 attempts/);
    expect(await minted()).to.equal(total0);
    const confirmed = journalCids(h);
    expect(confirmed).to.have.length(2);
    expect(readdirSync(join(h, "ipfs")), "nothing local is lost").to.have.length(3);

    standin.clearFaults();
    const before = standin.uploads().length;
    const second = await mint();
    expect(second.code, second.stderr).to.equal(0);
    expect(second.json.existing).to.equal(false);
    const resumed = standin.uploads().slice(before);
    expect(resumed).to.have.length(3);
    expect(journalCids(h)).to.have.length(5);
    const reuploaded = new Set(resumed.map((r) => r.part!.bytes.toString("hex")));
    for (const cid of confirmed) expect(reuploaded.has(readFileSync(join(h, "ipfs", cid)).toString("hex")), cid).to.equal(false);
    expect(await minted()).to.equal(total0 + 1n);

    const third = await mint();
    expect(third.code, third.stderr).to.equal(0);
    expect(third.json).to.include({ existing: true, datasetId: second.json.datasetId });
    expect(standin.uploads().length - before).to.equal(3);
    expect(await minted()).to.equal(total0 + 1n);

    // The same dataset minted with the local store: the same manifest CID, and the token already holds it.
    const local = await runCli(["dataset", "mint", records, "--name", "Records", "--license", "CC0-1.0", "--storage", "local"], {
      ...env,
      PROVENANT_HOME: home("resume-local"),
    });
    expect(local.code, local.stderr).to.equal(0);
    expect(local.json).to.include({ existing: true, datasetId: second.json.datasetId, manifestCid: second.json.manifestCid, indexCid: second.json.indexCid });
    expect((await registry.datasetOf(BigInt(second.json.datasetId))).manifestCid).to.equal(second.json.manifestCid);
  });

  it("proves a sample on a machine with an empty store, reading the dataset through the gateway", async () => {
    const minted = await runCli(["dataset", "mint", records, "--name", "Records", "--license", "CC0-1.0", "--storage", "lighthouse"], {
      ...env,
      PROVENANT_HOME: home("resume"),
    });
    const before = standin.requests.filter((r) => r.route === "gateway").length;
    const r = await runCli(["prove", "--text", '{"id":4242}', "--dataset", minted.json.datasetId, "--storage", "lighthouse"], { ...env, PROVENANT_HOME: home("reader") });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json.kind).to.equal("inclusion");
    expect(r.json.verdict.onChain).to.equal(true);
    expect(standin.requests.filter((q) => q.route === "gateway").length - before).to.equal(3);
  });

  it("shows the Filecoin deals and the PoDSI behind a CID", async () => {
    const h = home("resume");
    const [cid] = journalCids(h);
    const none = await runCli(["storage", "status", cid], { ...env, PROVENANT_HOME: h });
    expect(none.code, none.stderr).to.equal(0);
    expect(none.json).to.deep.include({ ok: true, cid, local: true, deals: [], onChainDeals: 0, sealed: false, podsi: null });
    const noneText = await runCli(["storage", "status", cid], { ...env, PROVENANT_HOME: h }, { json: false });
    expect(noneText.stdout).to.match(/deals\s+none yet/);
    expect(noneText.stdout).to.match(/PoDSI\s+none yet on mainnet/);

    standin.deals.set(cid, sampleDeals(cid));
    standin.proofs.set(cid, samplePodsi());
    const r = await runCli(["storage", "status", cid], { ...env, PROVENANT_HOME: h });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json).to.deep.include({ onChainDeals: 2, sealed: true });
    expect(r.json.uploaded.cid).to.equal(cid);
    expect(r.json.deals.map((d: { chainDealId: number }) => d.chainDealId)).to.deep.equal([74606268, 75486682]);
    expect(r.json.podsi.deals[0]).to.deep.include({ dealId: 180313, storageProvider: "17840" });
    const text = await runCli(["storage", "status", cid], { ...env, PROVENANT_HOME: h }, { json: false });
    expect(text.stdout).to.match(/deals\s+2 \(2 published on chain, sealed and proving\)/);
    expect(text.stdout).to.match(/f01771403\s+deal 74606268\s+Sealing: Proving\s+epochs 3714464-4232864/);
    expect(text.stdout).to.match(/PoDSI\s+piece baga6ea4\w+ in deal 180313 with provider 17840: index ffe08, 3-node path/);
  });

  describe("failures: one clear line, exit 1, nothing local lost", () => {
    const hashSmall = (name: string, extra: Record<string, string> = {}) =>
      runCli(["dataset", "hash", small, "--storage", "lighthouse"], { ...env, PROVENANT_HOME: home(name), ...extra });

    it("a bad key (401), asked once", async () => {
      const before = standin.uploads().length;
      const r = await hashSmall("bad-key", { LIGHTHOUSE_API_KEY: "not-the-key" });
      expectOneLineError(r, "STORAGE_AUTH", /Lighthouse refused the API key .*HTTP 401/);
      expect(standin.uploads().length - before).to.equal(1);
      expect(readdirSync(join(home("bad-key"), "ipfs"))).to.have.length(1);
    });

    it("server errors", async () => {
      standin.failNext("upload", { kind: "status", status: 503 }, 3);
      expectOneLineError(await hashSmall("server-error"), "STORAGE_UNREACHABLE", /HTTP 503.*gave up after 3 attempts/);
    });

    it("a server that never answers", async () => {
      standin.failNext("upload", { kind: "hang" }, 3);
      expectOneLineError(await hashSmall("timeout"), "STORAGE_UNREACHABLE", /no answer from 127\.0\.0\.1:\d+ within 2 s; gave up after 3 attempts/);
    });

    it("an answer cut short", async () => {
      standin.failNext("upload", { kind: "truncate" }, 3);
      expectOneLineError(await hashSmall("truncated"), "STORAGE_UNREACHABLE", /cut its answer short .*gave up after 3 attempts/);
    });

    it("deal status that keeps failing", async () => {
      standin.failNext("deals", { kind: "status", status: 500 }, 3);
      const [cid] = journalCids(home("resume"));
      expectOneLineError(await runCli(["storage", "status", cid], { ...env, PROVENANT_HOME: home("resume") }), "STORAGE_UNREACHABLE", /deal status .*HTTP 500/);
    });

    it("no API key anywhere", async () => {
      expectOneLineError(
        await hashSmall("no-key", { LIGHTHOUSE_API_KEY: "" }),
        "STORAGE_AUTH",
        /no Lighthouse API key: set LIGHTHOUSE_API_KEY, or .*hardhat keystore set/,
      );
    });

    it("a project config with an unknown key", async () => {
      const bad = join(work, "bad.config.json");
      writeFileSync(bad, JSON.stringify({ format: "provenant-config-v1", lighthose: {} }));
      expectOneLineError(await hashSmall("bad-config", { PROVENANT_CONFIG: bad }), "CONFIG_INVALID", /unknown key "lighthose"/);
    });
  });

  it("uses the project config's storage when --storage is not given, and --storage local overrides it", async () => {
    const config = standin.writeProjectConfig(join(work, "default-lighthouse.json"), {}, "lighthouse");
    const e = { ...env, PROVENANT_CONFIG: config };
    let before = standin.uploads().length;
    const r = await runCli(["dataset", "hash", small], { ...e, PROVENANT_HOME: home("default-lh") });
    expect(r.code, r.stderr).to.equal(0);
    expect(standin.uploads().length - before).to.equal(3);
    before = standin.uploads().length;
    const l = await runCli(["dataset", "hash", small, "--storage", "local"], { ...e, PROVENANT_HOME: home("default-local") });
    expect(l.code, l.stderr).to.equal(0);
    expect(standin.uploads().length - before).to.equal(0);
  });

  it("reads the API key from Hardhat's development keystore when LIGHTHOUSE_API_KEY is unset", async () => {
    const xdg = join(work, "xdg-dev");
    mkdirSync(xdg);
    const set = execFile(join(REPO, "node_modules", ".bin", "hardhat"), ["keystore", "set", "LIGHTHOUSE_API_KEY", "--dev"], {
      cwd: REPO,
      env: { ...process.env, XDG_CONFIG_HOME: xdg },
    });
    set.stdin!.end(`${standin.apiKey}\n`);
    await new Promise((r) => set.on("exit", r));
    expect(existsSync(join(xdg, "hardhat-nodejs", "dev.keystore.json"))).to.equal(true);
    const before = standin.uploads().length;
    const r = await runCli(["dataset", "hash", small, "--storage", "lighthouse"], {
      ...env,
      LIGHTHOUSE_API_KEY: "",
      XDG_CONFIG_HOME: xdg,
      PROVENANT_HOME: home("keystore"),
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(standin.uploads().length - before).to.equal(3);
    expect(standin.uploads().at(-1)!.authorization).to.equal(`Bearer ${standin.apiKey}`);
  });
});
