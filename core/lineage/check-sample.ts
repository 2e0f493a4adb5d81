import { ChainError, FormatError, isProvenantError, type ProvenantError } from "../errors.ts";
import { parseHex32, toHex, type Hex32 } from "../hex.ts";
import { DatasetProver, verifyProof, type Proof } from "../dataset/prover.ts";
import { proofFromJson, proofToJson, type ProofJson } from "../dataset/proof-file.ts";
import { isEncoding, type Encoding } from "../dataset/encoding-table.ts";
import { givenSampleHash, ownEncoding, sampleMisfit, sampleMisfitError, type GivenFile, type GivenSample } from "../dataset/formats/single-sample.ts";
import type { Compressors } from "hyparquet";
import type { ContentStore } from "../storage/store.ts";
import type { DatasetRole } from "../chain/roles.ts";
import type { LineageWalk } from "./walk.ts";

/**
 * "Was this sample used?": one sample against every dataset declared anywhere in a model's ancestry (or against
 * one dataset). Browser-safe: the CLI (cli/commands/check-sample.ts) and the model page both call checkSample,
 * each with its own store and its own way to ask the contract.
 *
 * Fail closed: a dataset whose record, manifest, index or shard cannot be read or does not match its CID or the
 * chain, or whose exclusion cannot be proven (misordered), is "unknown" with the reason; so is one whose proof
 * the contract does not accept. The overall verdict is "out" only when every dataset of a fully read ancestry
 * proved the sample absent.
 */

/**
 * A sample as given (core/dataset/formats/single-sample.ts): a file, a WebDataset sample's member files or a .tar of
 * one key, a literal record, a Parquet row (as JSON, or by index in a file), or its SHA-256.
 */
export type { GivenFile, GivenSample };

/** A model that declared the dataset, with the role it gave it. `distance` 0 is the model asked about. */
export interface DatasetUse {
  modelId: string;
  role: DatasetRole;
  /** The registry's flag: attested means a certificate was accepted at registration (not re-checked here). */
  provenance: "attested" | "self-declared";
  distance: number;
}

export interface AncestryDataset {
  datasetId: string;
  /** The chain's record of the dataset; null when it could not be read (`problem` says why). */
  record: { root: Hex32; n: number; encoding: string; manifestCid: string; misordered: boolean } | null;
  problem: { code: string; message: string } | null;
  usedBy: DatasetUse[];
}

/** The datasets behind a model, read from the chain: plain data, so the server can hand it to the browser. */
export interface Ancestry {
  chainId: number;
  registries: { dataset: string; model: string };
  /** The model asked about; null when the target is a single dataset. */
  model: string | null;
  /** Every model reached, ascending. */
  models: string[];
  /** Parts of the ancestry that could not be read: a dataset behind them may be missing from `datasets`. */
  gaps: string[];
  datasets: AncestryDataset[];
}

export type Verdict = "in" | "out" | "unknown";

export interface DatasetVerdict {
  datasetId: string;
  usedBy: DatasetUse[];
  verdict: Verdict;
  /** The hash looked up (SHA-256 of the sample's canonical bytes under the dataset's encoding). */
  sampleHash: Hex32 | null;
  /**
   * Set when the sample is not a sample of the dataset's encoding (a WebDataset sample against a Parquet dataset):
   * the encoding it was hashed as instead, its own. Such a leaf is in the dataset only if it holds the same canonical bytes.
   */
  hashedAs?: Encoding;
  /** One sentence: where it is, why it is not, or why it is not known. */
  reason: string;
  /** The error code behind an "unknown". */
  code?: string;
  /** The proof and who accepted it: the library (local) and the contract (onChain, a view call). */
  proof: ProofJson | null;
  local: boolean | null;
  onChain: boolean | null;
}

export const ANCESTRY_PROOF_FORMAT = "provenant-ancestry-proof-v1";

/** What `check-sample` writes (docs/formats/ancestry-proof-v1.md): the verdicts, each with its proof. */
export interface AncestryProof {
  format: typeof ANCESTRY_PROOF_FORMAT;
  chainId: number;
  registries: { dataset: string; model: string };
  model: string | null;
  verdict: Verdict;
  summary: string;
  gaps: string[];
  datasets: DatasetVerdict[];
}

