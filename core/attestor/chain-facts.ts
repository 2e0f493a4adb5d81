/**
 * What the chain says about a certificate, read just before it is checked (core/attestor/registration.ts
 * `readCertificateFacts`): the attestor's record, the roots and digests of the inputs, the model record, the
 * approval of a boot state the certificate quotes.
 * The checks (certificate-check.ts) do no I/O; these are their only view of the chain. The records' own
 * types are the bindings' (AttestorFacts in core/chain/attestor-registry.ts, ModelFacts in model-registry.ts).
 */
import type { AttestorFacts, BootStateFacts } from "../chain/attestor-registry.ts";
import type { ModelFacts } from "../chain/model-registry.ts";
import type { Address, Hex32 } from "../hex.ts";

/** What the chain says, read just before verification. */
export type ChainFacts = {
  chainId: number;
  attestorRegistry: Address;
  modelRegistry: Address;
  datasetRegistry: Address;
  /** undefined: the attestor was never registered. */
  attestor: AttestorFacts | undefined;
  /** On-chain roots of the datasets the certificate names (missing key: no such dataset). */
  datasetRoots: Record<string, Hex32>;
  /** On-chain weights digests of the parents the certificate names (missing key: no such model). */
  parentDigests: Record<string, Hex32>;
  /** The registered model; absent before registration (the attestor's own pre-registration check). */
  model?: ModelFacts;
  /** AttestorRegistry.bootStateOf for a certificate with a boot section (certificate-checks/boot-state.ts). */
  bootState?: BootStateFacts;
};
