import { StorageError, isProvenantError } from "../errors.ts";
import { cidOf, parseCid } from "./cid.ts";
import { LighthouseClient, type LighthouseEndpoints, type UploadProgress } from "./lighthouse-api.ts";
import { LocalStore } from "./local-store.ts";
import type { RetryPolicy } from "./retry.ts";
import { DEFAULT_MAX_GET_BYTES, type ContentStore, type GetOptions } from "./store.ts";
import { journalPath, UploadJournal } from "./upload-journal.ts";

export interface LighthouseStoreOptions {
  dataDir: string;
  endpoints: LighthouseEndpoints;
  apiKey: () => Promise<string>;
  timeoutMs: number;
  retry: RetryPolicy;
  onUploadProgress?: (p: UploadProgress) => void;
  onRetry?: (what: string, e: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Content on Filecoin through Lighthouse, with the local store as a write-through cache:
 *
 * - put: computes the CID locally first (Kubo's CIDv1 defaults, as Lighthouse uses), keeps the bytes in the local
 *   store before any network I/O (a failed upload loses nothing), skips CIDs the upload journal shows Lighthouse
 *   already confirmed (so an interrupted run resumes), uploads with retries, and accepts the upload only if
 *   Lighthouse answers with the same CID; then journals it.
 * - get: the verified local copy when there is one, else the configured IPFS gateway, whose bytes must hash to the
 *   CID (a cut-short or altered answer is refused) and are then cached locally.
 */
export class LighthouseStore implements ContentStore {
  readonly kind = "lighthouse";
  readonly local: LocalStore;
  readonly journal: UploadJournal;
  readonly client: LighthouseClient;
  readonly stats = { uploaded: 0, skipped: 0, bytesUploaded: 0, gatewayReads: 0 };
  readonly #onUploadProgress?: (p: UploadProgress) => void;

  constructor(options: LighthouseStoreOptions) {
    this.local = new LocalStore(options.dataDir);
    this.client = new LighthouseClient({
      endpoints: options.endpoints,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      onRetry: options.onRetry,
    });
    this.journal = new UploadJournal(journalPath(options.dataDir, this.client.endpoints.upload), this.client.endpoints.upload);
    this.#onUploadProgress = options.onUploadProgress;
  }

  async put(bytes: Uint8Array, options: { name?: string } = {}): Promise<string> {
    const cid = await this.local.put(bytes);
    if (this.journal.has(cid)) {
      this.stats.skipped++;
      return cid;
    }
    const name = options.name ?? cid;
    const progress = this.#onUploadProgress;
    const answer = await this.client.upload(bytes, name, progress ? (sent, total) => progress({ name, cid, sent, total }) : undefined);
    let remote: string;
    try {
      remote = parseCid(answer.cid);
    } catch (e) {
      throw new StorageError("STORAGE_CORRUPT", `Lighthouse answered the upload of ${name} with "${answer.cid}", which is not a CID`, { cause: e });
    }
    if (remote !== cid) {
      throw new StorageError(
        "STORAGE_CORRUPT",
        `Lighthouse stored ${name} as ${remote}, not ${cid}: the bytes changed in transit or it used other CID settings; nothing was recorded`,
      );
    }
    this.journal.record(cid, bytes.length);
    this.stats.uploaded++;
    this.stats.bytesUploaded += bytes.length;
    return cid;
  }

  async get(cid: string, options: GetOptions = {}): Promise<Uint8Array> {
    const canonical = parseCid(cid);
    try {
      return await this.local.get(canonical, options);
    } catch (e) {
      // Not cached, or the cached copy was damaged: the gateway's verified copy replaces it.
      if (!isProvenantError(e) || (e.code !== "STORAGE_NOT_FOUND" && e.code !== "STORAGE_CORRUPT")) throw e;
    }
    const bytes = await this.client.read(canonical, options.maxBytes ?? DEFAULT_MAX_GET_BYTES, options.what).catch((e) => {
      if (isProvenantError(e) && e.code === "STORAGE_NOT_FOUND") {
        throw new StorageError("STORAGE_NOT_FOUND", `${canonical} is neither in the local store nor on the gateway ${this.client.endpoints.gateway}`, { cause: e });
      }
      throw e;
    });
    this.stats.gatewayReads++;
    if ((await cidOf(bytes)) !== canonical) {
      throw new StorageError(
        "STORAGE_CORRUPT",
        `the gateway ${this.client.endpoints.gateway} answered ${bytes.length} bytes for ${canonical} that do not hash to it (cut short or altered)`,
      );
    }
    await this.local.put(bytes);
    return bytes;
  }

  /** Stored on Filecoin through Lighthouse: confirmed in the journal, or served by the gateway. */
  async has(cid: string): Promise<boolean> {
    const canonical = parseCid(cid);
    return this.journal.has(canonical) || (await this.client.exists(canonical));
  }
}
