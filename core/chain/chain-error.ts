import { Interface } from "ethers";
import { ChainError, ProvenantError } from "../errors.ts";

// Browser-safe (no deployment files): the dApp maps the contract's reverts with the same words as the CLI.

/** Turns a contract revert into the matching ProvenantError; anything else is re-thrown as a chain error. */
export function chainError(e: unknown, what: string): ProvenantError {
  if (e instanceof ProvenantError) return e;
  const err = e as { revert?: { name: string; args: unknown[] }; shortMessage?: string; code?: string };
  const revert = err.revert;
  if (revert?.name === "DatasetRegistryUnknownToken" || revert?.name === "ModelRegistryUnknownToken") {
    return new ChainError("TOKEN_NOT_FOUND", `${what}: token #${String(revert.args[0])} does not exist`, { cause: e });
  }
  if (revert?.name === "DatasetRegistryRootAlreadyMinted") {
    const [root, id] = revert.args;
    return new ChainError(
      "MINT_CONFLICT",
      `${what}: your address already minted root ${String(root)} as dataset #${String(id)} with other fields (n, samples, encoding, manifest, license or previous version); a root is minted once per publisher`,
      { cause: e },
    );
  }
  if (revert?.name === "DatasetRegistryMisordered" || revert?.name === "DatasetRegistryAlreadyMisordered") {
    return new ChainError("DATASET_MISORDERED", `${what}: dataset #${String(revert.args[0])} was reported misordered on-chain, so it proves no exclusion`, { cause: e });
  }
  if (revert) return new ChainError("TX_REVERTED", `${what}: the contract refused with ${revert.name}(${revert.args.join(", ")})`, { cause: e });
  if (err.code === "ECONNREFUSED" || err.code === "NETWORK_ERROR") {
    return new ChainError("CHAIN_UNREACHABLE", `${what}: the chain stopped answering`, { cause: e });
  }
  return new ChainError("TX_REVERTED", `${what}: ${err.shortMessage ?? (e as Error).message}`, { cause: e });
}

/** A contract call's revert as "ErrorName(args)", or the message. */
export function describeRevert(e: unknown): string {
  const err = e as { revert?: { name: string; args: unknown[] }; shortMessage?: string; message?: string };
  if (err.revert) return `${err.revert.name}(${err.revert.args.map(String).join(", ")})`;
  return err.shortMessage ?? err.message ?? String(e);
}

type AbiFragments = readonly { type: string; name?: string }[];

/**
 * A contract's generated ABI plus the errors of the contracts it calls: a refusal they revert with bubbles up
 * unchanged (a refused certificate reverts ModelRegistry.registerAttested or EvaluationRegistry.registerEvaluation
 * with AttestorRegistry's error, or TpmQuote's), and then decodes by name.
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
