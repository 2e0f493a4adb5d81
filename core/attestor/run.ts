/**
 * A measured training run, end to end up to the signed certificate:
 *
 *   1. measure every input, refusing on a mismatch with the chain: dataset roots re-hashed, parent weights
 *      re-hashed, training code, command, configuration, environment;
 *   2. reset PCR 23, extend the run event, quote (the start quote: clock and counters at the start), extend
 *      the input events;
 *   3. run the command with exactly the measured environment, streaming its output, in its sandbox
 *      (sandbox.ts: an unprivileged user without the TPM or the attestor's state, its folders handed over for
 *      the run, checked by a probe first);
 *   4. hash the output weights into a model manifest (stored) and extend the output event;
 *   5. quote PCR 23 with nonce = SHA-256 of the certificate payload, then extend the closing event, so that
 *      no later quote is over the value this certificate was quoted over.
 *
 * The caller holds the TPM for the whole run (one run at a time: PCR 23 is shared) and stores and registers
 * the certificate. PCR 23 is read back before each quote and compared with the replayed log, so another
 * TPM client extending or resetting it during the run fails the run instead of producing a bad certificate.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { resolve } from "node:path";
import type { ContentStore } from "../storage/store.ts";
import { ProvenantError, TpmError } from "../errors.ts";
import type { DatasetRole, ParentRelation } from "../chain/roles.ts";
import type { AcceptedSkip } from "../dataset/skipped.ts";
import { compareWeights } from "../model/compare-weights.ts";
import { readModelManifest } from "../model/manifest.ts";
import { hashAndStoreModel } from "../model/store-model.ts";
import { hashWeights } from "../model/hash-weights.ts";
import { weightsDigestOf } from "../model/digest.ts";
import type { DeclaredRecord } from "../model/record.ts";
import { bytesToHex, hexToBytes } from "../hex.ts";
import type { AkInfo, QuoteResult, TpmTransport } from "../tpm/transport.ts";
import type { PcrEvent } from "../tpm/quote.ts";
import { verifyQuote } from "../tpm/quote-check.ts";
import { CERTIFICATE_FORMAT, computeCertificateDigest, trustLevelOf } from "./certificate.ts";
import { expectBootStateUnchanged, measureBootState } from "./boot-state.ts";
import type { BootSource, CertificateBoot } from "./boot-state.ts";
import type { CertificateAttestor, CertificateDataset, CertificateInputs, CertificateParent, TrainingCertificate, TrainingCertificatePayload } from "./certificate.ts";
import type { TpmKindName } from "../chain/attestor-registry.ts";
import { AttestorError } from "./errors.ts";
import { TRAINING_PCR, closingEvent, inputEvents, outputEvent, replayTrainingPcr } from "./pcr-events.ts";
import type { Address, Hex32 } from "./pcr-events.ts";
import type { TrainingEvent } from "./pcr-events.ts";
import { measureCode, measureCommand, measureConfig, measureDataset, measureEnvironment } from "./measure.ts";
import type { RunStage, RunStageDetail } from "./run-events.ts";
import type { CommandSandbox } from "./sandbox.ts";

export type TrainingRunRequest = {
  /** The account that will register the model (bound into the run event). */
  registrant: Address;
  /**
   * `acceptSkipped`: the folder's entries that are not samples (hidden, symlinks, ...) the caller accepts;
   * any other such entry fails the run. The certificate lists the entries accepted.
   */
  datasets: { datasetId: string; role: DatasetRole; path: string; acceptSkipped?: AcceptedSkip[] }[];
  parents: { modelId: string; relation: ParentRelation; path: string }[];
  /** Directory of the training code (a git work tree or a plain directory). */
  code: string;
  /** argv of the training command; argv[0] is looked up on env.PATH. */
  command: string[];
  cwd: string;
  /** The command's whole environment: nothing else is passed. */
  env: Record<string, string>;
  /** Names in `env` recorded in the certificate only as a salted hash (measure.ts EnvironmentPolicy). */
  secretEnv?: string[];
  /** Names in `env` that look secret but are to be published in plain text, on purpose. */
  publishEnv?: string[];
  configFiles: string[];
  /** Where the command writes the weights; hashed after it exits. */
  outputDir: string;
  /** The new model's declared record (name, version, ...), stored in its manifest. */
  record: DeclaredRecord;
  license: string;
  /** Kill the command after this long; default none. */
  timeoutMs?: number;
};

