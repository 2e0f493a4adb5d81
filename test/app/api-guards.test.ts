import { expect } from "chai";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { Interface, JsonRpcProvider } from "ethers";
import { deployedAddress } from "../../core/chain/deployments.ts";
import { DATASET_UPLOAD_TYPE, encodeDatasetUpload } from "../../app/_lib/dataset-upload.ts";
import { buildApp, startApp, startStack, type AppProcess, type Stack } from "./helpers/stack.ts";

/**
 * The app's write and signing endpoints against a web page of another site (as a browser sends its requests:
 * an Origin header, a text/plain or form body that needs no CORS preflight) and against oversized bodies.
 * Plain HTTP against `next start`; the server's memory is read from /proc.
 */
const sha = (s: string) => createHash("sha256").update(s).digest();
const EVIL = "http://evil.example";
const PUBLIC_ORIGIN = "https://provenant.example";
const TOKEN = "write-token-for-tests-0123456789";
const MiB = 1024 * 1024;

interface Answer {
  status: number;
  text: string;
  json: any;
  /** Body bytes this client had handed to the socket when the answer's head arrived. */
  sentWhenAnswered: number;
}

/**
 * A POST over node:http, so that every header (Origin, Sec-Fetch-Site) is sent as given and a body can be
 * streamed in chunks without holding it: `body` is the bytes, or a size to send as zero-filled chunks.
 */
function post(url: string, headers: Record<string, string>, body: Uint8Array | { bytes: number; declareLength: boolean }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    let sent = 0;
    let answered = false;
    const sized = body instanceof Uint8Array ? null : body;
    const req = httpRequest(target, {
      method: "POST",
      agent: false,
      headers: {
        ...headers,
        ...(sized === null ? { "content-length": String((body as Uint8Array).length) } : sized.declareLength ? { "content-length": String(sized.bytes) } : {}),
      },
    });
    req.on("response", (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, text, json, sentWhenAnswered });
        req.destroy();
      });
    });
    // The server may close the connection on a body it refuses while this side still writes.
    req.on("error", (e) => (answered ? undefined : reject(e)));
    if (sized === null) {
      sent = (body as Uint8Array).length;
      req.end(body);
      return;
    }
    const chunk = Buffer.alloc(MiB);
    const pump = () => {
      while (!answered && sent < sized.bytes) {
        const n = Math.min(chunk.length, sized.bytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** Resident memory of a process and all its descendants, in bytes (Linux /proc). */
function treeRss(pid: number): number {
  let total = 0;
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, "utf8");
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(Number(child));
      }
    } catch {}
  };
  visit(pid);
  return total;
}

const rpcCall = (method: string, params: unknown[]) => JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });

/** A valid little commitment: three sorted leaves and the meta the mint form sends. */
function smallUpload(name: string): { meta: Record<string, unknown>; leaves: Uint8Array } {
  const leaves = [sha(`${name} a`), sha(`${name} b`), sha(`${name} c`)].sort(Buffer.compare);
  return {
    meta: {
      name,
      license: "CC0-1.0",
      description: "",
      previousVersion: null,
      encoding: "jsonl",
      root: "",
      totalSamples: 3,
      skipped: { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 },
      bytes: 3,
    },
    leaves: Buffer.concat(leaves),
  };
}

/** The upload body as the mint form sends it, with the root the library computes for the leaves. */
async function uploadBody(name: string): Promise<Uint8Array> {
  const { commitSamples } = await import("../../core/dataset/commit.ts");
  const { toHex } = await import("../../core/hex.ts");
  const u = smallUpload(name);
  const c = commitSamples({ encoding: "jsonl", hashes: u.leaves, total: 3, skipped: u.meta.skipped as never, bytes: 3 });
  return new Uint8Array(await encodeDatasetUpload({ ...u.meta, root: toHex(c.root) }, u.leaves).arrayBuffer());
}

/** The body of a cross-site HTML form posting to /api/datasets: multipart, which needs no preflight. */
async function crossSiteForm(name: string): Promise<{ body: Uint8Array; type: string }> {
  const { commitSamples } = await import("../../core/dataset/commit.ts");
  const { toHex } = await import("../../core/hex.ts");
  const u = smallUpload(name);
  const c = commitSamples({ encoding: "jsonl", hashes: u.leaves, total: 3, skipped: u.meta.skipped as never, bytes: 3 });
  const form = new FormData();
  form.set("meta", JSON.stringify({ ...u.meta, root: toHex(c.root) }));
  form.set("leaves", new Blob([u.leaves as Uint8Array<ArrayBuffer>]));
  const r = new Response(form);
  return { body: new Uint8Array(await r.arrayBuffer()), type: r.headers.get("content-type")! };
}

