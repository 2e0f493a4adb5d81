/**
 * Verification of a training certificate against the chain, failing closed. Every check is reported by
 * name; a check that cannot be evaluated (because an earlier one failed or a fact is missing) is reported
 * as failed with the reason, never skipped. Nothing here throws for bad evidence.
 *
 * The chain facts (attestor record, dataset roots, parent digests, the model record) are passed in, read
 * by core/chain/attestor-registry.ts `readCertificateFacts`: this module does no I/O.
 */
import { createHash } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { ProvenantError } from "../errors.ts";
import { bytesEqual, bytesToHex, hexToBytes } from "../tpm/bytes.ts";
import { akQualifiedName, checkAkPublic, verifyEkCertificate } from "../tpm/enroll.ts";
import type { TrustedRoot } from "../tpm/enroll.ts";
import { parseAttest, parseEcdsaSignature } from "../tpm/quote.ts";
import type { Check, QuoteInfo } from "../tpm/quote.ts";
import { ecPublicKeyFromTpmtPublic, verifyQuoteSignature } from "../tpm/verify-node.ts";
import { parseTpm2bPublic } from "../tpm/public.ts";
import {
  commandDigestOf,
  computeCertificateDigest,
  configDigestOf,
  environmentDigestOf,
  parseCertificate,
} from "./certificate.ts";
import type { TpmKindName, TrainingCertificate } from "./certificate.ts";
import { TRAINING_PCR, replayTrainingPcr, trainingEvents } from "./events.ts";
import type { Address, Hex32, TrainingEvent } from "./events.ts";
import type { DatasetRole, ParentRelation } from "../lineage/graph.ts";
import { describeSkipped } from "../dataset/skipped.ts";
import { quotedPcrDigest } from "./boot-state.ts";
import type { BootStateFacts } from "./boot-state.ts";
import { verifyBootEvidence } from "./verify-boot.ts";
import type { BootCheckName } from "./verify-boot.ts";

export const CERTIFICATE_CHECKS = [
  "certificateFormat",
  "certificateDigest",
  "chain",
  "attestorRegistered",
  "ekChain",
  "akBound",
  "quoteSignature",
  "nonce",
  "eventLog",
  "pcrReplay",
  "datasetRoots",
  "parentDigests",
  "outputDigest",
  "clock",
  "modelRecord",
] as const;
export type CertificateCheckName = (typeof CERTIFICATE_CHECKS)[number] | BootCheckName | "contractVerdict";
export type CertificateCheck = Check<CertificateCheckName>;

/** AttestorRegistry.attestorOf, decoded. */
export type AttestorFacts = {
  akX: Hex32;
  akY: Hex32;
  /** The 32-byte digest part of the AK's qualified name. */
  akQualifiedName: Hex32;
  ekCertificateHash: Hex32;
  kind: TpmKindName;
  registeredAt: number;
  /** 0 while active. */
  revokedAt: number;
};

export type ModelFacts = {
  id: string;
  weightsDigest: Hex32;
  provenance: "self-declared" | "attested";
  registrant: Address;
  attestor: Address;
  certificateDigest: Hex32;
  certificateCid: string;
  manifestCid: string;
  parents: { modelId: string; relation: ParentRelation }[];
  datasets: { datasetId: string; role: DatasetRole }[];
};

/** What the chain says, read just before verification. */
export type ChainFacts = {
  chainId: number;
  attestorRegistry: Address;
  modelRegistry: Address;
  datasetRegistry: Address;
  /** undefined: the attestor was never registered. */
  attestor: AttestorFacts | undefined;
  /** On-chain roots of the datasets the certificate names (missing key: no such dataset). */
  datasetRoots: Record<string, Hex32>;
  /** On-chain weights digests of the parents the certificate names (missing key: no such model). */
  parentDigests: Record<string, Hex32>;
  /** The registered model; absent before registration (the attestor's own pre-registration check). */
  model?: ModelFacts;
  /** AttestorRegistry.bootStateOf for a certificate with a boot section (verify-boot.ts). */
  bootState?: BootStateFacts;
};

