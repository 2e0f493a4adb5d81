/** `datasetRoots`, `parentDigests`: what the run measured is what the chain holds for each dataset and parent. */
import { describeSkipped } from "../../dataset/skipped.ts";
import { checkGroup, eqHex } from "./check-group.ts";

export const inputsOnChain = checkGroup(["datasetRoots", "parentDigests"], ({ payload: pl, facts: f }, record) => {
  const dsProblems: string[] = [];
  for (const d of pl.inputs.datasets) {
    const root = f.datasetRoots[d.datasetId];
    if (!root) dsProblems.push(`dataset #${d.datasetId} does not exist`);
    else if (!eqHex(root, d.root)) dsProblems.push(`dataset #${d.datasetId} has root ${root} on-chain, the run measured ${d.root}`);
  }
  // Entries the attestor let through beside the samples: the check passes, but a reader is told of them.
  const skips = pl.inputs.datasets
    .filter((d) => d.acceptedSkips)
    .map(
      (d) =>
        `; dataset #${d.datasetId}'s folder also held ${d.acceptedSkips!.length} accepted entr${d.acceptedSkips!.length === 1 ? "y" : "ies"} that are not samples: ${describeSkipped(d.acceptedSkips!)}`,
    )
    .join("");
  record(
    "datasetRoots",
    dsProblems.length === 0,
    dsProblems.length === 0 ? `${pl.inputs.datasets.length} dataset root(s) measured equal the on-chain roots${skips}` : dsProblems.join("; "),
  );
  const parentProblems: string[] = [];
  for (const m of pl.inputs.parents) {
    const w = f.parentDigests[m.modelId];
    if (!w) parentProblems.push(`model #${m.modelId} does not exist`);
    else if (!eqHex(w, m.weightsDigest)) parentProblems.push(`model #${m.modelId} has weights ${w} on-chain, the run measured ${m.weightsDigest}`);
  }
  record(
    "parentDigests",
    parentProblems.length === 0,
    parentProblems.length === 0 ? `${pl.inputs.parents.length} parent digest(s) measured equal the on-chain digests` : parentProblems.join("; "),
  );
});
