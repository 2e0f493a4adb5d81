/**
 * Chain bindings for attested evaluations: EvaluationRegistry (register, read, a model's evaluations, the
 * certificate check as a call), and the chain facts an evaluation certificate is verified against.
 */
import { Contract, type ContractRunner, type Signer } from "ethers";
import { ChainError, ProvenantError } from "../errors.ts";
import type { Address, Hex32 } from "../attestor/events.ts";
import { evaluationEvidence, evaluationParams } from "../attestor/evaluation-certificate.ts";
import type { EvaluationCertificate, EvaluationEvidenceStruct, EvaluationParamsStruct } from "../attestor/evaluation-certificate.ts";
import type { EvaluationChainFacts, EvaluationRecordFacts } from "../attestor/evaluation-verify.ts";
import { attestorRegistryAbi, datasetRegistryAbi, evaluationRegistryAbi, modelRegistryAbi } from "./abi.generated.ts";
import { AttestorRegistryClient, describeRevert, interfaceWithErrorsOf, type TxResult } from "./attestor-registry.ts";
import { chainError } from "./chain-error.ts";
import type { ChainConnection } from "./connect.ts";
import { deployedAddress, liveAddress } from "./deployments.ts";

export type EvaluationRegistration = TxResult & { evaluationId: bigint };

const ZERO32 = `0x${"0".repeat(64)}`;

export class EvaluationRegistryClient {
  readonly address: string;
  readonly contract: Contract;
  readonly chainId: number;

  constructor(address: string, runner: ContractRunner, chainId: number) {
    this.address = address;
    this.chainId = chainId;
    // With the errors of the registries it calls: a refused quote decodes as AttestorRegistry's (or TpmQuote's) error.
    this.contract = new Contract(address, interfaceWithErrorsOf(evaluationRegistryAbi, attestorRegistryAbi, modelRegistryAbi, datasetRegistryAbi), runner);
  }

  /** The deployment's EvaluationRegistry (or `address`), refusing an address without code. */
  static async connect(conn: ChainConnection, address?: string): Promise<EvaluationRegistryClient> {
    const at = await liveAddress(conn.provider, conn.chainId, "EvaluationRegistry", address);
    return new EvaluationRegistryClient(at, conn.provider, conn.chainId);
  }

  withSigner(signer: Signer): EvaluationRegistryClient {
    return new EvaluationRegistryClient(this.address, signer, this.chainId);
  }

  /** The registries it is bound to, read from the contract itself. */
  async registries(): Promise<{ modelRegistry: Address; datasetRegistry: Address; attestorRegistry: Address }> {
    const [modelRegistry, datasetRegistry, attestorRegistry] = await Promise.all([
      this.contract.modelRegistry(),
      this.contract.datasetRegistry(),
      this.contract.attestorRegistry(),
    ]);
    return { modelRegistry, datasetRegistry, attestorRegistry };
  }

  /** The record, or undefined for an id never registered. */
  async record(id: bigint | string): Promise<EvaluationRecordFacts | undefined> {
    try {
      const r = await this.contract.evaluationOf(BigInt(id));
      return {
        id: String(id),
        modelId: r.modelId.toString(),
        datasetId: r.datasetId.toString(),
        metricsDigest: r.metricsDigest,
        certificateDigest: r.certificateDigest,
        attestor: r.attestor,
        registrant: r.registrant,
        registeredAt: Number(r.registeredAt),
        certificateCid: r.certificateCid,
      };
    } catch (e) {
      if ((e as { revert?: { name: string } }).revert?.name === "EvaluationRegistryUnknownEvaluation") return undefined;
      throw chainError(e, `evaluation #${id}`);
    }
  }

  /** The ids of model `modelId`'s evaluations, oldest first. */
  async evaluationsOf(modelId: bigint | string): Promise<bigint[]> {
    try {
      return [...(await this.contract.evaluationsOf(BigInt(modelId)))];
    } catch (e) {
      throw chainError(e, `evaluations of model #${modelId}`);
    }
  }

  async evaluationOfCertificate(certificateDigest: string): Promise<bigint | undefined> {
    const id: bigint = await this.contract.evaluationOfCertificate(certificateDigest);
    return id === 0n ? undefined : id;
  }

