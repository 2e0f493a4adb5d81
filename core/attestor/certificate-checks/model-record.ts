/**
 * `modelRecord`: the registered model is attested by this certificate, by this attestor, for this
 * registrant, with this manifest and exactly the measured lineage (before registration: no record yet).
 */
import { checkGroup, eqHex } from "./check-group.ts";

const edges = (xs: { a: string; b: string }[]) => xs.map((x) => `${x.a}:${x.b}`).join(",");

export const modelRecord = checkGroup(["modelRecord"], ({ payload: pl, facts, stage, digest }, record) => {
  const model = facts.model;
  if (stage === "pre-registration") {
    record("modelRecord", true, "not registered yet (pre-registration check)");
    return;
  }
  if (!model) {
    record("modelRecord", false, "no model record");
    return;
  }
  const problems: string[] = [];
  if (model.provenance !== "attested") problems.push("its provenance is self-declared");
  if (!eqHex(model.certificateDigest, digest)) problems.push(`its certificate digest ${model.certificateDigest} is not ${digest}`);
  if (!eqHex(model.attestor, pl.attestor.address)) problems.push(`its attestor ${model.attestor} is not ${pl.attestor.address}`);
  if (!eqHex(model.registrant, pl.run.registrant)) problems.push(`its registrant ${model.registrant} is not ${pl.run.registrant}`);
  if (model.manifestCid !== pl.outputs.manifestCid) problems.push("its manifest CID differs");
  if (edges(model.datasets.map((d) => ({ a: d.datasetId, b: d.role }))) !== edges(pl.inputs.datasets.map((d) => ({ a: d.datasetId, b: d.role })))) {
    problems.push("its dataset edges are not the measured datasets");
  }
  if (edges(model.parents.map((d) => ({ a: d.modelId, b: d.relation }))) !== edges(pl.inputs.parents.map((d) => ({ a: d.modelId, b: d.relation })))) {
    problems.push("its parent edges are not the measured parents");
  }
  record(
    "modelRecord",
    problems.length === 0,
    problems.length === 0 ? `model #${model.id} is attested by this certificate, with exactly its lineage` : `model #${model.id}: ${problems.join("; ")}`,
  );
});
