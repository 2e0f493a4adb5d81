import { randomBytes } from "node:crypto";
import { lighthouseConfig } from "@lighthouse-web3/sdk/dist/lighthouse.config.js";
import { StorageError, type ProvenantErrorCode } from "../errors.ts";
import { parseDeals, parsePodsi, type FilecoinDeal, type Podsi } from "./filecoin-deals.ts";
import { HttpFailure, httpSend, type HttpResponse } from "./http.ts";
import { withRetry, type RetryPolicy } from "./retry.ts";

/**
 * Lighthouse's HTTP API, spoken exactly as @lighthouse-web3/sdk 0.4.7 speaks it (read from its dist/ sources):
 *
 * - upload: `POST {lighthouseNode}/api/v0/add?wrap-with-directory=false&cid-version=1`, `Authorization: Bearer <key>`,
 *   a multipart/form-data body with one part named "file" (filename, `Content-Type: application/octet-stream`)
 *   and a `----WebKitFormBoundary<hex>` boundary: dist/Lighthouse/upload/files/node.js and utils/util.js
 *   (fetchWithDirectStream). Answer: Kubo's add object `{ Name, Hash, Size }` (Size a string): docs quick-start.
 * - deal status: `GET {lighthouseAPI}/api/lighthouse/deal_status?cid=<cid>`, no key: dist/Lighthouse/dealStatus/index.js.
 * - PoDSI: `GET {lighthouseAPI}/api/lighthouse/get_proof?cid=<cid>[&network=testnet]`, 400 while no proof exists:
 *   SDK 0.4.1 dist/Lighthouse/podsi/index.js (dropped from 0.4.7), lighthouse-python-sdk functions/podsi.py, docs.
 * - reads: an IPFS path gateway, `GET {gateway}/ipfs/<cid>` (the SDK's lighthouseGateway by default).
 *
 * The endpoints default to the SDK's exported `lighthouseConfig`, so pointing that object elsewhere (as the tests
 * do, at a local stand-in) moves the SDK's own calls and these together. The SDK's functions themselves are not
 * called: they have no timeout or abort (a silent server hangs them forever), they drop the HTTP status (a refused
 * key and a server error read alike), and they report no progress for buffers; this module adds those and keeps
 * the wire format byte for byte. test/storage/lighthouse-sdk.test.ts runs the real SDK against the same stand-in.
 */
export interface LighthouseEndpoints {
  /** api.lighthouse.storage: deal status, PoDSI. */
  api: string;
  /** upload.lighthouse.storage: the Kubo-compatible add endpoint. */
  upload: string;
  /** An IPFS path gateway for reads. */
  gateway: string;
}

export function sdkEndpoints(): LighthouseEndpoints {
  return { api: lighthouseConfig.lighthouseAPI, upload: lighthouseConfig.lighthouseNode, gateway: lighthouseConfig.lighthouseGateway };
}

/** A Lighthouse failure; `transient` ones (5xx, 408, 429, timeouts, dropped or cut-short answers) are retried. */
export class LighthouseError extends StorageError {
  readonly transient: boolean;
  readonly status: number | null;
  constructor(code: ProvenantErrorCode, message: string, options: { transient: boolean; status?: number; cause?: unknown }) {
    super(code, message, { cause: options.cause });
    this.transient = options.transient;
    this.status = options.status ?? null;
  }
}

export const isTransient = (e: unknown): boolean => e instanceof LighthouseError && e.transient;

export interface UploadProgress {
  name: string;
  cid: string;
  sent: number;
  total: number;
}

export interface LighthouseClientOptions {
  endpoints: LighthouseEndpoints;
  /** Asked for only when an upload is needed: reads never need the key. */
  apiKey: () => Promise<string>;
  /** Inactivity timeout of one request. */
  timeoutMs: number;
  retry: RetryPolicy;
  onRetry?: (what: string, e: unknown, attempt: number, delayMs: number) => void;
}

