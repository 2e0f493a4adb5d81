import { InputError } from "../errors.ts";

export class DatasetEmptyError extends InputError {
  constructor(what = "the dataset") {
    super("DATASET_EMPTY", `${what} has no samples: an empty dataset has no commitment`);
  }
}
