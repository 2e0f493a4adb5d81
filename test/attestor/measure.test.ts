// The pieces a certificate is made of: canonical JSON, event digests (against ethers' ABI encoding, what the
// contract hashes), code digests (against the shell pipeline they are specified by), environment, requests.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbiCoder, encodeBytes32String, sha256 } from "ethers";
import { errorMessage } from "../../cli/output.ts";
import { canonicalJson } from "../../core/attestor/canonical-json.ts";
import {
  EVENT_TAGS,
  EVENT_TYPES,
  SERVICE_EVENT_TAGS,
  closingEvent,
  datasetEvent,
  digestEvent,
  livenessEvent,
  parentEvent,
  runEvent,
} from "../../core/attestor/pcr-events.ts";
import { looksSecret, measureCode, measureCommand, measureDataset, measureEnvironment } from "../../core/attestor/measure.ts";
import { environmentDigestOf, secretEnvDigest } from "../../core/attestor/certificate.ts";
import { parseRunRequest } from "../../attestor/request.ts";
import { ProvenantError } from "../../core/errors.ts";
import { commitDataset } from "../../core/dataset/commit.ts";
import { toHex } from "../../core/hex.ts";
import type { AcceptedSkip, SkippedEntry } from "../../core/dataset/skipped.ts";
import { acceptedSkipsByDataset } from "../../cli/attested-run.ts";

const abi = AbiCoder.defaultAbiCoder();
const h = (s: string) => sha256(Buffer.from(s)) as `0x${string}`;

const runRequest = {
  datasets: [{ datasetId: "1", path: "/data" }],
  code: "/code",
  command: ["python", "train.py"],
  cwd: "/",
  outputDir: "/out",
  record: { name: "m", version: "1.0.0" },
};