export interface UploadAnswer {
  name: string;
  cid: string;
  size: string;
}

/** One line from a server's error body: its `error`/`message` field when JSON, else the start of the text. */
function detail(body: Buffer): string {
  let text = body.subarray(0, 2048).toString("utf8");
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    const m = typeof j.error === "string" ? j.error : typeof j.message === "string" ? j.message : null;
    if (m) text = m;
  } catch {}
  text = text.replace(/\s+/g, " ").trim();
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function statusError(res: HttpResponse, what: string, authHint: string): LighthouseError {
  const s = res.status;
  const why = detail(res.body);
  const suffix = `(HTTP ${s}${why ? `: ${why}` : ""})`;
  if (s === 401 || s === 403) {
    return new LighthouseError("STORAGE_AUTH", `Lighthouse refused the API key for ${what} ${suffix}: ${authHint}`, { transient: false, status: s });
  }
  if (s === 404 || s === 410) return new LighthouseError("STORAGE_NOT_FOUND", `${what}: not found ${suffix}`, { transient: false, status: s });
  if (s === 408 || s === 429 || s >= 500) {
    return new LighthouseError("STORAGE_UNREACHABLE", `${what}: the server failed ${suffix}`, { transient: true, status: s });
  }
  return new LighthouseError("STORAGE_REJECTED", `${what}: refused ${suffix}`, { transient: false, status: s });
}

function transportError(e: unknown, what: string): unknown {
  if (!(e instanceof HttpFailure)) return e;
  if (e.kind === "too-large") return new LighthouseError("STORAGE_CORRUPT", `${what}: ${e.message}`, { transient: false, cause: e });
  return new LighthouseError("STORAGE_UNREACHABLE", `${what}: ${e.message}`, { transient: true, cause: e });
}

const KEY_HINT = "set LIGHTHOUSE_API_KEY or `npx hardhat keystore set LIGHTHOUSE_API_KEY` to a valid key";

export class LighthouseClient {
  readonly endpoints: LighthouseEndpoints;
  readonly #options: LighthouseClientOptions;

  constructor(options: LighthouseClientOptions) {
    this.#options = options;
    this.endpoints = {
      api: options.endpoints.api.replace(/\/+$/, ""),
      upload: options.endpoints.upload.replace(/\/+$/, ""),
      gateway: options.endpoints.gateway.replace(/\/+$/, ""),
    };
  }

