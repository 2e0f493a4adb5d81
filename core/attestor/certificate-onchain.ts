/**
 * A training certificate in the forms the contracts take it: IAttestorRegistry.TrainingEvidence and
 * TrainingLineage, IModelRegistry.RegisterParams, and ModelRegistry.registerAttested's arguments, built once.
 */
import { bytesToHex, hexToBytes } from "../hex.ts";
import type { TrainingEvidenceStruct, TrainingLineageStruct } from "../chain/attestor-registry.ts";
import { manifestCidBytes } from "../chain/manifest-cid.ts";
import type { AttestedSubmission, RegisterParamsStruct } from "../chain/model-registry.ts";
import { datasetRoleCode, parentRelationCode } from "../chain/roles.ts";
import { normalizeLowS, parseEcdsaSignature } from "../tpm/quote.ts";
import type { TrainingCertificate } from "./certificate.ts";

/** The evidence to submit with an attested registration; `s` normalised to low-s. */
export function certificateEvidence(c: TrainingCertificate): TrainingEvidenceStruct {
  const sig = normalizeLowS(parseEcdsaSignature(hexToBytes(c.quote.signature, "quote.signature")));
  return {
    attestor: c.payload.attestor.address,
    certificateDigest: c.certificateDigest,
    runId: c.payload.run.id,
    codeDigest: c.payload.inputs.code.digest,
    commandDigest: c.payload.inputs.command.digest,
    configDigest: c.payload.inputs.config.digest,
    environmentDigest: c.payload.inputs.environment.digest,
    bootPcrs: (c.payload.boot?.pcrValues ?? []).map((v) => `0x${v}`),
    attest: `0x${c.quote.attest}`,
    r: `0x${bytesToHex(sig.r)}`,
    s: `0x${bytesToHex(sig.s)}`,
  };
}

/** The lineage as the certificate states it (the model registry builds its own from the chain). */
export function certificateLineage(c: TrainingCertificate): TrainingLineageStruct {
  return {
    modelRegistry: c.payload.chain.modelRegistry,
    registrant: c.payload.run.registrant,
    weightsDigest: c.payload.outputs.weightsDigest,
    datasets: c.payload.inputs.datasets.map((d) => ({
      datasetId: BigInt(d.datasetId),
      role: datasetRoleCode(d.role),
      root: d.root,
    })),
    parents: c.payload.inputs.parents.map((p) => ({
      modelId: BigInt(p.modelId),
      relation: parentRelationCode(p.relation),
      weightsDigest: p.weightsDigest,
    })),
  };
}

/** IModelRegistry.RegisterParams for the certified model. */
export function certificateRegisterParams(c: TrainingCertificate): RegisterParamsStruct {
  return {
    weightsDigest: c.payload.outputs.weightsDigest,
    manifestCid: manifestCidBytes(c.payload.outputs.manifestCid),
    license: c.payload.outputs.license,
    parents: c.payload.inputs.parents.map((p) => ({ modelId: BigInt(p.modelId), relation: parentRelationCode(p.relation) })),
    datasets: c.payload.inputs.datasets.map((d) => ({ datasetId: BigInt(d.datasetId), role: datasetRoleCode(d.role) })),
  };
}

/** ModelRegistry.registerAttested's arguments for this certificate: what its registration submits, simulated and sent alike. */
export function attestedSubmission(c: TrainingCertificate, certificateCid: string): AttestedSubmission {
  return { params: certificateRegisterParams(c), evidence: certificateEvidence(c), certificateCid };
}
