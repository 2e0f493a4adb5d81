import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { GatewayStore } from "../../core/storage/gateway-client.ts";
import { commitSamples, storeCommitment } from "../../core/dataset/commit.ts";
import { MAX_DATASET_MANIFEST_BYTES, readDatasetManifest } from "../../core/dataset/manifest.ts";
import { DatasetProver } from "../../core/dataset/prover.ts";
import { isProvenantError } from "../../core/errors.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { cidOf } from "../../core/storage/cid.ts";

/**
 * A gateway that sends more than the object asked for can be: readers must not hold it. The hostile gateway
 * serves a real dataset from a local store, except for the CIDs it is told to bloat, for which it sends 64 MiB,
 * announced in Content-Length or chunked without one, and counts what it managed to send.
 */
const MiB = 1024 * 1024;
const BLOAT = 64 * MiB;

interface Hostile {
  url: string;
  server: Server;
  /** Body bytes written for bloated CIDs. */
  sent: number;
  bloat: Map<string, "declared" | "chunked">;
}

function startHostileGateway(store: LocalStore): Promise<Hostile> {
  const h: Hostile = { url: "", server: null as unknown as Server, sent: 0, bloat: new Map() };
  h.server = createServer(async (req, res) => {
    const cid = /^\/ipfs\/([A-Za-z0-9]+)$/.exec(req.url ?? "")?.[1] ?? "";
    const mode = h.bloat.get(cid);
    if (!mode) {
      try {
        const bytes = await store.get(cid);
        return void res.writeHead(200, { "content-length": bytes.length }).end(bytes);
      } catch {
        return void res.writeHead(404).end();
      }
    }
    res.writeHead(200, mode === "declared" ? { "content-length": BLOAT } : {});
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const pump = () => {
      while (h.sent < BLOAT && !res.destroyed) {
        h.sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    res.on("close", () => res.destroy());
    pump();
  });
  return new Promise((resolve) =>
    h.server.listen(0, "127.0.0.1", () => {
      h.url = `http://127.0.0.1:${(h.server.address() as { port: number }).port}`;
      resolve(h);
    }),
  );
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!isProvenantError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error("the read succeeded");
}

describe("reads from a gateway are capped at what the object can be", function () {
  this.timeout(60_000);
  let dir: string;
  let store: LocalStore;
  let gateway: Hostile;
  let stored: Awaited<ReturnType<typeof storeCommitment>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "provenant-gateway-limits-"));
    store = new LocalStore(dir);
    const leaves = Buffer.concat(["a", "b", "c", "d"].map((s) => createHash("sha256").update(s).digest()).sort(Buffer.compare));
    const c = commitSamples({ encoding: "jsonl", hashes: leaves, total: 4, skipped: { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 }, bytes: 4 });
    stored = await storeCommitment(c, store, { name: "four", description: "", license: "CC0-1.0", previousVersion: null });
    gateway = await startHostileGateway(store);
  });

  beforeEach(() => {
    gateway.sent = 0;
    gateway.bloat.clear();
  });

  after(async () => {
    await new Promise((r) => gateway?.server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of ["declared", "chunked"] as const) {
    it(`refuses a manifest of 64 MiB (${mode === "declared" ? "announced in Content-Length" : "chunked, no length"}) after at most a few MiB, naming it`, async () => {
      gateway.bloat.set(stored.manifestCid, mode);
      const r = await refusal(readDatasetManifest(new GatewayStore(gateway.url), stored.manifestCid));
      expect(gateway.sent, `the gateway sent ${(gateway.sent / MiB).toFixed(1)} MiB`).to.be.below(MAX_DATASET_MANIFEST_BYTES + 8 * MiB);
      expect(r.code).to.equal("STORAGE_CORRUPT");
      expect(r.message)
        .to.contain(stored.manifestCid)
        .and.to.contain("dataset manifest")
        .and.to.match(/more than/);
    });
  }

  it("refuses a shard index and a shard longer than their exact sizes", async () => {
    gateway.bloat.set(stored.indexCid, "chunked");
    const index = await refusal(DatasetProver.open(new GatewayStore(gateway.url), stored.manifestCid));
    expect(gateway.sent, `the gateway sent ${(gateway.sent / MiB).toFixed(1)} MiB`).to.be.below(8 * MiB);
    expect(index.message).to.contain(stored.indexCid).and.to.contain("shard index of 1 shard(s)");

    gateway.bloat.clear();
    gateway.sent = 0;
    gateway.bloat.set(stored.shardCids[0], "declared");
    const prover = await DatasetProver.open(new GatewayStore(gateway.url), stored.manifestCid);
    const shard = await refusal(prover.leafProof(0));
    expect(gateway.sent, `the gateway sent ${(gateway.sent / MiB).toFixed(1)} MiB`).to.be.below(8 * MiB);
    expect(shard.message).to.contain(stored.shardCids[0]).and.to.contain("shard of 4 leaves");
  });

  it("still reads the real objects through the same gateway", async () => {
    const prover = await DatasetProver.open(new GatewayStore(gateway.url), stored.manifestCid);
    expect((await prover.leafProof(3)).index).to.equal(3);
  });

  it("refuses an oversized object in the local store without reading it", async () => {
    const big = new Uint8Array(MAX_DATASET_MANIFEST_BYTES + 1).fill(0x20);
    const cid = await cidOf(big);
    writeFileSync(join(dir, "ipfs", cid), big);
    const r = await refusal(readDatasetManifest(store, cid));
    expect(r.code).to.equal("STORAGE_CORRUPT");
    expect(r.message).to.contain("dataset manifest").and.to.contain("not read");
  });
});
