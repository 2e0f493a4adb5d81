import { Contract, type ContractRunner, type Result, type Signer } from "ethers";
import { manifestCidBytes } from "./manifest-cid.ts";
import { ChainError, ProvenantError } from "../errors.ts";
import type { Address, Hex32 } from "../hex.ts";
import { DATASET_ROLES, PARENT_RELATIONS, type DatasetRole, type ParentRelation } from "./roles.ts";
import { attestorRegistryAbi, datasetRegistryAbi, modelRegistryAbi } from "./abi.generated.ts";
import { contractAddress } from "./addresses.ts";
import type { TrainingEvidenceStruct } from "./attestor-registry.ts";
import { chainError, interfaceWithErrorsOf } from "./chain-error.ts";
import { generatedDeployment } from "./generated-deployment.ts";
import { eventAtBlock, RegistryClient, type ClientConnection, type TxResult } from "./registry-client.ts";

/** Solidity enum order of IModelRegistry.Provenance. */
export const PROVENANCES = ["self-declared", "attested"] as const;
export type Provenance = (typeof PROVENANCES)[number];

export interface ParentEdge {
  modelId: bigint;
  relation: ParentRelation;
}
export interface DatasetEdge {
  datasetId: bigint;
  role: DatasetRole;
}

export interface ModelChainRecord {
  id: bigint;
  weightsDigest: Hex32;
  registeredAt: number;
  provenance: Provenance;
  parentCount: number;
  datasetCount: number;
  registrant: string;
  attestor: string | null;
  certificateDigest: Hex32 | null;
  manifestCid: string;
  license: string;
  certificateCid: string | null;
}

export interface RegisterRequest {
  weightsDigest: Hex32;
  manifestCid: string;
  license: string;
  parents: ParentEdge[];
  datasets: DatasetEdge[];
}

export interface RegisterResult {
  id: bigint;
  /** True when this registrant had already registered these weights: nothing was sent. */
  existing: boolean;
  txHash: string | null;
  gasUsed: bigint | null;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const ZERO_HASH = `0x${"0".repeat(64)}`;

function enumName<T>(names: readonly T[], value: bigint, what: string): T {
  const name = names[Number(value)];
  if (name === undefined) throw new ChainError("LINEAGE_INVALID", `the registry returned ${what} ${value}, which this version does not know`);
  return name;
}

/** Readable errors for the registry's custom errors; anything else as chainError does it. */
export function modelChainError(e: unknown, what: string): ProvenantError {
  const revert = (e as { revert?: { name: string; args: unknown[] } }).revert;
  const arg = (i: number) => String(revert?.args[i]);
  switch (revert?.name) {
    case "ModelRegistryUnknownParent":
      return new ChainError(
        "TOKEN_NOT_FOUND",
        `${what}: parent model #${arg(0)} does not exist (a parent must be registered before its children, so a model cannot name itself or a later model)`,
        { cause: e },
      );
    case "ModelRegistryUnknownDataset":
      return new ChainError("TOKEN_NOT_FOUND", `${what}: dataset #${arg(0)} does not exist`, { cause: e });
    case "ModelRegistryDuplicateParent":
      return new ChainError("LINEAGE_INVALID", `${what}: parent model #${arg(0)} is listed twice`, { cause: e });
    case "ModelRegistryDuplicateDataset":
      return new ChainError("LINEAGE_INVALID", `${what}: dataset #${arg(0)} is listed twice as ${DATASET_ROLES[Number(revert.args[1])]}`, { cause: e });
    case "ModelRegistryTooManyEdges":
      return new ChainError("LINEAGE_INVALID", `${what}: ${arg(0)} lineage edges, more than the ${arg(1)} a model may have`, { cause: e });
  }
  return chainError(e, what);
}

/** ModelRegistry: records, lineage edges, self-declared registration. */
export class ModelRegistryClient extends RegistryClient {
  static readonly contractName = "ModelRegistry";

  constructor(address: string, runner: ContractRunner, chainId: number) {
    super(address, runner, chainId, modelRegistryAbi as never);
  }

  protected override fail(e: unknown, what: string): ProvenantError {
    return modelChainError(e, what);
  }

  private notFound(e: unknown, id: bigint): ProvenantError {
    const err = chainError(e, `model #${id}`);
    if (err.code === "TOKEN_NOT_FOUND") {
      return new ChainError("TOKEN_NOT_FOUND", `model #${id} does not exist on chain ${this.chainId}`, { cause: e });
    }
    return err;
  }

