/**
 * Verification of an evaluation certificate against the chain, failing closed: every check by name, a check
 * that cannot be evaluated reported as failed with the reason, nothing thrown for bad evidence. No I/O: the
 * chain facts come from core/attestor/evaluation-results.ts `readEvaluationFacts`.
 *
 * The checks of the attestor's identity and trust level, its EK chain, the AK binding, the quotes' signatures,
 * the clock and (at a boot+pcr23 level) the boot state are a training certificate's, run by the training
 * verifier itself over the sections both formats share (the evaluation's final quote, start quote, run,
 * attestor and boot section in a training certificate's frame): one copy of those rules, so an evaluation is
 * held to the same trust level as the attestor's training runs. The rest is the evaluation's own: its digest and nonce, its event log and PCR replay, the
 * metrics, the model's weights and the dataset's root against the chain, and the on-chain record.
 */
import { ProvenantError } from "../errors.ts";
import { bytesToHex, hexToBytes } from "../hex.ts";
import type { Address, Hex32 } from "../hex.ts";
import type { AttestorFacts, BootStateFacts } from "../chain/attestor-registry.ts";
import type { EvaluationRecordFacts } from "../chain/evaluation-registry.ts";
import { parseAttest } from "../tpm/quote.ts";
import type { QuoteInfo } from "../tpm/quote.ts";
import type { TrustedRoot } from "../tpm/enroll.ts";
import { CERTIFICATE_FORMAT, commandDigestOf, configDigestOf, environmentDigestOf } from "./certificate.ts";
import type { TrainingCertificate } from "./certificate.ts";
import { TRAINING_PCR } from "./pcr-events.ts";
import { computeEvaluationCertificateDigest, parseEvaluationCertificate } from "./evaluation-certificate.ts";
import type { EvaluationCertificate } from "./evaluation-certificate.ts";
import { evaluationEvents, replayEvaluationPcr } from "./evaluation-events.ts";
import { metricsDigestOf, parseMetrics } from "./evaluation-metrics.ts";
import type { MetricsFile } from "./evaluation-metrics.ts";
import { verifyTrainingCertificate } from "./certificate-check.ts";
import { quotedPcrDigest } from "./boot-state.ts";
import { BOOT_CHECKS } from "./verify-boot.ts";
import type { BootCheckName } from "./verify-boot.ts";

export const EVALUATION_CHECKS = [
  "certificateFormat",
  "certificateDigest",
  "chain",
  "attestorRegistered",
  "trustLevel",
  "ekChain",
  "akBound",
  "quoteSignature",
  "nonce",
  "eventLog",
  "pcrReplay",
  "metrics",
  "modelWeights",
  "datasetRoot",
  "clock",
  "evaluationRecord",
] as const;
/** The boot checks (verify-boot.ts) follow the others for a certificate with a boot section, as in training. */
export type EvaluationCheckName = (typeof EVALUATION_CHECKS)[number] | BootCheckName | "contractVerdict";
export type EvaluationCheck = { name: EvaluationCheckName; ok: boolean; detail: string };

/** What the chain says about an evaluation certificate, read just before verifying it (evaluation-results.ts). */
export type EvaluationChainFacts = {
  chainId: number;
  attestorRegistry: Address;
  evaluationRegistry: Address;
  modelRegistry: Address;
  datasetRegistry: Address;
  /** undefined: the attestor was never registered. */
  attestor: AttestorFacts | undefined;
  /** The evaluated model's on-chain weights digest; undefined: no such model. */
  weightsDigest: Hex32 | undefined;
  /** The evaluation dataset's on-chain root; undefined: no such dataset. */
  datasetRoot: Hex32 | undefined;
  /** The registered evaluation; absent before registration. */
  evaluation?: EvaluationRecordFacts;
  /** AttestorRegistry.bootStateOf for a certificate with a boot section. */
  bootState?: BootStateFacts;
};

/** The checks a training certificate's verifier makes that mean the same for an evaluation certificate. */
const SHARED_CHECKS = ["attestorRegistered", "trustLevel", "ekChain", "akBound", "quoteSignature", "clock"] as const;

