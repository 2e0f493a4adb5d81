/**
 * The service's HTTP plumbing: errors with a status, bounded JSON bodies, JSON answers, the bearer token.
 * Every error answer is `{ok: false, error: {code, message}}`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isProvenantError } from "../core/errors.ts";

export const MAX_BODY = 1 << 20;
/**
 * An oversized body is read and discarded up to this much before the 413, so the connection stays usable;
 * beyond it the 413 goes out with `connection: close` and the connection is closed after it.
 */
export const MAX_DRAIN = 64 << 20;

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A 413 that also closes the connection (the rest of the body was not read). */
export class BodyTooLarge extends HttpError {
  readonly closeConnection: boolean;
  constructor(closeConnection: boolean) {
    super(413, "INPUT_INVALID", `request body over ${MAX_BODY} bytes`);
    this.closeConnection = closeConnection;
  }
}

export function errorBody(e: unknown): { code: string; message: string } {
  if (e instanceof HttpError) return { code: e.code, message: e.message };
  if (isProvenantError(e)) return { code: e.code, message: e.message };
  return { code: "INTERNAL", message: (e as Error)?.message ?? String(e) };
}

export function statusOf(e: unknown): number {
  if (e instanceof HttpError) return e.status;
  if (!isProvenantError(e)) return 500;
  switch (e.code as string) {
    case "INPUT_INVALID":
    case "INPUT_NOT_FOUND":
    case "RECORD_INVALID":
    case "FORMAT_UNSUPPORTED":
      return 400;
    case "NOT_ENROLLED":
      return 409;
    case "TPM_UNAVAILABLE":
    case "CHAIN_UNREACHABLE":
    case "CHAIN_NOT_DEPLOYED":
      return 503;
    default:
      return 500;
  }
}

/**
 * The request body as JSON, at most MAX_BODY bytes. An oversized body is still read to its end (up to
 * MAX_DRAIN) and dropped, never left half-read: a half-read request leaves the keep-alive connection
 * unusable, and breaking out of the stream would reset it under the client.
 */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else if (size > MAX_DRAIN) {
        req.off("data", onData);
        req.pause();
        reject(new BodyTooLarge(true));
      }
    };
    if (declared > MAX_DRAIN) return reject(new BodyTooLarge(true));
    req.on("data", onData);
    req.once("end", () => (size > MAX_BODY ? reject(new BodyTooLarge(false)) : resolve()));
    req.once("close", () => {
      if (!req.complete) reject(new HttpError(400, "INPUT_INVALID", "the request body ended early"));
    });
    req.once("error", reject);
  });
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "INPUT_INVALID", "request body is not JSON");
  }
}

/** The body as a JSON object (an empty body is `{}`); anything else is a 400. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readJson(req);
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(400, "INPUT_INVALID", "request body is not a JSON object");
  return body as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(`${text}\n`);
}

/** The answer to an error: its status and body; a body left unread closes the connection after the answer. */
export function sendError(req: IncomingMessage, res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (e instanceof BodyTooLarge && e.closeConnection) {
    // The rest of the body is not read: say so, and close once the answer is out.
    res.setHeader("connection", "close");
    res.once("finish", () => req.socket.destroySoon());
  }
  sendJson(res, statusOf(e), { ok: false, error: errorBody(e) });
}

const tokenDigest = (t: string) => createHash("sha256").update(t).digest();

/** Checks requests' bearer token against the service's, in constant time (over the tokens' digests). */
export function bearerCheck(token: string): (req: IncomingMessage) => boolean {
  const expected = tokenDigest(token);
  return (req) => {
    const auth = req.headers.authorization ?? "";
    const given = auth.startsWith("Bearer ") ? tokenDigest(auth.slice(7)) : undefined;
    return given !== undefined && timingSafeEqual(given, expected);
  };
}
