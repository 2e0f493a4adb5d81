/**
 * The lineage vocabulary of IModelRegistry: how a model used a dataset (DatasetRole) and how it derives from a
 * parent model (ParentRelation). The names are listed in the contract's enum order, so a name's index is the
 * code the contract stores and the attestor's PCR events hash: reordering them changes every digest.
 */
import { ProvenantError } from "../errors.ts";

export type DatasetRole = "training" | "fine-tuning" | "evaluation";
export type ParentRelation = "finetune" | "adapter" | "merge" | "quantized" | "distillation";

/** IModelRegistry.DatasetRole, in enum order. */
export const DATASET_ROLES: readonly DatasetRole[] = ["training", "fine-tuning", "evaluation"];
/** IModelRegistry.ParentRelation, in enum order. */
export const PARENT_RELATIONS: readonly ParentRelation[] = ["finetune", "adapter", "merge", "quantized", "distillation"];

export function datasetRoleCode(role: DatasetRole): number {
  const i = DATASET_ROLES.indexOf(role);
  if (i < 0) throw new ProvenantError("INPUT_INVALID", `dataset role "${role}" is not one of ${DATASET_ROLES.join(", ")}`);
  return i;
}

export function parentRelationCode(relation: ParentRelation): number {
  const i = PARENT_RELATIONS.indexOf(relation);
  if (i < 0) {
    throw new ProvenantError("INPUT_INVALID", `parent relation "${relation}" is not one of ${PARENT_RELATIONS.join(", ")}`);
  }
  return i;
}
