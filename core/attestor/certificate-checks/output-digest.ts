/** `outputDigest`: the registered model's weights are the measured output (before registration: stated only). */
import { checkGroup, eqHex } from "./check-group.ts";

export const outputDigest = checkGroup(["outputDigest"], ({ payload: pl, facts, stage }, record) => {
  const model = facts.model;
  if (stage === "pre-registration") {
    record("outputDigest", true, `output weights ${pl.outputs.weightsDigest} (measured last; no model registered yet)`);
  } else if (!model) {
    record("outputDigest", false, "no model record to compare with");
  } else {
    const ok = eqHex(model.weightsDigest, pl.outputs.weightsDigest);
    record(
      "outputDigest",
      ok,
      ok
        ? `model #${model.id}'s weights digest is the measured output`
        : `model #${model.id} has weights ${model.weightsDigest}, the run produced ${pl.outputs.weightsDigest}`,
    );
  }
});
