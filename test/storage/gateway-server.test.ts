import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore } from "../../core/storage/local-store.ts";
import { startGateway, type Gateway } from "../../core/storage/gateway-server.ts";

describe("the local IPFS path gateway", () => {
  let dir: string;
  let gw: Gateway;
  let store: LocalStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "provenant-gw-"));
    store = new LocalStore(dir);
    gw = await startGateway(store, { port: 0 });
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves stored bytes at /ipfs/<cid> with CORS, a content type and an immutable cache header", async () => {
    const cid = await store.put(new TextEncoder().encode('{"hello":"world"}'));
    const res = await fetch(`${gw.url}/ipfs/${cid}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("access-control-allow-origin")).to.equal("*");
    expect(res.headers.get("content-type")).to.equal("application/json");
    expect(res.headers.get("cache-control")).to.match(/immutable/);
    expect(await res.json()).to.deep.equal({ hello: "world" });
  });

  it("answers 404 for an unknown CID, 400 for a malformed one, and 502 for a damaged copy", async () => {
    const unknown = await (async () => {
      const other = new LocalStore(mkdtempSync(join(tmpdir(), "provenant-gw2-")));
      return other.put(new TextEncoder().encode("elsewhere"));
    })();
    expect((await fetch(`${gw.url}/ipfs/${unknown}`)).status).to.equal(404);
    expect((await fetch(`${gw.url}/ipfs/notacid`)).status).to.equal(400);
    const cid = await store.put(new TextEncoder().encode("will be damaged"));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(store.pathOf(cid), "damaged!");
    expect((await fetch(`${gw.url}/ipfs/${cid}`)).status).to.equal(502);
  });
});
