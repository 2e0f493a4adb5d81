import { expect } from "chai";
import fc from "fast-check";
import { canonicalPathText, pathFromText, pathText } from "../../core/dataset/path-text.ts";
import { parseAcceptedSkip, sortOutSkipped, type SkippedEntry } from "../../core/dataset/skipped.ts";

const b = (...bytes: number[]) => Uint8Array.from(bytes);
const utf8 = (s: string) => new TextEncoder().encode(s);

describe("path text form (encodings-v1, names)", () => {
  it("reads well-formed UTF-8 as itself and writes every other byte as %XX", () => {
    expect(pathText(utf8("images/cat 01.png"))).to.equal("images/cat 01.png");
    expect(pathText(utf8("données/日本/😀"))).to.equal("données/日本/😀");
    expect(pathText(b(0x61, 0xff))).to.equal("a%FF");
    // The look-alike: U+FFFD written out is a character, the byte it replaces when decoding is not.
    expect(pathText(utf8("a\uFFFD"))).to.equal("a\uFFFD");
    // Overlong "/", a UTF-16 surrogate, a code point above U+10FFFF, a truncated sequence: bytes, not characters.
    expect(pathText(b(0xc0, 0xaf))).to.equal("%C0%AF");
    expect(pathText(b(0xed, 0xa0, 0x80))).to.equal("%ED%A0%80");
    expect(pathText(b(0xf4, 0x90, 0x80, 0x80))).to.equal("%F4%90%80%80");
    expect(pathText(b(0x78, 0xe6, 0x97))).to.equal("x%E6%97");
  });

  it("escapes % always, and the characters that would change how a line displays", () => {
    expect(pathText(utf8("100%"))).to.equal("100%25");
    expect(pathText(utf8("a\nb\tc\x7f"))).to.equal("a%0Ab%09c%7F");
    expect(pathText(utf8("x\u0085y"))).to.equal("x%C2%85y");
    expect(pathText(utf8("evil\u202Etxt.exe"))).to.equal("evil%E2%80%AEtxt.exe");
    expect(pathText(utf8("line\u2028sep"))).to.equal("line%E2%80%A8sep");
  });

  it("is undone exactly by pathFromText, so two byte paths never share a text form", () => {
    fc.assert(
      // Bytes biased to the interesting ones: "%", hex digits, lead and continuation bytes, controls.
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(0x25, 0x34, 0x31, 0x46, 0xc3, 0xa9, 0xed, 0xa0, 0xf0, 0x9f, 0x80, 0x0a), fc.nat(255)), { maxLength: 24 }),
        (bytes) => {
          const back = pathFromText(pathText(Uint8Array.from(bytes)));
          if (!Buffer.from(back).equals(Buffer.from(bytes))) throw new Error(`${JSON.stringify(bytes)} came back as ${JSON.stringify([...back])}`);
        },
      ),
      { numRuns: 1000, seed: 42 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 20 }), (s) => {
        if (!Buffer.from(pathFromText(pathText(utf8(s)))).equals(utf8(s))) throw new Error(`${JSON.stringify(s)} did not come back`);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });

  it("refuses text that no byte path has, and gives one text form for one path", () => {
    expect(() => pathFromText("100%")).to.throw(/%25/);
    expect(() => pathFromText("a%G1")).to.throw(/%25/);
    expect(() => pathFromText("a\uD800")).to.throw(/surrogate/);
    expect(canonicalPathText("a%ff")).to.equal("a%FF");
    expect(canonicalPathText("a%41")).to.equal("aA");
  });
});

describe("accepted skips", () => {
  const entries: SkippedEntry[] = [
    { path: ".cache", reason: "hidden" },
    { path: "l%FF", reason: "symlink" },
    { path: "pipe", reason: "fifo" },
  ];

  it("accept an entry by reason and path, or every entry of a reason, and nothing else", () => {
    const byPath = sortOutSkipped(entries, [parseAcceptedSkip({ path: "l%ff", reason: "symlink" }, "a")]);
    expect(byPath.accepted).to.deep.equal([entries[1]]);
    expect(byPath.refused).to.deep.equal([entries[0], entries[2]]);
    expect(sortOutSkipped(entries, [{ reason: "hidden" }, { reason: "fifo" }]).refused).to.deep.equal([entries[1]]);
    // The right path with another reason accepts nothing: a symlink is not let in as a hidden file.
    expect(sortOutSkipped(entries, [{ path: "l%FF", reason: "hidden" }]).accepted).to.deep.equal([]);
  });

  it("are parsed strictly", () => {
    for (const bad of [
      null,
      [],
      "hidden",
      { reason: "secret" },
      { reason: "symlink", path: "" },
      { reason: "symlink", path: 3 },
      { reason: "fifo", extra: 1 },
      { reason: "symlink", path: "100%" },
    ]) {
      expect(() => parseAcceptedSkip(bad, "acceptSkipped[0]"), JSON.stringify(bad)).to.throw(/acceptSkipped\[0\]|text form/);
    }
  });
});
