import type { IncomingHttpHeaders, IncomingMessage, request as HttpRequest } from "node:http";
import { createRequire } from "node:module";

// node:http(s) are required on the first request, not imported: an ESM import of node:http builds its export facade,
// which loads undici (about 0.1 s of CPU) in every command that merely links this file, hashing included.
const load = createRequire(import.meta.url);
const requestFor = (protocol: string): typeof HttpRequest | null =>
  protocol === "https:" ? load("node:https").request : protocol === "http:" ? load("node:http").request : null;

/**
 * The one HTTP transport of the remote storage back ends: node:http(s) rather than fetch, so that a request has an
 * inactivity timeout (not a total one: a large upload may take long as long as bytes move), upload progress, the
 * HTTP status of every failure, and a response cut short is told apart from a complete one.
 */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequestOptions {
  method?: "GET" | "HEAD" | "POST";
  headers?: Record<string, string>;
  /** The request body as parts sent in order (e.g. multipart head, content, tail); its length is sent as content-length. */
  body?: Uint8Array[];
  /** Aborts when neither side moves a byte for this long. */
  idleTimeoutMs: number;
  onUploadProgress?: (sent: number, total: number) => void;
  /** Responses longer than this are refused rather than buffered. */
  maxBodyBytes?: number;
}

export type HttpFailureKind = "timeout" | "connection" | "truncated" | "too-large";

/** A transport failure: no complete HTTP response arrived. Callers turn it into a StorageError. */
export class HttpFailure extends Error {
  readonly kind: HttpFailureKind;
  constructor(kind: HttpFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HttpFailure";
    this.kind = kind;
  }
}

const CHUNK = 256 * 1024;
const DEFAULT_MAX_BODY = 1 << 30;

export function httpSend(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
  const target = new URL(url);
  const send = requestFor(target.protocol);
  if (!send) return Promise.reject(new HttpFailure("connection", `unsupported URL scheme in ${url}`));
  const parts = options.body ?? [];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const fail = (e: HttpFailure) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(e);
    };
    const req = send(target, {
      method: options.method ?? "GET",
      // A fresh connection per request: no keep-alive socket outlives the command or a test's server.
      agent: false,
      headers: { ...options.headers, ...(options.body ? { "content-length": String(total) } : {}) },
    });
    // Fires after idleTimeoutMs without a byte read or written on the socket, in either phase.
    req.setTimeout(options.idleTimeoutMs, () => fail(new HttpFailure("timeout", `no answer from ${target.host} within ${options.idleTimeoutMs / 1000} s`)));
    req.on("error", (e: NodeJS.ErrnoException) => {
      const what =
        e.code === "ECONNREFUSED" ? "refused the connection" : e.code === "ENOTFOUND" ? "is not a known host" : `closed the connection (${e.code ?? e.message})`;
      fail(new HttpFailure("connection", `${target.host} ${what}`, { cause: e }));
    });
    req.on("response", (res: IncomingMessage) => {
      const declared = res.headers["content-length"] === undefined ? null : Number(res.headers["content-length"]);
      if (declared !== null && declared > maxBody) {
        return fail(new HttpFailure("too-large", `${target.host} answered with ${declared} bytes, more than the ${maxBody} accepted`));
      }
      const chunks: Buffer[] = [];
      let received = 0;
      res.on("data", (c: Buffer) => {
        received += c.length;
        if (received > maxBody) return fail(new HttpFailure("too-large", `${target.host} sent more than ${maxBody} bytes`));
        chunks.push(c);
      });
      const cutShort = () => fail(new HttpFailure("truncated", `${target.host} cut its answer short (${received}${declared === null ? "" : ` of ${declared}`} bytes)`));
      res.on("error", cutShort);
      res.on("aborted", cutShort);
      res.on("end", () => {
        if (!res.complete || (declared !== null && received !== declared && options.method !== "HEAD")) return cutShort();
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, received) });
      });
    });
    void (async () => {
      let sent = 0;
      for (const part of parts) {
        for (let at = 0; at < part.length && !settled; at += CHUNK) {
          const chunk = part.subarray(at, Math.min(part.length, at + CHUNK));
          const flushed = req.write(chunk);
          sent += chunk.length;
          if (!flushed) {
            await new Promise<void>((r) => {
              const go = () => {
                req.off("drain", go).off("close", go);
                r();
              };
              req.on("drain", go).on("close", go);
            });
          }
          options.onUploadProgress?.(sent, total);
        }
      }
      if (!settled) req.end();
    })();
  });
}