export type VerifyEvaluationParameters = {
  /** Parsed JSON (validated here) or a loaded certificate. */
  certificate: unknown;
  facts: EvaluationChainFacts;
  /** EK trust anchors. */
  roots: readonly (TrustedRoot | string)[];
  /** The model registry the evaluation must be about (the one being verified); default: the certificate's must equal the facts'. */
  modelRegistry?: string;
  /** "registered" (default): the evaluation record must exist and match. "pre-registration": the attestor's own check. */
  stage?: "registered" | "pre-registration";
  now?: Date;
  /** EvaluationRegistry.checkEvaluationCertificate as an eth_call, when asked for. */
  contractVerdict?: { ok: boolean; detail: string };
};

export type EvaluationVerification = {
  ok: boolean;
  checks: EvaluationCheck[];
  certificate?: EvaluationCertificate;
  /** The metrics, when the certificate's metrics text is a metrics file. */
  metrics?: MetricsFile;
};

const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));
const eqHex = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** The evaluation certificate in a training certificate's frame, for the checks both kinds share (see above). */
function asTrainingFrame(c: EvaluationCertificate): TrainingCertificate {
  const pl = c.payload;
  const { model, ...inputs } = pl.inputs;
  return {
    format: CERTIFICATE_FORMAT,
    payload: {
      chain: { chainId: pl.chain.chainId, attestorRegistry: pl.chain.attestorRegistry, modelRegistry: pl.chain.modelRegistry, datasetRegistry: pl.chain.datasetRegistry },
      attestor: pl.attestor,
      run: pl.run,
      inputs: { ...inputs, parents: [] },
      outputs: { weightsDigest: model.weightsDigest, manifestCid: "placeholder", files: 1, license: "" },
      eventLog: [],
      ...(pl.boot ? { boot: pl.boot } : {}),
    },
    certificateDigest: c.certificateDigest,
    quote: c.quote,
  };
}

