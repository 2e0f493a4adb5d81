// The native file walk (native/hash.c walkFiles) against the JavaScript walk it replaces when planning: the same
// files in the same order, the same sizes, the same skipped entries and reasons, the same error, and so the same
// plans and roots, on trees built to trip a walk up.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nativeHasher } from "../../core/dataset/native.ts";
import { javascriptWalkWithSizes, nativeWalkFiles, type SizedFileWalk } from "../../core/dataset/sized-walk.ts";
import { makePlan } from "../../core/dataset/scale/plan.ts";
import { commitAndStore } from "../../core/dataset/scale/pipeline.ts";
import { LocalStore } from "../../core/storage/local-store.ts";

/** A path under `dir` ending in the given name bytes (Node takes a Buffer path as raw bytes). */
const at = (dir: string, ...name: Array<number | string>) =>
  Buffer.concat([Buffer.from(`${dir}/`), ...name.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from([p])))]);

/** A walk as plain data (sizes as an array), or the error it threw, so two can be compared whole. */
function outcome(walk: () => SizedFileWalk | null): unknown {
  try {
    const w = walk();
    return w && { ...w, sizes: Array.from(w.sizes) };
  } catch (e) {
    return { error: (e as Error).message, code: (e as { code?: string }).code };
  }
}

async function withNative<T>(on: boolean, fn: () => T | Promise<T>): Promise<T> {
  const before = process.env.PROVENANT_NATIVE;
  process.env.PROVENANT_NATIVE = on ? "1" : "0";
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.PROVENANT_NATIVE;
    else process.env.PROVENANT_NATIVE = before;
  }
}