describe("attestor measurements", function () {
  describe("canonical JSON (RFC 8785 subset)", function () {
    it("sorts keys by UTF-16 code units, writes no whitespace, and keeps array order", function () {
      expect(canonicalJson({ b: 1, a: [true, null, "x"], "\u20ac": 0, "\ud83d\ude00": 1 })).to.equal('{"a":[true,null,"x"],"b":1,"\u20ac":0,"\ud83d\ude00":1}');
      expect(canonicalJson({ s: 'quote " and \\ and \n' })).to.equal('{"s":"quote \\" and \\\\ and \\n"}');
    });

    it("refuses what has no single canonical form: floats, undefined, bigint, class instances", function () {
      for (const v of [{ x: 1.5 }, { x: undefined }, { x: 1n }, { x: new Date() }, { x: 2 ** 60 }]) {
        expect(() => canonicalJson(v)).to.throw(/cannot canonicalize/);
      }
    });
  });

  describe("event digests, as AttestorRegistry recomputes them", function () {
    const tag = (s: string) => encodeBytes32String(s);
    it("run: sha256(abi.encode(tag, chainId, attestorRegistry, modelRegistry, registrant, attestor, runId))", function () {
      const r = {
        chainId: 314159,
        attestorRegistry: "0x1111111111111111111111111111111111111111",
        modelRegistry: "0x2222222222222222222222222222222222222222",
        registrant: "0x3333333333333333333333333333333333333333",
        attestor: "0x4444444444444444444444444444444444444444",
        runId: h("run"),
      } as const;
      const want = sha256(
        abi.encode(
          ["bytes32", "uint256", "address", "address", "address", "address", "bytes32"],
          [tag("provenant/run/v1"), r.chainId, r.attestorRegistry, r.modelRegistry, r.registrant, r.attestor, r.runId],
        ),
      );
      expect(`0x${runEvent(r).digest}`).to.equal(want);
    });

    it("dataset, parent, code and output", function () {
      expect(`0x${datasetEvent({ datasetId: "7", role: "evaluation", root: h("root") }).digest}`).to.equal(
        sha256(abi.encode(["bytes32", "uint256", "uint8", "bytes32"], [tag("provenant/dataset/v1"), 7, 2, h("root")])),
      );
      expect(`0x${parentEvent({ modelId: "3", relation: "quantized", weightsDigest: h("w") }).digest}`).to.equal(
        sha256(abi.encode(["bytes32", "uint256", "uint8", "bytes32"], [tag("provenant/parent/v1"), 3, 3, h("w")])),
      );
      expect(`0x${digestEvent("code", h("c"), "").digest}`).to.equal(sha256(abi.encode(["bytes32", "bytes32"], [tag("provenant/code/v1"), h("c")])));
      expect(`0x${digestEvent("output", h("o"), "").digest}`).to.equal(sha256(abi.encode(["bytes32", "bytes32"], [tag("provenant/output/v1"), h("o")])));
    });

    it("closing and liveness: tags of their own, no certificate event type, so no certificate's log contains them", function () {
      expect(`0x${closingEvent(h("run")).digest}`).to.equal(sha256(abi.encode(["bytes32", "bytes32"], [tag("provenant/close/v1"), h("run")])));
      expect(`0x${closingEvent().digest}`).to.equal(sha256(abi.encode(["bytes32", "bytes32"], [tag("provenant/close/v1"), `0x${"0".repeat(64)}`])));
      expect(`0x${livenessEvent().digest}`).to.equal(sha256(abi.encode(["bytes32"], [tag("provenant/liveness/v1")])));
      const certificateTags = Object.values(EVENT_TAGS) as string[];
      for (const t of Object.values(SERVICE_EVENT_TAGS)) expect(certificateTags).to.not.include(t);
      for (const t of Object.keys(SERVICE_EVENT_TAGS)) expect(EVENT_TYPES as readonly string[]).to.not.include(t);
    });
  });

  describe("code", function () {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "provenant-code-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const write = (rel: string, text: string) => {
      mkdirSync(join(dir, rel, ".."), { recursive: true });
      writeFileSync(join(dir, rel), text);
    };

    it("hashes a directory as `find | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum` does, symlinks by target", async function () {
      write("train.py", "print('hi')\n");
      write("src/model.py", "class M: pass\n");
      write("src/Z.py", "z\n");
      write("a b.txt", "space in the name\n");
      write(".git/HEAD", "not a repository, and skipped\n");
      const m = await measureCode(dir);
      expect(m.kind).to.equal("directory");
      expect(m.files).to.equal(4);
      const shell = execFileSync(
        "bash",
        ["-c", "find . -type f ! -path './.git/*' -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1"],
        { cwd: dir, encoding: "utf8" },
      ).trim();
      expect(m.digest).to.equal(`0x${shell}`);
      symlinkSync("train.py", join(dir, "link.py"));
      const withLink = await measureCode(dir);
      expect(withLink.files).to.equal(5);
      expect(withLink.digest).to.not.equal(m.digest);
    });

    it("hashes a git work tree's tracked and unignored files, naming the commit only when the tree is clean", async function () {
      const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: dir, encoding: "utf8" });
      git("init", "-q");
      write("train.py", "v1\n");
      write(".gitignore", "checkpoints/\n");
      write("checkpoints/huge.bin", "ignored\n");
      git("add", ".");
      git("commit", "-q", "-m", "one");
      const clean = await measureCode(dir);
      expect(clean).to.include({ kind: "git", files: 2, gitCommit: git("rev-parse", "HEAD").trim() });
      write("notes.txt", "untracked, not ignored\n");
      const dirty = await measureCode(dir);
      expect(dirty).to.include({ kind: "git", files: 3, gitCommit: null });
      expect(dirty.digest).to.not.equal(clean.digest);
    });
  });

  describe("dataset folders", function () {
    let dir: string;
    let onChain: { root: string; n: number; encoding: string };
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "provenant-data-"));
      writeFileSync(join(dir, "a.txt"), "a sample\n");
      writeFileSync(join(dir, "b.txt"), "another\n");
      // Entries the commitment leaves out but a training command could read: a link out of the folder, a hidden file.
      symlinkSync("/etc/hostname", join(dir, "outside"));
      writeFileSync(join(dir, ".extra"), "uncommitted training data\n");
      const c = commitDataset(dir);
      onChain = { root: toHex(c.root), n: c.n, encoding: "files" };
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const measure = (accept: AcceptedSkip[] = []) => measureDataset("1", dir, onChain, accept);

    it("refuses to certify a folder holding entries that are not samples, naming them", function () {
      expect(() => measure())
        .to.throw(/\.extra \(hidden\).*outside \(symlink\)/)
        .with.property("code", "DATASET_SKIPPED_ENTRIES");
      // Accepting one of two is not enough.
      expect(() => measure([{ path: "outside", reason: "symlink" }])).to.throw(/\.extra \(hidden\)/);
      // An acceptance names the reason too: a path alone does not accept whatever is there.
      expect(() => measure([{ path: "outside", reason: "hidden" }, { reason: "hidden" }])).to.throw(/outside \(symlink\)/);
    });

    it("certifies it once the request accepts each skipped entry, by path or by reason, and reports what it accepted", function () {
      const listed: SkippedEntry[] = [
        { path: ".extra", reason: "hidden" },
        { path: "outside", reason: "symlink" },
      ];
      expect(measure(listed)).to.deep.include({ root: onChain.root, n: 2, acceptedSkips: listed });
      expect(measure([{ reason: "symlink" }, { reason: "hidden" }])).to.deep.include({ acceptedSkips: listed });
    });

    it("reports no accepted skips for a clean folder", function () {
      const clean = mkdtempSync(join(tmpdir(), "provenant-clean-"));
      try {
        writeFileSync(join(clean, "a.txt"), "a sample\n");
        const c = commitDataset(clean);
        const m = measureDataset("2", clean, { root: toHex(c.root), n: 1, encoding: "files" });
        expect(m).to.deep.include({ n: 1, acceptedSkips: [] });
      } finally {
        rmSync(clean, { recursive: true, force: true });
      }
    });
  });

  it("reads --accept-skipped as <dataset id>:<reason>[:<path>], for a dataset of the run only", function () {
    const m = acceptedSkipsByDataset(["1:hidden", "2:symlink:a:b/c%FF", "1:fifo:pipe"], ["1", "2"]);
    expect(m.get("1")).to.deep.equal([{ reason: "hidden" }, { reason: "fifo", path: "pipe" }]);
    expect(m.get("2")).to.deep.equal([{ reason: "symlink", path: "a:b/c%FF" }]);
    expect(() => acceptedSkipsByDataset(["3:hidden"], ["1"])).to.throw(/naming a --dataset/);
    expect(() => acceptedSkipsByDataset(["1"], ["1"])).to.throw(/naming a --dataset/);
    expect(() => acceptedSkipsByDataset(["1:secret"], ["1"])).to.throw(/reason must be one of/);
    expect(() => acceptedSkipsByDataset(["1:symlink:"], ["1"])).to.throw(/non-empty path/);
  });

  it("measures the command and the environment, and refuses bad variable names", function () {
    expect(measureCommand(["python", "train.py"]).digest).to.equal(measureCommand(["python", "train.py"]).digest);
    expect(measureCommand(["python", "train.py"]).digest).to.not.equal(measureCommand(["python", "train.py", "--lr", "1"]).digest);
    const a = measureEnvironment({ B: "2", A: "1" });
    expect(Object.keys(a.variables)).to.deep.equal(["A", "B"]);
    expect(a.digest).to.equal(measureEnvironment({ A: "1", B: "2" }).digest);
    expect(() => measureEnvironment({ "A=B": "1" })).to.throw(/not valid/);
  });

  it("records secret variables only as SHA-256(salt:value) with a fresh salt, and keeps the digest of environments without", function () {
    const plain = measureEnvironment({ PATH: "/bin" });
    expect(plain).to.not.have.property("secrets");
    expect(plain.digest).to.equal(environmentDigestOf({ variables: { PATH: "/bin" }, platform: process.platform, arch: process.arch }));
    const a = measureEnvironment({ PATH: "/bin", HF_TOKEN: "hf_abc" }, { secret: ["HF_TOKEN"] });
    const b = measureEnvironment({ PATH: "/bin", HF_TOKEN: "hf_abc" }, { secret: ["HF_TOKEN"] });
    expect(a.variables).to.deep.equal({ PATH: "/bin" });
    expect(JSON.stringify(a)).to.not.contain("hf_abc");
    const s = a.secrets!.HF_TOKEN!;
    expect(s.sha256).to.equal(createHash("sha256").update(`${s.salt}:hf_abc`).digest("hex"));
    expect(s.sha256).to.equal(secretEnvDigest(s.salt, "hf_abc"));
    expect(b.secrets!.HF_TOKEN!.salt, "the salt is random per run").to.not.equal(s.salt);
    expect(a.digest).to.not.equal(b.digest);
    expect(a.digest).to.equal(environmentDigestOf({ variables: a.variables, secrets: a.secrets!, platform: a.platform, arch: a.arch }));
  });

  it("refuses to publish a variable whose name looks secret unless it is a secret or published by name", function () {
    for (const name of ["HF_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "github_token", "GOOGLE_APPLICATION_CREDENTIALS", "SSH_PRIVATE"]) {
      expect(looksSecret(name), name).to.equal(true);
      let refused: unknown;
      try {
        measureEnvironment({ PATH: "/bin", [name]: "v" });
      } catch (e) {
        refused = e;
      }
      expect(refused, name).to.be.instanceOf(ProvenantError);
      expect((refused as ProvenantError).message, "the library names no CLI flag")
        .to.match(new RegExp(`${name} looks secret`))
        .and.not.contain("--");
      expect(errorMessage(refused as ProvenantError), "the CLI names its own").to.match(new RegExp(`--secret-env ${name} or --publish-env ${name}`));
      expect(measureEnvironment({ [name]: "v" }, { publish: [name] }).variables[name]).to.equal("v");
      expect(measureEnvironment({ [name]: "v" }, { secret: [name] }).secrets).to.have.property(name);
    }
    for (const name of ["PATH", "HOME", "LANG", "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS"]) expect(looksSecret(name), name).to.equal(false);
    expect(() => measureEnvironment({ A: "1" }, { secret: ["B"] })).to.throw(/secret environment variable B is not in/);
    expect(() => measureEnvironment({ A: "1" }, { publish: ["B"] })).to.throw(/published environment variable B is not in/);
    expect(() => measureEnvironment({ KEY: "1" }, { secret: ["KEY"], publish: ["KEY"] })).to.throw(/both secret and published/);
    expect(() => parseRunRequest({ ...runRequest, env: { HF_TOKEN: "hf_x" } })).to.throw(/HF_TOKEN looks secret/);
    expect(parseRunRequest({ ...runRequest, env: { HF_TOKEN: "hf_x" }, secretEnv: ["HF_TOKEN"] }).secretEnv).to.deep.equal(["HF_TOKEN"]);
    expect(() => parseRunRequest({ ...runRequest, secretEnv: "HF_TOKEN" })).to.throw(/secretEnv must be a list/);
  });

  it("parses run requests strictly: absolute paths, known roles and relations, no unknown fields", function () {
    const ok = {
      datasets: [{ datasetId: "1", path: "/data" }],
      parents: [{ modelId: 2, relation: "adapter", path: "/w" }],
      code: "/code",
      command: ["python", "train.py"],
      cwd: "/",
      outputDir: "/out",
      record: { name: "m", version: "1.0.0" },
    };
    const r = parseRunRequest(ok);
    expect(r.datasets[0]).to.deep.equal({ datasetId: "1", role: "training", path: "/data" });
    expect(r.parents[0]).to.deep.equal({ modelId: "2", relation: "adapter", path: "/w" });
    expect(r.register).to.equal(true);
    const accepting = parseRunRequest({
      ...ok,
      datasets: [{ datasetId: "1", path: "/data", acceptSkipped: [{ reason: "hidden" }, { reason: "symlink", path: "l%ff" }] }],
    });
    expect(accepting.datasets[0]!.acceptSkipped).to.deep.equal([{ reason: "hidden" }, { reason: "symlink", path: "l%FF" }]);
    for (const bad of [
      { ...ok, datasets: [{ datasetId: "1", path: "/d", acceptSkipped: { reason: "hidden" } }] },
      { ...ok, datasets: [{ datasetId: "1", path: "/d", acceptSkipped: [{ reason: "anything" }] }] },
      { ...ok, datasets: [{ datasetId: "1", path: "/d", acceptSkipped: [{ path: "x" }] }] },
      { ...ok, code: "relative/code" },
      { ...ok, datasets: [{ datasetId: "1", role: "pretraining", path: "/d" }] },
      { ...ok, parents: [{ modelId: "0", path: "/w" }] },
      { ...ok, command: [] },
      { ...ok, surprise: 1 },
      { ...ok, record: { name: "m", version: "one" } },
      { ...ok, registrant: "0x12" },
    ]) {
      expect(() => parseRunRequest(bad), JSON.stringify(bad)).to.throw();
    }
  });

  it("answers every wrongly typed run request field with INPUT_INVALID naming the field, never a TypeError", function () {
    const ok = {
      datasets: [{ datasetId: "1", path: "/data" }],
      parents: [{ modelId: "2", path: "/w" }],
      code: "/code",
      command: ["python", "train.py"],
      cwd: "/",
      env: { PATH: "/bin" },
      configFiles: ["/c.yaml"],
      outputDir: "/out",
      record: { name: "m", version: "1.0.0" },
      license: "MIT",
      timeoutMs: 1000,
      register: true,
    };
    expect(() => parseRunRequest(ok)).to.not.throw();
    const wrong: unknown[] = [null, "x", 5, -1, 1.5, true, {}, [], [null], ["x"], [5], [{}], { a: 1 }];
    for (const field of Object.keys(ok)) {
      for (const value of wrong) {
        let error: unknown;
        try {
          parseRunRequest({ ...ok, [field]: value });
        } catch (e) {
          error = e;
        }
        if (error === undefined) continue; // some of these are valid for some fields ([] parents, {} env)
        const what = `${field} = ${JSON.stringify(value)}`;
        expect(error, what).to.be.instanceOf(ProvenantError);
        expect((error as ProvenantError).code, what).to.be.oneOf(["INPUT_INVALID", "RECORD_INVALID"]);
      }
    }
    expect(() => parseRunRequest({ ...ok, parents: "x" })).to.throw(/parents must be a list/);
  });
});
