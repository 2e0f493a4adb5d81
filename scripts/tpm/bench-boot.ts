/**
 * What the boot+pcr23 level costs in time, on a fresh swtpm booted with a synthetic UEFI log: a quote over
 * PCRs 0-7 and 23 against one over PCR 23 alone (through the transport, interleaved so that machine load
 * falls on both alike), the attestor's boot check before a run (read the log, read PCRs 0-7, replay,
 * appraise), and a verifier's boot checks in TypeScript.
 *
 *   node scripts/tpm/bench-boot.ts [--quotes 20] [--json]
 */
import { loadavg } from "node:os";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { bootPolicyFromLog } from "../../core/attestor/boot-policy.ts";
import { bootStateId, measureBootState, pcrSelectOf } from "../../core/attestor/boot-state.ts";
import { verifyBootEvidence } from "../../core/attestor/verify-boot.ts";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import { createTpm2ToolsTransport } from "../../core/tpm/transport.ts";
import { extendIntoTpm, syntheticBootLog } from "./synthetic-boot-log.ts";

const { values: args } = parseArgs({ options: { quotes: { type: "string", default: "20" }, json: { type: "boolean", default: false } } });
const n = Number(args.quotes);

type Stat = { n: number; medianMs: number; minMs: number; maxMs: number };
function stat(samples: number[]): Stat {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, medianMs: r(median), minMs: r(s[0]!), maxMs: r(s.at(-1)!) };
}
async function time<T>(f: () => Promise<T> | T): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await f();
  return [performance.now() - t0, v];
}

const load = loadavg()[0]!;
const tpm = await startSwtpm();
const akDir = await mkdtemp(join(tmpdir(), "provenant-bench-boot-"));
try {
  const log = syntheticBootLog();
  await extendIntoTpm(tpm.tcti, log.events);
  const t = createTpm2ToolsTransport({ tcti: tpm.tcti, stateDir: akDir });
  await t.createAk();
  const boot = [0, 1, 2, 3, 4, 5, 6, 7, 23];
  await t.quote([23], randomBytes(32)); // warm-up
  const one: number[] = [];
  const nine: number[] = [];
  for (let i = 0; i < n; i++) {
    one.push((await time(() => t.quote([23], randomBytes(32))))[0]);
    nine.push((await time(() => t.quote(boot, randomBytes(32))))[0]);
  }
  const policy = bootPolicyFromLog(log.bytes, "bench");
  const source = { policy, readLog: async () => log.bytes };
  const measure: number[] = [];
  let section;
  for (let i = 0; i < Math.min(n, 10); i++) {
    const [ms, b] = await time(() => measureBootState(t, source));
    measure.push(ms);
    section = b;
  }
  const facts = { pcrSelect: pcrSelectOf(section!.pcrs), approvedAt: 1, withdrawnAt: 0, policyDigest: "0x" as `0x${string}` };
  const verify: number[] = [];
  for (let i = 0; i < n; i++) {
    verify.push((await time(() => verifyBootEvidence({ boot: section!, attestor: "0x", bootState: facts })))[0]);
  }
  const result = {
    loadAverage: Math.round(load * 10) / 10,
    bootState: bootStateId(section!.pcrValues),
    quotePcr23: stat(one),
    quoteBootPcrs0to7And23: stat(nine),
    attestorBootCheck: stat(measure),
    verifierBootChecksTs: stat(verify),
  };
  if (args.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`load average ${result.loadAverage} at start`);
    for (const [k, v] of Object.entries(result)) {
      if (typeof v === "object") console.log(`${k.padEnd(24)} median ${String(v.medianMs).padStart(7)} ms  (min ${v.minMs}, max ${v.maxMs}, n=${v.n})`);
    }
  }
} finally {
  await tpm.stop();
  await rm(akDir, { recursive: true, force: true });
}
