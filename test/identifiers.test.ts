import { expect } from "chai";
import { isAddress, isTokenId, parseAddress, parseTokenId } from "../core/identifiers.ts";
import { ProvenantError } from "../core/errors.ts";

describe("core/identifiers.ts: token ids and addresses", () => {
  it("takes decimal token ids from 1 up to 77 digits, and nothing else", () => {
    const max = "9".repeat(77);
    for (const ok of ["1", "9", "10", "4242", max]) expect(isTokenId(ok), ok).to.equal(true);
    expect(BigInt(max) < 1n << 256n, "every accepted id fits a uint256").to.equal(true);
    for (const bad of ["0", "01", "-1", "+1", "1.0", "1e3", " 1", "1 ", "0x1", "#1", "", "1".repeat(78), "١"]) expect(isTokenId(bad), bad).to.equal(false);
    for (const bad of [1, 1n, null, undefined, ["1"]]) expect(isTokenId(bad), String(bad)).to.equal(false);
  });

  it("parses a token id to a bigint, or refuses it in one line naming what it is", () => {
    expect(parseTokenId("12", "--dataset")).to.equal(12n);
    expect(parseTokenId("9".repeat(77), "--dataset")).to.equal(10n ** 77n - 1n);
    expect(() => parseTokenId("01", "--dataset"))
      .to.throw(ProvenantError, '--dataset must be a token id (1, 2, ...), got "01"')
      .with.property("code", "INPUT_INVALID");
    expect(() => parseTokenId(3, "datasetId")).to.throw(ProvenantError, "datasetId must be a token id (1, 2, ...), got 3");
  });

  it("takes an address as 0x and 40 hex digits in any case, and parses or refuses it in one line", () => {
    const a = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    expect(isAddress(a)).to.equal(true);
    expect(isAddress(a.toLowerCase())).to.equal(true);
    for (const bad of [a.slice(2), a.slice(0, 41), `${a}0`, `${a.slice(0, 41)}g`, `0X${a.slice(2)}`, ` ${a}`, 42, null])
      expect(isAddress(bad), String(bad)).to.equal(false);
    expect(parseAddress(a, "--address")).to.equal(a);
    expect(() => parseAddress("0x12", "--address"))
      .to.throw(ProvenantError, '--address must be an address (0x and 40 hex digits), got "0x12"')
      .with.property("code", "INPUT_INVALID");
  });
});
