import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { commitSamples } from "../../core/dataset/commit.ts";
import { hashContainerSamples } from "../../core/dataset/formats/containers.ts";
import { sampleHashOf } from "../../cli/sample-input.ts";
import { toHex } from "../../core/hex.ts";
import { ProvenantError } from "../../core/errors.ts";
import { writeShard, type MemberSpec } from "../../scripts/lib/shards.ts";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const sortedHashes = (r: { hashes: Uint8Array; total: number }) => Array.from({ length: r.total }, (_, i) => hex(r.hashes.subarray(i * 32, i * 32 + 32))).sort();

/**
 * The sample hashes of a directory of files grouped as WebDataset groups them, written independently of
 * core/dataset/formats/: the oracle for shards GNU tar reads back.
 */
function oracle(root: string): string[] {
  const samples = new Map<string, Array<{ ext: Buffer; digest: Buffer }>>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = Buffer.from(relative(root, p));
        const slash = rel.lastIndexOf(0x2f);
        const dot = rel.indexOf(0x2e, slash + 1);
        const key = rel.subarray(0, dot).toString("latin1");
        const list = samples.get(key) ?? [];
        list.push({ ext: rel.subarray(dot + 1), digest: sha(readFileSync(p)) });
        samples.set(key, list);
      }
    }
  };
  walk(root);
  return [...samples.values()]
    .map((members) => {
      members.sort((a, b) => Buffer.compare(a.ext, b.ext));
      const parts = members.flatMap((m) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(m.ext.length);
        return [len, m.ext, m.digest];
      });
      return hex(sha(Buffer.concat(parts)));
    })
    .sort();
}

async function refusal(fn: () => Promise<unknown>): Promise<ProvenantError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ProvenantError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

const tar = (args: string[], cwd: string) => execFileSync("tar", args, { cwd, env: { ...process.env, LC_ALL: "C.UTF-8" } });

