/**
 * Attested evaluations as every edge reads them (`verify certificate --evaluation`, `verify model`, the exports,
 * the dApp): an evaluation's record read from EvaluationRegistry, its certificate fetched by CID (the store
 * checks the bytes against the CID), the chain facts read, the contract's verdict asked on what the chain
 * holds, and every check run, failing closed. `modelEvaluations` does it for each evaluation of a model;
 * `readEvaluationFacts` reads what a certificate is compared with.
 */
import { Contract } from "ethers";
import { datasetRegistryAbi, modelRegistryAbi } from "../chain/abi.generated.ts";
import { chainError } from "../chain/chain-error.ts";
import type { ChainConnection } from "../chain/connect.ts";
import { DatasetRegistryClient } from "../chain/dataset-registry.ts";
import { EvaluationRegistryClient, evaluationRegistryAddress } from "../chain/evaluation-registry.ts";
import type { EvaluationRecordFacts } from "../chain/evaluation-registry.ts";
import { AttestorRegistryClient } from "../chain/attestor-registry.ts";
import { readDatasetManifest } from "../dataset/manifest.ts";
import { ChainError, isProvenantError } from "../errors.ts";
import type { Address, Hex32 } from "../hex.ts";
import type { AttestedEvaluation } from "./attestation.ts";
import type { ContentStore } from "../storage/store.ts";
import type { TrustedRoot } from "../tpm/enroll.ts";
import { attestationFrom } from "./attestation.ts";
import { bootStateId } from "./boot-state.ts";
import { MAX_CERTIFICATE_BYTES } from "./certificate.ts";
import { decodeEvaluationCertificate, evaluationEvidence } from "./evaluation-certificate.ts";
import type { EvaluationCertificate } from "./evaluation-certificate.ts";
import { verifyEvaluationCertificate } from "./evaluation-verify.ts";
import type { EvaluationChainFacts, EvaluationCheck, EvaluationVerification } from "./evaluation-verify.ts";

export type EvaluationRegistryOptions = {
  /** Default: the deployment's EvaluationRegistry. */
  evaluationRegistry?: string;
  /** The model registry the evaluations must be about (the lineage being verified). */
  modelRegistry?: string;
};

export type RegisteredEvaluationVerification = EvaluationVerification & {
  evaluationId: string;
  record: EvaluationRecordFacts;
  /** When the evaluation's attestor was revoked (unix seconds); null while active. */
  attestorRevokedAt: number | null;
};

/** Verify registered evaluation `evaluationId`. Throws only for an unknown id or an unreachable chain. */
export async function verifyEvaluation(
  p: { conn: ChainConnection; store: ContentStore; evaluationId: string; roots: readonly (TrustedRoot | string)[] } & EvaluationRegistryOptions,
): Promise<RegisteredEvaluationVerification> {
  const registry = new EvaluationRegistryClient(evaluationRegistryAddress(p.conn, p.evaluationRegistry), p.conn.provider, p.conn.chainId);
  const record = await registry.record(p.evaluationId);
  if (!record) throw new ChainError("TOKEN_NOT_FOUND", `evaluation #${p.evaluationId} does not exist on chain ${p.conn.chainId}`);
  const { attestorRegistry } = await registry.registries();
  const attestor = await new AttestorRegistryClient(attestorRegistry, p.conn.provider, p.conn.chainId).attestorOf(record.attestor);
  const base = { evaluationId: p.evaluationId, record, attestorRevokedAt: attestor?.revokedAt || null };
  let certificate: EvaluationCertificate;
  try {
    certificate = decodeEvaluationCertificate(await p.store.get(record.certificateCid, { maxBytes: MAX_CERTIFICATE_BYTES, what: "evaluation certificate" }));
  } catch (e) {
    const failed: EvaluationCheck = { name: "certificateFormat", ok: false, detail: `certificate ${record.certificateCid}: ${(e as Error).message}` };
    return { ...base, ok: false, checks: [failed] };
  }
  const facts = await readEvaluationFacts(p.conn, certificate, { evaluationId: p.evaluationId, evaluationRegistry: registry.address });
  // The contract's verdict on what the chain holds: the record's model, dataset and metrics, the record's registrant.
  const contractVerdict = await registry.checkEvaluationCertificate(
    { modelId: BigInt(record.modelId), datasetId: BigInt(record.datasetId), metricsDigest: record.metricsDigest },
    evaluationEvidence(certificate),
    record.registrant,
  );
  const v = verifyEvaluationCertificate({
    certificate,
    facts,
    roots: p.roots,
    contractVerdict,
    modelRegistry: p.modelRegistry ?? facts.modelRegistry,
  });
  return { ...base, ...v };
}

/** An evaluation's verdict in the terms every edge shows (verified, revoked, failed, unchecked). */
export function evaluationResult(v: RegisteredEvaluationVerification, rootCount: number, datasetName: string | null): AttestedEvaluation {
  return {
    evaluationId: v.evaluationId,
    dataset: { tokenId: v.record.datasetId, name: datasetName, root: v.certificate?.payload.inputs.datasets[0].root ?? null },
    metrics: v.metrics?.metrics ?? [],
    metricsDigest: v.record.metricsDigest,
    certificateCid: v.record.certificateCid,
    attestation: attestationFrom({
      ok: v.ok,
      checks: v.checks,
      trustLevel: v.certificate?.payload.attestor.trustLevel ?? null,
      attestorRevokedAt: v.attestorRevokedAt,
      rootsConfigured: rootCount > 0,
    }),
  };
}

