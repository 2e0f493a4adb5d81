import { expect } from "chai";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Contract } from "ethers";
import { startTestChain, freePort, type LocalChain } from "../helpers/local-chain.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { manifestCidBytes } from "../../core/chain/manifest-cid.ts";
import { rootOf } from "../../core/merkle/tree.ts";
import { sortUniqueHashes } from "../../core/dataset/sort-unique.ts";
import { toHex } from "../../core/hex.ts";
import { datasetRegistryAbi } from "../../core/chain/abi.generated.ts";
import { deployedAddress } from "../../core/chain/deployments.ts";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest();

/** A small dataset of files, with a hidden file, a symlink and a duplicate that must not count as samples. */
function makeFilesDataset(dir: string, count: number): Buffer[] {
  mkdirSync(join(dir, "sub"), { recursive: true });
  const contents: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const b = Buffer.from(`sample number ${i}\n`);
    writeFileSync(join(dir, i % 2 ? "sub" : ".", `s${i}.txt`), b);
    contents.push(b);
  }
  writeFileSync(join(dir, "dup.txt"), contents[0]);
  writeFileSync(join(dir, ".hidden"), "not a sample");
  symlinkSync(join(dir, "s0.txt"), join(dir, "link.txt"));
  return contents;
}

/** Lists every object in the store with its bytes' hash, to show failures leave it unchanged. */
function snapshot(home: string): string[] {
  const dir = join(home, "ipfs");
  return readdirSync(dir)
    .sort()
    .map((f) => `${f}:${sha(readFileSync(join(dir, f))).toString("hex")}`);
}