/** Who the attestor is: its on-chain address and its TPM identity. */
export type AttestorIdentity = {
  address: Address;
  tpmKind: TpmKindName;
  ekCertificate: Uint8Array;
  ekIntermediates: string[];
  ak: AkInfo;
  /** 000b ‖ SHA-256(QN(EK) ‖ Name(AK)). */
  akQualifiedName: Uint8Array;
};

/** The chain as a run needs it: addresses and two reads. */
export type RunChain = {
  chainId: number;
  attestorRegistry: Address;
  modelRegistry: Address;
  datasetRegistry: Address;
  /** Throws TOKEN_NOT_FOUND for an unknown id. */
  dataset(id: string): Promise<{ root: string; n: number; encoding: string }>;
  /** Throws TOKEN_NOT_FOUND for an unknown id. */
  model(id: string): Promise<{ weightsDigest: string; manifestCid: string }>;
};

export type RunHooks = {
  onStage?: (stage: RunStage, detail?: RunStageDetail) => void;
  onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
  /** The training command's sandbox launcher's process id (its process group id too). */
  onSpawn?: (pid: number) => void;
  /** Aborting kills the command's process group and fails the run. */
  signal?: AbortSignal;
};

export type RunTimings = {
  /** Re-hashing datasets and parents, hashing code, command, config, environment. */
  measureMs: number;
  /** PCR reset, extends and the start quote before the command. */
  tpmBeforeMs: number;
  /** Handing the command its folders, the probe, and taking the folders back. */
  sandboxMs: number;
  commandMs: number;
  /** Hashing and storing the output manifest. */
  outputMs: number;
  /** The output extend, PCR read-back, the final quote and the self-check. */
  tpmAfterMs: number;
  /** Everything but the command: the attestor's overhead. */
  overheadMs: number;
};

export type RunResult = {
  certificate: TrainingCertificate;
  manifestCid: string;
  timings: RunTimings;
};

export type MeasuredTrainingParameters = {
  request: TrainingRunRequest;
  identity: AttestorIdentity;
  tpm: TpmTransport;
  chain: RunChain;
  store: ContentStore;
  /** Where the command runs: never as the attestor's own user (see sandbox.ts). */
  sandbox: CommandSandbox;
  /** At the boot+pcr23 level: the boot policy and log; the final quote then also covers the boot PCRs. */
  boot?: BootSource;
  hooks?: RunHooks;
};

/** Step 1's result: every input measured, the run's id, and at the boot+pcr23 level the boot state. */
type MeasuredInputs = Pick<CertificateInputs, "datasets" | "parents" | "code" | "command" | "config" | "environment"> & {
  runId: Hex32;
  boot?: CertificateBoot;
};

/** Steps 2 and 3's result: the input events extended and quoted, the command run. */
type CommandRun = {
  events: TrainingEvent[];
  startQuote: QuoteResult;
  startedAt: Date;
  outputLogSha256: Hex32;
  commandMs: number;
  tpmBeforeMs: number;
  sandboxMs: number;
};

/** Step 4's result: the output weights hashed into a stored model manifest. */
type HashedOutput = { weightsDigest: Hex32; manifestCid: string; files: number; outputMs: number };

const now = () => performance.now();

