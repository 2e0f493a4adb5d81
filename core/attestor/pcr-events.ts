/**
 * The training run's event log: which measurements are extended into PCR 23, in which order, and how each
 * event digest is computed. The same digests are recomputed on-chain by AttestorRegistry
 * (`_trainingEvents`), so every digest is `sha256(abi.encode(tag, fields...))` with 32-byte words:
 *
 *   run          tag, chainId, attestorRegistry, modelRegistry, registrant, attestor, runId
 *   dataset      tag, datasetId, role, root
 *   parent       tag, modelId, relation, weightsDigest
 *   code         tag, codeDigest           (likewise command, config, environment)
 *   output       tag, weightsDigest
 *
 * Order: run, datasets in request order, parents in request order, code, command, config, environment,
 * output. The tag is ASCII, left-aligned and zero-padded (`bytes32("provenant/dataset/v1")`), so events of
 * different kinds can never be confused. Pure TypeScript (@noble/hashes), browser-safe.
 *
 * Two more events belong to the attestor, never to a certificate: `close` (extended after a run's final
 * quote and at the service's start, so PCR 23 never again holds a value a certificate was quoted over) and
 * `liveness` (PCR 23 is reset to it before every liveness quote). Their tags are in no certificate's log, so
 * a PCR value they produced replays from no certificate's events.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ProvenantError } from "../errors.ts";
import type { Address, Hex32 } from "../hex.ts";
import { datasetRoleCode, parentRelationCode, type DatasetRole, type ParentRelation } from "../chain/roles.ts";
import { bytesToHex, concatBytes, hexToBytes } from "../hex.ts";
import { extendPcr, ZERO_PCR } from "../tpm/quote.ts";
import type { PcrEvent } from "../tpm/quote.ts";

/** The PCR a training run extends: resettable from locality 0 (see docs/attestor.md on what that means). */
export const TRAINING_PCR = 23;

export const EVENT_TYPES = ["run", "dataset", "parent", "code", "command", "config", "environment", "output"] as const;
export type TrainingEventType = (typeof EVENT_TYPES)[number];

export const EVENT_TAGS: Readonly<Record<TrainingEventType, string>> = {
  run: "provenant/run/v1",
  dataset: "provenant/dataset/v1",
  parent: "provenant/parent/v1",
  code: "provenant/code/v1",
  command: "provenant/command/v1",
  config: "provenant/config/v1",
  environment: "provenant/environment/v1",
  output: "provenant/output/v1",
};

// The primitives' types, re-exported for the attestor modules that import them from here.
export type { Address, Hex32 };

/** The attestor's own events: never part of a certificate's log (EVENT_TYPES does not list them). */
export const SERVICE_EVENT_TAGS = {
  close: "provenant/close/v1",
  liveness: "provenant/liveness/v1",
} as const;
export type ServiceEventType = keyof typeof SERVICE_EVENT_TAGS;

function tagOf(type: TrainingEventType | ServiceEventType): string {
  return type in SERVICE_EVENT_TAGS ? SERVICE_EVENT_TAGS[type as ServiceEventType] : EVENT_TAGS[type as TrainingEventType];
}

