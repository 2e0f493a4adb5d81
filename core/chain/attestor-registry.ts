/**
 * Chain bindings for attestors: AttestorRegistry (register, revoke, read, the certificate check as a
 * call), reading the chain facts a certificate is verified against, and the attested registration of a
 * model (ModelRegistry.registerAttested, in one transaction).
 */
import { Contract, Interface, type ContractRunner, type Signer } from "ethers";
import { ChainError, ProvenantError } from "../errors.ts";
import type { Address, Hex32 } from "../attestor/events.ts";
import { DATASET_ROLES, PARENT_RELATIONS } from "../attestor/events.ts";
import {
  certificateEvidence,
  certificateLineage,
  certificateRegisterParams,
} from "../attestor/certificate.ts";
import type { TpmKindName, TrainingCertificate, TrainingEvidenceStruct, TrainingLineageStruct } from "../attestor/certificate.ts";
import type { AttestorFacts, ChainFacts, ModelFacts } from "../attestor/verify.ts";
import { attestorRegistryAbi, datasetRegistryAbi, modelRegistryAbi } from "./abi.generated.ts";
import type { ChainConnection } from "./connect.ts";
import { chainError, DatasetRegistryClient } from "./dataset-registry.ts";
import { deployedAddress, liveAddress } from "./deployments.ts";

export const TPM_KINDS: readonly TpmKindName[] = ["software", "hardware"];

export type AttestorRegistration = {
  attestor: Address;
  akX: Hex32;
  akY: Hex32;
  /** The 32-byte digest part of the AK's qualified name. */
  akQualifiedName: Hex32;
  ekCertificateHash: Hex32;
  kind: TpmKindName;
};

export type TxResult = { txHash: string; blockNumber: number; gasUsed: bigint };

type AbiFragments = readonly { type: string; name?: string }[];

/**
 * A contract's generated ABI plus the errors of the contracts it calls: a refusal they revert with bubbles up
 * unchanged (a refused certificate reverts ModelRegistry.registerAttested with AttestorRegistry's error, or
 * TpmQuote's), and then decodes by name.
 */
export function interfaceWithErrorsOf(own: AbiFragments, ...callees: AbiFragments[]): Interface {
  const fragments: unknown[] = own.filter((f) => f.type !== "constructor");
  const seen = new Set(own.filter((f) => f.type === "error").map((f) => f.name!));
  for (const abi of callees) {
    for (const f of abi) {
      if (f.type !== "error" || seen.has(f.name!)) continue;
      seen.add(f.name!);
      fragments.push(f);
    }
  }
  return new Interface(fragments as never);
}

function attestedModelRegistryInterface(): Interface {
  return interfaceWithErrorsOf(modelRegistryAbi, attestorRegistryAbi, datasetRegistryAbi);
}

/** A contract call's revert as "ErrorName(args)", or the message. */
export function describeRevert(e: unknown): string {
  const err = e as { revert?: { name: string; args: unknown[] }; shortMessage?: string; message?: string };
  if (err.revert) return `${err.revert.name}(${err.revert.args.map(String).join(", ")})`;
  return err.shortMessage ?? err.message ?? String(e);
}

export class AttestorRegistryClient {
  readonly address: string;
  readonly contract: Contract;
  readonly chainId: number;

  constructor(address: string, runner: ContractRunner, chainId: number) {
    this.address = address;
    this.chainId = chainId;
    this.contract = new Contract(address, attestorRegistryAbi as never, runner);
  }

  static async connect(conn: ChainConnection, address?: string): Promise<AttestorRegistryClient> {
    const at = await liveAddress(conn.provider, conn.chainId, "AttestorRegistry", address);
    return new AttestorRegistryClient(at, conn.provider, conn.chainId);
  }

  withSigner(signer: Signer): AttestorRegistryClient {
    return new AttestorRegistryClient(this.address, signer, this.chainId);
  }

  async owner(): Promise<string> {
    return this.contract.owner();
  }