  /** Runs one request with retries; `check` turns a response into a value or a LighthouseError. */
  async #request<T>(
    what: string,
    url: string,
    init: Parameters<typeof httpSend>[1] | (() => Promise<Parameters<typeof httpSend>[1]>),
    check: (res: HttpResponse) => T,
  ): Promise<T> {
    return withRetry(
      async () => {
        const options = typeof init === "function" ? await init() : init;
        let res: HttpResponse;
        try {
          res = await httpSend(url, options);
        } catch (e) {
          throw transportError(e, what);
        }
        return check(res);
      },
      this.#options.retry,
      isTransient,
      {
        onRetry: (e, attempt, delay) => this.#options.onRetry?.(what, e, attempt, delay),
        onGiveUp: (e, attempts) =>
          attempts > 1 && e instanceof LighthouseError
            ? new LighthouseError(e.code, `${e.message}; gave up after ${attempts} attempts`, { transient: true, status: e.status ?? undefined, cause: e })
            : e,
      },
    );
  }

  /** Uploads one object; the caller checks the returned CID against its own. */
  async upload(bytes: Uint8Array, name: string, onProgress?: (sent: number, total: number) => void): Promise<UploadAnswer> {
    const what = `the upload of ${name} to ${new URL(this.endpoints.upload).host}`;
    const boundary = `----WebKitFormBoundary${randomBytes(8).toString("hex")}`;
    const safeName = name.replace(/["\r\n\\]/g, "_");
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const url = `${this.endpoints.upload}/api/v0/add?wrap-with-directory=false&cid-version=1`;
    return this.#request(
      what,
      url,
      async () => ({
        method: "POST" as const,
        headers: { authorization: `Bearer ${await this.#options.apiKey()}`, "content-type": `multipart/form-data; boundary=${boundary}` },
        body: [head, bytes, tail],
        idleTimeoutMs: this.#options.timeoutMs,
        onUploadProgress: onProgress ? (sent) => onProgress(Math.max(0, Math.min(bytes.length, sent - head.length)), bytes.length) : undefined,
      }),
      (res) => {
        if (res.status !== 200) throw statusError(res, what, KEY_HINT);
        return parseAddAnswer(res.body, what);
      },
    );
  }

  async dealStatus(cid: string): Promise<FilecoinDeal[]> {
    const what = `Lighthouse's deal status for ${cid}`;
    return this.#request(what, `${this.endpoints.api}/api/lighthouse/deal_status?cid=${cid}`, { idleTimeoutMs: this.#options.timeoutMs }, (res) => {
      if (res.status !== 200) throw statusError(res, what, KEY_HINT);
      return parseDeals(parseJson(res.body, what));
    });
  }

  /** The proof of data-segment inclusion, or null while Lighthouse has none yet (HTTP 400, per its SDKs). */
  async podsi(cid: string, network: "mainnet" | "testnet"): Promise<Podsi | null> {
    const what = `Lighthouse's proof of data-segment inclusion for ${cid}`;
    const url = `${this.endpoints.api}/api/lighthouse/get_proof?cid=${cid}${network === "testnet" ? "&network=testnet" : ""}`;
    return this.#request(what, url, { idleTimeoutMs: this.#options.timeoutMs }, (res) => {
      if (res.status === 400 || res.status === 404) return null;
      if (res.status !== 200) throw statusError(res, what, KEY_HINT);
      return parsePodsi(parseJson(res.body, what));
    });
  }

  /** The bytes the gateway serves for a CID, unverified: the store checks them against the CID. */
  async read(cid: string, maxBytes?: number, kind?: string): Promise<Uint8Array> {
    const what = `reading ${cid}${kind ? ` (a ${kind})` : ""} from the gateway ${new URL(this.endpoints.gateway).host}`;
    return this.#request(what, `${this.endpoints.gateway}/ipfs/${cid}`, { idleTimeoutMs: this.#options.timeoutMs, maxBodyBytes: maxBytes }, (res) => {
      if (res.status !== 200) throw statusError(res, what, "the gateway needs no key: check the gateway URL");
      return new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.length);
    });
  }

  async exists(cid: string): Promise<boolean> {
    const what = `asking the gateway ${new URL(this.endpoints.gateway).host} for ${cid}`;
    return this.#request(what, `${this.endpoints.gateway}/ipfs/${cid}`, { method: "HEAD", idleTimeoutMs: this.#options.timeoutMs }, (res) => {
      if (res.status === 200) return true;
      if (res.status === 404 || res.status === 410) return false;
      throw statusError(res, what, "the gateway needs no key: check the gateway URL");
    });
  }
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (e) {
    // A 200 whose body is not JSON is what a misbehaving proxy sends: worth another attempt.
    throw new LighthouseError("STORAGE_UNREACHABLE", `${what}: the answer is not JSON (${body.length} bytes)`, { transient: true, cause: e });
  }
}

/** Kubo's add answer; with several objects (newline-delimited), the last one names the root. */
function parseAddAnswer(body: Buffer, what: string): UploadAnswer {
  const lines = body
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const last = parseJson(Buffer.from(lines.at(-1) ?? ""), what) as { Name?: unknown; Hash?: unknown; Size?: unknown };
  if (typeof last !== "object" || last === null || typeof last.Hash !== "string") {
    throw new LighthouseError("STORAGE_UNREACHABLE", `${what}: the answer has no Hash`, { transient: true });
  }
  return { name: String(last.Name ?? ""), cid: last.Hash, size: String(last.Size ?? "") };
}
