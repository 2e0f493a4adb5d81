import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lighthouse from "@lighthouse-web3/sdk";
import { loadProjectConfig, openStore } from "../../core/config.ts";
import { cidOf } from "../../core/storage/cid.ts";
import { sampleDeals, startLighthouseStandin, type LighthouseStandin } from "./lighthouse-standin.ts";

/**
 * The stand-in is only worth its tests if the real SDK accepts it: these run @lighthouse-web3/sdk's own functions
 * against it through the SDK's exported lighthouseConfig, and compare the SDK's requests with the store's.
 */
describe("the real @lighthouse-web3/sdk against the stand-in", function () {
  this.timeout(60_000);
  let standin: LighthouseStandin;
  let restore: () => void;
  let dir: string;
  before(async () => {
    standin = await startLighthouseStandin();
    restore = standin.pointSdkHere();
    dir = mkdtempSync(join(tmpdir(), "provenant-sdk-"));
  });
  after(async () => {
    restore();
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("uploadBuffer gets Kubo's add answer with the CID the local store computes", async () => {
    const bytes = randomBytes(1234);
    const { data } = await lighthouse.uploadBuffer(bytes, standin.apiKey);
    expect(data).to.deep.equal({ Name: "blob", Hash: await cidOf(bytes), Size: "1234" });
    expect(standin.uploads().at(-1)!.query).to.deep.equal({ "cid-version": "1" });
  });

  it("upload (a file path, streamed) gets the same CID, for a file over 256 KiB", async () => {
    const bytes = randomBytes(600_000);
    const path = join(dir, "shard.bin");
    writeFileSync(path, bytes);
    const { data } = await lighthouse.upload(path, standin.apiKey);
    expect(data.Hash).to.equal(await cidOf(bytes));
    expect(data.Name).to.equal("shard.bin");
  });

  it("sends the same request as the store: endpoint, query, key header, one part named file", async () => {
    const bytes = randomBytes(2000);
    const path = join(dir, "same.bin");
    writeFileSync(path, bytes);
    await lighthouse.upload(path, standin.apiKey);
    const sdk = standin.uploads().at(-1)!;
    // The store's default endpoints are the SDK's lighthouseConfig, pointed here in before().
    const saved = process.env.LIGHTHOUSE_API_KEY;
    process.env.LIGHTHOUSE_API_KEY = standin.apiKey;
    try {
      const store = openStore("lighthouse", mkdtempSync(join(dir, "home-")), { config: loadProjectConfig(null) });
      await store.put(randomBytes(2000), { name: "same.bin" });
    } finally {
      if (saved === undefined) delete process.env.LIGHTHOUSE_API_KEY;
      else process.env.LIGHTHOUSE_API_KEY = saved;
    }
    const ours = standin.uploads().at(-1)!;
    for (const r of [sdk, ours]) expect(r.contentType).to.match(/^multipart\/form-data; boundary=----WebKitFormBoundary/);
    expect(ours.path).to.equal(sdk.path);
    expect(ours.method).to.equal(sdk.method);
    expect(ours.query).to.deep.equal(sdk.query);
    expect(ours.authorization).to.equal(sdk.authorization);
    expect({ ...ours.part, bytes: null }).to.deep.equal({ ...sdk.part, bytes: null });
  });

  it("dealStatus reads the stand-in's deal list, and an unknown CID's empty one", async () => {
    const cid = await cidOf(randomBytes(10));
    expect((await lighthouse.dealStatus(cid)).data).to.deep.equal([]);
    standin.deals.set(cid, sampleDeals(cid));
    expect((await lighthouse.dealStatus(cid)).data).to.deep.equal(sampleDeals(cid));
  });

  it("a bad key fails the SDK's upload with the stand-in's error text", async () => {
    let message = "";
    try {
      await lighthouse.uploadBuffer(randomBytes(10), "not-the-key");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.match(/Invalid API Key/);
  });
});
