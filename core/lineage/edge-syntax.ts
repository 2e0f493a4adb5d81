/**
 * The one text form of a lineage edge, for every command that declares edges (`model register`, `train`):
 * `<dataset id>:<role>` and `<model id>:<relation>`. The kind is always given: an edge is recorded on-chain
 * for good, so nothing is assumed for it. `what` names the input in the one-line error, as parseTokenId's does
 * (the CLI passes its flag).
 */
import { InputError } from "../errors.ts";
import { isTokenId } from "../identifiers.ts";
import { DATASET_ROLES, PARENT_RELATIONS, type DatasetRole, type ParentRelation } from "../chain/roles.ts";

export type DatasetEdgeSpec = { datasetId: string; role: DatasetRole };
export type ParentEdgeSpec = { modelId: string; relation: ParentRelation };

/** `<id>:<kind>`, the id a token id and the kind one of `kinds`; else INPUT_INVALID naming the input and the form. */
function parseEdge<Kind extends string>(value: string, what: string, names: { id: string; kind: string }, kinds: readonly Kind[]): { id: string; kind: Kind } {
  const m = /^([^:]*):(.+)$/.exec(value);
  if (!m || !isTokenId(m[1]) || !kinds.includes(m[2] as Kind)) {
    throw new InputError("INPUT_INVALID", `${what} must be <${names.id}>:<${names.kind}> with ${names.kind} one of ${kinds.join(", ")}; got "${value}"`);
  }
  return { id: m[1]!, kind: m[2] as Kind };
}

/** `1:training` */
export function parseDatasetEdge(value: string, what = "a dataset edge"): DatasetEdgeSpec {
  const { id, kind } = parseEdge(value, what, { id: "dataset id", kind: "role" }, DATASET_ROLES);
  return { datasetId: id, role: kind };
}

/** `3:finetune` */
export function parseParentEdge(value: string, what = "a parent edge"): ParentEdgeSpec {
  const { id, kind } = parseEdge(value, what, { id: "model id", kind: "relation" }, PARENT_RELATIONS);
  return { modelId: id, relation: kind };
}
