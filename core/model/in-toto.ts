import { FormatError } from "../errors.ts";
import { isHex32, type Hex32 } from "../hex.ts";
import { openssfDigestOf, weightsDigestOf, type WeightResource } from "./digest.ts";
import { checkResources, MODEL_FORMAT, type ModelManifest } from "./manifest.ts";

/**
 * The model manifest as an in-toto Statement v1 with OpenSSF model-signing's predicate
 * (https://model_signing/signature/v1.0, shard serialization), so model-signing tools can read it and sign it
 * (wrapped in DSSE by the signer). The subject digest is model-signing's: SHA-256 over the resource digests.
 * Provenant's weights digest, which also binds names and offsets, rides along in `predicate.provenant`;
 * model-signing v1.0 verifiers ignore predicate fields they do not know.
 */
export const IN_TOTO_STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const MODEL_SIGNING_PREDICATE_TYPE = "https://model_signing/signature/v1.0";
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export interface InTotoResource {
  name: string;
  algorithm: string;
  digest: string;
}

export interface InTotoStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: [{ name: string; digest: { sha256: string } }];
  predicateType: typeof MODEL_SIGNING_PREDICATE_TYPE;
  predicate: {
    serialization: { method: "shards"; hash_type: "sha256"; shard_size: number; allow_symlinks: boolean; ignore_paths: string[] };
    resources: InTotoResource[];
    provenant: { format: typeof MODEL_FORMAT; weightsDigest: Hex32 };
  };
}

const shardAlgorithm = (shardSize: number) => `sha256-sharded-${shardSize}`;

/** model-signing's resource name of a shard: `path:start:end`. */
export function resourceName(r: WeightResource): string {
  return `${r.path}:${r.start}:${r.end}`;
}

export function toInTotoStatement(m: ModelManifest, subjectName = m.record.name): InTotoStatement {
  const shardSize = m.weights.serialization.shardSize;
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: subjectName, digest: { sha256: openssfDigestOf(m.weights.resources).slice(2) } }],
    predicateType: MODEL_SIGNING_PREDICATE_TYPE,
    predicate: {
      serialization: { method: "shards", hash_type: "sha256", shard_size: shardSize, allow_symlinks: true, ignore_paths: m.weights.hidden },
      resources: m.weights.resources.map((r) => ({ name: resourceName(r), algorithm: shardAlgorithm(shardSize), digest: r.digest.slice(2) })),
      provenant: { format: MODEL_FORMAT, weightsDigest: m.weights.digest },
    },
  };
}

export interface StatementContents {
  subjectName: string;
  shardSize: number;
  resources: WeightResource[];
  /** SHA-256 over the resource digests, as the subject states it and as recomputed. */
  subjectDigest: Hex32;
  /** Provenant's digest of the resources (names and offsets bound), recomputed. */
  weightsDigest: Hex32;
}

/**
 * Reads a model-signing shard Statement (ours or model-signing's own) back into resources, checking what
 * model-signing's verifier checks: one subject, the predicate type, and that the resource digests hash to the
 * subject digest; and, when present, that `predicate.provenant.weightsDigest` matches the resources.
 */
export function fromInTotoStatement(value: unknown): StatementContents {
  const bad = (why: string) => new FormatError("MANIFEST_INVALID", `the in-toto statement is invalid: ${why}`);
  const s = value as Partial<InTotoStatement> | null;
  if (typeof s !== "object" || s === null) throw bad("not a JSON object");
  if (s._type !== IN_TOTO_STATEMENT_TYPE) throw bad(`_type is ${JSON.stringify(s._type ?? null)}`);
  if (s.predicateType !== MODEL_SIGNING_PREDICATE_TYPE) throw bad(`predicateType is ${JSON.stringify(s.predicateType ?? null)}`);
  if (!Array.isArray(s.subject) || s.subject.length !== 1) throw bad("expected exactly one subject");
  const subject = s.subject[0];
  const stated = `0x${subject?.digest?.sha256 ?? ""}`;
  if (!isHex32(stated)) throw bad("subject digest sha256 is not 32 bytes of hex");
  const ser = s.predicate?.serialization as Record<string, unknown> | undefined;
  if (ser?.method !== "shards") throw bad(`serialization.method ${JSON.stringify(ser?.method ?? null)}: only "shards" is read`);
  const shardSize = ser.shard_size as number;
  if (!Number.isSafeInteger(shardSize) || shardSize < 1) throw bad("serialization.shard_size must be a positive integer");
  // model-signing versions name the hash either "sha256" or by the shard digest's name.
  if (ser.hash_type !== "sha256" && ser.hash_type !== shardAlgorithm(shardSize)) throw bad(`hash_type ${JSON.stringify(ser.hash_type)}`);
  const raw = s.predicate?.resources;
  if (!Array.isArray(raw) || raw.length === 0) throw bad("predicate.resources must be a non-empty array");
  const resources = raw.map((r, i): WeightResource => {
    const m = typeof r?.name === "string" ? /^(.*):(0|[1-9][0-9]*):([1-9][0-9]*)$/s.exec(r.name) : null;
    if (!m) throw bad(`resource ${i} name ${JSON.stringify(r?.name ?? null)} is not path:start:end`);
    if (r.algorithm !== shardAlgorithm(shardSize)) throw bad(`resource ${i} algorithm ${JSON.stringify(r.algorithm)}`);
    const digest = `0x${String(r.digest).toLowerCase()}`;
    if (!isHex32(digest)) throw bad(`resource ${i} digest is not 32 bytes of hex`);
    return { path: m[1], start: Number(m[2]), end: Number(m[3]), digest: digest as Hex32 };
  });
  checkResources(resources, shardSize, "the in-toto statement");
  const subjectDigest = openssfDigestOf(resources);
  if (subjectDigest !== stated.toLowerCase()) throw bad(`the resources hash to ${subjectDigest.slice(2)}, not to the subject digest ${stated.slice(2)}`);
  const weightsDigest = weightsDigestOf(resources);
  const claimed = s.predicate?.provenant?.weightsDigest;
  if (claimed !== undefined && claimed.toLowerCase() !== weightsDigest)
    throw bad(`predicate.provenant.weightsDigest ${claimed} does not match the resources (${weightsDigest})`);
  return { subjectName: String(subject.name ?? ""), shardSize, resources, subjectDigest, weightsDigest };
}