/** Measure, run, quote. Throws ProvenantError (codes ROOT_MISMATCH, WEIGHTS_MISMATCH, TOKEN_NOT_FOUND, RUN_FAILED, TPM_*). */
export async function runMeasuredTraining(p: MeasuredTrainingParameters): Promise<RunResult> {
  const hooks = p.hooks ?? {};
  checkRequest(p.request);
  const t0 = now();
  hooks.onStage?.("measuring");
  const inputs = await measureInputs(p, hooks);
  const measureMs = now() - t0;
  const run = await runInSandbox(p, inputs, hooks);
  const output = await hashOutput(p, hooks);
  hooks.onStage?.("quoting");
  const t4 = now();
  const certificate = await quoteCertificate(p, inputs, run, output);
  const tpmAfterMs = now() - t4;
  const { tpmBeforeMs, sandboxMs, commandMs } = run;
  return {
    certificate,
    manifestCid: output.manifestCid,
    timings: {
      measureMs,
      tpmBeforeMs,
      sandboxMs,
      commandMs,
      outputMs: output.outputMs,
      tpmAfterMs,
      overheadMs: measureMs + tpmBeforeMs + sandboxMs + output.outputMs + tpmAfterMs,
    },
  };
}

function checkRequest(req: TrainingRunRequest): void {
  if (!/^0x[0-9a-fA-F]{40}$/.test(req.registrant)) throw new ProvenantError("INPUT_INVALID", "registrant is not an address");
  if (!existsSync(resolve(req.cwd))) throw new ProvenantError("INPUT_NOT_FOUND", `working directory ${req.cwd} does not exist`);
}

/** Throw RUN_FAILED when the run was cancelled. */
function checkNotCancelled(hooks: RunHooks): void {
  if (hooks.signal?.aborted) throw new AttestorError("RUN_FAILED", "the run was cancelled");
}

/** 1. Every input measured, refusing on a mismatch with the chain. */
async function measureInputs(p: MeasuredTrainingParameters, hooks: RunHooks): Promise<MeasuredInputs> {
  const { request: req, chain } = p;
  const datasets: CertificateDataset[] = [];
  for (const d of req.datasets) {
    const onChain = await chain.dataset(d.datasetId);
    hooks.onStage?.("measuring", { dataset: d.datasetId });
    const m = measureDataset(d.datasetId, d.path, onChain, d.acceptSkipped);
    datasets.push({
      datasetId: d.datasetId,
      role: d.role,
      root: m.root,
      n: m.n,
      encoding: m.encoding,
      // Only when there are some: a clean folder's certificate is what it was before the field existed.
      ...(m.acceptedSkips.length > 0 ? { acceptedSkips: m.acceptedSkips } : {}),
    });
    checkNotCancelled(hooks);
  }
  const parents: CertificateParent[] = [];
  for (const m of req.parents) {
    const onChain = await chain.model(m.modelId);
    hooks.onStage?.("measuring", { parent: m.modelId });
    const digest = await parentDigest(p.store, onChain.manifestCid, m.path);
    if (digest !== onChain.weightsDigest.toLowerCase()) {
      throw new ProvenantError(
        "WEIGHTS_MISMATCH",
        `the weights at ${m.path} hash to ${digest}, but model #${m.modelId} on-chain has ${onChain.weightsDigest}: refusing to train`,
      );
    }
    parents.push({ modelId: m.modelId, relation: m.relation, weightsDigest: digest as Hex32 });
    checkNotCancelled(hooks);
  }
  return {
    datasets,
    parents,
    code: await measureCode(req.code),
    command: measureCommand(req.command),
    config: measureConfig(req.configFiles),
    environment: measureEnvironment(req.env, { secret: req.secretEnv, publish: req.publishEnv }),
    runId: `0x${randomBytes(32).toString("hex")}` as Hex32,
    // Before anything runs: the boot log replays to the TPM's boot PCRs and passes the policy, or no run.
    ...(p.boot ? { boot: await measureBootState(p.tpm, p.boot) } : {}),
  };
}

/**
 * 2 and 3. The command's folders handed over for the run only (the probe checks, as the command, that the
 * TPM and the attestor's state are out of its reach, before PCR 23 is touched), the inputs extended and the
 * start quote made, the command run; the folders taken back whatever happens.
 */
