/**
 * Test support for the attestor suites: real quotes from a software TPM over a training event log, the
 * registration parameters of its AK, and small builders for lineages.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSwtpm } from "../../core/tpm/swtpm.ts";
import { createTpm2ToolsTransport } from "../../core/tpm/transport.ts";
import { extendIntoTpm, syntheticBootLog } from "../../scripts/tpm/synthetic-boot-log.ts";
import type { SyntheticBootLog, SyntheticBootOptions } from "../../scripts/tpm/synthetic-boot-log.ts";
import { bytesToHex, hexToBytes } from "../../core/hex.ts";
import { akQualifiedName, verifyEkCertificate } from "../../core/tpm/enroll.ts";
import { parseTpm2bPublic } from "../../core/tpm/public.ts";
import { normalizeLowS, parseEcdsaSignature } from "../../core/tpm/quote.ts";
import type { AkInfo, TpmTransport } from "../../core/tpm/transport.ts";
import { TRAINING_PCR, trainingEvents } from "../../core/attestor/pcr-events.ts";
import type { DatasetMeasurement, Hex32, ParentMeasurement, TrainingEvent } from "../../core/attestor/pcr-events.ts";
import { datasetRoleCode, parentRelationCode } from "../../core/chain/roles.ts";
import type { TrainingEvidenceStruct, TrainingLineageStruct } from "../../core/chain/attestor-registry.ts";
import type { AttestorRegistrationParams } from "../../core/attestor/enrollment.ts";

import { ensureTpmToolsInstalled } from "../tpm/helpers.ts";
import type { TestTpm } from "../tpm/helpers.ts";
export { ensureTpmToolsInstalled, startTestTpm, hex, flipByte } from "../tpm/helpers.ts";
export type { TestTpm } from "../tpm/helpers.ts";

export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export const randomHex32 = (): Hex32 => `0x${randomBytes(32).toString("hex")}`;
export const sha = (s: string): Hex32 => `0x${createHash("sha256").update(s).digest("hex")}`;

/** What AttestorRegistry.register takes for this TPM's AK, as the enrollment would derive it. */
export function registrationFor(
  address: string,
  ak: AkInfo,
  ekCertificate: Uint8Array,
  caCertPem: string,
  issuerCertPem: string,
): AttestorRegistrationParams & { akQualifiedNameFull: Uint8Array } {
  const ek = verifyEkCertificate({ ekCertificate, roots: [caCertPem], intermediates: [issuerCertPem] });
  if (!ek.ok || !ek.ekPublicKeyPem) throw new Error("the test TPM's EK certificate does not verify");
  const qn = akQualifiedName(ek.ekPublicKeyPem, ak.name);
  const pub = parseTpm2bPublic(ak.tpm2bPublic);
  return {
    attestor: address as `0x${string}`,
    akX: `0x${bytesToHex(pub.x!)}`,
    akY: `0x${bytesToHex(pub.y!)}`,
    akQualifiedName: `0x${bytesToHex(qn.subarray(2))}`,
    ekCertificateHash: `0x${createHash("sha256").update(ekCertificate).digest("hex")}`,
    kind: ek.kind!,
    akQualifiedNameFull: qn,
  };
}

export type QuotedRunInput = {
  chainId: number;
  attestorRegistry: string;
  modelRegistry: string;
  registrant: string;
  attestor: string;
  datasets: DatasetMeasurement[];
  parents: ParentMeasurement[];
  weightsDigest: Hex32;
  certificateDigest?: Hex32;
  runId?: Hex32;
  codeDigest?: Hex32;
  commandDigest?: Hex32;
  configDigest?: Hex32;
  environmentDigest?: Hex32;
  /** Boot PCRs to quote with PCR 23 (their current values go into the evidence): the boot+pcr23 level. */
  bootPcrs?: number[];
};

export type QuotedRun = {
  lineage: TrainingLineageStruct;
  evidence: TrainingEvidenceStruct;
  events: TrainingEvent[];
  attest: Uint8Array;
  signature: Uint8Array;
  /** The boot PCR values quoted, hex, ascending (empty without bootPcrs). */
  bootValues: string[];
};