describe("provenant CLI: datasets end to end on a local chain", function () {
  this.timeout(180_000);
  let chain: LocalChain;
  let work: string;
  let env: Record<string, string>;
  let datasetDir: string;
  let contents: Buffer[];
  let datasetId: string;

  before(async () => {
    chain = await startTestChain("cli");
    work = mkdtempSync(join(tmpdir(), "provenant-cli-"));
    env = { ...chain.env, PROVENANT_HOME: join(work, "home") };
    datasetDir = join(work, "files");
    contents = makeFilesDataset(datasetDir, 300);
  });

  after(async () => {
    await chain?.stop();
    rmSync(join(process.cwd(), "ignition", "deployments", chain?.deploymentId ?? "none"), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("hashes a directory: distinct sorted leaves, skipped entries counted, the same root as the library", async () => {
    const r = await runCli(["dataset", "hash", datasetDir], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json.totalSamples).to.equal(301);
    expect(r.json.n).to.equal(300);
    expect(r.json.duplicateSamples).to.equal(1);
    expect(r.json.skipped).to.deep.include({ hidden: 1, symlinks: 1 });
    expect(r.json.skippedEntries).to.deep.equal([
      { path: ".hidden", reason: "hidden" },
      { path: "link.txt", reason: "symlink" },
    ]);
    const leaves = sortUniqueHashes(Buffer.concat(contents.map((c) => sha(c))));
    expect(r.json.root).to.equal(toHex(rootOf(leaves)));
  });

  it("mints once, and a second mint of the same root by the same publisher returns the same token", async () => {
    const first = await runCli(["dataset", "mint", datasetDir, "--name", "Test set", "--license", "CC0-1.0"], env);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.json.existing).to.equal(false);
    datasetId = first.json.datasetId;
    const again = await runCli(["dataset", "mint", datasetDir, "--name", "Test set", "--license", "CC0-1.0"], env);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.json).to.include({ existing: true, datasetId, txHash: null });
    const relicensed = await runCli(["dataset", "mint", datasetDir, "--name", "Test set", "--license", "MIT"], env);
    expect(relicensed.code).to.equal(1);
    expect(relicensed.json.error.code).to.equal("MINT_CONFLICT");
    expect(relicensed.stderr).to.match(new RegExp(`as dataset #${datasetId} with other fields`));
  });

  it("proves a member file in and a non-member out, both accepted by the contract, in three reads", async () => {
    const inc = await runCli(["prove", join(datasetDir, "sub", "s7.txt"), "--dataset", datasetId], env);
    expect(inc.code, inc.stderr).to.equal(0);
    expect(inc.json).to.include({ format: "provenant-proof-v1", kind: "inclusion", datasetId });
    expect(inc.json.sampleHash).to.equal(toHex(sha(contents[7])));
    expect(inc.json.verdict.onChain).to.equal(true);
    expect(inc.json.reads).to.equal(3);

    const exc = await runCli(["prove", "--text", "never seen", "--dataset", datasetId], env);
    expect(exc.code, exc.stderr).to.equal(0);
    expect(exc.json.kind).to.equal("exclusion");
    expect(exc.json.x).to.equal(toHex(sha("never seen")));
    expect(exc.json.verdict.onChain).to.equal(true);
  });

  it("takes --hash as sha256sum prints it (bare hex, a file name after) as well as 0x-hex, and names the flag otherwise", async () => {
    const hex = toHex(sha(contents[7])).slice(2);
    for (const given of [`0x${hex}`, hex.toUpperCase(), `  ${hex}  sub/s7.txt\n`]) {
      const r = await runCli(["prove", "--hash", given, "--dataset", datasetId], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.json).to.include({ kind: "inclusion", sampleHash: `0x${hex}` });
    }
    const bad = await runCli(["prove", "--hash", hex.slice(1), "--dataset", datasetId], env);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/--hash must be a SHA-256: 64 hex digits, with or without 0x/);
  });

  it("re-checks a saved proof, and rejects it once a sibling, the leaf or the index is tampered with", async () => {
    const file = join(work, "proof.json");
    const made = await runCli(["prove", join(datasetDir, "s0.txt"), "--dataset", datasetId, "--out", file], env);
    expect(made.code, made.stderr).to.equal(0);
    const ok = await runCli(["verify-proof", file, "--dataset", datasetId], env);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.json).to.include({ ok: true, local: true, onChain: true });

    const proof = JSON.parse(readFileSync(file, "utf8"));
    const flip = (h: string) => `${h.slice(0, -1)}${h.endsWith("0") ? "1" : "0"}`;
    const tampers = [
      { ...proof, siblings: [flip(proof.siblings[0]), ...proof.siblings.slice(1)] },
      { ...proof, sampleHash: flip(proof.sampleHash) },
      { ...proof, index: (proof.index + 1) % proof.n },
      { ...proof, siblings: proof.siblings.slice(1) },
    ];
    for (const t of tampers) {
      writeFileSync(file, JSON.stringify(t));
      const bad = await runCli(["verify-proof", file, "--dataset", datasetId], env);
      expect(bad.code).to.equal(1);
      expect(bad.json).to.include({ ok: false, local: false, onChain: false });
    }
  });

  it("mints a dataset combined from parts by its manifest CID: the root of the whole set, so the same token", async () => {
    const parts = [0, 1].map((i) => join(work, `part-${i}`));
    for (const [i, out] of parts.entries()) {
      const r = await runCli(["dataset", "hash", datasetDir, "--part", `${i}/2`, "--out", out], { ...env, PROVENANT_UNIT_FILES: "50" });
      expect(r.code, r.stderr).to.equal(0);
    }
    const combined = await runCli(["dataset", "combine", ...parts], { ...env, PROVENANT_UNIT_FILES: "50" });
    expect(combined.code, combined.stderr).to.equal(0);
    const minted = await runCli(["dataset", "mint", "--manifest", combined.json.manifestCid, "--name", "Test set", "--license", "CC0-1.0", "--network", "localhost"], {
      ...env,
      PROVENANT_DEPLOYMENT_ID: chain.deploymentId,
    });
    expect(minted.code, minted.stderr).to.equal(0);
    // Same samples and metadata as the set minted whole: the same manifest, so the same publisher gets the same token back.
    expect(minted.json).to.include({ root: combined.json.root, existing: true, datasetId });
    // The same root under another name would be a different record: refused, naming the token that keeps the old one.
    const renamed = await runCli(["dataset", "mint", "--manifest", combined.json.manifestCid, "--name", "Combined", "--license", "CC0-1.0"], env);
    expect(renamed.code).to.equal(1);
    expect(renamed.json.error.code).to.equal("MINT_CONFLICT");
    expect(renamed.stderr).to.match(new RegExp(`already minted root 0x[0-9a-f]{64} as dataset #${datasetId} with other fields`));
    expect(renamed.stderr.trim().split("\n")).to.have.length(1);
    const both = await runCli(["dataset", "mint", datasetDir, "--manifest", combined.json.manifestCid, "--name", "x", "--license", "CC0-1.0"], env);
    expect(both.json.error.message).to.match(/either a dataset path or --manifest/);
  });

  it("mints a folder whose names are not UTF-8: every file a sample, the odd one proven in, skipped entries listed", async () => {
    const dir = join(work, "odd-names");
    mkdirSync(dir);
    const named = (...bytes: number[]) => Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(bytes)]);
    writeFileSync(named(0x61, 0xef, 0xbf, 0xbd), "look-alike"); // "a\uFFFD", what a+0xFF decodes to
    writeFileSync(named(0x61, 0xff), "odd");
    symlinkSync("a\uFFFD", named(0x6c, 0xfe));
    const text = await runCli(["dataset", "hash", dir], env);
    expect(text.json).to.include({ n: 2, totalSamples: 2, duplicateSamples: 0 });
    expect(text.json.skippedEntries).to.deep.equal([{ path: "l%FE", reason: "symlink" }]);
    const minted = await runCli(["dataset", "mint", dir, "--name", "Odd names", "--license", "CC0-1.0"], env);
    expect(minted.code, minted.stderr).to.equal(0);
    const copy = join(work, "odd-copy.bin");
    writeFileSync(copy, "odd");
    const proof = await runCli(["prove", copy, "--dataset", minted.json.datasetId], env);
    expect(proof.code, proof.stderr).to.equal(0);
    expect(proof.json).to.include({ kind: "inclusion" });
    expect(proof.json.verdict.onChain).to.equal(true);
    // The human output names each skipped entry, in text form.
    const human = (await runCli(["dataset", "hash", dir], env, { json: false })).stdout;
    expect(human).to.match(/not samples \(1;.*\n\s+symlink\s+l%FE\n/);
  });

  it("refuses a proof made for another dataset with one clear line", async () => {
    const other = join(work, "other");
    mkdirSync(other);
    writeFileSync(join(other, "a.txt"), "a");
    const minted = await runCli(["dataset", "mint", other, "--name", "Other", "--license", "CC0-1.0"], env);
    expect(minted.code, minted.stderr).to.equal(0);
    const file = join(work, "proof-other.json");
    await runCli(["prove", join(datasetDir, "s0.txt"), "--dataset", datasetId, "--out", file], env);
    const r = await runCli(["verify-proof", file, "--dataset", minted.json.datasetId], env);
    expect(r.code).to.equal(1);
    expect(r.json.error.code).to.equal("PROOF_WRONG_DATASET");
    const relabelled = { ...JSON.parse(readFileSync(file, "utf8")), datasetId: minted.json.datasetId };
    writeFileSync(file, JSON.stringify(relabelled));
    const r2 = await runCli(["verify-proof", file, "--dataset", minted.json.datasetId], env);
    expect(r2.json.error.code).to.equal("PROOF_WRONG_DATASET");
    expect(r2.stderr.trim().split("\n")).to.have.length(1);
  });

  describe("bad input: one clear line, a non-zero exit, nothing stored changes", () => {
    let before: string[];
    beforeEach(() => {
      before = snapshot(env.PROVENANT_HOME);
    });
    afterEach(() => {
      expect(snapshot(env.PROVENANT_HOME)).to.deep.equal(before);
    });

    const expectError = (r: Awaited<ReturnType<typeof runCli>>, code: string, words: RegExp) => {
      expect(r.code).to.equal(1);
      expect(r.json, r.stdout).to.deep.include({ ok: false });
      expect(r.json.error.code).to.equal(code);
      expect(r.stderr).to.match(words);
      expect(r.stderr.trim().split("\n"), r.stderr).to.have.length(1);
      expect(r.stderr).to.not.match(/\n\s+at /);
    };

    it("names a missing path", async () => {
      expectError(await runCli(["dataset", "hash", join(work, "nope")], env), "INPUT_NOT_FOUND", /nope does not exist/);
    });

    it("refuses an empty dataset", async () => {
      const empty = join(work, "empty");
      mkdirSync(empty, { recursive: true });
      writeFileSync(join(empty, ".only-hidden"), "x");
      expectError(await runCli(["dataset", "hash", empty], env), "DATASET_EMPTY", /no samples/);
      const emptyJsonl = join(work, "empty.jsonl");
      writeFileSync(emptyJsonl, "\n\r\n\n");
      expectError(await runCli(["dataset", "hash", emptyJsonl], env), "DATASET_EMPTY", /no samples/);
    });

    it("names an unreadable file", async () => {
      const dir = join(work, "locked");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "ok.txt"), "fine");
      writeFileSync(join(dir, "secret.txt"), "locked");
      chmodSync(join(dir, "secret.txt"), 0o000);
      const r = await runCli(["dataset", "hash", dir], env, { withoutRootFileAccess: process.getuid?.() === 0 });
      expectError(r, "INPUT_UNREADABLE", /secret\.txt/);
    });

    it("cannot guess an encoding and says how to give one", async () => {
      const f = join(work, "data.bin");
      writeFileSync(f, "x");
      expectError(await runCli(["dataset", "hash", f], env), "FORMAT_UNSUPPORTED", /--format/);
    });

    it("names a token that does not exist", async () => {
      expectError(await runCli(["prove", "--text", "x", "--dataset", "999"], env), "TOKEN_NOT_FOUND", /#999 does not exist/);
    });

    it("says no chain is running", async () => {
      const dead = `http://127.0.0.1:${await freePort()}`;
      expectError(await runCli(["prove", "--text", "x", "--dataset", "1"], { ...env, PROVENANT_RPC_URL: dead }), "CHAIN_UNREACHABLE", /no chain answers/);
    });

    it("refuses a saved proof that is not a proof file", async () => {
      const f = join(work, "notproof.json");
      writeFileSync(f, JSON.stringify({ format: "something-else" }));
      expectError(await runCli(["verify-proof", f, "--dataset", datasetId], env), "PROOF_INVALID", /format/);
    });
  });

  describe("a dataset whose stored commitment does not match", () => {
    let registry: Contract;
    let store: LocalStore;
    before(async () => {
      const provider = new JsonRpcProvider(chain.url);
      const signer = await provider.getSigner(1);
      process.env.PROVENANT_DEPLOYMENT_ID = chain.deploymentId;
      registry = new Contract(deployedAddress(31337, "DatasetRegistry"), datasetRegistryAbi as never, signer);
      delete process.env.PROVENANT_DEPLOYMENT_ID;
      store = new LocalStore(env.PROVENANT_HOME);
    });

    async function mintRaw(root: string, n: number, manifestCid: string): Promise<string> {
      const tx = await registry.mint({ root, n, totalSamples: n, previousVersion: 0, encoding: "files", manifestCid: manifestCidBytes(manifestCid), license: "CC0-1.0" });
      const receipt = await tx.wait();
      return registry.interface.parseLog(receipt.logs.find((l: any) => registry.interface.parseLog(l)?.name === "DatasetMinted"))!.args.id.toString();
    }

    it("refuses a manifest of another format or version", async () => {
      const manifest = JSON.parse(readFileSync(join(work, "home", "ipfs", (await runCli(["dataset", "hash", datasetDir], env)).json.manifestCid), "utf8"));
      const cid = await store.put(Buffer.from(JSON.stringify({ ...manifest, format: "provenant-dataset-v2" })));
      const id = await mintRaw(manifest.root, manifest.n, cid);
      const r = await runCli(["prove", "--text", "x", "--dataset", id], env);
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("MANIFEST_INVALID");
      expect(r.stderr).to.match(/provenant-dataset-v2/);
    });

    it("refuses a manifest whose root is not the one on-chain", async () => {
      const hashed = await runCli(["dataset", "hash", datasetDir], env);
      const id = await mintRaw(toHex(sha("another root")), hashed.json.n, hashed.json.manifestCid);
      const r = await runCli(["prove", join(datasetDir, "s0.txt"), "--dataset", id], env);
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("ROOT_MISMATCH");
    });

    it("refuses a tree whose root does not match its manifest", async () => {
      const hashed = await runCli(["dataset", "hash", datasetDir], env);
      const manifest = JSON.parse(readFileSync(join(work, "home", "ipfs", hashed.json.manifestCid), "utf8"));
      const wrongRoot = toHex(sha("not the tree's root"));
      const cid = await store.put(Buffer.from(JSON.stringify({ ...manifest, root: wrongRoot })));
      const id = await mintRaw(wrongRoot, manifest.n, cid);
      const r = await runCli(["prove", join(datasetDir, "s0.txt"), "--dataset", id], env);
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("ROOT_MISMATCH");
    });

    it("reports a stored object changed on disk instead of using it, and a later store repairs it", async () => {
      const minted = await runCli(["dataset", "mint", join(work, "other"), "--name", "Other", "--license", "CC0-1.0"], env);
      const path = join(work, "home", "ipfs", minted.json.indexCid);
      const original = readFileSync(path);
      const changed = Buffer.from(original);
      changed[70] ^= 1;
      writeFileSync(path, changed);
      const r = await runCli(["prove", "--text", "a", "--dataset", minted.json.datasetId], env);
      expect(r.code).to.equal(1);
      expect(r.json.error.code).to.equal("STORAGE_CORRUPT");
      await runCli(["dataset", "hash", join(work, "other")], env);
      expect(readFileSync(path).equals(original)).to.equal(true);
      const ok = await runCli(["prove", "--text", "a", "--dataset", minted.json.datasetId], env);
      expect(ok.code, ok.stderr).to.equal(0);
    });
  });
});
