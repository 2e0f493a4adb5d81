/**
 * A measured evaluation run, up to the signed certificate (docs/formats/evaluation-certificate-v1.md):
 *
 *   1. measure the inputs, refusing on a mismatch with the chain: the model's weights re-hashed and compared
 *      with its on-chain digest, the evaluation dataset re-hashed and compared with its on-chain root, the
 *      code, command, configuration and environment;
 *   2. reset PCR 23, extend the evaluation event, quote (the start quote), extend the input events;
 *   3. run the command in the training run's sandbox (sandbox.ts), with the weights, data, code and config
 *      handed over read-only, and $PROVENANT_METRICS_FILE in a directory the attestor made for the run (0700,
 *      its own): only the attestor and the command can write there, not whoever asked for the evaluation;
 *   4. read the metrics file the command wrote (`provenant-metrics-v1`), once, and extend its SHA-256;
 *   5. quote PCR 23 with nonce = the certificate digest, then extend the closing event.
 *
 * At the boot+pcr23 level the boot state is measured with the inputs and quoted with PCR 23, as in training:
 * an evaluation is held to the same trust level as the attestor's training runs.
 *
 * Every TPM, sandbox and measuring step is the training run's own (run.ts, measure.ts), imported; only the
 * events and the certificate's shape are an evaluation's. The caller holds the TPM for the whole run.
 */
import { constants } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ContentStore } from "../storage/store.ts";
import { ProvenantError } from "../errors.ts";
import type { AcceptedSkip } from "../dataset/skipped.ts";
import { bytesToHex, hexToBytes } from "../hex.ts";
import type { QuoteResult, TpmTransport } from "../tpm/transport.ts";
import { measureBootState } from "./boot-state.ts";
import type { BootSource, CertificateBoot } from "./boot-state.ts";
import type { CertificateDataset } from "./certificate.ts";
import { TRAINING_PCR } from "./pcr-events.ts";
import type { Address, Hex32 } from "./pcr-events.ts";
import { EVALUATION_CERTIFICATE_FORMAT, computeEvaluationCertificateDigest } from "./evaluation-certificate.ts";
import type { EvaluationCertificate, EvaluationCertificatePayload } from "./evaluation-certificate.ts";
import { evaluationInputEvents, metricsEvent, type EvaluationEvent } from "./evaluation-events.ts";
import { MAX_METRICS_BYTES, METRICS_FILE, METRICS_FILE_VARIABLE, metricsDigestOf, parseMetrics, type MetricsFile } from "./evaluation-metrics.ts";
import { measureCode, measureCommand, measureConfig, measureDataset, measureEnvironment } from "./measure.ts";
import { certificateAttestor, expectPcr, parentDigest, quoteRun, runCommand } from "./run.ts";
import type { AttestorIdentity, RunChain, RunHooks, RunTimings } from "./run.ts";
import type { CommandSandbox } from "./sandbox.ts";

export type EvaluationRunRequest = {
  /** The account that will register the evaluation (bound into the first event). */
  registrant: Address;
  /** The model to evaluate, and the local copy of its weights (hashed and compared with its on-chain digest). */
  model: { modelId: string; path: string };
  /** The evaluation dataset, and its local files (re-hashed and compared with its on-chain root). */
  dataset: { datasetId: string; path: string; acceptSkipped?: AcceptedSkip[] };
  /** Directory of the evaluation code (a git work tree or a plain directory). */
  code: string;
  /** argv of the evaluation command; argv[0] is looked up on env.PATH. */
  command: string[];
  cwd: string;
  /** The command's environment; the attestor adds PROVENANT_METRICS_FILE (the request may not set it), nothing else. */
  env: Record<string, string>;
  secretEnv?: string[];
  publishEnv?: string[];
  configFiles: string[];
  timeoutMs?: number;
};

/** The request may not say where the metrics file goes: that is the attestor's own directory. Throws INPUT_INVALID. */
export function checkEvaluationEnvironment(env: Record<string, string>): void {
  if (Object.hasOwn(env, METRICS_FILE_VARIABLE)) {
    throw new ProvenantError(
      "INPUT_INVALID",
      `${METRICS_FILE_VARIABLE} is set by the attestor (a file in a directory only it and the command can write): leave it out of the environment`,
    );
  }
}

/** The chain as an evaluation needs it: the training run's reads, and the evaluation registry it is bound to. */
export type EvaluationRunChain = RunChain & { evaluationRegistry: Address };

export type EvaluationRunResult = {
  certificate: EvaluationCertificate;
  metrics: MetricsFile;
  timings: RunTimings;
};

const now = () => performance.now();

/**
 * The shared steps' refusals speak of training (they are the training run's own): say evaluation instead, so
 * the line a user reads names what they ran.
 */
function asEvaluation(e: unknown): unknown {
  if (!(e instanceof ProvenantError)) return e;
  const message = e.message.replaceAll("refusing to train", "refusing to evaluate").replaceAll("training command", "evaluation command");
  if (message === e.message) return e;
  return new (e.constructor as typeof ProvenantError)(e.code, message, { cause: e.cause });
}