describe("webdataset encoding (docs/formats/encodings-v2.md)", function () {
  this.timeout(120_000);
  let dir: string;
  let files: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "provenant-wds-"));
    // Samples as loose files: varied extensions, a nested directory, a long name, a non-ASCII one, an empty member.
    files = join(dir, "files");
    const put = (rel: string, content: string | Buffer) => {
      mkdirSync(join(files, rel, ".."), { recursive: true });
      writeFileSync(join(files, rel), content);
    };
    for (let i = 0; i < 40; i++) {
      const key = String(i).padStart(4, "0");
      put(`${key}.jpg`, Buffer.from(`jpeg bytes of ${i}`.repeat(i + 1)));
      put(`${key}.txt`, `caption ${i}`);
      if (i % 3 === 0) put(`${key}.seg.png`, `mask ${i}`);
    }
    put("sub/dir/0000.jpg", "same key as 0000, another directory: another sample");
    put(`${"long-directory-name/".repeat(6)}0001.txt`, "a name past ustar's 100 bytes");
    put("café/été.json", '{"é":1}');
    put("empty.bin", "");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const format of ["gnu", "posix", "ustar", "v7"]) {
    it(`reads shards GNU tar writes in ${format} format to the samples GNU tar extracts`, async () => {
      if (format === "v7") {
        // v7 has no room for long names: leave them out of this one.
        const v7 = join(dir, "files-v7");
        rmSync(v7, { recursive: true, force: true });
        execFileSync("cp", ["-r", files, v7]);
        rmSync(join(v7, "long-directory-name"), { recursive: true });
        rmSync(join(v7, "café"), { recursive: true });
        tar([`--format=${format}`, "--sort=name", "-cf", join(dir, `${format}.tar`), "."], v7);
      } else {
        tar([`--format=${format}`, "--sort=name", "-cf", join(dir, `${format}.tar`), "."], files);
      }
      const out = join(dir, `extracted-${format}`);
      mkdirSync(out, { recursive: true });
      tar(["-xf", join(dir, `${format}.tar`), "-C", out], dir);
      const ours = await hashContainerSamples(join(dir, `${format}.tar`), "webdataset");
      expect(sortedHashes(ours)).to.deep.equal(oracle(out));
      expect(ours.total).to.be.greaterThan(40);
    });
  }

  it("gives one root however the samples are sharded: writer, member order, mtimes, gzip, shard sizes", async () => {
    // One shard by tar-stream, in key order.
    const one = join(dir, "one");
    const members: MemberSpec[] = [];
    for (const key of [
      ...new Set(
        readdirSync(files)
          .filter((f) => f.includes("."))
          .map((f) => f.slice(0, f.indexOf("."))),
      ),
    ].sort()) {
      for (const f of readdirSync(files).filter((x) => x.startsWith(`${key}.`))) members.push({ name: f, bytes: readFileSync(join(files, f)) });
    }
    await writeShard(join(one, "all.tar"), members);
    // Three shards by GNU tar: members of a key in reverse order, other mtimes, one gzip-compressed.
    const three = join(dir, "three");
    mkdirSync(three, { recursive: true });
    const keys = [...new Set(members.map((m) => m.name.slice(0, m.name.indexOf("."))))];
    for (let s = 0; s < 3; s++) {
      const names = keys
        .filter((_, k) => k % 3 === s)
        .flatMap((key) =>
          members
            .filter((m) => m.name.startsWith(`${key}.`))
            .map((m) => m.name)
            .reverse(),
        );
      const args = ["--format=posix", "--mtime=2001-02-03", "--no-recursion", s === 1 ? "-czf" : "-cf", join(three, `part-${s}.tar${s === 1 ? ".gz" : ""}`), ...names];
      tar(args, files);
    }
    const a = commitSamples(await hashContainerSamples(one, "webdataset"));
    const b = commitSamples(await hashContainerSamples(three, "webdataset"));
    expect(toHex(b.root)).to.equal(toHex(a.root));
    expect(b.totalSamples).to.equal(a.totalSamples);
  });

  it("streams a member larger than the buffers to the SHA-256 of its bytes, the leaf it has under files", async () => {
    const big = Buffer.alloc((20 << 20) + 3, 1);
    big[big.length - 1] = 2;
    await writeShard(join(dir, "big", "b.tar"), [
      { name: "0.bin", bytes: big },
      { name: "0.txt", bytes: "small" },
    ]);
    const r = await hashContainerSamples(join(dir, "big", "b.tar"), "webdataset");
    const len = Buffer.from([0, 0, 0, 3]);
    expect(hex(r.hashes)).to.equal(hex(sha(Buffer.concat([len, Buffer.from("bin"), sha(big), len, Buffer.from("txt"), sha("small")]))));
  });

  // Each refusal keeps a shard from meaning one thing to WebDataset's loader and another to its commitment.
  const refusals: Array<[string, MemberSpec[][], RegExp]> = [
    [
      "a repeated extension (the loader keeps one of the two)",
      [
        [
          { name: "0.jpg", bytes: "a" },
          { name: "0.jpg", bytes: "b" },
        ],
      ],
      /sample "0" has the extension "jpg" twice/,
    ],
    [
      "extensions equal but for case (the loader lower-cases them)",
      [
        [
          { name: "0.JPG", bytes: "a" },
          { name: "0.jpg", bytes: "b" },
        ],
      ],
      /has the extension "jpg" twice/,
    ],
    [
      "a key that comes back after another (the loader reads two samples)",
      [
        [
          { name: "0.jpg", bytes: "a" },
          { name: "1.jpg", bytes: "b" },
          { name: "0.txt", bytes: "c" },
        ],
      ],
      /member #2 "0.txt" comes back to key "0"/,
    ],
    [
      "a key split between shards (the loader joins them)",
      [
        [
          { name: "0.jpg", bytes: "a" },
          { name: "1.jpg", bytes: "b" },
        ],
        [{ name: "1.txt", bytes: "c" }],
      ],
      /key "1" is split between s0\.tar and s1\.tar/,
    ],
    [
      "a symbolic link (its bytes are another member's)",
      [
        [
          { name: "0.jpg", bytes: "a" },
          { name: "0.txt", type: "symlink", linkname: "0.jpg" },
        ],
      ],
      /member #1 "0.txt" \(header at byte 1024\) is a symlink/,
    ],
    ["a member without extension", [[{ name: "README", bytes: "x" }]], /member #0 "README" has no extension/],
    ["a member without key", [[{ name: "._0.jpg", bytes: "x" }]], /member #0 "._0.jpg" starts with a dot/],
  ];
  for (const [what, shards, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const d = join(dir, `refuse-${what.slice(0, 12).replace(/\W/g, "-")}`);
      for (const [k, members] of shards.entries()) await writeShard(join(d, `s${k}.tar`), members);
      const e = await refusal(() => hashContainerSamples(d, "webdataset"));
      expect(e.code).to.equal("INPUT_INVALID");
      expect(e.message).to.match(message);
    });
  }

  it("refuses a hard link GNU tar writes for a second name of one file", async () => {
    const d = join(dir, "hard");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "0.jpg"), "image");
    linkSync(join(d, "0.jpg"), join(d, "0.png"));
    tar(["-cf", join(dir, "hard.tar"), "0.jpg", "0.png"], d);
    const e = await refusal(() => hashContainerSamples(join(dir, "hard.tar"), "webdataset"));
    expect(e.message).to.match(/member #1 "0\.png" .*is a link: a WebDataset shard holds regular files only/);
  });

  it("refuses a damaged, a truncated and a damaged gzip shard with one line naming the shard and where", async () => {
    await writeShard(join(dir, "ok.tar"), [
      { name: "0.jpg", bytes: "a".repeat(2000) },
      { name: "1.jpg", bytes: "b" },
    ]);
    const good = readFileSync(join(dir, "ok.tar"));
    const flipped = Buffer.from(good);
    flipped[2560 + 10] ^= 0xff; // inside the second member's header (after 512 + 2048 bytes): its checksum no longer holds
    writeFileSync(join(dir, "flipped.tar"), flipped);
    expect((await refusal(() => hashContainerSamples(join(dir, "flipped.tar"), "webdataset"))).message).to.match(
      /flipped\.tar: not a valid tar at byte 2560 of the tar stream, after member #0 "0\.jpg"/,
    );
    writeFileSync(join(dir, "cut.tar"), good.subarray(0, 1500));
    expect((await refusal(() => hashContainerSamples(join(dir, "cut.tar"), "webdataset"))).message).to.match(
      /cut\.tar: the tar ends in the middle of a member, before its first member/,
    );
    writeFileSync(join(dir, "cut.tar.gz"), gzipSync(good).subarray(0, 60));
    expect((await refusal(() => hashContainerSamples(join(dir, "cut.tar.gz"), "webdataset"))).message).to.match(/cut\.tar\.gz: the gzip stream is damaged or truncated/);
  });

  it("hashes one sample given to prove, as its files or a .tar of just its key, to the sample's leaf", async () => {
    const shard = join(dir, "prove", "s.tar");
    await writeShard(shard, [
      { name: "0007.jpg", bytes: "seven" },
      { name: "0007.txt", bytes: "a seven" },
      { name: "0008.jpg", bytes: "eight" },
    ]);
    const r = await hashContainerSamples(shard, "webdataset");
    const leaf = toHex(r.hashes.subarray(0, 32));
    const loose = join(dir, "prove", "loose");
    mkdirSync(loose, { recursive: true });
    writeFileSync(join(loose, "0007.txt"), "a seven");
    writeFileSync(join(loose, "0007.jpg"), "seven");
    expect(toHex(await sampleHashOf({ files: [join(loose, "0007.txt"), join(loose, "0007.jpg")] }, "webdataset"))).to.equal(leaf);
    await writeShard(join(loose, "only.tar"), [
      { name: "x/0007.txt", bytes: "a seven" },
      { name: "x/0007.jpg", bytes: "seven" },
    ]);
    expect(toHex(await sampleHashOf({ file: join(loose, "only.tar") }, "webdataset"))).to.equal(leaf);
    expect((await refusal(() => sampleHashOf({ file: shard }, "webdataset"))).message).to.contain("holds 2 samples");
    writeFileSync(join(loose, "0008.jpg"), "eight");
    expect((await refusal(() => sampleHashOf({ files: [join(loose, "0007.txt"), join(loose, "0008.jpg")] }, "webdataset"))).message).to.contain(
      "one sample's files share one key",
    );
  });
});