/** Verify an evaluation certificate. Never throws for bad evidence; `ok` only when every check passed. */
export function verifyEvaluationCertificate(p: VerifyEvaluationParameters): EvaluationVerification {
  const results = new Map<EvaluationCheckName, EvaluationCheck>();
  const set = (name: EvaluationCheckName, ok: boolean, detail: string) => {
    const prev = results.get(name);
    if (prev && (!prev.ok || ok)) return; // evaluated in parts: the first failure is kept
    results.set(name, { name, ok, detail });
  };
  let metrics: MetricsFile | undefined;
  const finish = (certificate?: EvaluationCertificate): EvaluationVerification => {
    const names: readonly EvaluationCheckName[] = [...EVALUATION_CHECKS, ...(certificate?.payload.boot ? BOOT_CHECKS : [])];
    const checks: EvaluationCheck[] = names.map((n) => results.get(n) ?? { name: n, ok: false, detail: "not checked: an earlier check failed" });
    if (p.contractVerdict) checks.push({ name: "contractVerdict", ...p.contractVerdict });
    return { ok: checks.every((c) => c.ok), checks, ...(certificate ? { certificate } : {}), ...(metrics ? { metrics } : {}) };
  };

  // -- format and digest
  let cert: EvaluationCertificate;
  try {
    cert = parseEvaluationCertificate(p.certificate);
    set("certificateFormat", true, "provenant-evaluation-certificate-v1, every field well-formed");
  } catch (e) {
    set("certificateFormat", false, errMessage(e));
    return finish();
  }
  const pl = cert.payload;
  let digest: Hex32;
  try {
    digest = computeEvaluationCertificateDigest(pl);
  } catch (e) {
    set("certificateDigest", false, errMessage(e));
    return finish(cert);
  }
  set(
    "certificateDigest",
    digest === cert.certificateDigest,
    digest === cert.certificateDigest ? `SHA-256 of the canonical payload is ${digest}` : `the payload hashes to ${digest}, not the stated ${cert.certificateDigest}`,
  );

  // -- chain binding
  const f = p.facts;
  const chainProblems: string[] = [];
  if (pl.chain.chainId !== f.chainId) chainProblems.push(`chain id ${pl.chain.chainId} is not ${f.chainId}`);
  for (const k of ["attestorRegistry", "evaluationRegistry", "modelRegistry", "datasetRegistry"] as const) {
    if (!eqHex(f[k], pl.chain[k])) chainProblems.push(`${k} ${pl.chain[k]} is not ${f[k]}`);
  }
  if (p.modelRegistry && !eqHex(f.modelRegistry, p.modelRegistry)) {
    chainProblems.push(`the evaluation registry ${f.evaluationRegistry} evaluates the models of ${f.modelRegistry}, not of ${p.modelRegistry}`);
  }
  set("chain", chainProblems.length === 0, chainProblems.length === 0 ? `chain ${f.chainId}, registries as deployed` : chainProblems.join("; "));

  // -- the checks a training certificate's verifier makes the same way
  const shared = verifyTrainingCertificate({
    certificate: asTrainingFrame(cert),
    facts: {
      chainId: pl.chain.chainId,
      attestorRegistry: f.attestorRegistry,
      modelRegistry: f.modelRegistry,
      datasetRegistry: f.datasetRegistry,
      attestor: f.attestor,
      datasetRoots: {},
      parentDigests: {},
      ...(f.bootState ? { bootState: f.bootState } : {}),
    },
    roots: p.roots,
    stage: "pre-registration",
    ...(p.now ? { now: p.now } : {}),
  });
  const frame = shared.checks.find((c) => c.name === "certificateFormat" && !c.ok);
  for (const name of [...SHARED_CHECKS, ...(pl.boot ? BOOT_CHECKS : [])]) {
    const c = shared.checks.find((x) => x.name === name) ?? { ok: false, detail: "not checked: an earlier check failed" };
    set(name, c.ok && !frame, frame ? `not checked: the sections shared with training certificates did not load (${frame.detail})` : c.detail);
  }

  // -- nonces: the final quote signs this certificate, the start quote the run id
  let quote: QuoteInfo | undefined;
  let startQuote: QuoteInfo | undefined;
  try {
    quote = parseAttest(hexToBytes(cert.quote.attest, "quote.attest"));
    startQuote = parseAttest(hexToBytes(pl.run.startQuote.attest, "run.startQuote.attest"));
    const finalOk = eqHex(`0x${bytesToHex(quote.extraData)}`, cert.certificateDigest) && cert.certificateDigest === digest;
    const startOk = eqHex(`0x${bytesToHex(startQuote.extraData)}`, pl.run.id);
    set(
      "nonce",
      finalOk && startOk,
      !finalOk
        ? `the quote's nonce ${bytesToHex(quote.extraData)} is not the certificate digest ${digest}`
        : !startOk
          ? "the start quote's nonce is not the run id"
          : "the quote's nonce is the certificate digest; the start quote's is the run id",
    );
  } catch (e) {
    set("nonce", false, `quote: ${errMessage(e)}`);
  }

  // -- event log, recomputed from the certificate's own fields, and its replay against both quotes
  try {
    const i = pl.inputs;
    const inner: string[] = [];
    if (commandDigestOf(i.command) !== i.command.digest) inner.push("command digest");
    if (configDigestOf(i.config) !== i.config.digest) inner.push("config digest");
    if (environmentDigestOf(i.environment) !== i.environment.digest) inner.push("environment digest");
    const expected = evaluationEvents({
      run: {
        chainId: pl.chain.chainId,
        attestorRegistry: pl.chain.attestorRegistry,
        evaluationRegistry: pl.chain.evaluationRegistry,
        registrant: pl.run.registrant,
        attestor: pl.attestor.address,
        runId: pl.run.id,
      },
      model: i.model,
      dataset: { datasetId: i.datasets[0].datasetId, root: i.datasets[0].root },
      codeDigest: i.code.digest,
      commandDigest: i.command.digest,
      configDigest: i.config.digest,
      environmentDigest: i.environment.digest,
      metricsDigest: pl.outputs.metrics.digest,
    });
    const log = pl.eventLog;
    const at = log.length !== expected.length ? -2 : log.findIndex((e, k) => e.type !== expected[k]!.type || e.digest !== expected[k]!.digest);
    const ok = inner.length === 0 && at === -1;
    set(
      "eventLog",
      ok,
      ok
        ? `${log.length} events (evaluation, model, dataset, code, command, config, environment, metrics) recomputed from the certificate`
        : inner.length
          ? `${inner.join(", ")} do not match their contents`
          : at === -2
            ? `${log.length} events, expected ${expected.length}`
            : `event ${at} (${log[at]!.type}) is not the measurement the certificate states`,
    );
    if (quote && startQuote) {
      // The final quote covers PCR 23 after the stated boot PCR values at a boot+pcr23 level (quotedPcrDigest).
      const sel = quote.pcrSelection;
      const { pcrDigest, pcrs: quoted } = quotedPcrDigest(pl);
      const selOk = sel.length === 1 && sel[0]!.hashAlgName === "sha256" && sel[0]!.pcrs.join() === quoted.join();
      const start = replayEvaluationPcr(log.slice(0, 1)).pcrDigest;
      set(
        "pcrReplay",
        selOk && pcrDigest === bytesToHex(quote.pcrDigest) && start === bytesToHex(startQuote.pcrDigest),
        !selOk
          ? `the quote does not select sha256:${quoted.join(",")}`
          : pcrDigest !== bytesToHex(quote.pcrDigest)
            ? `the event log replays to pcrDigest ${pcrDigest}, the quote has ${bytesToHex(quote.pcrDigest)}`
            : start !== bytesToHex(startQuote.pcrDigest)
              ? "the start quote's PCR is not the evaluation event alone"
              : `the event log replays to the quoted PCR ${TRAINING_PCR}${pl.boot ? ` after the boot PCRs ${pl.boot.pcrs.join(", ")}` : ""} (pcrDigest ${pcrDigest})`,
      );
    }
  } catch (e) {
    set("eventLog", false, errMessage(e));
  }

  // -- the metrics: the text certified is the file measured, and a metrics file
  const text = new TextEncoder().encode(pl.outputs.metrics.text);
  const measured = metricsDigestOf(text);
  if (measured !== pl.outputs.metrics.digest) {
    set("metrics", false, `the certificate's metrics hash to ${measured}, not the measured ${pl.outputs.metrics.digest}`);
  } else {
    try {
      metrics = parseMetrics(text, "the certificate's metrics");
      set("metrics", true, `${metrics.metrics.length} metric(s), SHA-256 ${measured}`);
    } catch (e) {
      set("metrics", false, errMessage(e));
    }
  }

  // -- the model and the dataset against the chain
  const model = pl.inputs.model;
  set(
    "modelWeights",
    eqHex(f.weightsDigest, model.weightsDigest),
    f.weightsDigest === undefined
      ? `model #${model.modelId} does not exist`
      : eqHex(f.weightsDigest, model.weightsDigest)
        ? `the weights evaluated hash to model #${model.modelId}'s on-chain digest ${f.weightsDigest}`
        : `model #${model.modelId} has weights ${f.weightsDigest} on-chain, the run evaluated ${model.weightsDigest}`,
  );
  const ds = pl.inputs.datasets[0];
  set(
    "datasetRoot",
    eqHex(f.datasetRoot, ds.root),
    f.datasetRoot === undefined
      ? `dataset #${ds.datasetId} does not exist`
      : eqHex(f.datasetRoot, ds.root)
        ? `the data evaluated on hashes to dataset #${ds.datasetId}'s on-chain root ${f.datasetRoot} (${ds.n} samples)`
        : `dataset #${ds.datasetId} has root ${f.datasetRoot} on-chain, the run measured ${ds.root}`,
  );

  // -- the on-chain record
  const r = f.evaluation;
  if ((p.stage ?? "registered") === "pre-registration") {
    set("evaluationRecord", true, "not registered yet (pre-registration check)");
  } else if (!r) {
    set("evaluationRecord", false, "no evaluation record");
  } else {
    const problems: string[] = [];
    if (r.modelId !== model.modelId) problems.push(`it is of model #${r.modelId}, the certificate of model #${model.modelId}`);
    if (r.datasetId !== ds.datasetId) problems.push(`it is on dataset #${r.datasetId}, the certificate on dataset #${ds.datasetId}`);
    if (!eqHex(r.metricsDigest, pl.outputs.metrics.digest)) problems.push(`its metrics digest ${r.metricsDigest} is not the certificate's`);
    if (!eqHex(r.certificateDigest, digest)) problems.push(`its certificate digest ${r.certificateDigest} is not ${digest}`);
    if (!eqHex(r.attestor, pl.attestor.address)) problems.push(`its attestor ${r.attestor} is not ${pl.attestor.address}`);
    if (!eqHex(r.registrant, pl.run.registrant)) problems.push(`its registrant ${r.registrant} is not ${pl.run.registrant}`);
    set(
      "evaluationRecord",
      problems.length === 0,
      problems.length === 0 ? `evaluation #${r.id} records this certificate, model, dataset and metrics` : `evaluation #${r.id}: ${problems.join("; ")}`,
    );
  }

  return finish(cert);
}

/** Throw CERTIFICATE_INVALID naming the first failed check. */
export function assertEvaluationValid(v: EvaluationVerification): void {
  const failed = v.checks.find((c) => !c.ok);
  if (failed) throw new ProvenantError("CERTIFICATE_INVALID", `evaluation certificate check ${failed.name} failed: ${failed.detail}`);
}
