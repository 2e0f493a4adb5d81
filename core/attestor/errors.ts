/** Attestor failures: RUN_FAILED, RUN_INTERRUPTED, UNAUTHORIZED, NOT_ENROLLED, ATTESTOR_UNREACHABLE, QUEUE_FULL among them. */
import { ProvenantError } from "../errors.ts";
import type { ProvenantErrorCode } from "../errors.ts";

/** Kept as an alias: the codes now live in the one union in core/errors.ts. */
export type AttestorErrorCode = ProvenantErrorCode;

export class AttestorError extends ProvenantError {
  constructor(code: ProvenantErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "AttestorError";
  }
}