/** Where the check reads from: the store holding the datasets, and the contract's verdict on a proof. */
export interface CheckSampleIo {
  store: ContentStore;
  verifyOnChain(datasetId: bigint, proof: Proof): Promise<boolean>;
}

/** The ancestry of a walk: every dataset edge of every model reached, with how far that model is from the root. */
export function ancestryOfWalk(walk: LineageWalk): Ancestry {
  const distance = new Map<string, number>([[walk.root.toString(), 0]]);
  // Parents have lower ids than children: ascending-id order from the root down settles shortest distances.
  for (const [id] of [...walk.models].sort(([a], [b]) => (a > b ? -1 : 1))) {
    const v = walk.models.get(id)!;
    const d = distance.get(id.toString());
    if (d === undefined || !v.chain.ok) continue;
    for (const p of v.chain.value.parents) {
      const key = p.modelId.toString();
      if ((distance.get(key) ?? Infinity) > d + 1) distance.set(key, d + 1);
    }
  }
  const gaps: string[] = [];
  const uses = new Map<string, DatasetUse[]>();
  for (const v of walk.models.values()) {
    if (!v.chain.ok) {
      gaps.push(`model #${v.tokenId} could not be read (${v.chain.error.message}), so the datasets behind it are not known`);
      continue;
    }
    for (const p of v.chain.value.parents) {
      if (p.modelId >= v.tokenId) gaps.push(`model #${v.tokenId} names parent #${p.modelId}, which is not earlier: that branch was not followed`);
    }
    for (const e of v.chain.value.datasets) {
      const key = e.datasetId.toString();
      const use: DatasetUse = {
        modelId: v.tokenId.toString(),
        role: e.role,
        provenance: v.chain.value.record.provenance,
        distance: distance.get(v.tokenId.toString()) ?? 0,
      };
      uses.set(key, [...(uses.get(key) ?? []), use]);
    }
  }
  const datasets: AncestryDataset[] = [...uses.keys()]
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))
    .map((id) => {
      const v = walk.datasets.get(BigInt(id));
      const usedBy = uses.get(id)!.sort((a, b) => a.distance - b.distance || Number(BigInt(a.modelId) - BigInt(b.modelId)));
      if (!v) return { datasetId: id, record: null, problem: { code: "LINEAGE_INVALID", message: `dataset #${id} was not read` }, usedBy };
      if (!v.chain.ok) return { datasetId: id, record: null, problem: { code: v.chain.error.code, message: v.chain.error.message }, usedBy };
      const r = v.chain.value;
      return {
        datasetId: id,
        record: { root: r.root.toLowerCase() as Hex32, n: r.n, encoding: r.encoding, manifestCid: r.manifestCid, misordered: r.misordered },
        problem: null,
        usedBy,
      };
    });
  return { chainId: walk.chainId, registries: walk.registries, model: walk.root.toString(), models: [...walk.models.keys()].map(String), gaps, datasets };
}

/** The ancestry of one dataset on its own (`prove --batch --dataset`). */
export function ancestryOfDataset(
  chainId: number,
  registries: Ancestry["registries"],
  datasetId: bigint,
  record: { root: string; n: number; encoding: string; manifestCid: string; misordered: boolean },
): Ancestry {
  return {
    chainId,
    registries,
    model: null,
    models: [],
    gaps: [],
    datasets: [
      {
        datasetId: datasetId.toString(),
        record: { root: record.root.toLowerCase() as Hex32, n: record.n, encoding: record.encoding, manifestCid: record.manifestCid, misordered: record.misordered },
        problem: null,
        usedBy: [],
      },
    ],
  };
}

/** How a sample was hashed for a dataset: under the dataset's encoding, or (`misfit` set) under its own. */
export interface SampleHashFor {
  hash: Uint8Array;
  /** The sample's own encoding, when it is not a sample of the dataset's; what was given, in words. */
  misfit: { hashedAs: Encoding; given: string } | null;
}

