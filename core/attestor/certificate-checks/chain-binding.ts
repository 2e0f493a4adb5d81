/** `chain`: the certificate names the chain and the registries the facts were read from. */
import { checkGroup, eqHex } from "./check-group.ts";

export const chainBinding = checkGroup(["chain"], ({ payload: pl, facts: f }, record) => {
  const problems: string[] = [];
  if (pl.chain.chainId !== f.chainId) problems.push(`chain id ${pl.chain.chainId} is not ${f.chainId}`);
  for (const k of ["attestorRegistry", "modelRegistry", "datasetRegistry"] as const) {
    if (!eqHex(pl.chain[k], f[k])) problems.push(`${k} ${pl.chain[k]} is not ${f[k]}`);
  }
  record("chain", problems.length === 0, problems.length === 0 ? `chain ${f.chainId}, registries as deployed` : problems.join("; "));
});
