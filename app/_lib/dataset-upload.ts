import { MAX_BROWSER_LEAVES } from "./limits.ts";

/**
 * What the mint form sends to POST /api/datasets: one line of JSON (the metadata, as JSON.stringify writes it,
 * which never contains a raw newline), a newline, then the sorted leaves, 32 bytes each. Browser-safe.
 *
 * Its own media type on purpose: a page of another site can send text/plain, form-urlencoded or multipart
 * without a CORS preflight, but not this, so the browser asks first and the app never says yes. The leaves
 * travel as bytes, not base64 inside JSON, so the server holds one copy of them, not four.
 */
export const DATASET_UPLOAD_TYPE = "application/vnd.provenant.dataset-upload-v1";

/** The metadata line: name, license, description and counts fit in a few KiB. */
export const MAX_UPLOAD_META_BYTES = 64 * 1024;

/** The largest body the route reads: the metadata line, the newline and the most leaves the app stores. */
export const MAX_DATASET_UPLOAD_BYTES = MAX_UPLOAD_META_BYTES + 1 + MAX_BROWSER_LEAVES * 32;

export function encodeDatasetUpload(meta: Record<string, unknown>, leaves: Uint8Array): Blob {
  return new Blob([JSON.stringify(meta), "\n", leaves as Uint8Array<ArrayBuffer>], { type: DATASET_UPLOAD_TYPE });
}

/** Splits an upload into its metadata text and its leaves; null when there is no newline within the metadata limit. */
export function splitDatasetUpload(body: Uint8Array): { meta: string; leaves: Uint8Array } | null {
  const end = body.subarray(0, MAX_UPLOAD_META_BYTES + 1).indexOf(0x0a);
  if (end < 0) return null;
  return { meta: new TextDecoder("utf-8", { fatal: false }).decode(body.subarray(0, end)), leaves: body.subarray(end + 1) };
}