  /** The record, or undefined for an address never registered. */
  async attestorOf(attestor: string): Promise<AttestorFacts | undefined> {
    try {
      const r = await this.contract.attestorOf(attestor);
      return {
        akX: r.akX,
        akY: r.akY,
        akQualifiedName: r.akQualifiedName,
        ekCertificateHash: r.ekCertificateHash,
        kind: TPM_KINDS[Number(r.kind)]!,
        registeredAt: Number(r.registeredAt),
        revokedAt: Number(r.revokedAt),
      };
    } catch (e) {
      const err = e as { revert?: { name: string } };
      if (err.revert?.name === "AttestorRegistryUnknownAttestor") return undefined;
      throw chainError(e, `attestor ${attestor}`);
    }
  }

  async attestorOfQualifiedName(akQualifiedName: string): Promise<string | undefined> {
    const a: string = await this.contract.attestorOfQualifiedName(akQualifiedName);
    return /^0x0{40}$/.test(a) ? undefined : a;
  }

  async register(r: AttestorRegistration): Promise<TxResult> {
    try {
      const tx = await this.contract.register({ ...r, kind: TPM_KINDS.indexOf(r.kind) });
      const receipt = await tx.wait();
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
    } catch (e) {
      throw chainError(e, `register attestor ${r.attestor}`);
    }
  }

  async revoke(attestor: string): Promise<TxResult> {
    try {
      const tx = await this.contract.revoke(attestor);
      const receipt = await tx.wait();
      return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
    } catch (e) {
      throw chainError(e, `revoke attestor ${attestor}`);
    }
  }

  /** The contract's verdict on a lineage and evidence (a call: free). Never throws for a failed check. */
  async checkTrainingCertificate(
    lineage: TrainingLineageStruct,
    evidence: TrainingEvidenceStruct
  ): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.contract.checkTrainingCertificate(lineage, evidence);
      return { ok: true, detail: `AttestorRegistry ${this.address} accepts the quote for this lineage` };
    } catch (e) {
      const err = e as { revert?: unknown; code?: string };
      if (!err.revert && (err.code === "ECONNREFUSED" || err.code === "NETWORK_ERROR")) throw chainError(e, "checkTrainingCertificate");
      return { ok: false, detail: `AttestorRegistry refuses: ${describeRevert(e)}` };
    }
  }

  async estimateCheckGas(lineage: TrainingLineageStruct, evidence: TrainingEvidenceStruct): Promise<bigint> {
    return this.contract.checkTrainingCertificate.estimateGas(lineage, evidence);
  }
}

export type ModelRegistryAddresses = {
  modelRegistry: string;
  datasetRegistry: string;
  attestorRegistry: string;
};

/** The Provenant addresses on this chain (the Ignition deployment); `overrides` replaces any of them. */
export function provenantAddresses(conn: ChainConnection, overrides: Partial<ModelRegistryAddresses> = {}): ModelRegistryAddresses {
  return {
    modelRegistry: overrides.modelRegistry ?? deployedAddress(conn.chainId, "ModelRegistry"),
    datasetRegistry: overrides.datasetRegistry ?? deployedAddress(conn.chainId, "DatasetRegistry"),
    attestorRegistry: overrides.attestorRegistry ?? deployedAddress(conn.chainId, "AttestorRegistry"),
  };
}

/** The model registry, with every error its attested entry point can bubble up. */
export function attestedModelRegistry(address: string, runner: ContractRunner): Contract {
  return new Contract(address, attestedModelRegistryInterface(), runner);
}

export async function readModelDigest(modelRegistry: Contract, id: string): Promise<Hex32 | undefined> {
  try {
    const r = await modelRegistry.modelOf(BigInt(id));
    return r.weightsDigest as Hex32;
  } catch (e) {
    const err = e as { revert?: { name: string } };
    if (err.revert?.name === "ModelRegistryUnknownToken") return undefined;
    throw chainError(e, `model #${id}`);
  }
}

