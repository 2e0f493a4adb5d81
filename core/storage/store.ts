/**
 * The storage boundary: content in, CID out; CID in, verified content out.
 * The local store and the Lighthouse back end implement it; nothing else in the library does network I/O.
 */
export interface ContentStore {
  readonly kind: string;
  /** Stores bytes and returns their CID (Kubo's CIDv1 defaults). Storing the same bytes twice is a no-op. */
  put(bytes: Uint8Array, options?: { name?: string }): Promise<string>;
  /** Returns the bytes behind a CID, verified against it; throws STORAGE_NOT_FOUND or STORAGE_CORRUPT. */
  get(cid: string): Promise<Uint8Array>;
  has(cid: string): Promise<boolean>;
}
