/**
 * The run-event protocol of the attestor service: what `POST /v1/runs` (and `POST /v1/evaluations`, an
 * evaluation run) streams, one JSON object a line (NDJSON), until the run ends. One discriminated union, written by attestor/runs.ts and read by client.ts,
 * which validates every event on receipt (parseRunEvent) and refuses one this protocol does not describe.
 *
 *   queued        the run's id and how many runs are ahead of it
 *   state         the run's state changed (the database row's fields that changed with it)
 *   stage         a step of the measured run began (runMeasuredTraining's stages)
 *   output        a chunk of the training command's stdout or stderr, as UTF-8 text
 *   certificate   the certificate is made and stored (an evaluation's: with the certified metrics file's text)
 *   registered    the attested model (or the attested evaluation) is registered on-chain
 *   done          the last event: the run's final state, its error if it failed, its wall time
 */
import { ProvenantError } from "../errors.ts";
import type { RunTimings } from "./run.ts";

/**
 * A run's states, in the order a run moves through them:
 *   queued -> measuring -> running -> certifying -> registering -> registered
 *                                                \-> certified (registration not asked for)
 *   any state -> failed (with an error code and message)
 *   queued .. certifying at a restart -> interrupted (nothing was sent to the chain)
 */
export const RUN_STATES = ["queued", "measuring", "running", "certifying", "registering", "registered", "certified", "failed", "interrupted"] as const;
export type RunState = (typeof RUN_STATES)[number];
export const TERMINAL_STATES: readonly RunState[] = ["registered", "certified", "failed", "interrupted"];

/** The steps of a measured run (core/attestor/run.ts), each announced as it begins. */
export const RUN_STAGES = ["measuring", "extending", "running", "hashing-output", "quoting"] as const;
export type RunStage = (typeof RUN_STAGES)[number];
/** What a stage names besides itself: the dataset, parent or evaluated model being measured, the command being run. */
export type RunStageDetail = { dataset?: string; parent?: string; model?: string; argv?: string[] };

const TIMING_KEYS: readonly (keyof RunTimings)[] = ["measureMs", "tpmBeforeMs", "sandboxMs", "commandMs", "outputMs", "tpmAfterMs", "overheadMs"];

/** The fields a state change carries: what changed in the run's record with it. */
export type RunStateFields = {
  errorCode?: string;
  errorMessage?: string;
  certificateDigest?: string;
  certificateCid?: string;
  timings?: RunTimings;
  modelId?: string;
  txHash?: string;
  gasUsed?: string;
};

export type RunQueued = { type: "queued"; id: string; position: number };
export type RunStateChanged = { type: "state"; state: RunState } & RunStateFields;
export type RunStageStarted = { type: "stage"; stage: RunStage } & RunStageDetail;
export type RunOutput = { type: "output"; stream: "stdout" | "stderr"; data: string };
export type RunCertified = {
  type: "certificate";
  certificateDigest: string;
  certificateCid: string;
  timings: RunTimings;
  /** An evaluation's: the metrics file (provenant-metrics-v1) as certified, exactly. */
  metricsText?: string;
};
/** `modelId`: the registered model, or for an evaluation the evaluated one, whose evaluation `evaluationId` is. */
export type RunRegistered = { type: "registered"; modelId: string; evaluationId?: string; txHash: string; gasUsed: string };
export type RunDone = { type: "done"; state: RunState; error?: { code: string; message: string }; ms: number };

export type RunEvent = RunQueued | RunStateChanged | RunStageStarted | RunOutput | RunCertified | RunRegistered | RunDone;

// ---- validation on receipt -----------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function refuse(why: string): never {
  throw new ProvenantError("FORMAT_UNSUPPORTED", `attestor run event ${why}`);
}

/** The object's fields: `required` present, nothing beyond `required` and `optional`. */
function fields(v: unknown, what: string, required: readonly string[], optional: readonly string[] = []): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) refuse(`${what} is not an object`);
  const o = v as Obj;
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) refuse(`${what} has an unknown field "${k}"`);
  for (const k of required) if (!(k in o)) refuse(`${what} lacks "${k}"`);
  return o;
}

function text(o: Obj, k: string, what: string, re?: RegExp): string {
  const v = o[k];
  if (typeof v !== "string" || (re && !re.test(v))) refuse(`${what}: "${k}" is not ${re ? "of the right form" : "a string"}`);
  return v;
}

function count(o: Obj, k: string, what: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) refuse(`${what}: "${k}" is not a whole number`);
  return v;
}

function oneOf<T extends string>(o: Obj, k: string, values: readonly T[], what: string): T {
  const v = o[k];
  if (typeof v !== "string" || !values.includes(v as T)) refuse(`${what}: "${k}" is not one of ${values.join(", ")}`);
  return v as T;
}

function timings(v: unknown, what: string): RunTimings {
  const o = fields(v, `${what} timings`, TIMING_KEYS);
  for (const k of TIMING_KEYS) if (typeof o[k] !== "number" || !Number.isFinite(o[k])) refuse(`${what}: timings.${k} is not a number`);
  return o as RunTimings;
}

