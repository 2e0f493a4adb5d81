/**
 * A check group: a few named checks of a training certificate decided together from one view of it
 * (context.ts). Each group is its own module; certificate-check.ts lists them in report order, so a new
 * group is one module and one line there. Model: sigstore-js's verifier, which hands each check group to a
 * small module.
 */
import type { CertificateCheckContext } from "./context.ts";

/**
 * Record a check's outcome. A check recorded in parts fails if any part fails, and keeps the first
 * failure's detail; a later pass never overrides an earlier outcome.
 */
export type RecordCheck<Name extends string> = (name: Name, ok: boolean, detail: string) => void;

export type CheckGroup<Name extends string = string> = {
  /** The checks this group decides, in report order. */
  readonly checks: readonly Name[];
  /** Decide them; never throws for bad evidence. A check left unrecorded is reported failed. */
  run(ctx: CertificateCheckContext, record: RecordCheck<Name>): void;
};

export function checkGroup<const Name extends string>(checks: readonly Name[], run: CheckGroup<Name>["run"]): CheckGroup<Name> {
  return { checks, run };
}

export const errMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
export const eqHex = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