function checkCancelled(hooks: RunHooks): void {
  if (hooks.signal?.aborted) throw new ProvenantError("RUN_FAILED", "the evaluation was cancelled");
}

async function shared<T>(step: () => Promise<T> | T): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw asEvaluation(e);
  }
}

/** Measure, run, quote. Throws ProvenantError (WEIGHTS_MISMATCH, ROOT_MISMATCH, TOKEN_NOT_FOUND, METRICS_INVALID, RUN_FAILED, TPM_*). */
export async function runMeasuredEvaluation(p: {
  request: EvaluationRunRequest;
  identity: AttestorIdentity;
  tpm: TpmTransport;
  chain: EvaluationRunChain;
  store: ContentStore;
  sandbox: CommandSandbox;
  /** At the boot+pcr23 level: the boot policy and log; the final quote then also covers the boot PCRs. */
  boot?: BootSource;
  hooks?: RunHooks;
}): Promise<EvaluationRunResult> {
  const { request: req, chain, store } = p;
  const hooks = p.hooks ?? {};
  const cancelled = () => checkCancelled(hooks);
  if (!/^0x[0-9a-fA-F]{40}$/.test(req.registrant)) throw new ProvenantError("INPUT_INVALID", "registrant is not an address");
  if (!existsSync(resolve(req.cwd))) throw new ProvenantError("INPUT_NOT_FOUND", `working directory ${req.cwd} does not exist`);
  checkEvaluationEnvironment(req.env);

  // 1. measure
  const t0 = now();
  hooks.onStage?.("measuring", { model: req.model.modelId });
  const onChainModel = await chain.model(req.model.modelId);
  const weightsDigest = (await parentDigest(store, onChainModel.manifestCid, req.model.path)) as Hex32;
  if (weightsDigest !== onChainModel.weightsDigest.toLowerCase()) {
    throw new ProvenantError(
      "WEIGHTS_MISMATCH",
      `the weights at ${req.model.path} hash to ${weightsDigest}, but model #${req.model.modelId} on-chain has ${onChainModel.weightsDigest}: refusing to evaluate`,
    );
  }
  cancelled();
  hooks.onStage?.("measuring", { dataset: req.dataset.datasetId });
  const onChainDataset = await chain.dataset(req.dataset.datasetId);
  const m = await shared(() => measureDataset(req.dataset.datasetId, req.dataset.path, onChainDataset, req.dataset.acceptSkipped));
  const dataset: CertificateDataset = {
    datasetId: req.dataset.datasetId,
    role: "evaluation",
    root: m.root,
    n: m.n,
    encoding: m.encoding,
    ...(m.acceptedSkips.length > 0 ? { acceptedSkips: m.acceptedSkips } : {}),
  };
  cancelled();
  // Before anything runs: the boot log replays to the TPM's boot PCRs and passes the policy, or no evaluation.
  const boot = p.boot ? await measureBootState(p.tpm, p.boot) : undefined;
  // Where the metrics go: a fresh directory of the attestor's (mkdtemp: 0700), handed to the command alone, so
  // neither a file planted before the run nor one swapped in after the command exits can be certified.
  const metricsDir = await mkdtemp(join(tmpdir(), "provenant-metrics-"));
  try {
    return await evaluateInto(p, { t0, weightsDigest, dataset, metricsPath: join(metricsDir, METRICS_FILE), ...(boot ? { boot } : {}) });
  } finally {
    await rm(metricsDir, { recursive: true, force: true });
  }
}

