import { StorageError } from "../errors.ts";
import { concatBytes } from "../hex.ts";
import { cidOf, parseCid } from "./cid.ts";
import { DEFAULT_MAX_GET_BYTES, tooLargeMessage, type ContentStore, type GetOptions } from "./store.ts";

/**
 * A read-only ContentStore over an IPFS path gateway (`GET <base>/ipfs/<cid>`), for the browser and the
 * server alike. Every object is checked against its CID before it is returned, so the gateway is not trusted;
 * objects are immutable, so they are kept for the life of the store. Nor is its size trusted: an object is
 * refused when its Content-Length is above the caller's cap, and cut off when the bytes keep coming past it.
 */
export interface GatewayStats {
  reads: number;
  bytes: number;
  ms: number;
}

export class GatewayStore implements ContentStore {
  readonly kind = "gateway";
  readonly baseUrl: string;
  readonly stats: GatewayStats = { reads: 0, bytes: 0, ms: 0 };
  private readonly timeoutMs: number;
  private readonly cache: Map<string, Promise<Uint8Array>> | null;

  /**
   * `baseUrl` may be "" in the browser: the app serves the gateway under its own origin at /ipfs/<cid>.
   * `cache: false` keeps nothing, for a reader that streams every shard once (an audit).
   */
  constructor(baseUrl: string, options: { timeoutMs?: number; cache?: boolean } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.cache = options.cache === false ? null : new Map();
  }

  /** Where the gateway is, in words, for error messages. */
  get where(): string {
    return this.baseUrl === "" ? "the app's storage gateway (/ipfs)" : `the storage gateway at ${this.baseUrl}`;
  }

  urlOf(cid: string): string {
    return `${this.baseUrl}/ipfs/${parseCid(cid)}`;
  }

  async put(): Promise<string> {
    throw new StorageError("STORAGE_AUTH", "the gateway is read-only: content is stored through the app's server");
  }

  async has(cid: string): Promise<boolean> {
    try {
      const res = await fetch(this.urlOf(cid), { method: "HEAD", signal: AbortSignal.timeout(this.timeoutMs) });
      return res.ok;
    } catch {
      return false;
    }
  }

  async get(cid: string, options: GetOptions = {}): Promise<Uint8Array> {
    const canonical = parseCid(cid);
    const cache = this.cache;
    if (!cache) return this.fetchVerified(canonical, options);
    let pending = cache.get(canonical);
    if (!pending) {
      pending = this.fetchVerified(canonical, options);
      cache.set(canonical, pending);
      pending.catch(() => cache.delete(canonical));
    }
    const bytes = await pending;
    // Fetched earlier under a larger cap: this caller's cap still holds.
    if (bytes.length > (options.maxBytes ?? DEFAULT_MAX_GET_BYTES)) {
      throw new StorageError("STORAGE_CORRUPT", tooLargeMessage(this.where, canonical, bytes.length, options));
    }
    return bytes;
  }

  /** The body, counted as it arrives: refused on a Content-Length above the cap, cut off once past it. */
  private async readCapped(res: Response, cid: string, options: GetOptions): Promise<Uint8Array> {
    const max = options.maxBytes ?? DEFAULT_MAX_GET_BYTES;
    const declared = res.headers.get("content-length");
    if (declared !== null && Number(declared) > max) {
      await res.body?.cancel().catch(() => {});
      throw new StorageError("STORAGE_CORRUPT", tooLargeMessage(this.where, cid, Number(declared), options));
    }
    if (!res.body) return new Uint8Array(0);
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (e) {
        throw new StorageError("STORAGE_UNREACHABLE", `${this.where} stopped sending ${cid}`, { cause: e });
      }
      if (next.done) break;
      received += next.value.length;
      if (received > max) {
        await reader.cancel().catch(() => {});
        throw new StorageError("STORAGE_CORRUPT", tooLargeMessage(this.where, cid, "more", options));
      }
      chunks.push(next.value);
    }
    return concatBytes(chunks);
  }

  private async fetchVerified(cid: string, options: GetOptions): Promise<Uint8Array> {
    const t0 = performance.now();
    let res: Response;
    try {
      res = await fetch(this.urlOf(cid), { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new StorageError("STORAGE_UNREACHABLE", `${this.where} does not answer`, { cause: e });
    }
    if (res.status === 404) throw new StorageError("STORAGE_NOT_FOUND", `${cid} is not on ${this.where}`);
    if (res.status === 502 && res.headers.get("x-provenant-upstream") === "unreachable") {
      throw new StorageError("STORAGE_UNREACHABLE", `${this.where} cannot reach its storage (${await res.text()})`);
    }
    // The app's /ipfs route passes bytes through from its gateway and names it: errors say where bytes came from.
    const source = res.headers.get("x-provenant-source");
    const via = source && source.length < 300 ? ` (passed through from ${source})` : "";
    if (res.status === 502 && res.headers.get("x-provenant-error") === "STORAGE_CORRUPT") {
      // A Provenant gateway that found its own copy corrupt says so; the bytes were never sent.
      const said = (await res.text().catch(() => "")).trim().slice(0, 300);
      throw new StorageError("STORAGE_CORRUPT", `${this.where}${via} holds a copy of ${cid} whose bytes do not hash to that CID${said ? ` (${said})` : ""}`);
    }
    if (!res.ok) throw new StorageError("STORAGE_UNREACHABLE", `${this.where}${via} answered ${res.status} for ${cid}`);
    const bytes = await this.readCapped(res, cid, options);
    if ((await cidOf(bytes)) !== cid) {
      throw new StorageError("STORAGE_CORRUPT", `${this.where}${via} sent bytes for ${cid} that do not hash to that CID`);
    }
    this.stats.reads++;
    this.stats.bytes += bytes.length;
    this.stats.ms += performance.now() - t0;
    return bytes;
  }
}