  async record(id: bigint): Promise<ModelChainRecord> {
    try {
      const { record: r, registered } = await readModelRecord(this.contract, id);
      return {
        id,
        weightsDigest: (r.weightsDigest as string).toLowerCase() as Hex32,
        registeredAt: Number(r.registeredAt),
        provenance: enumName(PROVENANCES, r.provenance, "provenance"),
        parentCount: Number(r.parentCount),
        datasetCount: Number(r.datasetCount),
        registrant: r.registrant,
        attestor: r.attestor === ZERO_ADDRESS ? null : r.attestor,
        certificateDigest: r.certificateDigest === ZERO_HASH ? null : r.certificateDigest,
        manifestCid: r.manifestCid,
        license: registered.license,
        certificateCid: registered.certificateCid === "" ? null : registered.certificateCid,
      };
    } catch (e) {
      throw this.notFound(e, id);
    }
  }

  async parents(id: bigint): Promise<ParentEdge[]> {
    try {
      const edges = await this.contract.parentsOf(id);
      return edges.map((e: { modelId: bigint; relation: bigint }) => ({
        modelId: e.modelId,
        relation: enumName(PARENT_RELATIONS, e.relation, "parent relation"),
      }));
    } catch (e) {
      throw this.notFound(e, id);
    }
  }

  async datasets(id: bigint): Promise<DatasetEdge[]> {
    try {
      const edges = await this.contract.datasetsOf(id);
      return edges.map((e: { datasetId: bigint; role: bigint }) => ({
        datasetId: e.datasetId,
        role: enumName(DATASET_ROLES, e.role, "dataset role"),
      }));
    } catch (e) {
      throw this.notFound(e, id);
    }
  }

  async totalRegistered(): Promise<bigint> {
    return this.contract.totalRegistered();
  }

  async tokenOf(registrant: string, weightsDigest: Hex32): Promise<bigint> {
    return this.contract.tokenOfRegistrantDigest(registrant, weightsDigest);
  }

