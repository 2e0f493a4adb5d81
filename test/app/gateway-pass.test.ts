import { expect } from "chai";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { passThrough } from "../../app/_lib/gateway-pass.ts";
import { GatewayStore } from "../../core/storage/gateway-client.ts";
import { isProvenantError } from "../../core/errors.ts";
import { startGateway, type Gateway } from "../../core/storage/gateway-server.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { cidOf } from "../../core/storage/cid.ts";

/** The app's /ipfs route, served by node:http around the same passThrough function the route calls. */
function serveRoute(gatewayUrl: string): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const cid = (req.url ?? "").replace(/^\/ipfs\//, "");
    const r = await passThrough(req.method === "HEAD" ? "HEAD" : "GET", cid, gatewayUrl);
    const headers: Record<string, string> = {};
    r.headers.forEach((value, key) => (headers[key] = value));
    res.writeHead(r.status, headers);
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })));
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isProvenantError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a failure");
}

describe("the app's /ipfs pass-through: a shard whose bytes fail their CID is reported as such, with where it came from", () => {
  let work: string;
  let store: LocalStore;
  let gateway: Gateway;
  let route: { url: string; server: Server };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "provenant-gateway-pass-"));
    store = new LocalStore(work);
    gateway = await startGateway(store, { port: 0 });
    route = await serveRoute(gateway.url);
  });
  after(async () => {
    route.server.close();
    await gateway.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("passes good bytes through unchanged", async () => {
    const cid = await store.put(new TextEncoder().encode("a shard"));
    expect(new TextDecoder().decode(await new GatewayStore(route.url).get(cid))).to.equal("a shard");
  });

  it("says 'does not hash to that CID' and names the gateway when the gateway's own copy is corrupt (not 'unreachable')", async () => {
    const cid = await store.put(new TextEncoder().encode("another shard"));
    writeFileSync(store.pathOf(cid), "changed on disk");
    const e = await failure(new GatewayStore(route.url).get(cid));
    expect(e.code).to.equal("STORAGE_CORRUPT");
    expect(e.message).to.contain("do not hash to that CID").and.to.contain(`passed through from the storage gateway at ${gateway.url}`);
  });

  it("names the gateway when it sends other bytes with a 200 (a gateway that does not check)", async () => {
    const liar = createServer((_req, res) => res.writeHead(200, { "content-type": "application/octet-stream" }).end("not what was asked"));
    await new Promise<void>((r) => liar.listen(0, "127.0.0.1", () => r()));
    const liarUrl = `http://127.0.0.1:${(liar.address() as { port: number }).port}`;
    const lying = await serveRoute(liarUrl);
    try {
      const cid = await cidOf(new TextEncoder().encode("the real shard"));
      const e = await failure(new GatewayStore(lying.url).get(cid));
      expect(e.code).to.equal("STORAGE_CORRUPT");
      expect(e.message).to.contain("sent bytes for").and.to.contain("that do not hash to that CID").and.to.contain(`from the storage gateway at ${liarUrl}`);
    } finally {
      lying.server.close();
      liar.close();
    }
  });
});
