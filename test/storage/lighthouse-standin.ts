/**
 * A local stand-in for Lighthouse's HTTP API on 127.0.0.1: the upload node, the API (deal status, PoDSI) and an
 * IPFS path gateway on one port, with faults a test can inject (a status, a hang, a reset, an answer cut short,
 * a wrong CID, garbage).
 *
 * Shaped from these sources, and nothing else:
 * - Upload, `POST /api/v0/add?...cid-version=1` with `Authorization: Bearer <key>` and a multipart body whose one part
 *   is named "file": @lighthouse-web3/sdk 0.4.7 dist/Lighthouse/upload/buffer/node.js (FormData, part "file",
 *   query `cid-version=1`), upload/files/node.js + utils/util.js fetchWithDirectStream (hand-written multipart with a
 *   `----WebKitFormBoundary` boundary, query `wrap-with-directory=false&cid-version=1`). The answer is Kubo's add
 *   object `{ Name, Hash, Size }` with Size a string: docs.lighthouse.storage quick-start, and lighthouse-python-sdk
 *   tests/test_upload.py (Size asserted a str). Error bodies are JSON `{ error }`: what uploadBuffer reads
 *   (`throw new Error(res.error)`). The status for a bad key (401) is assumed, not documented.
 * - Deal status, `GET /api/lighthouse/deal_status?cid=`, no key, a JSON list (empty while no deal exists, which the
 *   SDK CLI prints as "Deal creation in progress"): SDK dist/Lighthouse/dealStatus/index.js and index.d.ts,
 *   dist/Commands/deal-status.js, docs how-to/check-for-filecoin-deals (sample below).
 * - PoDSI, `GET /api/lighthouse/get_proof?cid=[&network=testnet]`, 400 while no proof exists: SDK 0.4.1
 *   dist/Lighthouse/podsi/index.js, lighthouse-python-sdk functions/podsi.py, docs filecoin-first/podsi (sample below).
 * - Gateway, `GET /ipfs/<cid>`: the project's own startGateway over a LocalStore, as for `provenant serve`.
 *
 * The CID it answers is computed independently of core/storage/cid.ts (see kuboFileCid), so agreement is evidence.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { lighthouseConfig } from "@lighthouse-web3/sdk/dist/lighthouse.config.js";
import { LocalStore } from "../../core/storage/local-store.ts";
import { startGateway, type Gateway } from "../../core/storage/gateway-server.ts";

export const CHUNK = 262_144;

/**
 * Kubo's `ipfs add --cid-version 1` written out by hand for files of at most 174 chunks (43.5 MiB): one chunk is its
 * own raw block (CIDv1, codec raw, sha2-256); more become raw leaves under one dag-pb root whose UnixFS data is a
 * `file` with the chunk sizes and whose links are unnamed, each with the leaf's size.
 */
export async function kuboFileCid(bytes: Uint8Array): Promise<string> {
  const leaves: Array<{ cid: CID; size: number }> = [];
  for (let at = 0; at < bytes.length || leaves.length === 0; at += CHUNK) {
    const chunk = bytes.subarray(at, Math.min(bytes.length, at + CHUNK));
    leaves.push({ cid: CID.createV1(raw.code, await sha256.digest(chunk)), size: chunk.length });
  }
  if (leaves.length === 1) return leaves[0].cid.toString();
  if (leaves.length > 174) throw new Error("kuboFileCid covers single-level DAGs (at most 174 chunks) only");
  const data = new UnixFS({ type: "file", blockSizes: leaves.map((l) => BigInt(l.size)) }).marshal();
  const node = dagPb.prepare({ Data: data, Links: leaves.map((l) => ({ Hash: l.cid, Name: "", Tsize: l.size })) });
  return CID.createV1(dagPb.code, await sha256.digest(dagPb.encode(node))).toString();
}

export type Route = "upload" | "deals" | "podsi" | "gateway";

