/**
 * A training certificate against the chain: the facts it is verified against (read once from the three
 * registries), the lineage the model registry will build for it, and its attested registration. The bindings
 * themselves are in core/chain; this module turns a certificate into their arguments.
 */
import type { Signer } from "ethers";
import { ProvenantError } from "../errors.ts";
import type { Address, Hex32 } from "../hex.ts";
import { AttestorRegistryClient, type TrainingLineageStruct } from "../chain/attestor-registry.ts";
import type { ChainConnection } from "../chain/connect.ts";
import { DatasetRegistryClient } from "../chain/dataset-registry.ts";
import {
  attestedModelRegistry,
  modelOfCertificate,
  provenantAddresses,
  readModelDigest,
  readModelFacts,
  registerAttested,
  type AttestedRegistration,
  type ModelFacts,
  type ModelRegistryAddresses,
} from "../chain/model-registry.ts";
import type { AttestorFacts } from "../chain/attestor-registry.ts";
import type { TrainingCertificate } from "./certificate.ts";
import { attestedSubmission, certificateLineage } from "./certificate-onchain.ts";
import type { ChainFacts } from "./chain-facts.ts";
import { bootStateId } from "./boot-state.ts";

/** Read everything verifyTrainingCertificate compares a certificate with. */
export async function readCertificateFacts(
  conn: ChainConnection,
  certificate: TrainingCertificate,
  options: {
    modelId?: string;
    addresses?: Partial<ModelRegistryAddresses>;
    /** Records the caller has read already, used instead of reading them again: the model, an attestor's record. */
    known?: { model?: ModelFacts; attestor?: { address: string; facts: AttestorFacts | undefined } };
  } = {},
): Promise<ChainFacts> {
  const addr = provenantAddresses(conn, options.addresses);
  const attestors = new AttestorRegistryClient(addr.attestorRegistry, conn.provider, conn.chainId);
  const datasets = new DatasetRegistryClient(addr.datasetRegistry, conn.provider, conn.chainId);
  const models = attestedModelRegistry(addr.modelRegistry, conn.provider);
  const pl = certificate.payload;
  const datasetRoots: Record<string, Hex32> = {};
  for (const d of pl.inputs.datasets) {
    try {
      datasetRoots[d.datasetId] = (await datasets.record(BigInt(d.datasetId))).root;
    } catch (e) {
      if (!(e instanceof ProvenantError && e.code === "TOKEN_NOT_FOUND")) throw e;
    }
  }
  const parentDigests: Record<string, Hex32> = {};
  for (const p of pl.inputs.parents) {
    const w = await readModelDigest(models, p.modelId);
    if (w) parentDigests[p.modelId] = w;
  }
  const known = options.known ?? {};
  const model = !options.modelId ? undefined : known.model?.id === options.modelId ? known.model : await readModelFacts(models, options.modelId);
  const attestor =
    known.attestor && known.attestor.address.toLowerCase() === pl.attestor.address.toLowerCase() ? known.attestor.facts : await attestors.attestorOf(pl.attestor.address);
  const bootState = pl.boot ? await attestors.bootStateOf(pl.attestor.address, bootStateId(pl.boot.pcrValues)) : undefined;
  return {
    chainId: conn.chainId,
    attestorRegistry: addr.attestorRegistry as Address,
    modelRegistry: addr.modelRegistry as Address,
    datasetRegistry: addr.datasetRegistry as Address,
    attestor,
    datasetRoots,
    parentDigests,
    ...(model ? { model } : {}),
    ...(bootState ? { bootState } : {}),
  };
}

/**
 * The lineage the model registry will build for this certificate: from the chain, not from the certificate
 * (roots from the dataset registry, parent digests from the model registry). Unknown tokens are left zero,
 * so the contract's check fails naming the mismatch.
 */
export function lineageFromFacts(certificate: TrainingCertificate, facts: ChainFacts, registrant: string): TrainingLineageStruct {
  const l = certificateLineage(certificate);
  const zero = `0x${"0".repeat(64)}`;
  return {
    ...l,
    modelRegistry: facts.modelRegistry,
    registrant,
    datasets: l.datasets.map((d) => ({ ...d, root: facts.datasetRoots[d.datasetId.toString()] ?? zero })),
    parents: l.parents.map((p) => ({ ...p, weightsDigest: facts.parentDigests[p.modelId.toString()] ?? zero })),
  };
}

/**
 * Register the certified model with its lineage and certificate in one transaction (registerAttested). The
 * signer must be the certificate's registrant; a refused certificate never costs a transaction.
 */
export function registerAttestedModel(
  conn: ChainConnection,
  signer: Signer,
  certificate: TrainingCertificate,
  certificateCid: string,
  options: { addresses?: Partial<ModelRegistryAddresses>; onSent?: (txHash: string) => void } = {},
): Promise<AttestedRegistration> {
  return registerAttested(conn, signer, attestedSubmission(certificate, certificateCid), options);
}

/** The model registered with this certificate, if any (after a restart mid-registration). */
export function findAttestedModel(
  conn: ChainConnection,
  certificate: TrainingCertificate,
  options: { addresses?: Partial<ModelRegistryAddresses> } = {},
): Promise<bigint | undefined> {
  return modelOfCertificate(conn, certificate.certificateDigest, options);
}
