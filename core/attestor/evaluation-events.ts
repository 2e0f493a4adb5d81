/**
 * An evaluation run's event log (docs/formats/evaluation-certificate-v1.md): which measurements are extended
 * into PCR 23, in which order, and each event's digest, `sha256(abi.encode(tag, fields...))` as for a training
 * run (events.ts). EvaluationRegistry recomputes the same digests on-chain (`_events`):
 *
 *   evaluation   tag, chainId, attestorRegistry, evaluationRegistry, registrant, attestor, runId
 *   model        tag, modelId, weightsDigest
 *   dataset      the training run's dataset event, role evaluation (2)
 *   code, command, config, environment   the training run's events
 *   metrics      tag, metricsDigest (SHA-256 of the metrics file)
 *
 * The first event's tag (`provenant/evaluation/v1`) is in no training log, and `provenant/run/v1` in no
 * evaluation log: the two kinds of run can never replay to the same PCR value. Pure TypeScript, browser-safe.
 */
import type { PcrEvent } from "../tpm/quote.ts";
import { TRAINING_PCR, addressWord, bytes32Word, datasetEvent, digestEvent, replayTrainingPcr, taggedDigest, uintWord } from "./pcr-events.ts";
import type { Address, Hex32 } from "./pcr-events.ts";

export const EVALUATION_EVENT_TYPES = ["evaluation", "model", "dataset", "code", "command", "config", "environment", "metrics"] as const;
export type EvaluationEventType = (typeof EVALUATION_EVENT_TYPES)[number];

/** The tags of the evaluation's own events; the others are the training run's (events.ts EVENT_TAGS). */
export const EVALUATION_TAGS = {
  evaluation: "provenant/evaluation/v1",
  model: "provenant/model/v1",
  metrics: "provenant/metrics/v1",
} as const;

/** One entry of an evaluation certificate's event log. */
export type EvaluationEvent = PcrEvent & { type: EvaluationEventType; description: string };

/** What the first event binds: the chain and registries, who registers, which attestor, which run. */
export type EvaluationBinding = {
  chainId: number;
  attestorRegistry: Address;
  evaluationRegistry: Address;
  registrant: Address;
  attestor: Address;
  runId: Hex32;
};

/** Everything the event log is computed from. */
export type EvaluationMeasurements = {
  run: EvaluationBinding;
  model: { modelId: string; weightsDigest: Hex32 };
  dataset: { datasetId: string; root: Hex32 };
  codeDigest: Hex32;
  commandDigest: Hex32;
  configDigest: Hex32;
  environmentDigest: Hex32;
  /** Absent before the command has run. */
  metricsDigest?: Hex32;
};

export function evaluationRunEvent(r: EvaluationBinding): EvaluationEvent {
  return {
    pcr: TRAINING_PCR,
    type: "evaluation",
    digest: taggedDigest(
      EVALUATION_TAGS.evaluation,
      uintWord(r.chainId),
      addressWord(r.attestorRegistry, "attestorRegistry"),
      addressWord(r.evaluationRegistry, "evaluationRegistry"),
      addressWord(r.registrant, "registrant"),
      addressWord(r.attestor, "attestor"),
      bytes32Word(r.runId, "runId"),
    ),
    description: `evaluation ${r.runId} on chain ${r.chainId} for ${r.registrant}`,
  };
}

export function modelEvent(m: EvaluationMeasurements["model"]): EvaluationEvent {
  return {
    pcr: TRAINING_PCR,
    type: "model",
    digest: taggedDigest(EVALUATION_TAGS.model, uintWord(BigInt(m.modelId)), bytes32Word(m.weightsDigest, "model weights digest")),
    description: `model #${m.modelId} weights ${m.weightsDigest}`,
  };
}

export function metricsEvent(metricsDigest: Hex32): EvaluationEvent {
  return {
    pcr: TRAINING_PCR,
    type: "metrics",
    digest: taggedDigest(EVALUATION_TAGS.metrics, bytes32Word(metricsDigest, "metrics digest")),
    description: `metrics ${metricsDigest}`,
  };
}

/** The events before the command runs, in extend order. */
export function evaluationInputEvents(m: Omit<EvaluationMeasurements, "metricsDigest">): EvaluationEvent[] {
  const shared = (e: ReturnType<typeof digestEvent>, type: EvaluationEventType): EvaluationEvent => ({ ...e, type });
  return [
    evaluationRunEvent(m.run),
    modelEvent(m.model),
    shared(datasetEvent({ ...m.dataset, role: "evaluation" }), "dataset"),
    shared(digestEvent("code", m.codeDigest, `evaluation code ${m.codeDigest}`), "code"),
    shared(digestEvent("command", m.commandDigest, `command ${m.commandDigest}`), "command"),
    shared(digestEvent("config", m.configDigest, `configuration ${m.configDigest}`), "config"),
    shared(digestEvent("environment", m.environmentDigest, `environment ${m.environmentDigest}`), "environment"),
  ];
}

/** The whole event log of a finished evaluation. */
export function evaluationEvents(m: EvaluationMeasurements & { metricsDigest: Hex32 }): EvaluationEvent[] {
  return [...evaluationInputEvents(m), metricsEvent(m.metricsDigest)];
}

/** PCR 23 after the events, from zeros, and the pcrDigest of a quote over PCR 23 alone (the training replay). */
export const replayEvaluationPcr = (events: readonly PcrEvent[]) => replayTrainingPcr(events);
