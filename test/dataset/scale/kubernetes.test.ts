/**
 * The docs/scale.md Kubernetes Indexed Job stays a document (no cluster runs here): its manifest is read out of
 * the document and checked against the Kubernetes API schema (kubernetes-models), and against the recipe's own
 * rule that every index hashes its own part of the same N.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Job } from "kubernetes-models/batch/v1";
import { REPO } from "../../helpers/local-chain.ts";
import { sectionBlocks } from "../../helpers/markdown.ts";

const doc = readFileSync(join(REPO, "docs", "scale.md"), "utf8");
const [manifestYaml] = sectionBlocks(doc, "### Kubernetes Indexed Job", "yaml");

/** Validates a parsed manifest as a batch/v1 Job; returns the schema's complaint, or null when it is valid. */
function jobProblem(obj: unknown): string | null {
  try {
    new Job(obj as ConstructorParameters<typeof Job>[0]).validate();
    return null;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}

const manifest = () => parse(manifestYaml);

describe("scale: the docs/scale.md Kubernetes Indexed Job manifest", function () {
  it("is a valid batch/v1 Job by the Kubernetes API schema", function () {
    const job = manifest();
    expect(job).to.include({ apiVersion: "batch/v1", kind: "Job" });
    expect(jobProblem(job)).to.equal(null);
  });

  it("fails the schema check when a field has the wrong type or value", function () {
    const wrongType = manifest();
    wrongType.spec.completions = "32";
    expect(jobProblem(wrongType)).to.match(/spec\/completions must be integer/);
    const wrongMount = manifest();
    delete wrongMount.spec.template.spec.containers[0].volumeMounts[0].mountPath;
    expect(jobProblem(wrongMount)).to.match(/mountPath/);
    const wrongMode = manifest();
    wrongMode.spec.completionMode = "indexed";
    expect(jobProblem(wrongMode)).to.match(/completionMode/);
  });

  it("runs N indexed pods, each hashing part JOB_COMPLETION_INDEX of the same N into its own folder", function () {
    const { spec } = manifest();
    expect(spec.completionMode).to.equal("Indexed");
    const args: string = spec.template.spec.containers[0].args.join(" ");
    const part = /--part \$\{JOB_COMPLETION_INDEX\}\/(\d+)/.exec(args);
    expect(part, args).to.not.equal(null);
    expect(Number(part![1])).to.equal(spec.completions);
    expect(args).to.match(/--out \S*\$\{JOB_COMPLETION_INDEX\}/);
    // Every pod writes its part on the shared volume the combine step reads.
    const out = /--out (\S+)\/part-/.exec(args)![1];
    const mounts = spec.template.spec.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    expect(mounts).to.include(out);
  });
});