/**
 * The sample's hash for each encoding of `encodings` (null for one this library does not know). A sample that does
 * not fit an encoding (a WebDataset sample against a jsonl dataset) is looked up by its hash in its own encoding:
 * a leaf is the SHA-256 of canonical bytes, so the dataset holds it only if it holds those very bytes, and the
 * exclusion proof of that hash says exactly so. When the sample fits none of them, it is refused as
 * givenSampleHash refuses it: there is nothing to look up.
 */
export async function sampleHashesFor(sample: GivenSample, encodings: readonly string[], decompressors?: Compressors): Promise<Map<string, SampleHashFor | null>> {
  const known = [...new Set(encodings)].filter(isEncoding);
  const misfits = new Map(known.map((e) => [e, sampleMisfit(sample, e)]));
  const fitting = known.filter((e) => misfits.get(e) === null);
  if (known.length > 0 && fitting.length === 0) throw sampleMisfitError(misfits.get(known[0])!, known[0]);
  const own = ownEncoding(sample);
  const cache = new Map<Encoding, Promise<Uint8Array>>();
  const hashAs = (e: Encoding) => {
    if (!cache.has(e)) cache.set(e, givenSampleHash(sample, e, decompressors));
    return cache.get(e)!;
  };
  const out = new Map<string, SampleHashFor | null>();
  for (const e of encodings) {
    // A hash is looked up as given, in any encoding, even one this library cannot hash a sample of.
    if (!isEncoding(e)) out.set(e, "hash" in sample ? { hash: parseHex32(sample.hash, "the sample hash"), misfit: null } : null);
    else {
      const given = misfits.get(e)!;
      out.set(e, given === null ? { hash: await hashAs(e), misfit: null } : { hash: await hashAs(own!), misfit: { hashedAs: own!, given } });
    }
  }
  return out;
}

/** Why a sample's hash was looked up in its own encoding, not the dataset's. */
function misfitWords(misfit: NonNullable<SampleHashFor["misfit"]>, encoding: string): string {
  return `a sample given as ${misfit.given} is not a ${encoding} sample, so its hash as a ${misfit.hashedAs} sample was looked up: the dataset holds it only if one of its samples has the same canonical bytes`;
}

const ROLE_WORDS: Record<DatasetRole, string> = { training: "training", "fine-tuning": "fine-tuning", evaluation: "evaluation" };

/** "used for training by model #1, an ancestor of #2 (self-declared)", one clause per use. */
export function usageWords(usedBy: DatasetUse[], root: string | null): string {
  if (usedBy.length === 0) return "";
  return usedBy
    .map((u) => {
      const who = root !== null && u.distance > 0 ? `model #${u.modelId}, an ancestor of #${root}` : `model #${u.modelId}`;
      const how = u.provenance === "attested" ? "attested at registration" : "self-declared";
      return `used for ${ROLE_WORDS[u.role] ?? u.role} by ${who} (${how})`;
    })
    .join("; ");
}

function unknown(
  d: AncestryDataset,
  sampleHash: Uint8Array | null,
  e: { code: string; message: string },
  proof?: { json: ProofJson; local: boolean; onChain: boolean | null },
): DatasetVerdict {
  return {
    datasetId: d.datasetId,
    usedBy: d.usedBy,
    verdict: "unknown",
    sampleHash: sampleHash ? toHex(sampleHash) : null,
    reason: e.message,
    code: e.code,
    proof: proof?.json ?? null,
    local: proof?.local ?? null,
    onChain: proof?.onChain ?? null,
  };
}

const asError = (e: unknown): { code: string; message: string } =>
  isProvenantError(e) ? { code: e.code, message: e.message } : { code: "INTERNAL", message: (e as Error)?.message ?? String(e) };