const HEX32 = /^0x[0-9a-f]{64}$/;
const TOKEN_ID = /^[1-9][0-9]{0,76}$/;
const TX_HASH = /^0x[0-9a-fA-F]{64}$/;
const DECIMAL = /^[0-9]+$/;
const CID = /^[a-z0-9]{10,}$/;
const RUN_ID = /^[0-9a-f-]{36}$/;

/** The optional fields of a state change, each checked when present. */
function stateFields(o: Obj, what: string): RunStateFields {
  const out: RunStateFields = {};
  for (const k of ["errorCode", "errorMessage"] as const) if (k in o) out[k] = text(o, k, what);
  if ("certificateDigest" in o) out.certificateDigest = text(o, "certificateDigest", what, HEX32);
  if ("certificateCid" in o) out.certificateCid = text(o, "certificateCid", what, CID);
  if ("timings" in o) out.timings = timings(o.timings, what);
  if ("modelId" in o) out.modelId = text(o, "modelId", what, TOKEN_ID);
  if ("txHash" in o) out.txHash = text(o, "txHash", what, TX_HASH);
  if ("gasUsed" in o) out.gasUsed = text(o, "gasUsed", what, DECIMAL);
  return out;
}

const STATE_FIELDS = ["errorCode", "errorMessage", "certificateDigest", "certificateCid", "timings", "modelId", "txHash", "gasUsed"];

/** One reader per event type: the event's fields checked, in the event's own shape. */
const READERS: { [T in RunEvent["type"]]: (o: Obj, what: string) => Extract<RunEvent, { type: T }> } = {
  queued(v, what) {
    const o = fields(v, what, ["type", "id", "position"]);
    return { type: "queued", id: text(o, "id", what, RUN_ID), position: count(o, "position", what) };
  },
  state(v, what) {
    const o = fields(v, what, ["type", "state"], STATE_FIELDS);
    return { type: "state", state: oneOf(o, "state", RUN_STATES, what), ...stateFields(o, what) };
  },
  stage(v, what) {
    const o = fields(v, what, ["type", "stage"], ["dataset", "parent", "model", "argv"]);
    const argv = o.argv;
    if (argv !== undefined && (!Array.isArray(argv) || argv.some((a) => typeof a !== "string"))) refuse(`${what}: "argv" is not a list of strings`);
    return {
      type: "stage",
      stage: oneOf(o, "stage", RUN_STAGES, what),
      ...("dataset" in o ? { dataset: text(o, "dataset", what, TOKEN_ID) } : {}),
      ...("parent" in o ? { parent: text(o, "parent", what, TOKEN_ID) } : {}),
      ...("model" in o ? { model: text(o, "model", what, TOKEN_ID) } : {}),
      ...(argv !== undefined ? { argv: argv as string[] } : {}),
    };
  },
  output(v, what) {
    const o = fields(v, what, ["type", "stream", "data"]);
    return { type: "output", stream: oneOf(o, "stream", ["stdout", "stderr"] as const, what), data: text(o, "data", what) };
  },
  certificate(v, what) {
    const o = fields(v, what, ["type", "certificateDigest", "certificateCid", "timings"], ["metricsText"]);
    return {
      type: "certificate",
      certificateDigest: text(o, "certificateDigest", what, HEX32),
      certificateCid: text(o, "certificateCid", what, CID),
      timings: timings(o.timings, what),
      ...("metricsText" in o ? { metricsText: text(o, "metricsText", what) } : {}),
    };
  },
  registered(v, what) {
    const o = fields(v, what, ["type", "modelId", "txHash", "gasUsed"], ["evaluationId"]);
    return {
      type: "registered",
      modelId: text(o, "modelId", what, TOKEN_ID),
      ...("evaluationId" in o ? { evaluationId: text(o, "evaluationId", what, TOKEN_ID) } : {}),
      txHash: text(o, "txHash", what, TX_HASH),
      gasUsed: text(o, "gasUsed", what, DECIMAL),
    };
  },
  done(v, what) {
    const o = fields(v, what, ["type", "state", "ms"], ["error"]);
    const error = "error" in o ? fields(o.error, `${what} error`, ["code", "message"]) : undefined;
    return {
      type: "done",
      state: oneOf(o, "state", TERMINAL_STATES, what),
      ...(error ? { error: { code: text(error, "code", what), message: text(error, "message", what) } } : {}),
      ms: count(o, "ms", what),
    };
  },
};

/**
 * One received event, checked against the protocol: its type, every field's presence and form, nothing
 * unknown. Throws ProvenantError("FORMAT_UNSUPPORTED") naming what is wrong.
 */
export function parseRunEvent(value: unknown): RunEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value)) refuse("is not an object");
  const type = (value as Obj).type;
  if (typeof type !== "string" || !Object.hasOwn(READERS, type)) {
    refuse(`type ${JSON.stringify(type)} is not one of ${Object.keys(READERS).join(", ")}`);
  }
  return READERS[type as RunEvent["type"]](value as Obj, `"${type}"`);
}
