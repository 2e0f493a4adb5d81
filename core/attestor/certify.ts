/**
 * Certifying a finished run, one step, for whatever edge runs the attestor: the certificate's evidence
 * built once, the contract's verdict on it from one simulation, then, when asked, the one registration
 * transaction with that same evidence.
 *
 *   certify only   the chain facts read once (the roots and digests the model registry would use), and
 *                  AttestorRegistry.checkTrainingCertificate over that lineage, as a call;
 *   and register   ModelRegistry.registerAttested as a call from the registrant (it runs the same check over
 *                  the lineage it builds from the chain itself), then the same call as the transaction.
 *
 * A refused certificate is CERTIFICATE_INVALID naming the contract's error; nothing is sent for it.
 */
import type { Signer } from "ethers";
import { ProvenantError } from "../errors.ts";
import type { ChainConnection } from "../chain/connect.ts";
import { AttestorRegistryClient, describeRevert } from "../chain/attestor-registry.ts";
import { attestedRegistrar, sendAttestedRegistration, simulateAttestedRegistration } from "../chain/model-registry.ts";
import type { AttestedRegistration, AttestedSubmission, ModelRegistryAddresses } from "../chain/model-registry.ts";
import { chainError } from "../chain/chain-error.ts";
import type { TrainingCertificate } from "./certificate.ts";
import { attestedSubmission } from "./certificate-onchain.ts";
import { lineageFromFacts, readCertificateFacts } from "./registration.ts";

export type CertifyParameters = {
  conn: ChainConnection;
  certificate: TrainingCertificate;
  /** Where the certificate is stored; recorded on-chain with the model. */
  certificateCid: string;
  addresses?: Partial<ModelRegistryAddresses>;
  /** Register the model as `signer`, the certificate's registrant; absent: certify only. */
  register?: {
    signer: Signer;
    /** The contract accepted the certificate; the transaction is about to be sent. */
    onChecked?: () => void;
    onSent?: (txHash: string) => void;
  };
};

export type Certification = {
  /** Present when the model was registered. */
  registration?: AttestedRegistration;
};

export async function certifyRun(p: CertifyParameters): Promise<Certification> {
  const submission = attestedSubmission(p.certificate, p.certificateCid);
  if (!p.register) {
    await checkCertificate(p, submission);
    return {};
  }
  const registry = await attestedRegistrar(p.conn, p.register.signer, p.addresses);
  const modelId = await simulateRegistration(registry, submission);
  p.register.onChecked?.();
  try {
    return { registration: await sendAttestedRegistration(registry, submission, { onSent: p.register.onSent, simulatedId: modelId }) };
  } catch (e) {
    throw chainError(e, "registerAttested");
  }
}

/** The contract's verdict when nothing is registered, over the lineage the model registry would build from the chain. */
async function checkCertificate(p: CertifyParameters, submission: AttestedSubmission): Promise<void> {
  const facts = await readCertificateFacts(p.conn, p.certificate, { addresses: p.addresses });
  const attestors = new AttestorRegistryClient(facts.attestorRegistry, p.conn.provider, p.conn.chainId);
  const lineage = lineageFromFacts(p.certificate, facts, p.certificate.payload.run.registrant);
  const verdict = await attestors.checkTrainingCertificate(lineage, submission.evidence);
  if (!verdict.ok) throw new ProvenantError("CERTIFICATE_INVALID", verdict.detail);
}

/** The registration as a call: the id the model would get, or the certificate's refusal by AttestorRegistry (or its quote library). */
async function simulateRegistration(registry: Parameters<typeof simulateAttestedRegistration>[0], submission: AttestedSubmission): Promise<bigint> {
  try {
    return await simulateAttestedRegistration(registry, submission);
  } catch (e) {
    const refusal = (e as { revert?: { name: string } }).revert?.name;
    if (refusal && /^(AttestorRegistry|TpmQuote)/.test(refusal)) {
      throw new ProvenantError("CERTIFICATE_INVALID", `AttestorRegistry refuses: ${describeRevert(e)}`, { cause: e });
    }
    throw chainError(e, "registerAttested");
  }
}
