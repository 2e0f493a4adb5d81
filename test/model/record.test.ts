import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRecordFile, resolveRecord, validateRecord, withIdentity } from "../../core/model/record.ts";

describe("model record (provenant-model-record-v1)", function () {
  let work: string;
  before(() => (work = mkdtempSync(join(tmpdir(), "provenant-record-"))));
  after(() => rmSync(work, { recursive: true, force: true }));

  const parent = resolveRecord(
    validateRecord({
      name: "mnist-mlp",
      version: "1.0.0",
      description: "A two-layer perceptron.",
      architecture: "MLP 784-64-10",
      task: "image-classification",
      metrics: { accuracy: 0.95 },
      hyperparameters: { epochs: 8, learningRate: 0.05, batchSize: 32, seed: 1 },
      intendedUse: "Teaching.",
      limitations: "Digits only.",
      license: "Apache-2.0",
    }),
    null,
  ).record;

  describe("loading and validation", function () {
    it("reads YAML and JSON files, filling name and version from the flags", function () {
      writeFileSync(join(work, "r.yaml"), "description: hi\nhyperparameters:\n  learningRate: 0.01\n");
      writeFileSync(join(work, "r.json"), JSON.stringify({ format: "provenant-model-record-v1", name: "m", version: "2.0.0-rc.1+build.5" }));
      expect(loadRecordFile(join(work, "r.yaml"), { name: "m", version: "1.1.0" })).to.deep.equal({
        format: "provenant-model-record-v1",
        name: "m",
        version: "1.1.0",
        description: "hi",
        hyperparameters: { learningRate: 0.01 },
      });
      expect(loadRecordFile(join(work, "r.json")).version).to.equal("2.0.0-rc.1+build.5");
    });

    it("refuses a flag that contradicts the file", function () {
      writeFileSync(join(work, "c.yaml"), "name: a\nversion: 1.0.0\n");
      expect(() => loadRecordFile(join(work, "c.yaml"), { name: "b" }))
        .to.throw(/--name/)
        .with.property("code", "RECORD_INVALID");
    });

    it("refuses bad records with RECORD_INVALID naming the field", function () {
      const cases: [unknown, RegExp][] = [
        [{ version: "1.0.0" }, /name/],
        [{ name: "m", version: "1.0" }, /semantic version/],
        [{ name: "m", version: "01.0.0" }, /semantic version/],
        [{ name: "m", version: "1.0.0", intended_use: "x" }, /unknown field "intended_use"/],
        [{ name: "m", version: "1.0.0", metrics: { acc: [1] } }, /metrics.acc/],
        [{ name: "m", version: "1.0.0", metrics: { acc: Infinity } }, /metrics.acc/],
        [{ name: "m", version: "1.0.0", hyperparameters: [1, 2] }, /hyperparameters must be a map/],
        [{ name: "m", version: "1.0.0", description: 3 }, /description/],
        [{ name: "m", version: "1.0.0", inherit: "no" }, /inherit/],
        [{ name: "m", version: "1.0.0", format: "provenant-model-record-v2" }, /provenant-model-record-v2/],
        [{ name: "line\nbreak", version: "1.0.0" }, /name/],
        [[], /not an object/],
      ];
      for (const [value, message] of cases) {
        expect(() => validateRecord(value), JSON.stringify(value))
          .to.throw(message)
          .with.property("code", "RECORD_INVALID");
      }
    });

    it("refuses a file that is not YAML, is missing, or holds a list", function () {
      writeFileSync(join(work, "bad.yaml"), "a: [1, 2\n");
      writeFileSync(join(work, "list.yaml"), "- 1\n- 2\n");
      expect(() => loadRecordFile(join(work, "bad.yaml"), { name: "m", version: "1.0.0" })).to.throw(/not valid YAML/);
      expect(() => loadRecordFile(join(work, "list.yaml"), { name: "m", version: "1.0.0" })).to.throw(/not a map/);
      expect(() => loadRecordFile(join(work, "none.yaml")))
        .to.throw(/does not exist/)
        .with.property("code", "INPUT_NOT_FOUND");
    });
  });

  describe("inheritance", function () {
    it("takes every field the child leaves out from the parent, merging hyperparameters key by key", function () {
      const child = withIdentity(
        { description: "Fine-tuned on 3, 5, 8.", metrics: { accuracy: 0.96 }, hyperparameters: { epochs: 3, learningRate: 0.01 } },
        { name: "mnist-mlp-358", version: "1.1.0" },
      );
      const { record, inherited } = resolveRecord(child, parent);
      expect(record).to.deep.equal({
        name: "mnist-mlp-358",
        version: "1.1.0",
        description: "Fine-tuned on 3, 5, 8.",
        architecture: "MLP 784-64-10",
        task: "image-classification",
        intendedUse: "Teaching.",
        limitations: "Digits only.",
        license: "Apache-2.0",
        metrics: { accuracy: 0.96 },
        hyperparameters: { epochs: 3, learningRate: 0.01, batchSize: 32, seed: 1 },
      });
      expect(inherited).to.have.members(["architecture", "task", "intendedUse", "limitations", "license", "hyperparameters"]);
    });

    it("never inherits metrics: they were measured on the parent's weights", function () {
      const { record } = resolveRecord(validateRecord({ name: "q", version: "1.0.0" }), parent);
      expect(record).to.not.have.property("metrics");
      expect(record.architecture).to.equal("MLP 784-64-10");
    });

    it("lets null remove a field or a hyperparameter, and inherit: false turn inheritance off", function () {
      const nulls = validateRecord({ name: "q", version: "1.0.0", limitations: null, hyperparameters: { seed: null }, license: null });
      const { record } = resolveRecord(nulls, parent);
      expect(record).to.not.have.property("limitations");
      expect(record).to.not.have.property("license");
      expect(record.hyperparameters).to.deep.equal({ epochs: 8, learningRate: 0.05, batchSize: 32 });
      const none = resolveRecord(validateRecord({ name: "q", version: "1.0.0", inherit: false }), parent);
      expect(none).to.deep.equal({ record: { name: "q", version: "1.0.0" }, inherited: [] });
    });

    it("inherits down a chain: a grandchild gets what its parent inherited", function () {
      const child = resolveRecord(validateRecord({ name: "c", version: "1.0.0", task: "digit-classification" }), parent).record;
      const grandchild = resolveRecord(validateRecord({ name: "g", version: "1.0.0" }), child).record;
      expect(grandchild).to.include({ task: "digit-classification", architecture: "MLP 784-64-10", license: "Apache-2.0" });
    });
  });
});
