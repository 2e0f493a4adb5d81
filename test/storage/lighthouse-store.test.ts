import { expect } from "chai";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProvenantError, type ProvenantError } from "../../core/errors.ts";
import { cidOf } from "../../core/storage/cid.ts";
import { LighthouseStore } from "../../core/storage/lighthouse-store.ts";
import type { UploadProgress } from "../../core/storage/lighthouse-api.ts";
import { filecoinStatus } from "../../core/storage/filecoin-status.ts";
import { terminalUploadProgress } from "../../cli/upload-progress.ts";
import { backoffDelay } from "../../core/storage/retry.ts";
import { sampleDeals, samplePodsi, startLighthouseStandin, type LighthouseStandin } from "./lighthouse-standin.ts";

/** Awaits a rejection and returns it as a ProvenantError, failing the test on success or on any other error. */
async function rejection(p: Promise<unknown>): Promise<ProvenantError> {
  try {
    await p;
  } catch (e) {
    if (!isProvenantError(e)) throw e;
    return e;
  }
  throw new Error("expected a rejection");
}

const oneLine = (e: Error) => expect(e.message.includes("\n"), e.message).to.equal(false);

describe("the Lighthouse store against a local stand-in of Lighthouse's API", function () {
  this.timeout(60_000);
  let standin: LighthouseStandin;
  const dirs: string[] = [];

  const freshDir = () => {
    const d = mkdtempSync(join(tmpdir(), "provenant-lh-"));
    dirs.push(d);
    return d;
  };
  const makeStore = (dir = freshDir(), options: { key?: string; attempts?: number; timeoutMs?: number; onUploadProgress?: (p: UploadProgress) => void } = {}) =>
    new LighthouseStore({
      dataDir: dir,
      endpoints: { api: standin.url, upload: standin.url, gateway: standin.url },
      apiKey: async () => options.key ?? standin.apiKey,
      timeoutMs: options.timeoutMs ?? 500,
      retry: { attempts: options.attempts ?? 3, baseDelayMs: 10, maxDelayMs: 40 },
      onUploadProgress: options.onUploadProgress,
    });

  before(async () => {
    standin = await startLighthouseStandin();
  });
  afterEach(() => standin.clearFaults());
  after(async () => {
    await standin.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("uploads with the SDK's request shape and reads the bytes back by CID through the gateway into an empty data directory", async () => {
    const bytes = randomBytes(5000);
    const cid = await makeStore().put(bytes, { name: "manifest.json" });
    expect(cid).to.equal(await cidOf(bytes));
    const req = standin.uploads().at(-1)!;
    expect(req.method).to.equal("POST");
    expect(req.query).to.deep.equal({ "wrap-with-directory": "false", "cid-version": "1" });
    expect(req.authorization).to.equal(`Bearer ${standin.apiKey}`);
    expect(req.contentType).to.match(/^multipart\/form-data; boundary=----WebKitFormBoundary[0-9a-f]+$/);
    expect(req.part).to.include({ name: "file", filename: "manifest.json", contentType: "application/octet-stream" });
    expect(req.part!.bytes.equals(bytes)).to.equal(true);

    const reader = makeStore();
    expect(Buffer.from(await reader.get(cid)).equals(bytes)).to.equal(true);
    expect(reader.stats.gatewayReads).to.equal(1);
    expect(await reader.local.has(cid), "a verified gateway read is cached locally").to.equal(true);
    await reader.get(cid);
    expect(reader.stats.gatewayReads).to.equal(1);
  });

  it("keeps every object in the local store before uploading, and journals only what Lighthouse confirmed", async () => {
    const dir = freshDir();
    const bytes = randomBytes(300);
    standin.failNext("upload", { kind: "status", status: 500 }, 3);
    const e = await rejection(makeStore(dir).put(bytes));
    expect(e.code).to.equal("STORAGE_UNREACHABLE");
    const store = makeStore(dir);
    expect(await store.local.has(await cidOf(bytes))).to.equal(true);
    expect(store.journal.size).to.equal(0);
  });

  it("uploads only what the journal lacks when a run is repeated", async () => {
    const dir = freshDir();
    const [a, b, c] = [randomBytes(100), randomBytes(200), randomBytes(300)];
    const first = makeStore(dir);
    await first.put(a);
    await first.put(b);
    const before = standin.uploads().length;
    const again = makeStore(dir);
    await again.put(a);
    await again.put(b);
    await again.put(c);
    expect(standin.uploads().length - before).to.equal(1);
    expect(again.stats).to.include({ uploaded: 1, skipped: 2 });
    expect(standin.uploads().at(-1)!.part!.bytes.equals(c)).to.equal(true);
  });

  it("refuses a bad key (401) at once, in one line, without retrying", async () => {
    const before = standin.uploads().length;
    const e = await rejection(makeStore(freshDir(), { key: "wrong" }).put(randomBytes(10)));
    expect(e.code).to.equal("STORAGE_AUTH");
    expect(e.message).to.match(/refused the API key .*HTTP 401: Invalid API Key.*LIGHTHOUSE_API_KEY/);
    oneLine(e);
    expect(standin.uploads().length - before).to.equal(1);
  });

  it("retries server errors with backoff and then succeeds", async () => {
    standin.failNext("upload", { kind: "status", status: 503 }, 2);
    const before = standin.uploads().length;
    const bytes = randomBytes(64);
    expect(await makeStore().put(bytes)).to.equal(await cidOf(bytes));
    expect(standin.uploads().length - before).to.equal(3);
  });

  it("gives up on a server that keeps failing, in one line naming the attempts", async () => {
    standin.failNext("upload", { kind: "status", status: 502, body: "<html>\n<h1>502 Bad Gateway</h1>\n</html>" }, 3);
    const e = await rejection(makeStore().put(randomBytes(64), { name: "shard-0" }));
    expect(e.code).to.equal("STORAGE_UNREACHABLE");
    expect(e.message).to.match(/upload of shard-0 .*HTTP 502.*gave up after 3 attempts/);
    oneLine(e);
  });

  it("times out a server that never answers, retries, and says how long it waited", async () => {
    standin.failNext("upload", { kind: "hang" }, 3);
    const t0 = performance.now();
    const e = await rejection(makeStore(freshDir(), { timeoutMs: 300 }).put(randomBytes(64)));
    expect(e.code).to.equal("STORAGE_UNREACHABLE");
    expect(e.message).to.match(/no answer from 127\.0\.0\.1:\d+ within 0\.3 s; gave up after 3 attempts/);
    oneLine(e);
    expect(performance.now() - t0).to.be.below(5_000);
  });

  it("retries a dropped connection, a cut-short answer and a non-JSON answer", async () => {
    for (const kind of ["reset", "truncate", "garbage"] as const) {
      standin.failNext("upload", { kind });
      const before = standin.uploads().length;
      const bytes = randomBytes(80);
      expect(await makeStore().put(bytes), kind).to.equal(await cidOf(bytes));
      expect(standin.uploads().length - before, kind).to.equal(2);
    }
  });

  it("refuses an upload Lighthouse answers with another CID, and records nothing", async () => {
    const dir = freshDir();
    standin.failNext("upload", { kind: "altered" });
    const e = await rejection(makeStore(dir).put(randomBytes(80), { name: "index" }));
    expect(e.code).to.equal("STORAGE_CORRUPT");
    expect(e.message).to.match(/Lighthouse stored index as baf\w+, not baf\w+/);
    expect(makeStore(dir).journal.size).to.equal(0);
  });

  it("refuses gateway bytes cut short or altered with a clear error, and caches nothing", async () => {
    const bytes = randomBytes(40_000);
    const cid = await makeStore().put(bytes);

    standin.failNext("gateway", { kind: "truncate" }, 3);
    const reader = makeStore();
    const cut = await rejection(reader.get(cid));
    expect(cut.code).to.equal("STORAGE_UNREACHABLE");
    expect(cut.message).to.match(/cut its answer short \(20000 of 40000 bytes\); gave up after 3 attempts/);
    oneLine(cut);

    standin.failNext("gateway", { kind: "altered" });
    const altered = await rejection(reader.get(cid));
    expect(altered.code).to.equal("STORAGE_CORRUPT");
    expect(altered.message).to.match(/answered 40000 bytes for baf\w+ that do not hash to it/);
    expect(await reader.local.has(cid)).to.equal(false);

    standin.failNext("gateway", { kind: "truncate" });
    expect(Buffer.from(await reader.get(cid)).equals(bytes), "a single cut-short answer is retried").to.equal(true);
  });

  it("names a CID that neither the local store nor the gateway has", async () => {
    const elsewhere = await cidOf(randomBytes(10));
    const e = await rejection(makeStore().get(elsewhere));
    expect(e.code).to.equal("STORAGE_NOT_FOUND");
    expect(e.message).to.include(elsewhere);
  });

  it("has() is true for journaled uploads and for what the gateway serves, false otherwise", async () => {
    const store = makeStore();
    const cid = await store.put(randomBytes(100));
    expect(await store.has(cid)).to.equal(true);
    const other = makeStore();
    expect(await other.has(cid), "not journaled here, but the gateway serves it").to.equal(true);
    expect(await other.has(await cidOf(randomBytes(10)))).to.equal(false);
  });

  it("replaces a local copy damaged on disk with the gateway's verified one", async () => {
    const dir = freshDir();
    const store = makeStore(dir);
    const bytes = randomBytes(1000);
    const cid = await store.put(bytes);
    writeFileSync(store.local.pathOf(cid), "damaged");
    expect(Buffer.from(await makeStore(dir).get(cid)).equals(bytes)).to.equal(true);
    expect(readFileSync(store.local.pathOf(cid)).equals(bytes)).to.equal(true);
  });

  it("reads deal status and PoDSI the way the SDK asks, with no key sent", async () => {
    const store = makeStore();
    const cid = await store.put(randomBytes(500));
    let status = await filecoinStatus(cid, store, "mainnet");
    expect(status).to.deep.include({ cid, local: true, deals: [], onChainDeals: 0, sealed: false, podsi: null });
    expect(status.uploaded?.cid).to.equal(cid);

    standin.deals.set(cid, sampleDeals(cid));
    standin.proofs.set(cid, samplePodsi());
    status = await filecoinStatus(cid, store, "testnet");
    expect(status.onChainDeals).to.equal(2);
    expect(status.sealed).to.equal(true);
    expect(status.deals[0]).to.deep.include({ chainDealId: 74606268, provider: "f01771403", status: "Sealing: Proving", startEpoch: 3714464, payloadCid: cid });
    expect(status.podsi!.pieceCid).to.match(/^baga6ea4sea/);
    expect(status.podsi!.deals[0]).to.deep.include({ dealId: 180313, storageProvider: "17840" });
    expect(status.podsi!.deals[0].proofIndex!.path).to.have.length(3);
    expect(status.podsi!.deals[0].indexRecord).to.include({ size: 512 });

    const dealReq = standin.requests.filter((r) => r.route === "deals").at(-1)!;
    expect(dealReq).to.include({ method: "GET", authorization: null });
    expect(dealReq.query).to.deep.equal({ cid });
    expect(standin.requests.filter((r) => r.route === "podsi").at(-1)!.query).to.deep.equal({ cid, network: "testnet" });
  });

  it("turns server errors on deal status into one line, and a malformed deal list into a clear refusal", async () => {
    const store = makeStore();
    const cid = await cidOf(randomBytes(10));
    standin.failNext("deals", { kind: "status", status: 500 }, 3);
    const e = await rejection(filecoinStatus(cid, store, "mainnet"));
    expect(e.code).to.equal("STORAGE_UNREACHABLE");
    expect(e.message).to.match(/deal status .*HTTP 500.*gave up after 3 attempts/);
    oneLine(e);

    standin.deals.set(cid, { not: "a list" });
    const bad = await rejection(filecoinStatus(cid, store, "mainnet"));
    expect(bad.message).to.match(/deal status answer is not in the shape its SDK documents/);
  });

  it("reports upload progress up to the whole object, and draws a line only for large uploads", async () => {
    const events: UploadProgress[] = [];
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    await makeStore(freshDir(), { onUploadProgress: (p) => events.push(p) }).put(bytes, { name: "shard-0" });
    expect(events.length).to.be.greaterThan(3);
    for (let i = 1; i < events.length; i++) expect(events[i].sent).to.be.at.least(events[i - 1].sent);
    expect(events.at(-1)).to.deep.include({ name: "shard-0", sent: bytes.length, total: bytes.length });

    let drawn = "";
    const fake = { write: (s: string) => ((drawn += s), true) } as unknown as NodeJS.WriteStream;
    const draw = terminalUploadProgress(fake);
    draw({ name: "small", cid: "x", sent: 10, total: 100 });
    expect(drawn).to.equal("");
    draw({ name: "shard-1", cid: "x", sent: 1 << 20, total: 2 << 20 });
    expect(drawn).to.match(/uploading shard-1 to Lighthouse: 1\.0\/2\.0 MiB \(50%\)/);
  });

  it("backs off exponentially, with jitter, up to a ceiling", () => {
    const policy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 8000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, () => 1))).to.deep.equal([1000, 2000, 4000, 8000, 8000]);
    expect(backoffDelay(policy, 3, () => 0)).to.equal(2000);
  });

  describe("the upload journal", () => {
    it("drops a line cut short by a crash, and refuses a damaged one", async () => {
      const dir = freshDir();
      const store = makeStore(dir);
      const cid = await store.put(randomBytes(100));
      appendFileSync(store.journal.path, '{"cid":"bafk');
      const reopened = makeStore(dir);
      expect(reopened.journal.has(cid)).to.equal(true);
      expect(readFileSync(reopened.journal.path, "utf8").endsWith("}\n")).to.equal(true);
      await reopened.put(randomBytes(50));
      expect(makeStore(dir).journal.size).to.equal(2);

      appendFileSync(store.journal.path, "not json\n");
      const e = await rejection(Promise.resolve().then(() => makeStore(dir)));
      expect(e.code).to.equal("STORAGE_CORRUPT");
      expect(e.message).to.match(/upload journal .* is damaged \(line 4 is not an entry\): delete it/);
    });

    it("keeps one journal per upload endpoint", async () => {
      const dir = freshDir();
      await makeStore(dir).put(randomBytes(10));
      const other = new LighthouseStore({
        dataDir: dir,
        endpoints: { api: standin.url, upload: `${standin.url}/`, gateway: standin.url },
        apiKey: async () => standin.apiKey,
        timeoutMs: 500,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      expect(other.journal.path, "a trailing slash is the same endpoint").to.equal(makeStore(dir).journal.path);
      const elsewhere = new LighthouseStore({
        dataDir: dir,
        endpoints: { api: standin.url, upload: "http://127.0.0.1:1", gateway: standin.url },
        apiKey: async () => standin.apiKey,
        timeoutMs: 500,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      expect(elsewhere.journal.size).to.equal(0);
      expect(existsSync(elsewhere.journal.path)).to.equal(false);
    });
  });
});
