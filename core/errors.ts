/**
 * One error base for everything a user can hit. `code` is stable (tests and `--json` use it);
 * `message` is one readable line naming what is wrong; `cause` keeps the underlying error.
 */
export type ProvenantErrorCode =
  | "INPUT_NOT_FOUND"
  | "INPUT_UNREADABLE"
  | "INPUT_INVALID"
  | "DATASET_EMPTY"
  | "DATASET_SKIPPED_ENTRIES"
  | "FORMAT_UNSUPPORTED"
  | "MANIFEST_INVALID"
  | "ROOT_MISMATCH"
  | "PROOF_INVALID"
  | "PROOF_WRONG_DATASET"
  | "STORAGE_NOT_FOUND"
  | "STORAGE_CORRUPT"
  | "STORAGE_UNREACHABLE"
  | "STORAGE_AUTH"
  | "STORAGE_REJECTED"
  | "CHAIN_UNREACHABLE"
  | "CHAIN_NOT_DEPLOYED"
  | "TOKEN_NOT_FOUND"
  | "TX_REVERTED"
  | "MINT_CONFLICT"
  | "DATASET_MISORDERED"
  | "TPM_UNAVAILABLE"
  | "TPM_FAILED"
  | "ATTESTATION_INVALID"
  | "CERTIFICATE_INVALID"
  | "METRICS_INVALID"
  | "LINEAGE_INVALID"
  | "MODEL_EMPTY"
  | "WEIGHTS_MISMATCH"
  | "RECORD_INVALID"
  | "CONFIG_INVALID"
  | "RUN_FAILED"
  | "RUN_INTERRUPTED"
  | "UNAUTHORIZED"
  | "NOT_ENROLLED"
  | "ATTESTOR_UNREACHABLE"
  | "QUEUE_FULL"
  | "SANDBOX_UNSAFE";

/**
 * Something the user can do about an error, in the library's terms: an input ("secretEnv", "attestorToken") or a
 * step ("enrollNewAk"), with the value to give, if any. A message names no edge's syntax; each edge words the
 * hints its own way (the CLI as flags and commands: cli/output.ts).
 */
export interface ErrorHint {
  remedy: string;
  value?: string;
}

export class ProvenantError extends Error {
  readonly code: ProvenantErrorCode;
  /** Alternatives: any one of them gets past the error. */
  readonly hints: readonly ErrorHint[];
  constructor(code: ProvenantErrorCode, message: string, options?: { cause?: unknown; hints?: readonly ErrorHint[] }) {
    super(message, options);
    this.name = "ProvenantError";
    this.code = code;
    this.hints = options?.hints ?? [];
  }
}

export class InputError extends ProvenantError {}
export class FormatError extends ProvenantError {}
export class StorageError extends ProvenantError {}
export class ChainError extends ProvenantError {}
export class TpmError extends ProvenantError {}

/** No leaves, so no Merkle root: thrown by the tree builder and by every dataset reader that finds nothing. */
export class DatasetEmptyError extends InputError {
  constructor(what = "the dataset") {
    super("DATASET_EMPTY", `${what} has no samples: an empty dataset has no commitment`);
  }
}

export function isProvenantError(e: unknown): e is ProvenantError {
  return e instanceof ProvenantError;
}
