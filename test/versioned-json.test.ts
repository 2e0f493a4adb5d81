import { expect } from "chai";
import { checkVersioned, fieldReaders, parseVersionedJson } from "../core/versioned-json.ts";
import { FormatError } from "../core/errors.ts";
import { thrownBy } from "./helpers/errors.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("core/versioned-json.ts: the first checks of every saved format", () => {
  it("returns the object, the format it has and a field-error builder naming where it came from", () => {
    const r = parseVersionedJson(utf8('{"format":"provenant-x-v1","n":1}'), "x.json", "provenant-x-v1");
    expect(r.value).to.deep.equal({ format: "provenant-x-v1", n: 1 });
    expect(r.format).to.equal("provenant-x-v1");
    const e = r.bad("n must be 2");
    expect(e).to.be.instanceOf(FormatError);
    expect(e.code).to.equal("MANIFEST_INVALID");
    expect(e.message).to.equal("x.json is invalid: n must be 2");
  });

  it("reads any of several formats and says which one it found", () => {
    expect(parseVersionedJson(utf8('{"format":"f-v1"}'), "f", ["f-v2", "f-v1"]).format).to.equal("f-v1");
    expect(checkVersioned({ format: "f-v2" }, "f", ["f-v2", "f-v1"]).format).to.equal("f-v2");
  });

  it("refuses bytes that are not UTF-8 or not JSON, keeping the parser's error as the cause", () => {
    for (const bytes of [new Uint8Array([0x7b, 0xff, 0x7d]), utf8("{"), utf8(""), utf8('{"format":"f-v1"} x')]) {
      const e = thrownBy(() => parseVersionedJson(bytes, "f.json", "f-v1"));
      expect(e.code).to.equal("MANIFEST_INVALID");
      expect(e.message).to.equal("f.json is not JSON");
      expect(e.cause).to.be.instanceOf(Error);
    }
  });

  it("refuses JSON that is not an object", () => {
    for (const text of ["[]", "null", "3", '"f-v1"', "true"]) {
      expect(thrownBy(() => parseVersionedJson(utf8(text), "f.json", "f-v1")).message, text).to.equal("f.json is invalid: not a JSON object");
    }
  });

  it("refuses a format it does not read, older, newer, missing or not text, in one line saying what it reads", () => {
    const cases: Array<[unknown, string]> = [
      [{ format: "f-v0" }, '"f-v0"'],
      [{ format: "f-v3" }, '"f-v3"'],
      [{}, "null"],
      [{ format: null }, "null"],
      [{ format: 1 }, "1"],
      [{ format: ["f-v1"] }, '["f-v1"]'],
    ];
    for (const [value, shown] of cases) {
      const e = thrownBy(() => checkVersioned(value, "f.json", ["f-v1", "f-v2"]));
      expect(e.code).to.equal("MANIFEST_INVALID");
      expect(e.message, shown).to.equal(`f.json has format ${shown}; this version of provenant reads f-v1 or f-v2`);
    }
  });

  it("gives every failure the format's own code, and its advice at the end of the line", () => {
    const options = { code: "STORAGE_CORRUPT", advice: "delete it" } as const;
    const notJson = thrownBy(() => parseVersionedJson(utf8("{"), "j", "j-v1", options));
    const notObject = thrownBy(() => checkVersioned([], "j", "j-v1", options));
    const version = thrownBy(() => checkVersioned({ format: "j-v2" }, "j", "j-v1", options));
    const field = checkVersioned({ format: "j-v1" }, "j", "j-v1", options).bad("n is missing");
    expect([notJson, notObject, version, field].map((e) => e.code)).to.deep.equal(Array(4).fill("STORAGE_CORRUPT"));
    expect(notJson.message).to.equal("j is not JSON: delete it");
    expect(notObject.message).to.equal("j is invalid: not a JSON object: delete it");
    expect(version.message).to.equal('j has format "j-v2"; this version of provenant reads j-v1: delete it');
    expect(field.message).to.equal("j is invalid: n is missing: delete it");
  });

  it("takes a value without format as the first format only when the format is optional (hand-written files)", () => {
    expect(checkVersioned({ name: "m" }, "r", ["r-v1", "r-v2"], { formatOptional: true }).format).to.equal("r-v1");
    expect(checkVersioned({ format: "r-v2" }, "r", ["r-v1", "r-v2"], { formatOptional: true }).format).to.equal("r-v2");
    expect(thrownBy(() => checkVersioned({ format: "r-v3" }, "r", "r-v1", { formatOptional: true })).message).to.equal(
      'r has format "r-v3"; this version of provenant reads r-v1',
    );
    expect(thrownBy(() => checkVersioned({ format: null }, "r", "r-v1", { formatOptional: true })).message).to.contain("has format null");
    expect(thrownBy(() => checkVersioned({ name: "m" }, "r", "r-v1")).message).to.contain("has format null");
  });

  it("reads fields strictly: exactly the fields asked for, each of its kind, failures naming the format and the path", () => {
    const { obj, str, int, arr } = fieldReaders("CONFIG_INVALID", "boot policy");
    expect(obj({ a: 1, b: 2 }, "p", ["a", "b"])).to.deep.equal({ a: 1, b: 2 });
    const cases: [() => unknown, string][] = [
      [() => obj({ a: 1, c: 3 }, "p", ["a"]), "boot policy p.c is not a field of this format"],
      [() => obj({}, "p", ["a"]), "boot policy p.a is missing"],
      [() => obj([], "p", []), "boot policy p is not an object"],
      [() => str(1, "p.s"), "boot policy p.s is not a string"],
      [() => str("xyz", "p.s", /^a/), 'boot policy p.s has the wrong form ("xyz")'],
      [() => int(1.5, "p.n"), "boot policy p.n is not an integer >= 0"],
      [() => int(0, "p.n", 1), "boot policy p.n is not an integer >= 1"],
      [() => arr({}, "p.l"), "boot policy p.l is not an array"],
    ];
    for (const [read, message] of cases) {
      const e = thrownBy(read);
      expect(e.message).to.equal(message);
      expect(e.code).to.equal("CONFIG_INVALID");
    }
    expect([str("abc", "s", /^a/), int(3, "n", 1), arr([1], "l")]).to.deep.equal(["abc", 3, [1]]);
  });
});