describe("native file walk against the JavaScript walk", function () {
  this.timeout(120_000);
  let work: string;
  let tree: string;
  let socket: Server;

  before(async () => {
    expect(nativeHasher(), "native/build/provenant_hash.node did not build: run npm run build:native").to.not.equal(null);
    work = mkdtempSync(join(tmpdir(), "provenant-walk-"));
    tree = join(work, "tree");
    mkdirSync(tree);
    // Names that are not UTF-8, and a look-alike that decodes to the same text as one of them.
    writeFileSync(at(tree, "a", 0xff), "odd");
    writeFileSync(at(tree, "a", 0xef, 0xbf, 0xbd), "look-alike");
    // Byte order differs from UTF-16 order: U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80) as bytes,
    // after it as UTF-16 (FF61 > D83D); upper case before lower case; a prefix before its extensions.
    writeFileSync(at(tree, "\uFF61"), "halfwidth");
    writeFileSync(at(tree, "\u{1F600}"), "emoji");
    writeFileSync(at(tree, "B"), "upper");
    writeFileSync(at(tree, "b"), "");
    // A directory `d` sorts by its name, before `d-x` and `d.txt` although `d/` would sort after them.
    mkdirSync(at(tree, "d"));
    writeFileSync(at(tree, "d", "/", "z"), "in d");
    mkdirSync(at(tree, "d", "/", "e", 0xfe));
    writeFileSync(at(tree, "d", "/", "e", 0xfe, "/", "f"), "deep");
    writeFileSync(at(tree, "d-x"), "dash");
    writeFileSync(at(tree, "d.txt"), "dot");
    // Hidden files and directories (skipped whole), symlinks to a file, a directory and nowhere, a fifo, a socket.
    writeFileSync(at(tree, ".hidden"), "no");
    mkdirSync(at(tree, ".git"));
    writeFileSync(at(tree, ".git", "/", "HEAD"), "no");
    mkdirSync(at(tree, "d", "/", ".cache"));
    symlinkSync("b", at(tree, "link-file"));
    symlinkSync("d", at(tree, "link-dir"));
    symlinkSync("nowhere", at(tree, "d", "/", "l", 0x80));
    execFileSync("mkfifo", [at(tree, "pipe").toString()]);
    socket = createServer();
    await new Promise<void>((resolve) => socket.listen(at(tree, "sock").toString(), resolve));
    // Empty directories, one inside another, and a bigger file.
    mkdirSync(at(tree, "empty", "/", "inner"), { recursive: true });
    writeFileSync(at(tree, "z-big"), Buffer.alloc(3 << 20, 7));
    for (let i = 0; i < 40; i++) writeFileSync(at(tree, "many", i < 10 ? "0" : "", String(i)), `file ${i}`, { flag: "w" });
  });
  after(() => {
    socket?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("finds the same files, sizes and skipped entries, in the same order", () => {
    const js = outcome(() => javascriptWalkWithSizes(tree));
    const native = outcome(() => nativeWalkFiles(tree));
    expect(native).to.deep.equal(js);
    // The walk the tree was built for, spelled out: a check on the reference itself.
    const w = js as SizedFileWalk;
    const expected = [
      Buffer.from("B"),
      Buffer.from([0x61, 0xef, 0xbf, 0xbd]),
      Buffer.from([0x61, 0xff]),
      Buffer.from("b"),
      Buffer.from([0x64, 0x2f, 0x65, 0xfe, 0x2f, 0x66]), // d/e\xFE/f
      Buffer.from("d/z"),
      Buffer.from("d-x"),
      Buffer.from("d.txt"),
      ...Array.from({ length: 40 }, (_, i) => Buffer.from(`many${String(i).padStart(2, "0")}`)),
      Buffer.from("z-big"),
      Buffer.from("\uFF61"),
      Buffer.from("\u{1F600}"),
    ];
    expect(w.files).to.deep.equal(expected.map((b) => b.toString("latin1")));
    expect(w.sizes[w.files.indexOf("z-big")]).to.equal(3 << 20);
    expect(w.skippedEntries).to.deep.equal([
      { path: ".git", reason: "hidden" },
      { path: ".hidden", reason: "hidden" },
      { path: "d/.cache", reason: "hidden" },
      { path: "d/l%80", reason: "symlink" },
      { path: "link-dir", reason: "symlink" },
      { path: "link-file", reason: "symlink" },
      { path: "pipe", reason: "fifo" },
      { path: "sock", reason: "socket" },
    ]);
    expect(w.skipped).to.deep.equal({ hidden: 3, symlinks: 3, other: 2, emptyRecords: 0 });
  });

  it("walks a directory big enough to stat its files on two threads alike, sizes in place", () => {
    const wide = join(work, "wide");
    mkdirSync(join(wide, "sub"), { recursive: true });
    // More entries than the native walk stats on one thread (STAT_SPLIT), each file's size its own.
    for (let i = 0; i < 5000; i++) writeFileSync(join(wide, `f${i}`), Buffer.alloc(i % 97));
    symlinkSync("f1", join(wide, "link"));
    const js = outcome(() => javascriptWalkWithSizes(wide)) as SizedFileWalk;
    expect(outcome(() => nativeWalkFiles(wide))).to.deep.equal(js);
    expect(js.files.length).to.equal(5000);
    expect(js.sizes[js.files.indexOf("f4999")]).to.equal(4999 % 97);
  });

  it("walks an empty directory and a directory of one file alike", () => {
    const empty = join(work, "nothing");
    mkdirSync(join(empty, "sub"), { recursive: true });
    expect(outcome(() => nativeWalkFiles(empty))).to.deep.equal(outcome(() => javascriptWalkWithSizes(empty)));
    const one = join(work, "one");
    mkdirSync(one);
    writeFileSync(join(one, "only"), "x");
    expect(outcome(() => nativeWalkFiles(one))).to.deep.equal(outcome(() => javascriptWalkWithSizes(one)));
  });

  it("stops at a directory it cannot list with the JavaScript walk's error, also when the root itself is unreadable", function () {
    const locked = join(work, "locked");
    mkdirSync(join(locked, "a"), { recursive: true });
    writeFileSync(join(locked, "a", "first"), "x");
    mkdirSync(join(locked, "b", "shut"), { recursive: true });
    writeFileSync(join(locked, "b", "shut", "inside"), "x");
    writeFileSync(join(locked, "c"), "after the locked directory");
    chmodSync(join(locked, "b", "shut"), 0o000);
    const rootShut = join(work, "root-shut");
    mkdirSync(rootShut, { mode: 0o000 });
    try {
      // Root reads any directory whatever its mode: the walks then run without the capabilities that allow it.
      const walker = new URL("../../core/dataset/sized-walk.ts", import.meta.url).href;
      const script = `import { javascriptWalkWithSizes, nativeWalkFiles } from ${JSON.stringify(walker)};
        const run = (f) => { try { f(); return "no error"; } catch (e) { return e.code + ": " + e.message; } };
        console.log(JSON.stringify(process.argv.slice(1).map((d) => [run(() => javascriptWalkWithSizes(d)), run(() => nativeWalkFiles(d))])));`;
      const node = [process.execPath, "--input-type=module", "-e", script, locked, rootShut];
      const dropped = ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search", ...node];
      const out = process.getuid?.() === 0 ? execFileSync("setpriv", dropped, { encoding: "utf8" }) : execFileSync(node[0], node.slice(1), { encoding: "utf8" });
      const [[jsLocked, nativeLocked], [jsRoot, nativeRoot]] = JSON.parse(out);
      expect(jsLocked).to.equal(`INPUT_UNREADABLE: cannot list ${locked}/b/shut/ (EACCES)`);
      expect(nativeLocked).to.equal(jsLocked);
      expect(jsRoot).to.equal(`INPUT_UNREADABLE: cannot list ${rootShut}/ (EACCES)`);
      expect(nativeRoot).to.equal(jsRoot);
    } finally {
      chmodSync(join(locked, "b", "shut"), 0o755);
      chmodSync(rootShut, 0o755);
    }
  });

  it("plans the same units and hashes to the same root and manifest both ways", async () => {
    const saved = process.env.PROVENANT_UNIT_FILES;
    process.env.PROVENANT_UNIT_FILES = "7"; // several units, cut inside directories
    try {
      const plans = [];
      for (const on of [false, true]) {
        plans.push(
          await withNative(on, () => {
            const p = makePlan(tree, undefined, join(work, `plan-${on}`));
            return { ...p, units: p.units.map((u) => (u.kind === "files" ? readFileSync(u.list, "latin1") : u)) };
          }),
        );
      }
      expect(plans[0].units.length).to.be.greaterThan(3);
      expect(plans[1]).to.deep.equal(plans[0]);
      const stored = [];
      for (const on of [false, true]) {
        const home = join(work, `home-${on}`);
        stored.push(await withNative(on, () => commitAndStore(tree, new LocalStore(home), { name: "walk" }, { workDir: join(home, "work"), workers: 2 })));
      }
      expect(stored[1].hashing).to.equal("native");
      expect(stored[0].hashing).to.not.equal("native");
      expect(stored[1].manifestCid).to.equal(stored[0].manifestCid);
      expect(stored[1].shardCids).to.deep.equal(stored[0].shardCids);
      expect(stored[1].skippedEntries).to.deep.equal(stored[0].skippedEntries);
    } finally {
      if (saved === undefined) delete process.env.PROVENANT_UNIT_FILES;
      else process.env.PROVENANT_UNIT_FILES = saved;
    }
  });
});