/** Opens a dataset's stored commitment, checked against its chain record; the error instead when it cannot be. */
export async function openAncestryDataset(d: AncestryDataset, store: ContentStore): Promise<{ prover: DatasetProver } | { error: { code: string; message: string } }> {
  if (!d.record) return { error: d.problem ?? { code: "LINEAGE_INVALID", message: `dataset #${d.datasetId} could not be read` } };
  const r = d.record;
  try {
    return { prover: await DatasetProver.openMinted({ id: BigInt(d.datasetId), root: r.root, n: r.n, manifestCid: r.manifestCid }, store) };
  } catch (e) {
    return { error: asError(e) };
  }
}

/** Why a dataset reported misordered on-chain proves nothing absent. */
export function misorderedWords(datasetId: string): string {
  return `dataset #${datasetId} was reported misordered on-chain, so no sample can be proven absent from it (its inclusion proofs still hold), and this one was not found in it`;
}

/**
 * One dataset's verdict for hash `x`: the proof built from the store (one shard, two at a shard boundary),
 * checked by the library against the chain's root and by the contract.
 */
export async function checkDataset(
  d: AncestryDataset,
  x: Uint8Array | null,
  io: CheckSampleIo,
  opened?: Awaited<ReturnType<typeof openAncestryDataset>>,
  misfit: SampleHashFor["misfit"] = null,
): Promise<DatasetVerdict> {
  if (!d.record) return unknown(d, x, d.problem ?? { code: "LINEAGE_INVALID", message: `dataset #${d.datasetId} could not be read` });
  if (x === null) {
    return unknown(d, null, {
      code: "FORMAT_UNSUPPORTED",
      message: `dataset #${d.datasetId} is encoded as ${d.record.encoding}, which this version cannot hash a sample for: give the sample's hash`,
    });
  }
  const open = opened ?? (await openAncestryDataset(d, io.store));
  if ("error" in open) return unknown(d, x, open.error);
  let proof: Proof;
  try {
    proof = await open.prover.prove(x);
  } catch (e) {
    const err = asError(e);
    // Refused by the prover for misordered leaves: when the chain says so too, say it in the chain's words.
    if (err.code === "DATASET_MISORDERED" && d.record.misordered) return unknown(d, x, { code: err.code, message: misorderedWords(d.datasetId) });
    return unknown(d, x, err);
  }
  const json = proofToJson(proof, d.datasetId);
  if (proof.kind === "exclusion" && d.record.misordered) return unknown(d, x, { code: "DATASET_MISORDERED", message: misorderedWords(d.datasetId) });
  // The library's verdict, against the root read from the chain (not the one the proof carries).
  const local = json.root === d.record.root && proof.n === d.record.n && verifyProof(proof);
  let onChain: boolean;
  try {
    onChain = await io.verifyOnChain(BigInt(d.datasetId), proof);
  } catch (e) {
    return unknown(d, x, asError(e), { json, local, onChain: null });
  }
  if (!local || !onChain) {
    return unknown(
      d,
      x,
      {
        code: "PROOF_INVALID",
        message: `the ${proof.kind} proof for dataset #${d.datasetId} was rejected (library: ${local ? "valid" : "invalid"}, contract: ${onChain ? "valid" : "invalid"})`,
      },
      { json, local, onChain },
    );
  }
  const reason =
    proof.kind === "inclusion"
      ? `leaf ${proof.index} of ${proof.n} in dataset #${d.datasetId}`
      : `not among the ${proof.n} samples of dataset #${d.datasetId}: its hash sorts ${proof.left && proof.right ? `between leaves ${proof.left.index} and ${proof.right.index}` : proof.right ? "before the first leaf" : "after the last leaf"}`;
  return {
    datasetId: d.datasetId,
    usedBy: d.usedBy,
    verdict: proof.kind === "inclusion" ? "in" : "out",
    sampleHash: toHex(x),
    ...(misfit ? { hashedAs: misfit.hashedAs } : {}),
    reason: misfit ? `${reason}; ${misfitWords(misfit, d.record.encoding)}` : reason,
    proof: json,
    local,
    onChain,
  };
}

