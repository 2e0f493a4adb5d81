import { expect } from "chai";
import fc from "fast-check";
import { sortUniqueHashes } from "../../core/dataset/sort-unique.ts";

describe("sortUniqueHashes", () => {
  it("equals a plain sort with duplicates removed, also when many hashes share their first two bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 30, maxLength: 30 }), { maxLength: 400 }), fc.integer({ min: 0, max: 3 }), (tails, prefixes) => {
        // Few distinct 2-byte prefixes force big buckets; repeating tails forces duplicates.
        const items = tails.flatMap((t, i) => {
          const h = new Uint8Array(32);
          h[0] = i % (prefixes + 1);
          h.set(t, 2);
          return i % 5 === 0 ? [h, h] : [h];
        });
        const flat = new Uint8Array(items.length * 32);
        items.forEach((h, i) => flat.set(h, i * 32));
        const expected = [...new Set(items.map((h) => Buffer.from(h).toString("hex")))].sort();
        const got = sortUniqueHashes(flat);
        const actual = Array.from({ length: got.length / 32 }, (_, i) => Buffer.from(got.subarray(i * 32, i * 32 + 32)).toString("hex"));
        expect(actual).to.deep.equal(expected);
      }),
      { numRuns: 200, seed: 1 },
    );
  });

  it("sorts correctly when told to skip a first byte that all hashes share", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 31, maxLength: 31 }), { maxLength: 300 }), (tails) => {
        const flat = new Uint8Array(tails.length * 32);
        tails.forEach((t, i) => flat.set([0xab, ...t], i * 32));
        const expected = [...new Set(tails.map((t) => Buffer.from([0xab, ...t]).toString("hex")))].sort();
        const got = sortUniqueHashes(flat, 1);
        const actual = Array.from({ length: got.length / 32 }, (_, i) => Buffer.from(got.subarray(i * 32, i * 32 + 32)).toString("hex"));
        expect(actual).to.deep.equal(expected);
      }),
      { numRuns: 100, seed: 2 },
    );
  });
});