async function runInSandbox(p: MeasuredTrainingParameters, inputs: MeasuredInputs, hooks: RunHooks): Promise<CommandRun> {
  const { request: req, sandbox } = p;
  const ts = now();
  const takeBack = await sandbox.handOver({
    read: [req.code, ...req.datasets.map((d) => d.path), ...req.parents.map((m) => m.path), ...req.configFiles],
    enter: [req.cwd],
    write: req.outputDir,
  });
  let sandboxMs = 0;
  let ran: Omit<CommandRun, "sandboxMs">;
  try {
    await sandbox.check();
    sandboxMs += now() - ts;
    const t1 = now();
    hooks.onStage?.("extending");
    const started = await extendInputs(p, inputs);
    const tpmBeforeMs = now() - t1;
    checkNotCancelled(hooks);
    hooks.onStage?.("running", { argv: req.command });
    const outputLog = createHash("sha256");
    const t2 = now();
    await runCommand(req, sandbox, hooks, (stream, chunk) => {
      outputLog.update(chunk);
      hooks.onOutput?.(stream, chunk);
    });
    const commandMs = now() - t2;
    ran = { ...started, outputLogSha256: `0x${outputLog.digest("hex")}`, commandMs, tpmBeforeMs };
  } finally {
    const tb = now();
    await takeBack();
    sandboxMs += now() - tb;
  }
  return { ...ran, sandboxMs };
}

/** 2. PCR 23 reset, the run event extended and quoted (the start quote: clock and counters at the start), the other input events extended. */
async function extendInputs(p: MeasuredTrainingParameters, inputs: MeasuredInputs): Promise<Pick<CommandRun, "events" | "startQuote" | "startedAt">> {
  const { tpm, chain, request: req } = p;
  const events = inputEvents({
    run: {
      chainId: chain.chainId,
      attestorRegistry: chain.attestorRegistry,
      modelRegistry: chain.modelRegistry,
      registrant: req.registrant,
      attestor: p.identity.address,
      runId: inputs.runId,
    },
    datasets: inputs.datasets,
    parents: inputs.parents,
    codeDigest: inputs.code.digest,
    commandDigest: inputs.command.digest,
    configDigest: inputs.config.digest,
    environmentDigest: inputs.environment.digest,
  });
  await tpm.pcrReset(TRAINING_PCR);
  await tpm.pcrExtend(TRAINING_PCR, events[0]!.digest);
  const startedAt = new Date();
  const startQuote = await tpm.quote([TRAINING_PCR], hexToBytes(inputs.runId));
  for (const e of events.slice(1)) await tpm.pcrExtend(TRAINING_PCR, e.digest);
  await expectPcr(tpm, events);
  return { events, startQuote, startedAt };
}

/** 4. The output weights hashed into a model manifest, stored. */
async function hashOutput(p: MeasuredTrainingParameters, hooks: RunHooks): Promise<HashedOutput> {
  const req = p.request;
  hooks.onStage?.("hashing-output");
  const t3 = now();
  const stored = await hashAndStoreModel(req.outputDir, p.store, {
    record: req.record,
    description: req.record.description ?? "",
  });
  return {
    weightsDigest: stored.manifest.weights.digest.toLowerCase() as Hex32,
    manifestCid: stored.manifestCid,
    files: new Set(stored.manifest.weights.resources.map((r) => r.path)).size,
    outputMs: now() - t3,
  };
}

/** 5. The output event extended, the certificate's payload quoted (nonce: its digest) and checked (quoteRun). */
async function quoteCertificate(p: MeasuredTrainingParameters, inputs: MeasuredInputs, run: CommandRun, output: HashedOutput): Promise<TrainingCertificate> {
  const { tpm, identity } = p;
  const events = [...run.events, outputEvent(output.weightsDigest)];
  await tpm.pcrExtend(TRAINING_PCR, events.at(-1)!.digest);
  await expectPcr(tpm, events);
  const payload = certificatePayload(p, inputs, { ...run, events }, output, new Date());
  const certificateDigest = computeCertificateDigest(payload);
  const quote = await quoteRun({ tpm, identity, certificateDigest, runId: inputs.runId, events, ...(inputs.boot ? { boot: inputs.boot } : {}) });
  return { format: CERTIFICATE_FORMAT, payload, certificateDigest, quote };
}

/**
 * The final quote of a run, training or evaluation: the boot PCRs (at the boot+pcr23 level) checked unchanged
 * since they were measured, the payload's digest quoted over them and PCR 23, PCR 23 closed, and the quote
 * checked as this attestor's own verifier would: never hand out a certificate it would refuse.
 */
