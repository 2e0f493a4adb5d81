/**
 * The one syntax of a lineage edge on a command line, for every command that declares edges (`model
 * register`, `train`): `--dataset <dataset id>:<role>` and `--parent <model id>:<relation>`. The kind is
 * always given: an edge is recorded on-chain for good, so nothing is assumed for it.
 */
import { InputError } from "../errors.ts";
import { DATASET_ROLES, PARENT_RELATIONS } from "../chain/model-registry.ts";
import type { DatasetRole, ParentRelation } from "./graph.ts";

export type DatasetEdgeSpec = { datasetId: string; role: DatasetRole };
export type ParentEdgeSpec = { modelId: string; relation: ParentRelation };

/** `<id>:<kind>`, the id a token id and the kind one of `kinds`; else INPUT_INVALID naming the flag and the form. */
function parseEdge<Kind extends string>(
  value: string,
  flag: string,
  names: { id: string; kind: string },
  kinds: readonly Kind[]
): { id: string; kind: Kind } {
  const m = /^([1-9][0-9]*):(.+)$/.exec(value);
  if (!m || !kinds.includes(m[2] as Kind)) {
    throw new InputError(
      "INPUT_INVALID",
      `${flag} must be <${names.id}>:<${names.kind}> with ${names.kind} one of ${kinds.join(", ")}; got "${value}"`
    );
  }
  return { id: m[1]!, kind: m[2] as Kind };
}

/** `--dataset 1:training` */
export function parseDatasetEdge(value: string): DatasetEdgeSpec {
  const { id, kind } = parseEdge(value, "--dataset", { id: "dataset id", kind: "role" }, DATASET_ROLES);
  return { datasetId: id, role: kind };
}

/** `--parent 3:finetune` */
export function parseParentEdge(value: string): ParentEdgeSpec {
  const { id, kind } = parseEdge(value, "--parent", { id: "model id", kind: "relation" }, PARENT_RELATIONS);
  return { modelId: id, relation: kind };
}
