/**
 * Timings of the TPM layer against a fresh swtpm: start (manufacture + listen), AK creation,
 * quote latency through the transport, credential activation, TypeScript verification.
 *
 *   node scripts/tpm/bench.ts [--quotes 20] [--aks 10] [--json]
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { createEnrollmentChallenge, verifyEkCertificate } from "../../core/tpm/enroll.ts";
import { sha256Hex } from "../../core/tpm/quote.ts";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import { createTpm2ToolsTransport } from "../../core/tpm/transport.ts";
import { verifyQuote } from "../../core/tpm/quote-check.ts";

const { values: args } = parseArgs({
  options: {
    quotes: { type: "string", default: "20" },
    aks: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
  },
});
const nQuotes = Number(args.quotes);
const nAks = Number(args.aks);

type Stat = { n: number; medianMs: number; minMs: number; maxMs: number };
function stat(samples: number[]): Stat {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, medianMs: r(median), minMs: r(s[0]!), maxMs: r(s.at(-1)!) };
}
async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await f();
  return [performance.now() - t0, v];
}

const startSamples: number[] = [];
const [startMs, tpm] = await time(() => startSwtpm());
startSamples.push(startMs);
const akDir = await mkdtemp(join(tmpdir(), "provenant-bench-"));
try {
  const t = createTpm2ToolsTransport({ tcti: tpm.tcti, stateDir: akDir });
  const akTimes: number[] = [];
  let ak = await t.createAk(); // warm-up (first RSA EK derivation)
  for (let i = 0; i < nAks; i++) {
    const [ms, v] = await time(() => t.createAk());
    akTimes.push(ms);
    ak = v;
  }
  await t.pcrReset(23);
  const log = [{ pcr: 23, digest: sha256Hex("bench") }];
  await t.pcrExtend(23, log[0]!.digest);
  await t.quote([23], new Uint8Array(32)); // warm-up
  const quoteTimes: number[] = [];
  const verifyTimes: number[] = [];
  for (let i = 0; i < nQuotes; i++) {
    const nonce = new Uint8Array(randomBytes(32));
    const [ms, q] = await time(() => t.quote([23], nonce));
    quoteTimes.push(ms);
    const t0 = performance.now();
    const v = verifyQuote({
      attest: q.attest,
      signature: q.signature,
      akPublicKey: ak.publicKeyPem,
      nonce,
      pcrs: [23],
      eventLog: log,
    });
    verifyTimes.push(performance.now() - t0);
    if (!v.ok) throw new Error("quote did not verify");
  }
  // tpm2_quote alone (one process, no flush, no temp dir): the floor of the tools path.
  const run = promisify(execFile);
  // The AK's authorization, from the transport's ak.json, in a 0600 file as the transport passes it.
  const auth = JSON.parse(await readFile(join(akDir, "ak.json"), "utf8")).auth as string;
  await writeFile(join(akDir, "ak.auth"), `hex:${auth}`, { mode: 0o600 });
  const rawTimes: number[] = [];
  for (let i = 0; i < nQuotes; i++) {
    const [ms] = await time(() =>
      run(
        "tpm2_quote",
        ["-c", "0x81008001", "-p", `file:${join(akDir, "ak.auth")}`, "-l", "sha256:23", "-q", "00112233", "-m", join(akDir, "m"), "-s", join(akDir, "s")],
        {
          env: { ...process.env, TPM2TOOLS_TCTI: tpm.tcti },
        },
      ),
    );
    rawTimes.push(ms);
  }
  const ek = verifyEkCertificate({
    ekCertificate: await t.readEkCertificate(),
    roots: [tpm.caCertPem],
    intermediates: [tpm.issuerCertPem],
  });
  const activateTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { challenge } = await createEnrollmentChallenge({ ekPublicKeyPem: ek.ekPublicKeyPem!, akName: ak.name });
    const [ms] = await time(() => t.activateCredential(challenge.credentialBlob, challenge.encryptedSecret));
    activateTimes.push(ms);
  }
  const result = {
    swtpmStart: stat(startSamples),
    createAk: stat(akTimes),
    quote: stat(quoteTimes),
    tpm2QuoteProcessOnly: stat(rawTimes),
    activateCredential: stat(activateTimes),
    verifyQuoteTs: stat(verifyTimes),
  };
  if (args.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    for (const [k, v] of Object.entries(result)) {
      console.log(`${k.padEnd(22)} median ${String(v.medianMs).padStart(7)} ms  (min ${v.minMs}, max ${v.maxMs}, n=${v.n})`);
    }
  }
} finally {
  await tpm.stop();
  await rm(akDir, { recursive: true, force: true });
}
