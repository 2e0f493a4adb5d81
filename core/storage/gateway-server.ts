import { createServer, type Server } from "node:http";
import { isProvenantError } from "../errors.ts";
import type { ContentStore } from "./store.ts";

/**
 * An IPFS path gateway over any ContentStore: `GET /ipfs/<cid>` (and HEAD), CORS open, immutable caching,
 * content type sniffed from the bytes. The dApp and any IPFS tool read the local store as they read a
 * public gateway.
 */
export interface Gateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function contentTypeOf(bytes: Uint8Array): string {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x50, 0x56, 0x4e, 0x54, 0x49, 0x44, 0x58)) return "application/octet-stream"; // PVNTIDX shard index
  const head = new TextDecoder().decode(bytes.subarray(0, 1)).trim();
  if (head === "{" || head === "[") {
    try {
      JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      return "application/json";
    } catch {}
  }
  return "application/octet-stream";
}

export function startGateway(store: ContentStore, options: { port?: number; host?: string } = {}): Promise<Gateway> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer(async (req, res) => {
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-allow-methods", "GET, HEAD, OPTIONS");
    res.setHeader("access-control-allow-headers", "range, content-type");
    if (req.method === "OPTIONS") return void res.writeHead(204).end();
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405).end();
    const match = /^\/ipfs\/([A-Za-z0-9]+)\/?$/.exec(new URL(req.url ?? "/", "http://x").pathname);
    if (!match) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found: use /ipfs/<cid>\n");
    try {
      const bytes = await store.get(match[1]);
      res.writeHead(200, {
        "content-type": contentTypeOf(bytes),
        "content-length": bytes.length,
        "cache-control": "public, max-age=31536000, immutable",
        etag: `"${match[1]}"`,
        "x-ipfs-path": `/ipfs/${match[1]}`,
      });
      res.end(req.method === "HEAD" ? undefined : bytes);
    } catch (e) {
      const code = isProvenantError(e) ? e.code : "INTERNAL";
      const status = code === "STORAGE_NOT_FOUND" ? 404 : code === "INPUT_INVALID" ? 400 : code === "STORAGE_CORRUPT" ? 502 : 500;
      // x-provenant-error names the error for Provenant readers (core/storage/gateway-client.ts); others read the text.
      res.writeHead(status, { "content-type": "text/plain", "x-provenant-error": code }).end(`${isProvenantError(e) ? e.message : "internal error"}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, host, () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://${host}:${port}`, server, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