/** The overall verdict and its one line, from the datasets' verdicts and the ancestry's gaps. */
export function overallVerdict(ancestry: Ancestry, datasets: DatasetVerdict[]): { verdict: Verdict; summary: string } {
  const ins = datasets.filter((d) => d.verdict === "in");
  if (ins.length > 0) {
    const clauses = ins.map((d) => {
      const used = usageWords(d.usedBy, ancestry.model);
      return `in dataset #${d.datasetId}${used ? `, ${used}` : ""}`;
    });
    return { verdict: "in", summary: clauses.join("; and ") };
  }
  const total = datasets.length;
  const which =
    ancestry.model === null ? datasets.map((d) => `dataset #${d.datasetId}`).join(", ") : `the ${total} dataset${total === 1 ? "" : "s"} behind model #${ancestry.model}`;
  const unknowns = datasets.filter((d) => d.verdict === "unknown");
  if (unknowns.length > 0 || ancestry.gaps.length > 0) {
    const why = [...unknowns.map((d) => `dataset #${d.datasetId} could not be checked: ${d.reason}`), ...ancestry.gaps];
    return { verdict: "unknown", summary: `not known: absent from ${total - unknowns.length} of ${which}, but ${why.join("; ")}` };
  }
  if (total === 0) return { verdict: "out", summary: `in none: model #${ancestry.model} declares no dataset anywhere in its ancestry` };
  return { verdict: "out", summary: ancestry.model === null ? `not in ${which}` : `in none of ${which}` };
}

/**
 * Checks one sample against every dataset of `ancestry`: one proof per dataset, each checked by the library and
 * by the contract. Datasets are checked in parallel; a failure at one is that dataset's "unknown".
 */
export async function checkSample(ancestry: Ancestry, sample: GivenSample, io: CheckSampleIo, options: { decompressors?: Compressors } = {}): Promise<AncestryProof> {
  const hashes = await sampleHashesFor(
    sample,
    ancestry.datasets.flatMap((d) => (d.record ? [d.record.encoding] : [])),
    options.decompressors,
  );
  const datasets = await Promise.all(
    ancestry.datasets.map(async (d) => {
      const h = d.record ? hashes.get(d.record.encoding) : null;
      return checkDataset(d, h?.hash ?? null, io, undefined, h?.misfit ?? null);
    }),
  );
  const { verdict, summary } = overallVerdict(ancestry, datasets);
  return {
    format: ANCESTRY_PROOF_FORMAT,
    chainId: ancestry.chainId,
    registries: ancestry.registries,
    model: ancestry.model,
    verdict,
    summary,
    gaps: ancestry.gaps,
    datasets,
  };
}

/** Throws when the root model itself could not be read: there is no ancestry to check. */
export function requireRoot(walk: LineageWalk): void {
  const root = walk.models.get(walk.root);
  if (root && !root.chain.ok) throw root.chain.error as ProvenantError;
  if (!root) throw new ChainError("TOKEN_NOT_FOUND", `model #${walk.root} was not read`);
}

export interface AncestryProofCheck {
  ok: boolean;
  /** The verdict the file claims, and the one its proofs support today. */
  claimed: Verdict;
  verdict: Verdict;
  summary: string;
  problems: string[];
  datasets: { datasetId: string; claimed: Verdict; verdict: Verdict; local: boolean | null; onChain: boolean | null; reason: string }[];
}

/**
 * Re-checks a provenant-ancestry-proof-v1 file against `ancestry` (walked again from the chain): the file must
 * cover exactly the ancestry's datasets, and every proof it carries must hold, by the library against the chain's
 * root and by the contract. Its overall verdict is recomputed from the proofs, never taken from the file.
 */
