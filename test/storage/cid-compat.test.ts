import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { cidOf, useLeafDigest } from "../../core/storage/cid.ts";
import { nativeHasher } from "../../core/dataset/native.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { LighthouseStore } from "../../core/storage/lighthouse-store.ts";
import { CHUNK, kuboFileCid, startLighthouseStandin, type LighthouseStandin } from "./lighthouse-standin.ts";

describe("the same bytes get the same CID from the local store and from Lighthouse (Kubo's CIDv1 defaults)", function () {
  this.timeout(60_000);
  let standin: LighthouseStandin;
  let dir: string;
  before(async () => {
    standin = await startLighthouseStandin();
    dir = mkdtempSync(join(tmpdir(), "provenant-cid-"));
  });
  after(async () => {
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("matches Kubo's own published CID for `echo hello | ipfs add --cid-version 1`", async () => {
    // ipfs/kubo test/sharness/t0114-gateway-subdomains/README.md (ipfs 0.18.1): CIDv1 of "hello\n".
    const kubo = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am";
    const hello = new TextEncoder().encode("hello\n");
    expect(await cidOf(hello)).to.equal(kubo);
    expect(await kuboFileCid(hello)).to.equal(kubo);
  });

  it("names leaves like the importer's own hashing, with the native hasher's thread-pool digests too", async () => {
    const { importBytes } = await import("ipfs-unixfs-importer");
    const { fixedSize } = await import("ipfs-unixfs-importer/chunker");
    const { balanced } = await import("ipfs-unixfs-importer/layout");
    const kubo = {
      cidVersion: 1 as const,
      rawLeaves: true,
      chunker: fixedSize({ chunkSize: CHUNK }),
      layout: balanced({ maxChildrenPerNode: 174 }),
      reduceSingleLeafToSelf: true,
    };
    const native = nativeHasher();
    expect(native, "native/build/provenant_hash.node did not build: run npm run build:native").to.not.equal(null);
    for (const digest of [null, (chunk: Uint8Array) => native!.sha256(chunk, true)]) {
      useLeafDigest(digest);
      // One chunk, a 2 MiB shard, and 175 chunks and a bit: past one node's 174 links.
      for (const size of [CHUNK - 1, 2 << 20, 175 * CHUNK + 5]) {
        const bytes = randomBytes(size);
        const importers = (await importBytes(bytes, { put: async (cid: CID) => cid } as never, kubo)).cid.toString();
        expect(await cidOf(bytes), `${size} bytes, ${digest ? "native" : "multiformats"} digests`).to.equal(importers);
      }
    }
  });

  const cases = [
    { label: "an empty file", size: 0, codec: "raw" },
    { label: "a file under 256 KiB", size: 100_000, codec: "raw" },
    { label: "a file of exactly one 256 KiB chunk", size: CHUNK, codec: "raw" },
    { label: "a file one byte over 256 KiB", size: CHUNK + 1, codec: "dag-pb" },
    { label: "a 3 MiB file (13 chunks)", size: 3 * 1024 * 1024 + 7, codec: "dag-pb" },
  ];
  for (const c of cases) {
    it(`agrees for ${c.label}: local store, Lighthouse's answer, and Kubo's layout written out by hand`, async () => {
      const bytes = randomBytes(c.size);
      const local = await new LocalStore(dir).put(bytes);
      const lighthouse = await new LighthouseStore({
        dataDir: mkdtempSync(join(dir, "lh-")),
        endpoints: { api: standin.url, upload: standin.url, gateway: standin.url },
        apiKey: async () => standin.apiKey,
        timeoutMs: 5_000,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      }).put(bytes);
      // put() accepts an upload only when Lighthouse's answered CID equals the local one.
      expect(standin.uploads().at(-1)!.answered).to.equal(200);
      expect(lighthouse).to.equal(local);
      expect(await kuboFileCid(bytes)).to.equal(local);
      const cid = CID.parse(local);
      expect(cid.version).to.equal(1);
      expect(cid.code).to.equal(c.codec === "raw" ? 0x55 : 0x70);
    });
  }
});