export type Fault =
  /** No fault: lets a queue say "the first N succeed, then...". */
  | { kind: "pass" }
  | { kind: "status"; status: number; body?: string }
  /** Accept the connection, never answer. */
  | { kind: "hang" }
  /** Drop the connection without an answer. */
  | { kind: "reset" }
  /** Announce the full length, send half, drop the connection. */
  | { kind: "truncate" }
  /** Upload: answer another valid CID. Gateway: the right length with one byte flipped. */
  | { kind: "altered" }
  /** 200 with a body that is not JSON. */
  | { kind: "garbage" };

export interface RecordedRequest {
  route: Route | "other";
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | null;
  contentType: string | null;
  /** The multipart part of an upload. */
  part: { name: string | null; filename: string | null; contentType: string | null; bytes: Buffer } | null;
  answered: number | "fault";
}

/** The sample deal from docs.lighthouse.storage/how-to/check-for-filecoin-deals, for a given CID. */
export function sampleDeals(cid: string) {
  return [
    {
      pieceCID: "baga6ea4seaqgbiszkxkzmaxio5zjucpg2sd4n6abvmcsenah27g4xtjszxtzmia",
      payloadCid: cid,
      pieceSize: 512,
      carFileSize: 256,
      dealId: 74606268,
      miner: "f01771403",
      content: 74,
      dealStatus: "Sealing: Proving",
      startEpoch: 3714464,
      endEpoch: 4232864,
      publishCid: "bafy2bzacedupiqlo732qxawhctakxtfjyljuwjvndih22wqkkdhon4fsnsopa",
      dealUUID: "10ed5a44-1d76-425f-af70-270a78fefb6f",
      providerCollateral: "7.568 mFIL",
      chainDealID: 74606268,
    },
    {
      pieceCID: "baga6ea4seaqgbiszkxkzmaxio5zjucpg2sd4n6abvmcsenah27g4xtjszxtzmia",
      payloadCid: cid,
      pieceSize: 512,
      carFileSize: 256,
      dealId: 75486682,
      miner: "f02366527",
      content: 74,
      dealStatus: "Sealing: Proving",
      startEpoch: 3734467,
      endEpoch: 7276867,
      publishCid: "bafy2bzaceaohycdaye2cxqdgzwhmialv7ncnaqigxgdctkmldparqpjdbiip6",
      dealUUID: "1209331c-89b8-43d2-b50f-ecd18b78b1fe",
      providerCollateral: "7.505 mFIL",
      chainDealID: 75486682,
    },
  ];
}

/** The sample PoDSI answer from docs.lighthouse.storage filecoin-first/podsi (proof paths shortened). */
export function samplePodsi() {
  return {
    pieceCID: "baga6ea4seaqgbiszkxkzmaxio5zjucpg2sd4n6abvmcsenah27g4xtjszxtzmia",
    dealInfo: [
      {
        dealId: 180313,
        storageProvider: "17840",
        proof: {
          verifierData: { commPc: "0181e203922020ff1684fe9f42dcd606013436d106b3f68a12d8a745bcda239fff0c61a7cf8d00", sizePc: "200" },
          inclusionProof: {
            proofIndex: {
              index: "ffe08",
              path: [
                "1bbfcc7cee5720e9f54ba23b3def5e2acc29f471eb785fc61bc89bcc85b86109",
                "6a28d9a48b458c0b7441547968b45dd41f13a97834c88ce5cb70ee8a4801511d",
                "81b7c84fdaa0b148ccd5f1bfffdb31ebd2e768957431b6f189b441f3ab1a9d28",
              ],
            },
            proofSubtree: {
              index: "3800",
              path: ["650962983d59cde36b83cf10029fd4a6839afadd4e4e89c001771762252c9b10", "1f7ac9595510e09ea41c460b176430bb322cd6fb412ec57cb17d989a4310372f"],
            },
          },
          indexRecord: {
            checksum: "54718803470b48fa764f8ede503bbf1b",
            proofIndex: "ff1684fe9f42dcd606013436d106b3f68a12d8a745bcda239fff0c61a7cf8d00",
            proofSubtree: 7340032,
            size: 512,
          },
        },
      },
    ],
  };
}