export async function verifyAncestryProof(value: unknown, ancestry: Ancestry, io: Pick<CheckSampleIo, "verifyOnChain">): Promise<AncestryProofCheck> {
  const bad = (why: string) => new FormatError("PROOF_INVALID", `not a valid ${ANCESTRY_PROOF_FORMAT} file: ${why}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("not a JSON object");
  const o = value as Record<string, unknown>;
  if (o.format !== ANCESTRY_PROOF_FORMAT) throw bad(`format is ${JSON.stringify(o.format ?? null)}, expected "${ANCESTRY_PROOF_FORMAT}"`);
  if (!isVerdict(o.verdict)) throw bad(`verdict must be "in", "out" or "unknown"`);
  if (!Array.isArray(o.datasets)) throw bad("datasets must be an array");
  if (o.model !== ancestry.model) throw bad(`it is about model ${o.model === null ? "none" : `#${String(o.model)}`}, not model #${ancestry.model}`);
  if (o.chainId !== ancestry.chainId) throw bad(`it was made on chain ${String(o.chainId)}, not chain ${ancestry.chainId}`);
  const problems: string[] = [];
  const given = new Map<string, Record<string, unknown>>();
  for (const [i, d] of o.datasets.entries()) {
    if (typeof d !== "object" || d === null || typeof (d as Record<string, unknown>).datasetId !== "string") throw bad(`datasets[${i}] has no datasetId`);
    const entry = d as Record<string, unknown>;
    if (!isVerdict(entry.verdict)) throw bad(`datasets[${i}].verdict must be "in", "out" or "unknown"`);
    if (given.has(entry.datasetId as string)) throw bad(`dataset #${entry.datasetId} is listed twice`);
    given.set(entry.datasetId as string, entry);
  }
  for (const id of given.keys()) {
    if (!ancestry.datasets.some((d) => d.datasetId === id)) problems.push(`dataset #${id} is not in model #${ancestry.model}'s ancestry on-chain`);
  }
  const results: AncestryProofCheck["datasets"] = [];
  const verdicts: DatasetVerdict[] = [];
  for (const d of ancestry.datasets) {
    const entry = given.get(d.datasetId);
    const claimed = (entry?.verdict as Verdict | undefined) ?? "unknown";
    let verdict: Verdict = "unknown";
    let local: boolean | null = null;
    let onChain: boolean | null = null;
    let reason: string;
    if (!entry) {
      reason = `dataset #${d.datasetId} is in the ancestry on-chain but not in the file`;
      problems.push(reason);
    } else if (entry.proof === null || entry.proof === undefined) {
      reason = "no proof given";
    } else if (!d.record) {
      reason = `dataset #${d.datasetId} could not be read from the chain (${d.problem?.message ?? "unknown"})`;
    } else {
      const { proof, datasetId } = proofFromJson(entry.proof);
      if (datasetId !== d.datasetId) throw bad(`the proof under dataset #${d.datasetId} is for dataset #${datasetId}`);
      local = toHex(proof.root) === d.record.root && proof.n === d.record.n && verifyProof(proof);
      try {
        onChain = await io.verifyOnChain(BigInt(d.datasetId), proof);
      } catch (e) {
        onChain = null;
        problems.push(`the contract could not be asked about dataset #${d.datasetId}: ${asError(e).message}`);
      }
      if (proof.kind === "exclusion" && d.record.misordered) reason = misorderedWords(d.datasetId);
      else if (local && onChain) {
        verdict = proof.kind === "inclusion" ? "in" : "out";
        reason = `${proof.kind} proof holds (library and contract)`;
      } else
        reason = `${proof.kind} proof rejected (library: ${local ? "valid" : "invalid"}, contract: ${onChain ? "valid" : onChain === null ? "not asked" : "invalid"})`;
      if (!(local && onChain)) problems.push(`dataset #${d.datasetId}: ${reason}`);
    }
    if (entry && claimed !== verdict) problems.push(`dataset #${d.datasetId}: the file says ${claimed}, its proof supports ${verdict}`);
    results.push({ datasetId: d.datasetId, claimed, verdict, local, onChain, reason });
    verdicts.push({ datasetId: d.datasetId, usedBy: d.usedBy, verdict, sampleHash: null, reason, proof: null, local, onChain });
  }
  const overall = overallVerdict(ancestry, verdicts);
  if (overall.verdict !== o.verdict) problems.push(`the file's verdict is "${String(o.verdict)}", its proofs support "${overall.verdict}"`);
  return { ok: problems.length === 0, claimed: o.verdict, verdict: overall.verdict, summary: overall.summary, problems, datasets: results };
}

function isVerdict(v: unknown): v is Verdict {
  return v === "in" || v === "out" || v === "unknown";
}