export type VerifyCertificateParameters = {
  /** Parsed JSON (validated here) or a loaded certificate. */
  certificate: unknown;
  facts: ChainFacts;
  /** EK trust anchors: TPM vendors' roots; for a software TPM its local CA. */
  roots: readonly (TrustedRoot | string)[];
  /**
   * "registered" (default): the model record must exist and match. "pre-registration": the attestor's own
   * check before it registers; the modelRecord check then only states that there is no record yet.
   */
  stage?: "registered" | "pre-registration";
  now?: Date;
  /** The contract's own verdict (AttestorRegistry.checkTrainingCertificate as an eth_call), when asked for. */
  contractVerdict?: { ok: boolean; detail: string };
};

export type CertificateVerification = {
  ok: boolean;
  checks: CertificateCheck[];
  certificate?: TrainingCertificate;
  quote?: QuoteInfo;
  startQuote?: QuoteInfo;
};

const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));
const eqHex = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Clock slack: the TPM clock ticks in milliseconds but is read only at the quotes. */
const CLOCK_SLACK_MS = 2_000;

/** Verify a training certificate. Never throws for bad evidence; `ok` is true only when every check passed. */
export function verifyTrainingCertificate(p: VerifyCertificateParameters): CertificateVerification {
  const results = new Map<CertificateCheckName, CertificateCheck>();
  const set = (name: CertificateCheckName, ok: boolean, detail: string) => {
    const prev = results.get(name);
    // A check evaluated in parts fails if any part fails; the first failure's detail is kept.
    if (prev && !prev.ok) return;
    if (prev && ok) return;
    results.set(name, { name, ok, detail });
  };
  let bootChecks: CertificateCheck[] = [];
  const finish = (extra: Partial<CertificateVerification> = {}): CertificateVerification => {
    const checks: CertificateCheck[] = CERTIFICATE_CHECKS.map(
      (n) => results.get(n) ?? { name: n, ok: false, detail: "not checked: an earlier check failed" }
    );
    checks.push(...bootChecks);
    if (p.contractVerdict) checks.push({ name: "contractVerdict", ...p.contractVerdict });
    return { ok: checks.every((c) => c.ok), checks, ...extra };
  };

  // -- format and digest
  let cert: TrainingCertificate;
  try {
    cert = parseCertificate(p.certificate);
    set("certificateFormat", true, "provenant-training-certificate-v1, every field well-formed");
  } catch (e) {
    set("certificateFormat", false, errMessage(e));
    return finish();
  }
  const pl = cert.payload;
  bootChecks = verifyBootEvidence({ boot: pl.boot, attestor: pl.attestor.address, bootState: p.facts.bootState });
  let digest: Hex32;
  try {
    digest = computeCertificateDigest(pl);
  } catch (e) {
    set("certificateDigest", false, errMessage(e));
    return finish({ certificate: cert });
  }
  set(
    "certificateDigest",
    digest === cert.certificateDigest,
    digest === cert.certificateDigest
      ? `SHA-256 of the canonical payload is ${digest}`
      : `the payload hashes to ${digest}, not the stated ${cert.certificateDigest}`
  );

  // -- chain binding
  const f = p.facts;
  const chainProblems: string[] = [];
  if (pl.chain.chainId !== f.chainId) chainProblems.push(`chain id ${pl.chain.chainId} is not ${f.chainId}`);
  for (const k of ["attestorRegistry", "modelRegistry", "datasetRegistry"] as const) {
    if (!eqHex(pl.chain[k], f[k])) chainProblems.push(`${k} ${pl.chain[k]} is not ${f[k]}`);
  }
  set(
    "chain",
    chainProblems.length === 0,
    chainProblems.length === 0 ? `chain ${f.chainId}, registries as deployed` : chainProblems.join("; ")
  );

  // -- parse the AK, the quotes and the EK certificate
  let akKey: KeyObject | undefined;
  let akXY: { x: string; y: string } | undefined;
  try {
    const pub = parseTpm2bPublic(hexToBytes(pl.attestor.akPublic, "akPublic"));
    akKey = ecPublicKeyFromTpmtPublic(pub);
    akXY = { x: `0x${bytesToHex(pub.x!)}`, y: `0x${bytesToHex(pub.y!)}` };
  } catch (e) {
    set("akBound", false, `AK public area: ${errMessage(e)}`);
  }
  let quote: QuoteInfo | undefined;
  let startQuote: QuoteInfo | undefined;
  try {
    quote = parseAttest(hexToBytes(cert.quote.attest, "quote.attest"));
  } catch (e) {
    set("nonce", false, `quote: ${errMessage(e)}`);
    set("quoteSignature", false, `quote: ${errMessage(e)}`);
  }
  try {
    startQuote = parseAttest(hexToBytes(pl.run.startQuote.attest, "run.startQuote.attest"));
  } catch (e) {
    set("clock", false, `start quote: ${errMessage(e)}`);
    set("quoteSignature", false, `start quote: ${errMessage(e)}`);
  }
  const ekDer = Buffer.from(pl.attestor.ekCertificate, "base64");
  const ekHash = `0x${createHash("sha256").update(ekDer).digest("hex")}` as Hex32;

  // -- attestor registered, not revoked, same identity as the certificate
  const a = f.attestor;
  if (!a) {
    set("attestorRegistered", false, `attestor ${pl.attestor.address} is not registered in ${f.attestorRegistry}`);
  } else {
    const problems: string[] = [];
    if (a.revokedAt !== 0) problems.push(`revoked at ${new Date(a.revokedAt * 1000).toISOString()}`);
    if (a.kind !== pl.attestor.tpmKind) problems.push(`registered as a ${a.kind} TPM, the certificate says ${pl.attestor.tpmKind}`);
    if (!eqHex(a.ekCertificateHash, ekHash) || !eqHex(a.ekCertificateHash, pl.attestor.ekCertificateSha256)) {
      problems.push("the EK certificate is not the registered one");
    }
    if (!eqHex(`000b${a.akQualifiedName.slice(2)}`, pl.attestor.akQualifiedName)) {
      problems.push("the AK qualified name is not the registered one");
    }
    if (!akXY || !eqHex(akXY.x, a.akX) || !eqHex(akXY.y, a.akY)) problems.push("the AK public key is not the registered one");
    set(
      "attestorRegistered",
      problems.length === 0,
      problems.length === 0
        ? `${pl.attestor.address} registered ${new Date(a.registeredAt * 1000).toISOString()}, not revoked, same AK and EK`
        : `attestor ${pl.attestor.address}: ${problems.join("; ")}`
    );
  }

  // -- EK certificate chain
  let ek: ReturnType<typeof verifyEkCertificate>;
  try {
    if (p.roots.length === 0) throw new Error("no EK root certificates configured (pass --ek-root or set PROVENANT_EK_ROOTS)");
    ek = verifyEkCertificate({
      ekCertificate: new Uint8Array(ekDer),
      roots: p.roots,
      intermediates: pl.attestor.ekIntermediates,
      ...(p.now ? { now: p.now } : {}),
    });
  } catch (e) {
    // A missing or unreadable trust anchor: nothing can be said for the EK, so the check fails.
    ek = { ok: false, checks: [{ name: "ekCertificateChain", ok: false, detail: errMessage(e) }], chain: [] };
  }
  const ekProblems = ek.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  if (ek.kind && ek.kind !== pl.attestor.tpmKind) ekProblems.push(`the root makes it a ${ek.kind} TPM, the certificate says ${pl.attestor.tpmKind}`);
  if (!eqHex(ekHash, pl.attestor.ekCertificateSha256)) ekProblems.push("ekCertificateSha256 is not the SHA-256 of ekCertificate");
  set(
    "ekChain",
    ekProblems.length === 0 && ek.ok,
    ekProblems.length === 0 && ek.ok ? `EK certificate chain: ${ek.chain.join(" <- ")} (${ek.kind} TPM)` : ekProblems.join("; ")
  );

  // -- AK bound: restricted P-256 signing key fixed to the TPM, under this EK, the quotes' signer
  if (akKey) {
    const akCheck = checkAkPublic({ tpm2bPublic: hexToBytes(pl.attestor.akPublic), akName: hexToBytes(pl.attestor.akName) });
    const problems = akCheck.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    let qn: Uint8Array | undefined;
    if (ek.ekPublicKeyPem) {
      try {
        qn = akQualifiedName(ek.ekPublicKeyPem, hexToBytes(pl.attestor.akName));
      } catch (e) {
        problems.push(errMessage(e));
      }
    } else {
      problems.push("no EK public key (the EK certificate did not verify)");
    }
    if (qn && !bytesEqual(qn, hexToBytes(pl.attestor.akQualifiedName))) {
      problems.push("akQualifiedName is not QN(EK from the certificate, AK name)");
    }
    for (const [label, q] of [
      ["quote", quote],
      ["start quote", startQuote],
    ] as const) {
      if (q && !bytesEqual(q.qualifiedSigner, hexToBytes(pl.attestor.akQualifiedName))) {
        problems.push(`the ${label}'s qualifiedSigner is not the AK's qualified name`);
      }
      if (!q) problems.push(`the ${label} did not parse`);
    }
    set(
      "akBound",
      problems.length === 0,
      problems.length === 0
        ? "restricted P-256 signing AK (fixedTPM, fixedParent, sensitiveDataOrigin) whose qualified name under the certified EK is the quotes' signer and the registered one; the registry bound it by credential activation at enrollment"
        : problems.join("; ")
    );
  }

  // -- quote signatures (end and start)
  if (akKey) {
    for (const [label, q, bytes] of [
      ["quote", quote, cert.quote],
      ["start quote", startQuote, pl.run.startQuote],
    ] as const) {
      if (!q) continue;
      try {
        const ok = verifyQuoteSignature(akKey, hexToBytes(bytes.attest), parseEcdsaSignature(hexToBytes(bytes.signature)));
        set("quoteSignature", ok, ok ? "both quotes are ECDSA P-256 signatures by the AK" : `the ${label}'s signature does not verify under the AK`);
      } catch (e) {
        set("quoteSignature", false, `${label} signature: ${errMessage(e)}`);
      }
    }
  } else {
    set("quoteSignature", false, "no usable AK public key");
  }

  // -- nonce: the end quote signs this certificate; the start quote signs the run id
  if (quote) {
    const ok = eqHex(`0x${bytesToHex(quote.extraData)}`, cert.certificateDigest) && cert.certificateDigest === digest;
    set("nonce", ok, ok ? "the quote's nonce is the certificate digest" : `the quote's nonce ${bytesToHex(quote.extraData)} is not the certificate digest ${digest}`);
  }
  if (startQuote) {
    const ok = eqHex(`0x${bytesToHex(startQuote.extraData)}`, pl.run.id);
    set("nonce", ok, ok ? "the quote's nonce is the certificate digest" : "the start quote's nonce is not the run id");
  }

  // -- event log: recomputed from the inputs, in order; inner digests consistent
  let expected: TrainingEvent[] | undefined;
  try {
    const i = pl.inputs;
    const inner: string[] = [];
    if (commandDigestOf(i.command) !== i.command.digest) inner.push("command digest");
    if (configDigestOf(i.config) !== i.config.digest) inner.push("config digest");
    if (environmentDigestOf(i.environment) !== i.environment.digest) inner.push("environment digest");
    expected = trainingEvents({
      run: {
        chainId: pl.chain.chainId,
        attestorRegistry: pl.chain.attestorRegistry,
        modelRegistry: pl.chain.modelRegistry,
        registrant: pl.run.registrant,
        attestor: pl.attestor.address,
        runId: pl.run.id,
      },
      datasets: i.datasets,
      parents: i.parents,
      codeDigest: i.code.digest,
      commandDigest: i.command.digest,
      configDigest: i.config.digest,
      environmentDigest: i.environment.digest,
      outputDigest: pl.outputs.weightsDigest,
    });
    const log = pl.eventLog;
    const mismatch =
      log.length !== expected.length
        ? `${log.length} events, expected ${expected.length}`
        : log.findIndex((e, k) => e.type !== expected![k]!.type || e.digest !== expected![k]!.digest || e.pcr !== TRAINING_PCR);
    const ok = inner.length === 0 && mismatch === -1;
    set(
      "eventLog",
      ok,
      ok
        ? `${log.length} events (run, ${i.datasets.length} dataset(s), ${i.parents.length} parent(s), code, command, config, environment, output) recomputed from the inputs`
        : inner.length
          ? `${inner.join(", ")} do not match their contents`
          : typeof mismatch === "string"
            ? mismatch
            : `event ${mismatch} (${log[mismatch as number]!.type}) is not the measurement the inputs give`
    );
  } catch (e) {
    set("eventLog", false, errMessage(e));
  }

  // -- PCR replay against both quotes
  if (quote && expected) {
    try {
      const { pcrDigest, pcrs: quoted } = quotedPcrDigest(pl);
      const sel = quote.pcrSelection;
      const selOk = sel.length === 1 && sel[0]!.hashAlgName === "sha256" && sel[0]!.pcrs.join() === quoted.join();
      const ok = selOk && pcrDigest === bytesToHex(quote.pcrDigest);
      set(
        "pcrReplay",
        ok,
        ok
          ? `the event log replays to the quoted PCR ${TRAINING_PCR}${pl.boot ? ` after the boot PCRs ${pl.boot.pcrs.join(", ")}` : ""} (pcrDigest ${pcrDigest})`
          : !selOk
            ? `the quote does not select sha256:${quoted.join(",")}`
            : `the event log replays to pcrDigest ${pcrDigest}, the quote has ${bytesToHex(quote.pcrDigest)}`
      );
      if (startQuote) {
        const start = replayTrainingPcr(pl.eventLog.slice(0, 1)).pcrDigest;
        const okStart = start === bytesToHex(startQuote.pcrDigest);
        set("pcrReplay", okStart, okStart ? "" : "the start quote's PCR is not the run event alone");
      }
    } catch (e) {
      set("pcrReplay", false, errMessage(e));
    }
  }

  // -- datasets and parents against the chain
  const dsProblems: string[] = [];
  for (const d of pl.inputs.datasets) {
    const root = f.datasetRoots[d.datasetId];
    if (!root) dsProblems.push(`dataset #${d.datasetId} does not exist`);
    else if (!eqHex(root, d.root)) dsProblems.push(`dataset #${d.datasetId} has root ${root} on-chain, the run measured ${d.root}`);
  }
  // Entries the attestor let through beside the samples: the check passes, but a reader is told of them.
  const skips = pl.inputs.datasets
    .filter((d) => d.acceptedSkips)
    .map((d) => `; dataset #${d.datasetId}'s folder also held ${d.acceptedSkips!.length} accepted entr${d.acceptedSkips!.length === 1 ? "y" : "ies"} that are not samples: ${describeSkipped(d.acceptedSkips!)}`)
    .join("");
  set(
    "datasetRoots",
    dsProblems.length === 0,
    dsProblems.length === 0
      ? `${pl.inputs.datasets.length} dataset root(s) measured equal the on-chain roots${skips}`
      : dsProblems.join("; ")
  );
  const parentProblems: string[] = [];
  for (const m of pl.inputs.parents) {
    const w = f.parentDigests[m.modelId];
    if (!w) parentProblems.push(`model #${m.modelId} does not exist`);
    else if (!eqHex(w, m.weightsDigest)) parentProblems.push(`model #${m.modelId} has weights ${w} on-chain, the run measured ${m.weightsDigest}`);
  }
  set(
    "parentDigests",
    parentProblems.length === 0,
    parentProblems.length === 0
      ? `${pl.inputs.parents.length} parent digest(s) measured equal the on-chain digests`
      : parentProblems.join("; ")
  );

  // -- output and model record
  const stage = p.stage ?? "registered";
  const model = f.model;
  if (stage === "pre-registration") {
    set("outputDigest", true, `output weights ${pl.outputs.weightsDigest} (measured last; no model registered yet)`);
    set("modelRecord", true, "not registered yet (pre-registration check)");
  } else if (!model) {
    set("outputDigest", false, "no model record to compare with");
    set("modelRecord", false, "no model record");
  } else {
    const ok = eqHex(model.weightsDigest, pl.outputs.weightsDigest);
    set(
      "outputDigest",
      ok,
      ok ? `model #${model.id}'s weights digest is the measured output` : `model #${model.id} has weights ${model.weightsDigest}, the run produced ${pl.outputs.weightsDigest}`
    );
    const problems: string[] = [];
    if (model.provenance !== "attested") problems.push("its provenance is self-declared");
    if (!eqHex(model.certificateDigest, digest)) problems.push(`its certificate digest ${model.certificateDigest} is not ${digest}`);
    if (!eqHex(model.attestor, pl.attestor.address)) problems.push(`its attestor ${model.attestor} is not ${pl.attestor.address}`);
    if (!eqHex(model.registrant, pl.run.registrant)) problems.push(`its registrant ${model.registrant} is not ${pl.run.registrant}`);
    if (model.manifestCid !== pl.outputs.manifestCid) problems.push("its manifest CID differs");
    const edges = (xs: { a: string; b: string }[]) => xs.map((x) => `${x.a}:${x.b}`).join(",");
    if (
      edges(model.datasets.map((d) => ({ a: d.datasetId, b: d.role }))) !==
      edges(pl.inputs.datasets.map((d) => ({ a: d.datasetId, b: d.role })))
    ) {
      problems.push("its dataset edges are not the measured datasets");
    }
    if (
      edges(model.parents.map((d) => ({ a: d.modelId, b: d.relation }))) !==
      edges(pl.inputs.parents.map((d) => ({ a: d.modelId, b: d.relation })))
    ) {
      problems.push("its parent edges are not the measured parents");
    }
    set(
      "modelRecord",
      problems.length === 0,
      problems.length === 0 ? `model #${model.id} is attested by this certificate, with exactly its lineage` : `model #${model.id}: ${problems.join("; ")}`
    );
  }

  // -- clock and counters
  if (quote && startQuote) {
    const problems: string[] = [];
    if (!quote.safe || !startQuote.safe) problems.push("a quote's clock is not marked safe (it may have been set back)");
    if (quote.resetCount !== startQuote.resetCount) problems.push(`the TPM was reset during the run (resetCount ${startQuote.resetCount} -> ${quote.resetCount})`);
    if (quote.restartCount !== startQuote.restartCount) problems.push(`the TPM restarted during the run (restartCount ${startQuote.restartCount} -> ${quote.restartCount})`);
    if (quote.firmwareVersion !== startQuote.firmwareVersion) problems.push("the firmware version changed during the run");
    const elapsed = Number(quote.clock - startQuote.clock);
    const wall = Date.parse(pl.run.finishedAt) - Date.parse(pl.run.startedAt);
    if (elapsed < 0) problems.push("the TPM clock went backwards");
    else if (elapsed + CLOCK_SLACK_MS < pl.run.durationMs) problems.push(`the TPM clock advanced ${elapsed} ms during a ${pl.run.durationMs} ms command`);
    else if (!(wall >= 0) || elapsed > wall + CLOCK_SLACK_MS + wall / 10) problems.push(`the TPM clock advanced ${elapsed} ms between quotes ${wall} ms apart`);
    set(
      "clock",
      problems.length === 0,
      problems.length === 0
        ? `same reset/restart counters (${quote.resetCount}/${quote.restartCount}), clock safe, ${elapsed} ms between the quotes for a ${pl.run.durationMs} ms command`
        : problems.join("; ")
    );
  }

  return finish({ certificate: cert, ...(quote ? { quote } : {}), ...(startQuote ? { startQuote } : {}) });
}

/** Throw ProvenantError("CERTIFICATE_INVALID") naming the first failed check. */
export function assertCertificateValid(v: CertificateVerification): void {
  const failed = v.checks.find((c) => !c.ok);
  if (failed) throw new ProvenantError("CERTIFICATE_INVALID", `certificate check ${failed.name} failed: ${failed.detail}`);
}
