import { InputError } from "../errors.ts";

export class ModelEmptyError extends InputError {
  constructor(dir: string) {
    super("MODEL_EMPTY", `${dir} holds no weight file with any bytes: an empty model has no commitment`);
  }
}
