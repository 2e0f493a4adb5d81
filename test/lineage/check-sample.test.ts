import { expect } from "chai";
import { sha256 } from "@noble/hashes/sha2.js";
import { blobFile, parquetRowJsonHash, webdatasetSampleHash } from "../../core/dataset/formats/single-sample.ts";
import { toHex } from "../../core/hex.ts";
import { sampleHashesFor, type GivenSample } from "../../core/lineage/check-sample.ts";
import { ProvenantError } from "../../core/errors.ts";

/**
 * Which hash check-sample looks up in each dataset of a mixed ancestry: the sample's hash under the dataset's
 * encoding when the sample is one of that encoding's (formats/single-sample.ts's rules), else its hash in its own
 * encoding, marked so; a sample that fits none of the datasets is refused.
 */
describe("check-sample's sample hash per encoding (mixed ancestries)", () => {
  const file = (name: string, text: string) => blobFile(new Blob([text]), name);
  const hex = (b: Uint8Array) => toHex(b);
  const members = [
    { name: "000007.png", bytes: new TextEncoder().encode("pixels") },
    { name: "000007.txt", bytes: new TextEncoder().encode("a seven") },
  ];

  it("hashes a WebDataset sample's files as that sample, and looks it up by that hash in datasets of other encodings", async () => {
    const sample: GivenSample = { files: members.map((m) => blobFile(new Blob([m.bytes]), m.name)) };
    const h = await sampleHashesFor(sample, ["webdataset", "parquet", "jsonl", "files"]);
    const own = hex(await webdatasetSampleHash(members));
    expect(hex(h.get("webdataset")!.hash)).to.equal(own);
    expect(h.get("webdataset")!.misfit).to.equal(null);
    for (const e of ["parquet", "jsonl", "files"]) {
      expect(hex(h.get(e)!.hash), e).to.equal(own);
      expect(h.get(e)!.misfit, e).to.deep.equal({ hashedAs: "webdataset", given: "2 files" });
    }
  });

  it("hashes one file under each encoding it is a sample of (files, jsonl, a one-member WebDataset sample), and as a file for Parquet", async () => {
    const h = await sampleHashesFor({ file: file("note.txt", "a line\n") }, ["files", "jsonl", "webdataset", "parquet"]);
    expect(hex(h.get("files")!.hash)).to.equal(hex(sha256(new TextEncoder().encode("a line\n"))));
    expect(hex(h.get("jsonl")!.hash)).to.equal(hex(sha256(new TextEncoder().encode("a line"))));
    expect(h.get("webdataset")!.misfit).to.equal(null);
    expect(hex(h.get("webdataset")!.hash)).to.equal(hex(await webdatasetSampleHash([{ name: "note.txt", bytes: new TextEncoder().encode("a line\n") }])));
    expect(h.get("parquet")!.misfit).to.deep.equal({ hashedAs: "files", given: "one file (note.txt)" });
    expect(hex(h.get("parquet")!.hash)).to.equal(hex(h.get("files")!.hash));
  });

  it("hashes a Parquet row as JSON canonically, and a hash as given everywhere, even under an encoding this version does not know", async () => {
    const row = '{"text": "hi", "id": 7}';
    const h = await sampleHashesFor({ rowJson: row }, ["parquet", "csv"]);
    expect(hex(h.get("parquet")!.hash)).to.equal(hex(await parquetRowJsonHash('{"id":7,"text":"hi"}')));
    expect(h.get("csv")!.misfit).to.deep.equal({ hashedAs: "parquet", given: "a JSON row" });
    const x = `0x${"ab".repeat(32)}`;
    const byHash = await sampleHashesFor({ hash: x }, ["parquet", "arrow-v9"]);
    expect(hex(byHash.get("arrow-v9")!.hash)).to.equal(x);
    expect(byHash.get("parquet")!.misfit).to.equal(null);
    expect((await sampleHashesFor({ text: "x" }, ["arrow-v9"])).get("arrow-v9")).to.equal(null);
  });

  it("refuses a sample that fits no dataset of the ancestry, with the hints of the first one's inputs", async () => {
    let err: unknown;
    try {
      await sampleHashesFor({ text: '{"q": 1}' }, ["parquet", "webdataset"]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ProvenantError);
    expect((err as ProvenantError).message).to.equal(
      "a sample given as a literal record does not fit a parquet dataset: give the row as JSON, or a .parquet file and the row's index in it",
    );
    expect((err as ProvenantError).hints.map((x) => x.remedy)).to.deep.equal(["sampleRowJson", "sampleRow"]);
  });
});