/**
 * Every attested evaluation of model `modelId`, oldest first, each verified (never throws for a bad one: its
 * verdict says why). None when the deployment has no EvaluationRegistry.
 */
export async function modelEvaluations(
  p: { conn: ChainConnection; store: ContentStore; modelId: string; roots: readonly (TrustedRoot | string)[] } & EvaluationRegistryOptions,
): Promise<AttestedEvaluation[]> {
  let address: string;
  try {
    address = evaluationRegistryAddress(p.conn, p.evaluationRegistry);
  } catch (e) {
    if (isProvenantError(e) && e.code === "CHAIN_NOT_DEPLOYED") return [];
    throw e;
  }
  const registry = new EvaluationRegistryClient(address, p.conn.provider, p.conn.chainId);
  if ((await p.conn.provider.getCode(address)) === "0x") return [];
  // An evaluation registry of another model registry lists other models under the same ids: none are this model's.
  if (p.modelRegistry && (await registry.registries()).modelRegistry.toLowerCase() !== p.modelRegistry.toLowerCase()) return [];
  const ids = await registry.evaluationsOf(p.modelId);
  const names = new Map<string, Promise<string | null>>();
  const nameOf = (datasetId: string) => {
    if (!names.has(datasetId)) names.set(datasetId, datasetName(p.conn, p.store, registry, datasetId));
    return names.get(datasetId)!;
  };
  return Promise.all(
    ids.map(async (id) => {
      const v = await verifyEvaluation({ ...p, evaluationId: id.toString(), evaluationRegistry: address });
      return evaluationResult(v, p.roots.length, await nameOf(v.record.datasetId));
    }),
  );
}

/** A dataset's name from its manifest, or null when it cannot be read (the name is only a label). */
async function datasetName(conn: ChainConnection, store: ContentStore, registry: EvaluationRegistryClient, datasetId: string): Promise<string | null> {
  try {
    const { datasetRegistry } = await registry.registries();
    const record = await new DatasetRegistryClient(datasetRegistry, conn.provider, conn.chainId).record(BigInt(datasetId));
    return (await readDatasetManifest(store, record.manifestCid)).name || null;
  } catch {
    return null;
  }
}

/**
 * Read everything an evaluation certificate is compared with: the registries the evaluation registry is bound
 * to, the attestor's record, the model's digest and the dataset's root (from the chain, never the certificate),
 * the evaluation's record when `evaluationId` is given, and the approval of a boot state the certificate quotes.
 */
export async function readEvaluationFacts(
  conn: ChainConnection,
  certificate: EvaluationCertificate,
  options: { evaluationId?: string; evaluationRegistry?: string } = {},
): Promise<EvaluationChainFacts> {
  const evaluations = new EvaluationRegistryClient(evaluationRegistryAddress(conn, options.evaluationRegistry), conn.provider, conn.chainId);
  const registries = await evaluations.registries();
  const attestors = new AttestorRegistryClient(registries.attestorRegistry, conn.provider, conn.chainId);
  const models = new Contract(registries.modelRegistry, modelRegistryAbi as never, conn.provider);
  const datasets = new Contract(registries.datasetRegistry, datasetRegistryAbi as never, conn.provider);
  const pl = certificate.payload;
  const known = (h: string) => (/^0x0{64}$/.test(h) ? undefined : (h as Hex32));
  const [attestor, weightsDigest, datasetRoot, evaluation, bootState] = await Promise.all([
    attestors.attestorOf(pl.attestor.address),
    models.weightsDigestOf(BigInt(pl.inputs.model.modelId)).then(known, (e: unknown) => Promise.reject(chainError(e, "weightsDigestOf"))),
    datasets.rootOf(BigInt(pl.inputs.datasets[0].datasetId)).then(known, (e: unknown) => Promise.reject(chainError(e, "rootOf"))),
    options.evaluationId ? evaluations.record(options.evaluationId) : Promise.resolve(undefined),
    pl.boot ? attestors.bootStateOf(pl.attestor.address, bootStateId(pl.boot.pcrValues)) : Promise.resolve(undefined),
  ]);
  if (options.evaluationId && !evaluation) {
    throw new ChainError("TOKEN_NOT_FOUND", `evaluation #${options.evaluationId} does not exist on chain ${conn.chainId}`);
  }
  return {
    chainId: conn.chainId,
    attestorRegistry: registries.attestorRegistry,
    evaluationRegistry: evaluations.address as Address,
    modelRegistry: registries.modelRegistry,
    datasetRegistry: registries.datasetRegistry,
    attestor,
    weightsDigest,
    datasetRoot,
    ...(evaluation ? { evaluation } : {}),
    ...(bootState ? { bootState } : {}),
  };
}