/** Reset PCR 23, extend a training run's events, and quote them with nonce = the certificate digest. */
export async function quotedRun(tpm: TpmTransport, p: QuotedRunInput): Promise<QuotedRun> {
  const runId = p.runId ?? randomHex32();
  const certificateDigest = p.certificateDigest ?? randomHex32();
  const digests = {
    codeDigest: p.codeDigest ?? sha("code"),
    commandDigest: p.commandDigest ?? sha("command"),
    configDigest: p.configDigest ?? sha("config"),
    environmentDigest: p.environmentDigest ?? sha("environment"),
  };
  const events = trainingEvents({
    run: {
      chainId: p.chainId,
      attestorRegistry: p.attestorRegistry as `0x${string}`,
      modelRegistry: p.modelRegistry as `0x${string}`,
      registrant: p.registrant as `0x${string}`,
      attestor: p.attestor as `0x${string}`,
      runId,
    },
    datasets: p.datasets,
    parents: p.parents,
    ...digests,
    outputDigest: p.weightsDigest,
  });
  await tpm.pcrReset(TRAINING_PCR);
  for (const e of events) await tpm.pcrExtend(TRAINING_PCR, e.digest);
  const bootPcrs = p.bootPcrs ?? [];
  const held = bootPcrs.length > 0 ? await tpm.pcrRead(bootPcrs) : {};
  const bootValues = bootPcrs.map((pcr) => held[pcr]!);
  const q = await tpm.quote([...bootPcrs, TRAINING_PCR], hexToBytes(certificateDigest));
  const sig = normalizeLowS(parseEcdsaSignature(q.signature));
  return {
    events,
    attest: q.attest,
    signature: q.signature,
    bootValues,
    lineage: {
      modelRegistry: p.modelRegistry,
      registrant: p.registrant,
      weightsDigest: p.weightsDigest,
      datasets: p.datasets.map((d) => ({ datasetId: BigInt(d.datasetId), role: datasetRoleCode(d.role), root: d.root })),
      parents: p.parents.map((m) => ({ modelId: BigInt(m.modelId), relation: parentRelationCode(m.relation), weightsDigest: m.weightsDigest })),
    },
    evidence: {
      attestor: p.attestor,
      certificateDigest,
      runId,
      ...digests,
      bootPcrs: bootValues.map((v) => `0x${v}`),
      attest: `0x${bytesToHex(q.attest)}`,
      r: `0x${bytesToHex(sig.r)}`,
      s: `0x${bytesToHex(sig.s)}`,
    },
  };
}

/** n - s as a 0x-hex word: the high-s twin of a low-s signature. */
export function highS(s: string): string {
  return `0x${(P256_N - BigInt(s)).toString(16).padStart(64, "0")}`;
}

/**
 * A software TPM that "booted": a synthetic UEFI boot log extended into its PCRs 0-15, as firmware would have.
 * `reboot` restarts swtpm on the same state (PCRs back to zero, the AK kept) and extends another log.
 */
export type BootedTpm = TestTpm & {
  log: SyntheticBootLog;
  reboot(options?: SyntheticBootOptions): Promise<void>;
};

export async function startBootedTpm(options: SyntheticBootOptions = {}): Promise<BootedTpm> {
  ensureTpmToolsInstalled();
  const stateDir = await mkdtemp(join(tmpdir(), "provenant-booted-swtpm-"));
  const akDir = await mkdtemp(join(tmpdir(), "provenant-ak-"));
  let swtpm = await startSwtpm({ stateDir });
  const t: BootedTpm = {
    swtpm,
    transport: createTpm2ToolsTransport({ tcti: swtpm.tcti, stateDir: akDir }),
    akDir,
    log: syntheticBootLog(options),
    async reboot(next: SyntheticBootOptions = {}) {
      await swtpm.stop({ removeState: false });
      swtpm = await startSwtpm({ stateDir });
      t.swtpm = swtpm;
      t.transport = createTpm2ToolsTransport({ tcti: swtpm.tcti, stateDir: akDir });
      t.log = syntheticBootLog(next);
      await extendIntoTpm(swtpm.tcti, t.log.events);
    },
    async stop() {
      await swtpm.stop({ removeState: true });
      await rm(akDir, { recursive: true, force: true });
    },
  };
  await extendIntoTpm(swtpm.tcti, t.log.events);
  return t;
}
