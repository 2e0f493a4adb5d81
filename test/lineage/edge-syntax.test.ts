// The one syntax of a lineage edge on a command line (core/lineage/edge-syntax.ts), the same rule for
// `model register` and `train`: the kind is always given, since an edge is recorded on-chain for good.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDatasetEdge, parseParentEdge } from "../../core/lineage/edge-syntax.ts";
import { runCli } from "../../scripts/lib/cli.ts";

const refusal = (f: () => unknown): { code?: string; message: string } => {
  try {
    f();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error("not refused");
};

describe("lineage edges on the command line", function () {
  it("reads <id>:<kind> for datasets and parents", function () {
    expect(parseDatasetEdge("1:training")).to.deep.equal({ datasetId: "1", role: "training" });
    expect(parseDatasetEdge("12:fine-tuning")).to.deep.equal({ datasetId: "12", role: "fine-tuning" });
    expect(parseParentEdge("3:finetune")).to.deep.equal({ modelId: "3", relation: "finetune" });
    expect(parseParentEdge("40:distillation")).to.deep.equal({ modelId: "40", relation: "distillation" });
  });

  it("refuses an edge without its kind, with another kind, or without a token id, naming the input and the form", function () {
    for (const v of ["1", "1:", "0:training", "x:training", ":training", "1:train", "1:training:extra", " 1:training"]) {
      const e = refusal(() => parseDatasetEdge(v));
      expect(e.code, v).to.equal("INPUT_INVALID");
      expect(e.message).to.equal(`a dataset edge must be <dataset id>:<role> with role one of training, fine-tuning, evaluation; got "${v}"`);
    }
    for (const v of ["3", "3:fine-tune", "03:finetune"]) {
      const e = refusal(() => parseParentEdge(v));
      expect(e.code, v).to.equal("INPUT_INVALID");
      expect(e.message).to.match(/^a parent edge must be <model id>:<relation> with relation one of finetune, adapter, merge, quantized, distillation; got "/);
    }
    // The CLI names its flag.
    expect(refusal(() => parseParentEdge("3", "--parent")).message).to.match(/^--parent must be <model id>:<relation>/);
  });

  it("is the one rule of both commands: `model register` and `train` refuse an edge without its kind alike, before any work", async function () {
    this.timeout(60_000);
    const home = mkdtempSync(join(tmpdir(), "provenant-edges-"));
    try {
      const env = { PROVENANT_HOME: home };
      const register = await runCli(["model", "register", home, "--name", "x", "--version", "1.0.0", "--dataset", "1"], env);
      const train = await runCli(["train", "--dataset", "1", "--data", home, "--out", join(home, "out"), "--name", "x", "--version", "1.0.0", "--", "true"], env);
      for (const r of [register, train]) {
        expect(r.code, r.stderr).to.equal(1);
        expect(r.json.error).to.deep.equal({
          code: "INPUT_INVALID",
          message: `--dataset must be <dataset id>:<role> with role one of training, fine-tuning, evaluation; got "1"`,
        });
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