function parseMultipart(contentType: string | null, body: Buffer): RecordedRequest["part"] | "bad" {
  const m = /^multipart\/form-data;\s*boundary=("?)([^";]+)\1/i.exec(contentType ?? "");
  if (!m) return "bad";
  const delimiter = Buffer.from(`--${m[2]}`);
  const starts: number[] = [];
  for (let at = body.indexOf(delimiter); at !== -1; at = body.indexOf(delimiter, at + delimiter.length)) starts.push(at);
  // Exactly one part: opening delimiter, part, closing delimiter followed by "--".
  if (starts.length !== 2 || body.subarray(starts[1] + delimiter.length, starts[1] + delimiter.length + 2).toString() !== "--") return "bad";
  const part = body.subarray(starts[0] + delimiter.length + 2, starts[1] - 2);
  const headerEnd = part.indexOf("\r\n\r\n");
  if (headerEnd === -1) return "bad";
  const headers = part.subarray(0, headerEnd).toString("utf8");
  const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? "";
  return {
    name: /\bname="([^"]*)"/.exec(disposition)?.[1] ?? null,
    filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1] ?? null,
    contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? null,
    bytes: Buffer.from(part.subarray(headerEnd + 4)),
  };
}

export class LighthouseStandin {
  readonly url: string;
  readonly apiKey: string;
  readonly store: LocalStore;
  readonly requests: RecordedRequest[] = [];
  readonly deals = new Map<string, unknown>();
  readonly proofs = new Map<string, unknown>();
  readonly #faults = new Map<Route, Fault[]>();
  readonly #server: Server;
  readonly #gateway: Gateway;
  readonly #dir: string;

  constructor(server: Server, url: string, apiKey: string, store: LocalStore, gateway: Gateway, dir: string) {
    this.#server = server;
    this.url = url;
    this.apiKey = apiKey;
    this.store = store;
    this.#gateway = gateway;
    this.#dir = dir;
  }

  /** The next `times` requests on `route` meet `fault`. */
  failNext(route: Route, fault: Fault, times = 1): void {
    const queue = this.#faults.get(route) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.#faults.set(route, queue);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  uploads(): RecordedRequest[] {
    return this.requests.filter((r) => r.route === "upload");
  }

  /** Points the SDK's exported lighthouseConfig here; returns the function that points it back. */
  pointSdkHere(): () => void {
    const saved = { api: lighthouseConfig.lighthouseAPI, node: lighthouseConfig.lighthouseNode, gw: lighthouseConfig.lighthouseGateway };
    lighthouseConfig.lighthouseAPI = this.url;
    lighthouseConfig.lighthouseNode = this.url;
    lighthouseConfig.lighthouseGateway = this.url;
    return () => {
      lighthouseConfig.lighthouseAPI = saved.api;
      lighthouseConfig.lighthouseNode = saved.node;
      lighthouseConfig.lighthouseGateway = saved.gw;
    };
  }

  /** A provenant.config.json that sends the CLI here, with fast retries for tests. */
  writeProjectConfig(path: string, overrides: Record<string, unknown> = {}, storage?: string): string {
    const config = {
      format: "provenant-config-v1",
      ...(storage ? { storage } : {}),
      lighthouse: { apiUrl: this.url, uploadUrl: this.url, gatewayUrl: this.url, timeoutMs: 2_000, retries: 3, retryBaseMs: 20, ...overrides },
    };
    writeFileSync(path, JSON.stringify(config, null, 2));
    return path;
  }

  #takeFault(route: Route): Fault | null {
    return this.#faults.get(route)?.shift() ?? null;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://standin");
    const route: Route | "other" =
      url.pathname === "/api/v0/add"
        ? "upload"
        : url.pathname === "/api/lighthouse/deal_status"
          ? "deals"
          : url.pathname === "/api/lighthouse/get_proof"
            ? "podsi"
            : url.pathname.startsWith("/ipfs/")
              ? "gateway"
              : "other";
    const chunks: Buffer[] = [];
    const record: RecordedRequest = {
      route,
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization ?? null,
      contentType: req.headers["content-type"] ?? null,
      part: null,
      answered: 0,
    };
    this.requests.push(record);
    const json = (status: number, value: unknown) => {
      record.answered = status;
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    };

