import type { ProvenantError } from "../../core/errors.ts";

/** The error `fn` throws; a call that returns fails the test. */
export function thrownBy(fn: () => unknown): ProvenantError {
  try {
    fn();
  } catch (e) {
    return e as ProvenantError;
  }
  throw new Error("expected a throw, the call returned");
}