  /** Registers once per (registrant, weights digest): a repeat returns the existing token without a transaction. */
  async register(req: RegisterRequest): Promise<RegisterResult> {
    const runner = this.contract.runner as Signer;
    const existing = await this.tokenOf(await runner.getAddress(), req.weightsDigest);
    if (existing !== 0n) return { id: existing, existing: true, txHash: null, gasUsed: null };
    const params = {
      weightsDigest: req.weightsDigest,
      manifestCid: manifestCidBytes(req.manifestCid),
      license: req.license,
      parents: req.parents.map((p) => ({ modelId: p.modelId, relation: PARENT_RELATIONS.indexOf(p.relation) })),
      datasets: req.datasets.map((d) => ({ datasetId: d.datasetId, role: DATASET_ROLES.indexOf(d.role) })),
    };
    const { receipt, result } = await this.transact("register", () => this.contract.register(params));
    const event = this.eventIn(receipt, "ModelRegistered");
    if (!event) throw new ChainError("TX_REVERTED", `register: transaction ${result.txHash} has no ModelRegistered event`);
    return { id: event.args.id, existing: false, txHash: result.txHash, gasUsed: result.gasUsed };
  }
}

// ---- the attested registration: ModelRegistry.registerAttested and what it checks against ----------------

export type ModelRegistryAddresses = {
  modelRegistry: string;
  datasetRegistry: string;
  attestorRegistry: string;
};

/** The Provenant addresses on this chain (the connection's deployment); `overrides` replaces any of them. */
export function provenantAddresses(conn: ClientConnection, overrides: Partial<ModelRegistryAddresses> = {}): ModelRegistryAddresses {
  const deployment = conn.deployment ?? generatedDeployment(conn.chainId);
  return {
    modelRegistry: overrides.modelRegistry ?? contractAddress(deployment, "ModelRegistry"),
    datasetRegistry: overrides.datasetRegistry ?? contractAddress(deployment, "DatasetRegistry"),
    attestorRegistry: overrides.attestorRegistry ?? contractAddress(deployment, "AttestorRegistry"),
  };
}

/** The model registry, with every error its attested entry point can bubble up (AttestorRegistry's, TpmQuote's). */
export function attestedModelRegistry(address: string, runner: ContractRunner): Contract {
  return new Contract(address, interfaceWithErrorsOf(modelRegistryAbi, attestorRegistryAbi, datasetRegistryAbi), runner);
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

/** A registered model as the certificate check compares it (ModelRegistry.modelOf, parentsOf, datasetsOf). */
export type ModelFacts = {
  id: string;
  weightsDigest: Hex32;
  provenance: "self-declared" | "attested";
  registrant: Address;
  attestor: Address;
  certificateDigest: Hex32;
  certificateCid: string;
  manifestCid: string;
  parents: { modelId: string; relation: ParentRelation }[];
  datasets: { datasetId: string; role: DatasetRole }[];
};

export async function readModelFacts(modelRegistry: Contract, id: string): Promise<ModelFacts | undefined> {
  let r;
  let registered;
  try {
    ({ record: r, registered } = await readModelRecord(modelRegistry, BigInt(id)));
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
    certificateCid: registered.certificateCid,
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

/** IModelRegistry.RegisterParams, as ethers takes it. */
export type RegisterParamsStruct = {
  weightsDigest: string;
  /** binary CIDv1 (manifestCidBytes): the registry keeps its digest */
  manifestCid: Uint8Array;
  license: string;
  parents: { modelId: bigint; relation: number }[];
  datasets: { datasetId: bigint; role: number }[];
};

export type AttestedRegistration = TxResult & { modelId: bigint };

/** ModelRegistry.registerAttested's arguments: what an attested registration submits, simulated and sent alike. */
export type AttestedSubmission = { params: RegisterParamsStruct; evidence: TrainingEvidenceStruct; certificateCid: string };

/**
 * The model registry as `signer` registers with it, after checking the deployment has registerAttested: an
 * older one would revert without a reason, so say what is wrong instead.
 */
export async function attestedRegistrar(conn: ClientConnection, signer: Signer, addresses?: Partial<ModelRegistryAddresses>): Promise<Contract> {
  const at = provenantAddresses(conn, addresses).modelRegistry;
  const registry = attestedModelRegistry(at, signer);
  const selector = registry.interface.getFunction("registerAttested")!.selector.slice(2);
  if (!(await conn.provider.getCode(at)).includes(selector)) {
    throw new ChainError("CHAIN_NOT_DEPLOYED", `the model registry at ${at} has no registerAttested entry point (selector ${selector}): redeploy the Provenant module`);
  }
  return registry;
}

/** The registration as a call, the contract's verdict on exactly this transaction: the id the model would get. Throws the revert as ethers decodes it. */
export async function simulateAttestedRegistration(registry: Contract, s: AttestedSubmission): Promise<bigint> {
  return registry.registerAttested.staticCall(s.params, s.evidence, s.certificateCid);
}

/** Send the registration and wait for it; the model id from its ModelRegistered event (else the simulated one). */
export async function sendAttestedRegistration(
  registry: Contract,
  s: AttestedSubmission,
  options: { onSent?: (txHash: string) => void; simulatedId?: bigint } = {},
): Promise<AttestedRegistration> {
  const tx = await registry.registerAttested(s.params, s.evidence, s.certificateCid);
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
  const modelId = registered ? BigInt(registered.args.id) : options.simulatedId;
  if (modelId === undefined) throw new ChainError("TX_REVERTED", `registerAttested: transaction ${receipt.hash} emitted no ModelRegistered event`);
  return { modelId, txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}

/**
 * ModelRegistry.registerAttested(params, evidence, certificateCid): the model, its lineage and its certificate
 * in one transaction. The signer must be the certificate's registrant. Preflights with a call, so a refused
 * certificate never costs a transaction.
 */
export async function registerAttested(
  conn: ClientConnection,
  signer: Signer,
  submission: AttestedSubmission,
  options: { addresses?: Partial<ModelRegistryAddresses>; onSent?: (txHash: string) => void } = {},
): Promise<AttestedRegistration> {
  const registry = await attestedRegistrar(conn, signer, options.addresses);
  try {
    const simulatedId = await simulateAttestedRegistration(registry, submission);
    return await sendAttestedRegistration(registry, submission, { onSent: options.onSent, simulatedId });
  } catch (e) {
    throw chainError(e, "registerAttested");
  }
}

/** The model registered with the certificate of this digest, if any (after a restart mid-registration). */
export async function modelOfCertificate(
  conn: ClientConnection,
  certificateDigest: string,
  options: { addresses?: Partial<ModelRegistryAddresses> } = {},
): Promise<bigint | undefined> {
  const addr = provenantAddresses(conn, options.addresses);
  const registry = attestedModelRegistry(addr.modelRegistry, conn.provider);
  const id: bigint = await registry.modelOfCertificate(certificateDigest);
  return id === 0n ? undefined : id;
}

/**
 * modelOf and the ModelRegistered event at the registration block it names, which holds the license and the
 * certificate CID that storage does not keep (one block's logs, so an RPC that caps log ranges still answers).
 * Reverts of modelOf propagate for the caller to map.
 */
export async function readModelRecord(contract: Contract, id: bigint): Promise<{ record: Result; registered: { license: string; certificateCid: string } }> {
  const record = await contract.modelOf(id);
  const event = await eventAtBlock(contract, "ModelRegistered", id, Number(record.registrationBlock), `model #${id}`);
  return { record, registered: { license: event.args.license, certificateCid: event.args.certificateCid } };
}
