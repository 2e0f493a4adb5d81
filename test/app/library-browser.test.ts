import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashNodesInto as browserHashNodes } from "../../core/merkle/hash-nodes.browser.ts";
import { cryptoHashNodesInto } from "../../core/merkle/hash-nodes.ts";
import { rootOf } from "../../core/merkle/tree.ts";
import { sortUniqueHashes } from "../../core/dataset/sort-unique.ts";
import { commitSamples, storeCommitment } from "../../core/dataset/commit.ts";
import { DatasetProver, verifyProof } from "../../core/dataset/prover.ts";
import { proofToJson } from "../../core/dataset/proof-file.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { startGateway, type Gateway } from "../../core/storage/gateway-server.ts";
import { compareBytes, hexToBytes, parseHex32, toHex } from "../../core/hex.ts";
import { ProvenantError } from "../../core/errors.ts";
import { shardedRoot } from "../../core/dataset/sharded-root.ts";
import { GatewayStore } from "../../core/storage/gateway-client.ts";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest();

function synthetic(count: number, seed = "s"): Uint8Array {
  const out = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) out.set(sha(`${seed}${i}`), i * 32);
  return out;
}

describe("the library in the browser: the same answers without Node", function () {
  this.timeout(60_000);

  it("hashes 64-byte nodes in plain JavaScript exactly as node:crypto does", () => {
    for (const count of [0, 1, 2, 3, 1000]) {
      const input = randomBytes(64 * count);
      const a = new Uint8Array(32 * count);
      const b = new Uint8Array(32 * count);
      browserHashNodes(input, a);
      cryptoHashNodesInto(input, b);
      expect(Buffer.from(a).equals(Buffer.from(b)), `count ${count}`).to.equal(true);
    }
    const zeros = new Uint8Array(64);
    const out = new Uint8Array(32);
    browserHashNodes(zeros, out);
    expect(Buffer.from(out).toString("hex")).to.equal(sha(zeros).toString("hex"));
  });

  it("sorts and de-duplicates leaves as a plain sort does, also when many share their first bytes (the browser's hash worker runs sort-unique.ts)", () => {
    const raw = synthetic(20_000);
    // Duplicates, and hashes that differ only in their last byte inside one bucket.
    const extra = new Uint8Array(32 * 300);
    for (let i = 0; i < 300; i++) {
      const h = raw.slice((i % 50) * 32, (i % 50) * 32 + 32);
      if (i % 3 === 0) h[31] ^= i;
      extra.set(h, i * 32);
    }
    const all = new Uint8Array(raw.length + extra.length);
    all.set(raw);
    all.set(extra, raw.length);
    const plain = [...new Set(Array.from({ length: all.length / 32 }, (_, i) => Buffer.from(all.subarray(i * 32, i * 32 + 32)).toString("hex")))].sort();
    expect(Buffer.from(sortUniqueHashes(all)).equals(Buffer.from(plain.join(""), "hex"))).to.equal(true);
  });

  it("builds the root shard by shard as the library does over all leaves", () => {
    for (const n of [1, 2, 3, 65_536, 65_537, 140_001]) {
      const leaves = sortUniqueHashes(synthetic(n, `r${n}`));
      expect(toHex(shardedRoot(leaves).root), `n=${n}`).to.equal(toHex(rootOf(leaves)));
    }
  });

  it("reads hex and compares bytes without Buffer", () => {
    const h = toHex(sha("x"));
    expect(toHex(parseHex32(h.toUpperCase().replace("0X", "0x"), "h"))).to.equal(h);
    expect(() => hexToBytes("0xzz")).to.throw(ProvenantError, /not an even-length hex string/);
    expect(() => hexToBytes("abc")).to.throw(ProvenantError, /not an even-length hex string/);
    expect(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).to.be.below(0);
    expect(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).to.equal(0);
    expect(() => parseHex32("0x12", "the hash")).to.throw(ProvenantError, /the hash must be/);
  });

  describe("GatewayStore", () => {
    let dir: string;
    let store: LocalStore;
    let gw: Gateway;
    let liar: Server;
    let liarUrl: string;
    let manifestCid: string;
    const leaves = synthetic(70_000, "g");

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "provenant-gwstore-"));
      store = new LocalStore(dir);
      gw = await startGateway(store, { port: 0 });
      const c = commitSamples({ encoding: "jsonl", hashes: leaves, total: 70_000, skipped: { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 }, bytes: 0 });
      manifestCid = (await storeCommitment(c, store, { name: "gateway test" })).manifestCid;
      // A gateway that answers every CID with the wrong bytes.
      liar = createServer((_req, res) => res.end("not what you asked for"));
      await new Promise<void>((r) => liar.listen(0, "127.0.0.1", () => r()));
      liarUrl = `http://127.0.0.1:${(liar.address() as { port: number }).port}`;
    });
    after(async () => {
      await gw.close();
      await new Promise((r) => liar.close(r));
      rmSync(dir, { recursive: true, force: true });
    });

    it("gives the prover the same proofs over HTTP as over the local store, reading the index and one shard", async () => {
      const overHttp = new GatewayStore(gw.url);
      const a = await DatasetProver.open(overHttp, manifestCid);
      const b = await DatasetProver.open(store, manifestCid);
      for (const x of [leaves.subarray(5 * 32, 6 * 32), sha("absent"), leaves.subarray(69_999 * 32)]) {
        const pa = await a.prove(x);
        const pb = await b.prove(x);
        expect(verifyProof(pa)).to.equal(true);
        expect(proofToJson(pa, "1")).to.deep.equal(proofToJson(pb, "1"));
      }
      expect(overHttp.stats.reads).to.be.within(3, 4); // manifest, index, one shard (two when a proof crosses)
    });

    it("names an unreachable gateway, a missing object and bytes that do not match their CID", async () => {
      const codeOf = async (p: Promise<unknown>) =>
        p.then(
          () => "ok",
          (e: ProvenantError) => e.code,
        );
      expect(await codeOf(new GatewayStore("http://127.0.0.1:9").get(manifestCid))).to.equal("STORAGE_UNREACHABLE");
      const elsewhere = await new LocalStore(mkdtempSync(join(tmpdir(), "provenant-gw-x-"))).put(new TextEncoder().encode("elsewhere"));
      expect(await codeOf(new GatewayStore(gw.url).get(elsewhere))).to.equal("STORAGE_NOT_FOUND");
      expect(await codeOf(new GatewayStore(liarUrl).get(manifestCid))).to.equal("STORAGE_CORRUPT");
    });
  });
});
