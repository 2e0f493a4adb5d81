import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { ProvenantError, type ProvenantErrorCode } from "../../../core/errors.ts";
import { concatBytes } from "../../../core/hex.ts";
import type { AppConfig } from "./config.ts";

/**
 * The checks in front of the app's write and signing endpoints (POST /api/datasets, /api/rpc).
 *
 * A page of any other site can make a visitor's browser POST to the app with a body and a content type that
 * need no CORS preflight (text/plain, a form), and the app would act with its own keys and, on a development
 * chain, the node's unlocked accounts. So: a browser request must come from one of the app's own pages
 * (Origin, and Sec-Fetch-Site where sent), with a content type no other page can send without asking first;
 * bodies are counted while they stream and cut at a cap; uploads off loopback need the operator's write token.
 */
export class RequestRefused extends ProvenantError {
  readonly status: number;
  constructor(status: number, code: ProvenantErrorCode, message: string) {
    super(code, message);
    this.status = status;
  }
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

function hostnameOf(host: string | null): string | null {
  if (!host) return null;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}

/**
 * An origin the app is served at: one named in PROVENANT_APP_ORIGIN, or a loopback origin naming this very
 * server (same host and port as the Host header). A page of another site reached through DNS rebinding has a
 * name that is not loopback, so it matches neither.
 */
function isOwnOrigin(origin: string, host: string | null, config: AppConfig): boolean {
  if (config.appOrigins.includes(origin)) return true;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file:) and anything unparsable
  }
  return (u.protocol === "http:" || u.protocol === "https:") && LOOPBACK.has(u.hostname) && u.host === host;
}

/** Refuses a request sent by a page of another site. Requests without Origin are not from a web page. */
export function refuseOtherSites(request: Request, config: AppConfig): void {
  const site = request.headers.get("sec-fetch-site");
  const origin = request.headers.get("origin");
  const from = origin ?? `Sec-Fetch-Site: ${site}`;
  if ((site !== null && site !== "same-origin") || (origin !== null && !isOwnOrigin(origin, request.headers.get("host"), config))) {
    throw new RequestRefused(
      403,
      "UNAUTHORIZED",
      `refused: the request comes from a page of another site (${from}); the app acts only for its own pages` +
        (config.appOrigins.length ? "" : " (when it is served at another origin than loopback, set PROVENANT_APP_ORIGIN)"),
    );
  }
}

/** Refuses a body that is not of `type` (parameters such as charset aside). */
export function requireContentType(request: Request, type: string): void {
  const got = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (got !== type) {
    throw new RequestRefused(415, "FORMAT_UNSUPPORTED", `the body must be ${type}, not ${got || "untyped"}`);
  }
}

const tooLarge = (what: string, max: number) =>
  new RequestRefused(413, "INPUT_INVALID", `${what} is more than the ${max.toLocaleString("en-US")} bytes this endpoint takes`);

/**
 * The request body, read as it streams and cut at `max` bytes: a declared length above it is refused before
 * a byte is read, and a body that keeps coming is dropped as soon as it passes the cap.
 */
export async function readCappedBody(request: Request, max: number, what = "the request body"): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  const length = declared === null ? null : Number(declared);
  if (length !== null && (!Number.isSafeInteger(length) || length > max)) throw tooLarge(`${what} (${declared} bytes)`, max);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  // With a declared length the bytes go straight into one buffer of that size; otherwise chunks are kept.
  const whole = length !== null ? new Uint8Array(length) : null;
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > (length ?? max)) {
      await reader.cancel().catch(() => {});
      throw length === null ? tooLarge(what, max) : new RequestRefused(400, "INPUT_INVALID", `${what} is longer than its Content-Length (${length})`);
    }
    if (whole) whole.set(value, received);
    else chunks.push(value);
    received += value.length;
  }
  if (whole) {
    if (received !== length) throw new RequestRefused(400, "INPUT_INVALID", `${what} ended after ${received} of ${length} bytes`);
    return whole;
  }
  return concatBytes(chunks);
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Dataset uploads spend the server's storage (and its storage key): on loopback anyone who can reach the
 * server is its operator, elsewhere the request must carry PROVENANT_APP_WRITE_TOKEN, and a deployment
 * without one takes no uploads.
 */
export function requireWriteToken(request: Request, config: AppConfig): void {
  if (config.writeToken === null) {
    const local = config.appOrigins.length === 0 && LOOPBACK.has(hostnameOf(request.headers.get("host")) ?? "");
    if (local) return;
    throw new RequestRefused(403, "UNAUTHORIZED", "this deployment takes no dataset uploads: its operator has not set PROVENANT_APP_WRITE_TOKEN");
  }
  const sent = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (!sent) throw new RequestRefused(401, "UNAUTHORIZED", "this app takes dataset uploads only with its write token (Authorization: Bearer <token>)");
  // Compared as digests: equal lengths for timingSafeEqual, and no length leaks.
  if (!timingSafeEqual(digest(sent), digest(config.writeToken))) throw new RequestRefused(401, "UNAUTHORIZED", "that is not this app's write token");
}