export async function quoteRun(p: {
  tpm: TpmTransport;
  identity: AttestorIdentity;
  certificateDigest: Hex32;
  runId: Hex32;
  /** The run's events, all extended into PCR 23. */
  events: readonly PcrEvent[];
  boot?: CertificateBoot;
}): Promise<TrainingCertificate["quote"]> {
  const { tpm, identity: id, certificateDigest, boot } = p;
  if (boot) await expectBootStateUnchanged(tpm, boot);
  const pcrs = [...(boot?.pcrs ?? []), TRAINING_PCR];
  const quote = await quoteThenClose(tpm, certificateDigest, p.runId, pcrs);
  const self = verifyQuote({
    attest: quote.attest,
    signature: quote.signature,
    akPublicKey: id.ak.publicKeyPem,
    nonce: hexToBytes(certificateDigest),
    pcrs,
    pcrValues: { ...Object.fromEntries((boot?.pcrs ?? []).map((pcr, i) => [pcr, boot!.pcrValues[i]!])), [TRAINING_PCR]: replayTrainingPcr(p.events).pcr },
    qualifiedSigner: id.akQualifiedName,
  });
  const failed = self.checks.find((c) => !c.ok);
  if (failed) throw new TpmError("TPM_FAILED", `the TPM's quote failed the attestor's own check ${failed.name}: ${failed.detail}`);
  return { pcrs, attest: bytesToHex(quote.attest), signature: bytesToHex(quote.signature) };
}

/** What the certificate states: the chain, the attestor's identity, the run, its inputs and output, the event log. */
function certificatePayload(p: MeasuredTrainingParameters, inputs: MeasuredInputs, run: CommandRun, output: HashedOutput, finishedAt: Date): TrainingCertificatePayload {
  const { chain, identity: id, request: req } = p;
  const { runId, boot, ...measured } = inputs;
  return {
    chain: {
      chainId: chain.chainId,
      attestorRegistry: chain.attestorRegistry,
      modelRegistry: chain.modelRegistry,
      datasetRegistry: chain.datasetRegistry,
    },
    attestor: certificateAttestor(id, boot !== undefined),
    run: {
      id: runId,
      registrant: req.registrant,
      startedAt: run.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.round(run.commandMs),
      exitCode: 0,
      outputLogSha256: run.outputLogSha256,
      startQuote: { attest: bytesToHex(run.startQuote.attest), signature: bytesToHex(run.startQuote.signature) },
    },
    inputs: measured,
    outputs: {
      weightsDigest: output.weightsDigest,
      manifestCid: output.manifestCid,
      files: output.files,
      license: req.license,
    },
    eventLog: run.events,
    ...(boot ? { boot } : {}),
  };
}

/** The attestor section of a certificate (training or evaluation): who signed, its TPM identity, its trust level. */
export function certificateAttestor(id: AttestorIdentity, boot: boolean): CertificateAttestor {
  return {
    address: id.address,
    tpmKind: id.tpmKind,
    trustLevel: trustLevelOf(id.tpmKind, boot),
    ekCertificate: Buffer.from(id.ekCertificate).toString("base64"),
    ekCertificateSha256: `0x${createHash("sha256").update(id.ekCertificate).digest("hex")}`,
    ekIntermediates: id.ekIntermediates,
    akPublic: bytesToHex(id.ak.tpm2bPublic),
    akName: bytesToHex(id.ak.name),
    akQualifiedName: bytesToHex(id.akQualifiedName),
  };
}

/** The parent's weights digest, hashed the way its stored manifest was made when the manifest is at hand. */
export async function parentDigest(store: ContentStore, manifestCid: string, dir: string): Promise<string> {
  try {
    const manifest = await readModelManifest(store, manifestCid);
    return (await compareWeights(manifest, dir)).digest.toLowerCase();
  } catch (e) {
    if (!(e instanceof ProvenantError && (e.code === "STORAGE_NOT_FOUND" || e.code === "STORAGE_UNREACHABLE"))) throw e;
  }
  return weightsDigestOf((await hashWeights(dir)).resources).toLowerCase();
}

