import { expect } from "chai";
import { descendantsIn, renderDescendants } from "../../core/lineage/descendants.ts";
import type { ParentLink } from "../../core/chain/token-history.ts";

const link = (childId: number, parentId: number, relation: ParentLink["relation"] = "finetune"): ParentLink => ({
  childId: BigInt(childId),
  parentId: BigInt(parentId),
  relation,
  blockNumber: childId,
  txHash: `0x${String(childId).padStart(64, "0")}`,
});

describe("a model's descendants from parent links", () => {
  it("walks children before grandchildren and lists a model with two parents among them once", () => {
    const links = [link(2, 1), link(3, 1, "quantized"), link(4, 2, "merge"), link(4, 3, "merge"), link(5, 9), link(6, 4, "adapter")];
    expect(descendantsIn(links, 1n).map((d) => `${d.modelId}<-${d.parentId}:${d.relation}@${d.depth}`)).to.deep.equal([
      "2<-1:finetune@1",
      "3<-1:quantized@1",
      "4<-2:merge@2",
      "6<-4:adapter@3",
    ]);
    expect(descendantsIn(links, 6n)).to.deep.equal([]);
  });

  it("draws them as a tree under the model, and says so when there are none", () => {
    const links = [link(2, 1), link(3, 2, "adapter")];
    expect(renderDescendants(1n, descendantsIn(links, 1n), { ascii: true })).to.equal(
      ["model #1", "`-- model #2 (finetune of #1, block 2)", "    `-- model #3 (adapter of #2, block 3)"].join("\n"),
    );
    expect(renderDescendants(7n, [])).to.equal("model #7\n(no descendants: no registered model names it as a parent)");
  });
});