    const fault = route === "other" ? null : this.#takeFault(route);
    if (fault?.kind === "hang") {
      record.answered = "fault";
      return; // the request stays open; close() ends it
    }
    if (fault?.kind === "reset") {
      record.answered = "fault";
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      record.answered = fault.status;
      res.writeHead(fault.status, { "content-type": "application/json" }).end(fault.body ?? JSON.stringify({ error: `stand-in fault ${fault.status}` }));
      return;
    }

    if (route === "gateway") {
      if (fault?.kind === "truncate" || fault?.kind === "altered") {
        let bytes: Uint8Array;
        try {
          bytes = await this.store.get(url.pathname.slice("/ipfs/".length));
        } catch {
          return json(404, { error: "not found" });
        }
        record.answered = "fault";
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
        if (fault.kind === "truncate") {
          res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
          setTimeout(() => req.socket.destroy(), 20);
        } else {
          const changed = Buffer.from(bytes);
          changed[changed.length >> 1] ^= 1;
          res.end(changed);
        }
        return;
      }
      record.answered = 200;
      this.#gateway.server.emit("request", req, res);
      return;
    }

    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);

    if (route === "upload") {
      if (req.method !== "POST") return json(405, { error: "use POST" });
      if (url.searchParams.get("cid-version") !== "1") return json(400, { error: "the stand-in answers cid-version=1 only" });
      const wrap = url.searchParams.get("wrap-with-directory");
      if (wrap !== null && wrap !== "false") return json(400, { error: "the stand-in does not wrap with a directory" });
      if (req.headers.authorization !== `Bearer ${this.apiKey}`) return json(401, { error: "Invalid API Key" });
      const part = parseMultipart(record.contentType, body);
      if (part === "bad" || part === null || part.name !== "file") return json(400, { error: "expected one multipart part named file" });
      record.part = part;
      const cid = await kuboFileCid(part.bytes);
      await this.store.put(part.bytes);
      if (fault?.kind === "truncate") {
        record.answered = "fault";
        const answer = JSON.stringify({ Name: part.filename ?? "", Hash: cid, Size: String(part.bytes.length) });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
        res.write(answer.slice(0, answer.length >> 1));
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      if (fault?.kind === "garbage") {
        record.answered = "fault";
        res.writeHead(200, { "content-type": "application/json" }).end("<html>502 Bad Gateway</html>");
        return;
      }
      const hash = fault?.kind === "altered" ? await kuboFileCid(Buffer.concat([part.bytes, Buffer.from("x")])) : cid;
      return json(200, { Name: part.filename ?? "", Hash: hash, Size: String(part.bytes.length) });
    }
    if (route === "deals") {
      if (req.method !== "GET") return json(405, { error: "use GET" });
      const cid = url.searchParams.get("cid") ?? "";
      return json(200, this.deals.get(cid) ?? []);
    }
    if (route === "podsi") {
      if (req.method !== "GET") return json(405, { error: "use GET" });
      const proof = this.proofs.get(url.searchParams.get("cid") ?? "");
      return proof ? json(200, proof) : json(400, { error: "Proof Doesn't exist yet" });
    }
    return json(404, { error: "not a Lighthouse path" });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
    await this.#gateway.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

export async function startLighthouseStandin(options: { apiKey?: string } = {}): Promise<LighthouseStandin> {
  const dir = mkdtempSync(join(tmpdir(), "lighthouse-standin-"));
  const store = new LocalStore(dir);
  const gateway = await startGateway(store, { port: 0 });
  gateway.server.unref();
  let standin: LighthouseStandin | null = null;
  const server = createServer((req, res) => {
    standin!.handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(e) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  standin = new LighthouseStandin(server, `http://127.0.0.1:${port}`, options.apiKey ?? "standin-key", store, gateway, dir);
  return standin;
}