  /** The contract's verdict (a call: free). Never throws for a refused certificate. */
  async checkEvaluationCertificate(
    params: EvaluationParamsStruct,
    evidence: EvaluationEvidenceStruct,
    registrant: string
  ): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.contract.checkEvaluationCertificate(params, evidence, registrant);
      return { ok: true, detail: `EvaluationRegistry ${this.address} accepts the quote for this model, dataset and metrics` };
    } catch (e) {
      const err = e as { revert?: unknown; code?: string };
      if (!err.revert && (err.code === "ECONNREFUSED" || err.code === "NETWORK_ERROR")) throw chainError(e, "checkEvaluationCertificate");
      return { ok: false, detail: `EvaluationRegistry refuses: ${describeRevert(e)}` };
    }
  }

  /**
   * Register the certified evaluation in one transaction, as `this`'s signer (the certificate's registrant).
   * Preflights with a call, so a refused certificate never costs a transaction: CERTIFICATE_INVALID naming the
   * contract's error.
   */
  async register(certificate: EvaluationCertificate, certificateCid: string, options: { onSent?: (txHash: string) => void } = {}): Promise<EvaluationRegistration> {
    const params = evaluationParams(certificate);
    const evidence = evaluationEvidence(certificate);
    let simulated: bigint;
    try {
      simulated = await this.contract.registerEvaluation.staticCall(params, evidence, certificateCid);
    } catch (e) {
      const name = (e as { revert?: { name: string } }).revert?.name;
      if (name && /^(AttestorRegistry|TpmQuote|EvaluationRegistry)/.test(name)) {
        throw new ProvenantError("CERTIFICATE_INVALID", `EvaluationRegistry refuses: ${describeRevert(e)}`, { cause: e });
      }
      throw chainError(e, "registerEvaluation");
    }
    try {
      const tx = await this.contract.registerEvaluation(params, evidence, certificateCid);
      options.onSent?.(tx.hash);
      const receipt = await tx.wait();
      const event = receipt.logs
        .map((l: { topics: string[]; data: string }) => {
          try {
            return this.contract.interface.parseLog(l);
          } catch {
            return null;
          }
        })
        .find((l: { name: string } | null) => l?.name === "EvaluationRegistered");
      return {
        evaluationId: event ? BigInt(event.args.id) : simulated,
        txHash: receipt.hash,
        blockNumber: receipt.blockNumber,
        gasUsed: receipt.gasUsed,
      };
    } catch (e) {
      throw chainError(e, "registerEvaluation");
    }
  }
}

/** The EvaluationRegistry address of this chain's deployment, or `given`. */
export function evaluationRegistryAddress(conn: ChainConnection, given?: string): string {
  return given ?? deployedAddress(conn.chainId, "EvaluationRegistry");
}

/**
 * Read everything an evaluation certificate is compared with: the registries the evaluation registry is bound
 * to, the attestor's record, the model's digest and the dataset's root (from the chain, never the certificate),
 * and the evaluation's record when `evaluationId` is given.
 */
export async function readEvaluationFacts(
  conn: ChainConnection,
  certificate: EvaluationCertificate,
  options: { evaluationId?: string; evaluationRegistry?: string } = {}
): Promise<EvaluationChainFacts> {
  const evaluations = new EvaluationRegistryClient(evaluationRegistryAddress(conn, options.evaluationRegistry), conn.provider, conn.chainId);
  const registries = await evaluations.registries();
  const attestors = new AttestorRegistryClient(registries.attestorRegistry, conn.provider, conn.chainId);
  const models = new Contract(registries.modelRegistry, modelRegistryAbi as never, conn.provider);
  const datasets = new Contract(registries.datasetRegistry, datasetRegistryAbi as never, conn.provider);
  const pl = certificate.payload;
  const known = (h: string) => (h === ZERO32 ? undefined : (h as Hex32));
  const [attestor, weightsDigest, datasetRoot, evaluation] = await Promise.all([
    attestors.attestorOf(pl.attestor.address),
    models.weightsDigestOf(BigInt(pl.inputs.model.modelId)).then(known, (e: unknown) => Promise.reject(chainError(e, "weightsDigestOf"))),
    datasets.rootOf(BigInt(pl.inputs.datasets[0].datasetId)).then(known, (e: unknown) => Promise.reject(chainError(e, "rootOf"))),
    options.evaluationId ? evaluations.record(options.evaluationId) : Promise.resolve(undefined),
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
  };
}
