/**
 * The storage boundary: content in, CID out; CID in, verified content out.
 * The local store and the Lighthouse back end implement it; nothing else in the library does network I/O.
 */
export interface GetOptions {
  /**
   * The most bytes the caller takes for this object (a format's limit, or an exact expected size): a store
   * refuses a larger object before reading it where the size is known up front, and otherwise stops reading
   * as soon as the count passes it. STORAGE_CORRUPT, naming `what`.
   */
  maxBytes?: number;
  /** What the object is, for that error ("dataset manifest"). */
  what?: string;
}

/** The cap for an object whose caller names none. */
export const DEFAULT_MAX_GET_BYTES = 1 << 30;

/** The error of a store that was offered more than `maxBytes`. */
export function tooLargeMessage(where: string, cid: string, size: number | "more", options: GetOptions): string {
  const max = options.maxBytes ?? DEFAULT_MAX_GET_BYTES;
  const what = options.what ? ` (a ${options.what})` : "";
  return size === "more"
    ? `${where} sent more than ${max.toLocaleString("en-US")} bytes for ${cid}${what}, more than it can be: cut off`
    : `${where} has ${size.toLocaleString("en-US")} bytes for ${cid}${what}, more than the ${max.toLocaleString("en-US")} it can be: not read`;
}

export interface ContentStore {
  readonly kind: string;
  /** Stores bytes and returns their CID (Kubo's CIDv1 defaults). Storing the same bytes twice is a no-op. */
  put(bytes: Uint8Array, options?: { name?: string }): Promise<string>;
  /** Returns the bytes behind a CID, verified against it; throws STORAGE_NOT_FOUND or STORAGE_CORRUPT. */
  get(cid: string, options?: GetOptions): Promise<Uint8Array>;
  has(cid: string): Promise<boolean>;
}
