import { expect } from "chai";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../scripts/lib/cli.ts";
import { PROCESS_MIN_BYTES } from "../../../core/dataset/scale/pool.ts";

/**
 * The three ways a dataset is hashed and merged (native threads in one process; JavaScript on child processes;
 * JavaScript in the CLI's own process) commit to the same manifest, and a missing native build costs one warning.
 */
describe("scale: native, child-process and in-process hashing agree", function () {
  this.timeout(300_000);
  let work: string;
  let env: Record<string, string>;
  let jsonl: string;
  let lines = 0;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "provenant-exec-"));
    env = { PROVENANT_HOME: join(work, "home") };
    // Big enough for the JavaScript path to start child processes; every 7th line repeats, some are empty.
    jsonl = join(work, "big.jsonl");
    const fd = openSync(jsonl, "w");
    for (let written = 0; written < PROCESS_MIN_BYTES + (1 << 20);) {
      const chunk: string[] = [];
      for (let k = 0; k < 10_000; k++, lines++) chunk.push(lines % 1000 === 5 ? "" : `{"i":${lines % 7 === 0 ? 0 : lines},"pad":"${"x".repeat(100)}"}`);
      written += writeSync(fd, chunk.join("\n") + "\n");
    }
    closeSync(fd);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("gives one manifest from native threads, two JavaScript processes and one JavaScript process", async () => {
    const native = await runCli(["dataset", "hash", jsonl, "--workers", "2"], env);
    const processes = await runCli(["dataset", "hash", jsonl, "--workers", "2"], { ...env, PROVENANT_NATIVE: "0" });
    const inline = await runCli(["dataset", "hash", jsonl, "--workers", "1"], { ...env, PROVENANT_NATIVE: "0" });
    for (const r of [native, processes, inline]) expect(r.code, r.stderr).to.equal(0);
    expect([native.json.hashing, processes.json.hashing, inline.json.hashing]).to.deep.equal(["native", "processes", "inline"]);
    expect(native.json.units).to.be.greaterThan(1);
    expect(native.json.totalSamples + native.json.skipped.emptyRecords).to.equal(lines);
    expect(processes.json.manifestCid).to.equal(native.json.manifestCid);
    expect(inline.json.manifestCid).to.equal(native.json.manifestCid);
    expect(native.stderr + processes.stderr + inline.stderr).to.not.match(/native hashing unavailable/);
  });

  it("falls back to JavaScript with exactly one warning when the native build is missing, broken or out of date", async () => {
    const reference = await runCli(["dataset", "hash", jsonl, "--workers", "2"], env);
    const broken = join(work, "broken.node");
    writeFileSync(broken, "not a shared object");
    // A build from before a rename of its exports: it loads, but would fail at the first call it lacks.
    const stale = join(work, "stale.cjs");
    writeFileSync(stale, "module.exports = { sha256() {}, hashRecords() {} };");
    for (const path of [join(work, "missing.node"), broken, stale]) {
      const r = await runCli(["dataset", "hash", jsonl, "--workers", "2"], { ...env, PROVENANT_NATIVE_PATH: path });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr.match(/native hashing unavailable/g), r.stderr).to.have.length(1);
      expect(r.stderr).to.contain(path);
      expect(r.json.manifestCid).to.equal(reference.json.manifestCid);
      expect(r.json.hashing).to.equal("processes");
    }
  });
});