describe("the app's write and signing endpoints refuse other sites and oversized bodies (next start, local chain)", function () {
  this.timeout(600_000);
  let stack: Stack;
  /** As a developer runs it: loopback, defaults. */
  let local: AppProcess;
  /** As a deployment runs it: a public origin, a write token, and the dev chain's accounts opted in. */
  let deployed: AppProcess;
  let attestorRegistry: string;
  let chain: JsonRpcProvider;

  before(async () => {
    const built = buildApp();
    stack = await startStack({ name: "api-guards" });
    await built;
    const base = { ...stack.chain.env, PROVENANT_GATEWAY_URL: stack.gateway.url, PROVENANT_HOME: stack.home };
    local = await startApp(base);
    deployed = await startApp({ ...base, PROVENANT_APP_ORIGIN: PUBLIC_ORIGIN, PROVENANT_APP_WRITE_TOKEN: TOKEN, PROVENANT_NODE_ACCOUNTS: "on" });
    const previous = process.env.PROVENANT_DEPLOYMENT_ID;
    process.env.PROVENANT_DEPLOYMENT_ID = stack.chain.deploymentId;
    try {
      attestorRegistry = deployedAddress(31337, "AttestorRegistry");
    } finally {
      if (previous === undefined) delete process.env.PROVENANT_DEPLOYMENT_ID;
      else process.env.PROVENANT_DEPLOYMENT_ID = previous;
    }
    chain = new JsonRpcProvider(stack.chain.url, 31337, { staticNetwork: true });
  });

  after(async () => {
    chain?.destroy();
    await deployed?.stop();
    await local?.stop();
    await stack?.stop();
  });

  describe("/api/rpc", () => {
    const ownable = new Interface(["function owner() view returns (address)", "function transferOwnership(address)", "function acceptOwnership()"]);
    const ownerOf = async () => ownable.decodeFunctionResult("owner", await chain.call({ to: attestorRegistry, data: ownable.encodeFunctionData("owner") }))[0] as string;

    it("refuses a text/plain POST from another site that sends transactions from the node's accounts: AttestorRegistry keeps its owner", async () => {
      const owner = await ownerOf();
      const accounts = (await chain.send("eth_accounts", [])) as string[];
      const thief = accounts[accounts.length - 1];
      expect(thief.toLowerCase()).to.not.equal(owner.toLowerCase());
      // What a page on another site can send with fetch(…, { mode: "no-cors" }) or a form: no preflight.
      const attack = (from: string, data: string) =>
        post(
          `${deployed.url}/api/rpc`,
          { origin: EVIL, "sec-fetch-site": "cross-site", "content-type": "text/plain;charset=UTF-8" },
          Buffer.from(rpcCall("eth_sendTransaction", [{ from, to: attestorRegistry, data }])),
        );
      const first = await attack(owner, ownable.encodeFunctionData("transferOwnership", [thief]));
      const second = await attack(thief, ownable.encodeFunctionData("acceptOwnership"));
      expect((await ownerOf()).toLowerCase(), `the attack took AttestorRegistry: ${first.text} ${second.text}`).to.equal(owner.toLowerCase());
      expect(first.status).to.equal(403);
      expect(first.json?.error?.message).to.match(/another site/);
    });

    it("refuses a JSON POST whose Origin is another site, and a page of this origin that sends text/plain", async () => {
      const cross = await post(`${deployed.url}/api/rpc`, { origin: EVIL, "content-type": "application/json" }, Buffer.from(rpcCall("eth_accounts", [])));
      expect(cross.status).to.equal(403);
      const plain = await post(`${deployed.url}/api/rpc`, { origin: PUBLIC_ORIGIN, "content-type": "text/plain" }, Buffer.from(rpcCall("eth_chainId", [])));
      expect(plain.status).to.equal(415);
      expect(plain.json?.error?.message).to.match(/application\/json/);
    });

    it("lets the app's own pages use the node's accounts only when PROVENANT_NODE_ACCOUNTS=on", async () => {
      const ask = (app: AppProcess, origin: string) =>
        post(`${app.url}/api/rpc`, { origin, "sec-fetch-site": "same-origin", "content-type": "application/json" }, Buffer.from(rpcCall("eth_accounts", [])));
      const optedIn = await ask(deployed, PUBLIC_ORIGIN);
      expect(optedIn.status).to.equal(200);
      expect(optedIn.json.result).to.be.an("array").with.length.greaterThan(0);
      const byDefault = await ask(local, local.url);
      expect(byDefault.json.error?.message, byDefault.text).to.match(/eth_accounts is not available/);
      const reads = await post(`${local.url}/api/rpc`, { origin: local.url, "content-type": "application/json" }, Buffer.from(rpcCall("eth_chainId", [])));
      expect(reads.json.result).to.equal("0x7a69");
    });

    it("refuses a JSON-RPC body above 1 MiB", async () => {
      const big = await post(`${local.url}/api/rpc`, { origin: local.url, "content-type": "application/json" }, { bytes: 8 * MiB, declareLength: false });
      expect(big.status).to.equal(413);
    });
  });

  describe("/api/datasets", () => {
    const stored = () => readdirSync(join(stack.home, "ipfs")).length;

    it("refuses a form posted from another site and stores nothing (403)", async () => {
      const before = stored();
      const form = await crossSiteForm("cross-site");
      const res = await post(`${local.url}/api/datasets`, { origin: EVIL, "sec-fetch-site": "cross-site", "content-type": form.type }, form.body);
      expect(res.status, res.text).to.equal(403);
      expect(res.json?.error?.message).to.match(/another site/);
      expect(stored()).to.equal(before);
    });

    it("refuses the app's own origin posting a form (a type any page can send without preflight): 415", async () => {
      const before = stored();
      const form = await crossSiteForm("form");
      const res = await post(`${local.url}/api/datasets`, { origin: local.url, "content-type": form.type }, form.body);
      expect(res.status, res.text).to.equal(415);
      expect(stored()).to.equal(before);
    });

    it("stores an upload from the app's own page", async () => {
      const before = stored();
      const res = await post(
        `${local.url}/api/datasets`,
        { origin: local.url, "sec-fetch-site": "same-origin", "content-type": DATASET_UPLOAD_TYPE },
        await uploadBody("own page"),
      );
      expect(res.status, res.text).to.equal(200);
      expect(res.json.ok).to.equal(true);
      expect(stored()).to.be.greaterThan(before);
    });

    it("answers a 400 MiB body (a form, or an upload with or without its length) with 413 or 415 before reading it through, holding at most the cap", async () => {
      const attempts = [
        { type: "multipart/form-data; boundary=x", declareLength: true, growth: 64 * MiB },
        { type: DATASET_UPLOAD_TYPE, declareLength: true, growth: 64 * MiB },
        // Without a length the server learns the size by reading: it stops at the cap (~128 MiB).
        { type: DATASET_UPLOAD_TYPE, declareLength: false, growth: 300 * MiB },
      ];
      for (const a of attempts) {
        const rss0 = treeRss(local.pid);
        const res = await post(`${local.url}/api/datasets`, { origin: local.url, "content-type": a.type }, { bytes: 400 * MiB, declareLength: a.declareLength });
        const grew = treeRss(local.pid) - rss0;
        const what = `${a.type}, ${a.declareLength ? "declared length" : "chunked"}: ${res.status} ${res.text.slice(0, 200)}; memory +${(grew / MiB).toFixed(0)} MiB`;
        expect(res.status, what).to.be.oneOf([413, 415]);
        expect(res.json?.error?.message, what).to.match(/more than|application\/vnd\.provenant/);
        expect(res.sentWhenAnswered, `${what}: the server read the whole body before answering`).to.be.below(400 * MiB);
        expect(grew, what).to.be.below(a.growth);
        console.log(
          `      ${what.split(":")[0]}: ${res.status} after ${(res.sentWhenAnswered / MiB).toFixed(0)} MiB sent, server memory +${(grew / MiB).toFixed(0)} MiB`,
        );
      }
    });

    it("takes uploads on a deployment only with its write token (401 without or with a wrong one)", async () => {
      const before = stored();
      const headers = { origin: PUBLIC_ORIGIN, "sec-fetch-site": "same-origin", "content-type": DATASET_UPLOAD_TYPE };
      const none = await post(`${deployed.url}/api/datasets`, headers, await uploadBody("no token"));
      expect(none.status, none.text).to.equal(401);
      const wrong = await post(`${deployed.url}/api/datasets`, { ...headers, authorization: `Bearer ${TOKEN}x` }, await uploadBody("wrong token"));
      expect(wrong.status, wrong.text).to.equal(401);
      expect(stored()).to.equal(before);
      const right = await post(`${deployed.url}/api/datasets`, { ...headers, authorization: `Bearer ${TOKEN}` }, await uploadBody("right token"));
      expect(right.status, right.text).to.equal(200);
    });

    it("refuses uploads on a deployment that has no write token configured", async () => {
      const open = await startApp({ ...stack.chain.env, PROVENANT_GATEWAY_URL: stack.gateway.url, PROVENANT_HOME: stack.home, PROVENANT_APP_ORIGIN: PUBLIC_ORIGIN });
      try {
        const res = await post(`${open.url}/api/datasets`, { origin: PUBLIC_ORIGIN, "content-type": DATASET_UPLOAD_TYPE }, await uploadBody("open deployment"));
        expect(res.status, res.text).to.equal(403);
        expect(res.json?.error?.message).to.match(/PROVENANT_APP_WRITE_TOKEN/);
      } finally {
        await open.stop();
      }
    });
  });
});
