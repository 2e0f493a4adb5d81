import { commitSamples, storeCommitment } from "../../../core/dataset/commit.ts";
import type { Encoding } from "../../../core/dataset/encodings.ts";
import { ENCODINGS, isEncoding } from "../../../core/dataset/encoding-table.ts";
import { InputError, isProvenantError, ProvenantError } from "../../../core/errors.ts";
import { compareBytes, isHex32, toHex } from "../../../core/hex.ts";
import { isTokenId } from "../../../core/identifiers.ts";
import { DATASET_UPLOAD_TYPE, MAX_DATASET_UPLOAD_BYTES, splitDatasetUpload } from "../../_lib/dataset-upload.ts";
import { MAX_BROWSER_LEAVES } from "../../_lib/limits.ts";
import { appChain } from "../../_lib/server/chain.ts";
import { appConfig } from "../../_lib/server/config.ts";
import { readCappedBody, refuseOtherSites, requireContentType, requireWriteToken, RequestRefused } from "../../_lib/server/request-guard.ts";
import { writeStore } from "../../_lib/server/storage.ts";

/**
 * Stores a dataset's commitment that a browser built: the sorted distinct leaves and the metadata. The server
 * trusts none of it: it checks the leaves are sorted and distinct, recomputes the root with the library and
 * refuses a mismatch, then stores shards, index and manifest with the library's storeCommitment. The storage
 * credentials stay here; the browser gets back the manifest CID to mint with its wallet.
 *
 * Only the app's own pages may upload (request-guard.ts): same origin, the upload media type (which no other
 * site's page can send without a preflight), a body cut at its cap while it streams, and off loopback the
 * operator's write token.
 */
export const dynamic = "force-dynamic";

interface MintMeta {
  name: string;
  description: string;
  license: string;
  previousVersion: string | null;
  encoding: Encoding;
  root: string;
  totalSamples: number;
  skipped: { hidden: number; symlinks: number; other: number; emptyRecords: number };
  bytes: number;
}

function bad(message: string): never {
  throw new InputError("INPUT_INVALID", message);
}

function count(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) bad(`${what} must be a whole number`);
  return v;
}

function text(v: unknown, what: string, max: number, required: boolean): string {
  if (v === undefined || v === null) v = "";
  if (typeof v !== "string") bad(`${what} must be text`);
  const s = v.trim();
  if (required && s.length === 0) bad(`${what} is required`);
  if (s.length > max) bad(`${what} is longer than ${max} characters`);
  return s;
}

function parseMeta(raw: unknown): MintMeta {
  if (typeof raw !== "string") bad("meta is missing");
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(raw);
  } catch {
    bad("meta is not JSON");
  }
  if (typeof m !== "object" || m === null) bad("meta is not an object");
  // Any encoding of the table: the leaves are checked against the root, not against samples the server never sees.
  if (!isEncoding(m.encoding)) bad(`encoding must be one of ${ENCODINGS.join(", ")}`);
  if (!isHex32(m.root)) bad("root must be a 0x-prefixed 32-byte hex string");
  const prev = m.previousVersion;
  if (prev !== null && prev !== undefined && prev !== "" && !isTokenId(prev)) {
    bad("previous version must be a token id (1, 2, …)");
  }
  const s = (m.skipped ?? {}) as Record<string, unknown>;
  return {
    name: text(m.name, "name", 200, true),
    description: text(m.description, "description", 2_000, false),
    license: text(m.license, "license", 100, true),
    previousVersion: typeof prev === "string" && prev !== "" ? prev : null,
    encoding: m.encoding as Encoding,
    root: (m.root as string).toLowerCase(),
    totalSamples: count(m.totalSamples, "totalSamples"),
    skipped: {
      hidden: count(s.hidden, "skipped.hidden"),
      symlinks: count(s.symlinks, "skipped.symlinks"),
      other: count(s.other, "skipped.other"),
      emptyRecords: count(s.emptyRecords, "skipped.emptyRecords"),
    },
    bytes: count(m.bytes, "bytes"),
  };
}

function status(e: ProvenantError): number {
  if (e instanceof RequestRefused) return e.status;
  if (e.code === "STORAGE_UNREACHABLE" || e.code === "CHAIN_UNREACHABLE") return 502;
  if (e.code === "ROOT_MISMATCH") return 422;
  return 400;
}

export async function POST(request: Request): Promise<Response> {
  try {
    const config = appConfig();
    refuseOtherSites(request, config);
    requireWriteToken(request, config);
    requireContentType(request, DATASET_UPLOAD_TYPE);
    const upload = splitDatasetUpload(await readCappedBody(request, MAX_DATASET_UPLOAD_BYTES, "the upload"));
    if (!upload) bad("the upload does not start with a line of metadata");
    const meta = parseMeta(upload.meta);
    const leaves = upload.leaves;
    if (leaves.length % 32 !== 0) bad("leaves must be whole 32-byte hashes");
    const n = leaves.length / 32;
    if (n === 0) throw new InputError("DATASET_EMPTY", "the dataset has no samples: an empty dataset has no commitment");
    if (n > MAX_BROWSER_LEAVES) bad(`${n} leaves is more than the app stores (${MAX_BROWSER_LEAVES}); use provenant dataset mint`);
    if (meta.totalSamples < n) bad(`totalSamples (${meta.totalSamples}) is below the number of distinct samples (${n})`);
    for (let i = 1; i < n; i++) {
      if (compareBytes(leaves.subarray((i - 1) * 32, i * 32), leaves.subarray(i * 32, i * 32 + 32)) >= 0) {
        bad(`leaves must be sorted ascending and distinct (leaf ${i} is not above leaf ${i - 1})`);
      }
    }
    if (meta.previousVersion) await (await appChain()).registry.record(BigInt(meta.previousVersion));

    const c = commitSamples({ encoding: meta.encoding, hashes: leaves, total: meta.totalSamples, skipped: meta.skipped, bytes: meta.bytes });
    if (c.n !== n || toHex(c.root) !== meta.root) {
      throw new ProvenantError("ROOT_MISMATCH", `the leaves hash to root ${toHex(c.root)}, not to the root sent (${meta.root})`);
    }
    const stored = await storeCommitment(c, writeStore(), {
      name: meta.name,
      description: meta.description,
      license: meta.license,
      previousVersion: meta.previousVersion,
    });
    return Response.json({
      ok: true,
      manifestCid: stored.manifestCid,
      indexCid: stored.indexCid,
      shardCount: stored.shardCids.length,
      manifest: stored.manifest,
    });
  } catch (e) {
    if (isProvenantError(e)) return Response.json({ ok: false, error: { code: e.code, message: e.message } }, { status: status(e) });
    console.error(e);
    return Response.json({ ok: false, error: { code: "INTERNAL", message: "the server could not store the dataset" } }, { status: 500 });
  }
}