export async function readModelFacts(modelRegistry: Contract, id: string): Promise<ModelFacts | undefined> {
  let r;
  try {
    r = await modelRegistry.modelOf(BigInt(id));
  } catch (e) {
    const err = e as { revert?: { name: string } };
    if (err.revert?.name === "ModelRegistryUnknownToken") return undefined;
    throw chainError(e, `model #${id}`);
  }
  const [parents, datasets] = await Promise.all([modelRegistry.parentsOf(BigInt(id)), modelRegistry.datasetsOf(BigInt(id))]);
  return {
    id,
    weightsDigest: r.weightsDigest,
    provenance: Number(r.provenance) === 1 ? "attested" : "self-declared",
    registrant: r.registrant,
    attestor: r.attestor,
    certificateDigest: r.certificateDigest,
    certificateCid: r.certificateCid,
    manifestCid: r.manifestCid,
    parents: parents.map((p: { modelId: bigint; relation: bigint }) => ({
      modelId: p.modelId.toString(),
      relation: PARENT_RELATIONS[Number(p.relation)]!,
    })),
    datasets: datasets.map((d: { datasetId: bigint; role: bigint }) => ({
      datasetId: d.datasetId.toString(),
      role: DATASET_ROLES[Number(d.role)]!,
    })),
  };
}

/** Read everything verifyTrainingCertificate compares a certificate with. */
export async function readCertificateFacts(
  conn: ChainConnection,
  certificate: TrainingCertificate,
  options: { modelId?: string; addresses?: Partial<ModelRegistryAddresses> } = {}
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
  const model = options.modelId ? await readModelFacts(models, options.modelId) : undefined;
  return {
    chainId: conn.chainId,
    attestorRegistry: addr.attestorRegistry as Address,
    modelRegistry: addr.modelRegistry as Address,
    datasetRegistry: addr.datasetRegistry as Address,
    attestor: await attestors.attestorOf(pl.attestor.address),
    datasetRoots,
    parentDigests,
    ...(model ? { model } : {}),
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

export type AttestedRegistration = TxResult & { modelId: bigint };

/**
 * Register the certified model with its lineage and certificate in one transaction:
 * ModelRegistry.registerAttested(params, evidence, certificateCid). The signer must be the certificate's
 * registrant. Preflights with a call, so a refused certificate never costs a transaction.
 */
export async function registerAttestedModel(
  conn: ChainConnection,
  signer: Signer,
  certificate: TrainingCertificate,
  certificateCid: string,
  options: { addresses?: Partial<ModelRegistryAddresses>; onSent?: (txHash: string) => void } = {}
): Promise<AttestedRegistration> {
  const addr = provenantAddresses(conn, options.addresses);
  const registry = attestedModelRegistry(addr.modelRegistry, signer);
  const params = certificateRegisterParams(certificate);
  const evidence = certificateEvidence(certificate);
  // A deployment older than registerAttested would revert without a reason: say what is wrong instead.
  const selector = registry.interface.getFunction("registerAttested")!.selector.slice(2);
  if (!(await conn.provider.getCode(addr.modelRegistry)).includes(selector)) {
    throw new ChainError(
      "CHAIN_NOT_DEPLOYED",
      `the model registry at ${addr.modelRegistry} has no registerAttested entry point (selector ${selector}): redeploy the Provenant module`
    );
  }
  try {
    const id: bigint = await registry.registerAttested.staticCall(params, evidence, certificateCid);
    const tx = await registry.registerAttested(params, evidence, certificateCid);
    options.onSent?.(tx.hash);
    const receipt = await tx.wait();
    const registered = receipt.logs
      .map((l: { topics: string[]; data: string }) => {
        try {
          return registry.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((l: { name: string } | null) => l?.name === "ModelRegistered");
    return {
      modelId: registered ? BigInt(registered.args.id) : id,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
    };
  } catch (e) {
    throw chainError(e, "registerAttested");
  }
}

/** The model registered with this certificate, if any (after a restart mid-registration). */
export async function findAttestedModel(
  conn: ChainConnection,
  certificate: TrainingCertificate,
  options: { addresses?: Partial<ModelRegistryAddresses> } = {}
): Promise<bigint | undefined> {
  const addr = provenantAddresses(conn, options.addresses);
  const registry = attestedModelRegistry(addr.modelRegistry, conn.provider);
  const id: bigint = await registry.modelOfCertificate(certificate.certificateDigest);
  return id === 0n ? undefined : id;
}