/**
 * The final quote, then the closing event, whatever the quote came to: PCR 23 must not keep the value this
 * certificate is quoted over, or any later quote over it (with another payload's digest as nonce) would
 * certify an altered copy of this run.
 */
async function quoteThenClose(tpm: TpmTransport, certificateDigest: Hex32, runId: Hex32, pcrs: readonly number[]) {
  let quote;
  try {
    quote = await tpm.quote(pcrs, hexToBytes(certificateDigest));
  } catch (e) {
    await tpm.pcrExtend(TRAINING_PCR, closingEvent(runId).digest).catch(() => {});
    throw e;
  }
  await tpm.pcrExtend(TRAINING_PCR, closingEvent(runId).digest);
  return quote;
}

/** PCR 23 must be exactly the replay of `events`: nobody else extended or reset it. */
export async function expectPcr(tpm: TpmTransport, events: readonly PcrEvent[]): Promise<void> {
  const want = replayTrainingPcr(events).pcr;
  const got = (await tpm.pcrRead([TRAINING_PCR]))[TRAINING_PCR];
  if (got !== want) {
    throw new TpmError(
      "TPM_FAILED",
      `PCR ${TRAINING_PCR} is ${got}, not the replay of this run's ${events.length} events (${want}): another TPM client changed it; run again with the attestor as the TPM's only user`,
    );
  }
}

/** The signal a shell's exit status 128+n reports, when n is one. */
function signalOfStatus(code: number): string | undefined {
  return code > 128 ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined;
}

/**
 * Run the training command in its sandbox (its own process group and PID namespace); resolve on exit 0, else
 * throw RUN_FAILED. When the command exits, the kernel kills whatever it left running.
 */
export async function runCommand(
  req: Pick<TrainingRunRequest, "command" | "cwd" | "env" | "timeoutMs">,
  sandbox: CommandSandbox,
  hooks: RunHooks,
  onChunk: (stream: "stdout" | "stderr", chunk: Buffer) => void,
): Promise<void> {
  const [cmd] = req.command as [string, ...string[]];
  const { child, started } = sandbox.spawn(req.command, { cwd: resolve(req.cwd), env: req.env });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((res) => {
    child.once("close", (code, signal) => res({ code, signal }));
    child.once("error", (error) => res({ code: null, signal: null, error }));
  });
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  let timedOut = false;
  let cancelled = false;
  const onAbort = () => {
    cancelled = true;
    killGroup();
  };
  hooks.signal?.addEventListener("abort", onAbort, { once: true });
  if (child.pid) hooks.onSpawn?.(child.pid);
  const timer = req.timeoutMs ? setTimeout(() => ((timedOut = true), killGroup()), req.timeoutMs) : undefined;
  try {
    if (hooks.signal?.aborted) onAbort();
    try {
      await started;
    } catch (e) {
      killGroup();
      await ended;
      if (cancelled) throw new AttestorError("RUN_FAILED", "the run was cancelled; the training command was killed");
      throw e;
    }
    child.stdout!.on("data", (c: Buffer) => onChunk("stdout", c));
    child.stderr!.on("data", (c: Buffer) => onChunk("stderr", c));
    const { code, signal, error } = await ended;
    if (error) throw new AttestorError("RUN_FAILED", `the training command could not start: ${error.message}`, { cause: error });
    if (cancelled) throw new AttestorError("RUN_FAILED", "the run was cancelled; the training command was killed");
    if (timedOut) throw new AttestorError("RUN_FAILED", `the training command ran longer than ${req.timeoutMs} ms and was killed`);
    if (signal) throw new AttestorError("RUN_FAILED", `the training command was killed by ${signal}`);
    if (code !== 0) {
      const by = signalOfStatus(code ?? 0);
      const hint = code === 127 ? ` (${cmd} was not found on the command's PATH)` : by ? ` (killed by ${by})` : "";
      throw new AttestorError("RUN_FAILED", `the training command exited with code ${code}${hint}`);
    }
  } finally {
    if (timer) clearTimeout(timer);
    hooks.signal?.removeEventListener("abort", onAbort);
  }
}