export function uintWord(v: bigint | number): Uint8Array {
  let x = BigInt(v);
  if (x < 0n || x >= 1n << 256n) throw new ProvenantError("INPUT_INVALID", `${v} is not a uint256`);
  const w = new Uint8Array(32);
  for (let i = 31; i >= 0 && x > 0n; i--) {
    w[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return w;
}

export function addressWord(a: string, what: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new ProvenantError("INPUT_INVALID", `${what} is not a 20-byte address`);
  const w = new Uint8Array(32);
  w.set(hexToBytes(a), 12);
  return w;
}

export function bytes32Word(h: string, what: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(h)) throw new ProvenantError("INPUT_INVALID", `${what} is not a 0x-prefixed 32-byte hex string`);
  return hexToBytes(h);
}

/** `sha256(abi.encode(bytes32(tag), words...))`, hex: the digest rule of every event, here and in evaluation-events.ts. */
export function taggedDigest(tag: string, ...words: Uint8Array[]): string {
  const w = new Uint8Array(32);
  w.set(new TextEncoder().encode(tag));
  return bytesToHex(sha256(concatBytes(w, ...words)));
}

function digestOf(type: TrainingEventType | ServiceEventType, ...words: Uint8Array[]): string {
  return taggedDigest(tagOf(type), ...words);
}

/** What the run event binds: the chain and registries, who registers, which attestor, which run. */
export type RunBinding = {
  chainId: number;
  attestorRegistry: Address;
  modelRegistry: Address;
  registrant: Address;
  attestor: Address;
  runId: Hex32;
};

export type DatasetMeasurement = { datasetId: string; role: DatasetRole; root: Hex32 };
export type ParentMeasurement = { modelId: string; relation: ParentRelation; weightsDigest: Hex32 };

/** Everything the event log is computed from. */
export type TrainingMeasurements = {
  run: RunBinding;
  datasets: readonly DatasetMeasurement[];
  parents: readonly ParentMeasurement[];
  codeDigest: Hex32;
  commandDigest: Hex32;
  configDigest: Hex32;
  environmentDigest: Hex32;
  /** Absent before the command has run. */
  outputDigest?: Hex32;
};

/** One entry of the certificate's event log: a PcrEvent with its type and a human description. */
export type TrainingEvent = PcrEvent & { type: TrainingEventType; description: string };

export function runEvent(r: RunBinding): TrainingEvent {
  return {
    pcr: TRAINING_PCR,
    type: "run",
    digest: digestOf(
      "run",
      uintWord(r.chainId),
      addressWord(r.attestorRegistry, "attestorRegistry"),
      addressWord(r.modelRegistry, "modelRegistry"),
      addressWord(r.registrant, "registrant"),
      addressWord(r.attestor, "attestor"),
      bytes32Word(r.runId, "runId"),
    ),
    description: `run ${r.runId} on chain ${r.chainId} for ${r.registrant}`,
  };
}

export function datasetEvent(d: DatasetMeasurement): TrainingEvent {
  return {
    pcr: TRAINING_PCR,
    type: "dataset",
    digest: digestOf("dataset", uintWord(BigInt(d.datasetId)), uintWord(datasetRoleCode(d.role)), bytes32Word(d.root, "dataset root")),
    description: `dataset #${d.datasetId} (${d.role}) root ${d.root}`,
  };
}

export function parentEvent(p: ParentMeasurement): TrainingEvent {
  return {
    pcr: TRAINING_PCR,
    type: "parent",
    digest: digestOf("parent", uintWord(BigInt(p.modelId)), uintWord(parentRelationCode(p.relation)), bytes32Word(p.weightsDigest, "parent weights digest")),
    description: `parent model #${p.modelId} (${p.relation}) weights ${p.weightsDigest}`,
  };
}

export function digestEvent(type: "code" | "command" | "config" | "environment" | "output", digest: Hex32, description: string): TrainingEvent {
  return { pcr: TRAINING_PCR, type, digest: digestOf(type, bytes32Word(digest, `${type} digest`)), description };
}

/** The events before the command runs, in extend order. */
export function inputEvents(m: Omit<TrainingMeasurements, "outputDigest">): TrainingEvent[] {
  return [
    runEvent(m.run),
    ...m.datasets.map(datasetEvent),
    ...m.parents.map(parentEvent),
    digestEvent("code", m.codeDigest, `training code ${m.codeDigest}`),
    digestEvent("command", m.commandDigest, `command ${m.commandDigest}`),
    digestEvent("config", m.configDigest, `configuration ${m.configDigest}`),
    digestEvent("environment", m.environmentDigest, `environment ${m.environmentDigest}`),
  ];
}

export function outputEvent(weightsDigest: Hex32): TrainingEvent {
  return digestEvent("output", weightsDigest, `output weights ${weightsDigest}`);
}

/** The whole event log of a finished run. */
export function trainingEvents(m: TrainingMeasurements): TrainingEvent[] {
  if (!m.outputDigest) throw new ProvenantError("INPUT_INVALID", "the run has no output digest yet");
  return [...inputEvents(m), outputEvent(m.outputDigest)];
}

/** PCR 23 after the events, from zeros; and the pcrDigest of a quote selecting PCR 23 alone. */
export function replayTrainingPcr(events: readonly PcrEvent[]): { pcr: string; pcrDigest: string } {
  let pcr = ZERO_PCR;
  for (const e of events) {
    if (e.pcr !== TRAINING_PCR) throw new ProvenantError("INPUT_INVALID", `event extends PCR ${e.pcr}, not ${TRAINING_PCR}`);
    pcr = extendPcr(pcr, e.digest);
  }
  return { pcr, pcrDigest: bytesToHex(sha256(hexToBytes(pcr))) };
}

/**
 * The closing event: extended into PCR 23 after a run's final quote (`runId`) and when the service starts
 * (no run: zero), so that no later quote can be made over the value a certificate was quoted over.
 */
export function closingEvent(runId?: Hex32): PcrEvent {
  const word = runId ? bytes32Word(runId, "runId") : new Uint8Array(32);
  return { pcr: TRAINING_PCR, digest: digestOf("close", word) };
}

/** The liveness event: PCR 23 is reset and extended with it before every liveness quote (POST /v1/quote). */
export function livenessEvent(): PcrEvent {
  return { pcr: TRAINING_PCR, digest: digestOf("liveness") };
}
