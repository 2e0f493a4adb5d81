import type { ContractRunner, Signer } from "ethers";
import { ChainError, ProvenantError } from "../errors.ts";
import type { Hex32 } from "../hex.ts";
import type { DatasetRole, ParentRelation } from "../lineage/graph.ts";
import { modelRegistryAbi } from "./abi.generated.ts";
import { chainError } from "./chain-error.ts";
import { RegistryClient } from "./registry-client.ts";

/** Solidity enum order of IModelRegistry.ParentRelation, DatasetRole and Provenance. */
export const PARENT_RELATIONS: readonly ParentRelation[] = ["finetune", "adapter", "merge", "quantized", "distillation"];
export const DATASET_ROLES: readonly DatasetRole[] = ["training", "fine-tuning", "evaluation"];
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
      const r = await this.contract.modelOf(id);
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
        license: r.license,
        certificateCid: r.certificateCid === "" ? null : r.certificateCid,
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
    const { receipt, result } = await this.transact("register", () =>
      this.contract.register({
        weightsDigest: req.weightsDigest,
        manifestCid: req.manifestCid,
        license: req.license,
        parents: req.parents.map((p) => ({ modelId: p.modelId, relation: PARENT_RELATIONS.indexOf(p.relation) })),
        datasets: req.datasets.map((d) => ({ datasetId: d.datasetId, role: DATASET_ROLES.indexOf(d.role) })),
      }),
    );
    const event = this.eventIn(receipt, "ModelRegistered");
    if (!event) throw new ChainError("TX_REVERTED", `register: transaction ${result.txHash} has no ModelRegistered event`);
    return { id: event.args.id, existing: false, txHash: result.txHash, gasUsed: result.gasUsed };
  }
}