/** The rest of step 1 (code, command, config, environment) and steps 2 to 5, the metrics written to `metricsPath`. */
async function evaluateInto(
  p: Parameters<typeof runMeasuredEvaluation>[0],
  m: { t0: number; weightsDigest: Hex32; dataset: CertificateDataset; metricsPath: string; boot?: CertificateBoot },
): Promise<EvaluationRunResult> {
  const { request: req, identity: id, tpm, chain, sandbox } = p;
  const hooks = p.hooks ?? {};
  const { t0, weightsDigest, dataset, metricsPath, boot } = m;
  const cancelled = () => checkCancelled(hooks);
  const env = { ...req.env, [METRICS_FILE_VARIABLE]: metricsPath };
  const code = await measureCode(req.code);
  const command = measureCommand(req.command);
  const config = measureConfig(req.configFiles);
  const environment = measureEnvironment(env, { secret: req.secretEnv, publish: req.publishEnv });
  const runId = `0x${randomBytes(32).toString("hex")}` as Hex32;
  const measureMs = now() - t0;

  // 2-3. extend and start-quote, then run the command, inside the hand-over of its folders
  const ts = now();
  const takeBack = await sandbox.handOver({
    read: [req.code, req.dataset.path, req.model.path, ...req.configFiles],
    enter: [req.cwd],
    write: resolve(metricsPath, ".."),
  });
  const events: EvaluationEvent[] = evaluationInputEvents({
    run: {
      chainId: chain.chainId,
      attestorRegistry: chain.attestorRegistry,
      evaluationRegistry: chain.evaluationRegistry,
      registrant: req.registrant,
      attestor: id.address,
      runId,
    },
    model: { modelId: req.model.modelId, weightsDigest },
    dataset: { datasetId: dataset.datasetId, root: dataset.root },
    codeDigest: code.digest,
    commandDigest: command.digest,
    configDigest: config.digest,
    environmentDigest: environment.digest,
  });
  const outputLog = createHash("sha256");
  let startQuote: QuoteResult;
  let startedAt: Date;
  let tpmBeforeMs: number;
  let commandMs: number;
  let sandboxMs = 0;
  try {
    await sandbox.check();
    sandboxMs += now() - ts;
    const t1 = now();
    hooks.onStage?.("extending");
    await tpm.pcrReset(TRAINING_PCR);
    await tpm.pcrExtend(TRAINING_PCR, events[0]!.digest);
    startedAt = new Date();
    startQuote = await tpm.quote([TRAINING_PCR], hexToBytes(runId));
    for (const e of events.slice(1)) await tpm.pcrExtend(TRAINING_PCR, e.digest);
    await expectPcr(tpm, events);
    tpmBeforeMs = now() - t1;
    cancelled();

    hooks.onStage?.("running", { argv: req.command });
    const t2 = now();
    await shared(() =>
      runCommand({ ...req, env }, sandbox, hooks, (stream, chunk) => {
        outputLog.update(chunk);
        hooks.onOutput?.(stream, chunk);
      }),
    );
    commandMs = now() - t2;
  } finally {
    const tb = now();
    await takeBack();
    sandboxMs += now() - tb;
  }

  // 4. the metrics, read once: the bytes hashed are the bytes certified
  hooks.onStage?.("hashing-output");
  const t3 = now();
  const metricsBytes = await readMetricsFile(metricsPath);
  const metrics = parseMetrics(metricsBytes, metricsPath);
  const metricsDigest = metricsDigestOf(metricsBytes);
  const outputMs = now() - t3;

  // 5. extend the metrics, quote the certificate, close
  hooks.onStage?.("quoting");
  const t4 = now();
  events.push(metricsEvent(metricsDigest));
  await tpm.pcrExtend(TRAINING_PCR, events.at(-1)!.digest);
  await expectPcr(tpm, events);
  const finishedAt = new Date();
  const payload: EvaluationCertificatePayload = {
    chain: {
      chainId: chain.chainId,
      attestorRegistry: chain.attestorRegistry,
      evaluationRegistry: chain.evaluationRegistry,
      modelRegistry: chain.modelRegistry,
      datasetRegistry: chain.datasetRegistry,
    },
    attestor: certificateAttestor(id, boot !== undefined),
    run: {
      id: runId,
      registrant: req.registrant,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.round(commandMs),
      exitCode: 0,
      outputLogSha256: `0x${outputLog.digest("hex")}`,
      startQuote: { attest: bytesToHex(startQuote.attest), signature: bytesToHex(startQuote.signature) },
    },
    inputs: { model: { modelId: req.model.modelId, weightsDigest }, datasets: [dataset], code, command, config, environment },
    outputs: { metrics: { digest: metricsDigest, text: new TextDecoder().decode(metricsBytes) } },
    eventLog: events,
    ...(boot ? { boot } : {}),
  };
  const certificateDigest = computeEvaluationCertificateDigest(payload);
  const quote = await quoteRun({ tpm, identity: id, certificateDigest, runId, events, ...(boot ? { boot } : {}) });
  const tpmAfterMs = now() - t4;

  return {
    certificate: { format: EVALUATION_CERTIFICATE_FORMAT, payload, certificateDigest, quote },
    metrics,
    timings: { measureMs, tpmBeforeMs, sandboxMs, commandMs, outputMs, tpmAfterMs, overheadMs: measureMs + tpmBeforeMs + sandboxMs + outputMs + tpmAfterMs },
  };
}

/**
 * The metrics file's bytes: a regular file (not a link the command left pointing elsewhere), at most
 * MAX_METRICS_BYTES, read through one descriptor so that what is hashed is what is parsed.
 */
async function readMetricsFile(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProvenantError(
      "METRICS_INVALID",
      code === "ENOENT"
        ? `the evaluation command wrote no metrics: it must write them to $${METRICS_FILE_VARIABLE} (docs/formats/metrics-v1.md)`
        : `$${METRICS_FILE_VARIABLE} cannot be read as a regular file (${code}): the evaluation command must write it itself, not a link`,
      { cause: e },
    );
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ProvenantError("METRICS_INVALID", `${path} is not a regular file`);
    if (st.size > MAX_METRICS_BYTES) throw new ProvenantError("METRICS_INVALID", `${path} is ${st.size} bytes, more than ${MAX_METRICS_BYTES}`);
    const buf = Buffer.alloc(MAX_METRICS_BYTES + 1);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, size, buf.length - size, size);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > MAX_METRICS_BYTES) throw new ProvenantError("METRICS_INVALID", `${path} grew over ${MAX_METRICS_BYTES} bytes while being read`);
    }
    return new Uint8Array(buf.subarray(0, size));
  } finally {
    await handle.close();
  }
}
