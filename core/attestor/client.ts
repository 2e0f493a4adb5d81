/**
 * A client of the attestor service (HTTP, bearer token): what `provenant train`, `provenant attestor` and
 * the tests use. Network code lives here only. A run's events are the protocol of run-events.ts, checked as
 * they arrive.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ProvenantError } from "../errors.ts";
import { AttestorError } from "./errors.ts";
import type { CredentialChallenge } from "../tpm/credential.ts";
import { bytesToHex, hexToBytes } from "../hex.ts";
import type { EnrollmentRequest } from "./enrollment.ts";
import { parseRunEvent } from "./run-events.ts";
import type { RunDone, RunEvent } from "./run-events.ts";

export const DEFAULT_ATTESTOR_URL = "http://127.0.0.1:8746";

export type AttestorEndpoint = { url: string; token: string };

/** The service's URL and token: given, else the environment, else what a local service wrote in its state dir. */
export function attestorEndpoint(dataDir: string, given: { url?: string; token?: string } = {}): AttestorEndpoint {
  const state = process.env.PROVENANT_ATTESTOR_STATE ?? join(dataDir, "attestor");
  let url = given.url ?? process.env.PROVENANT_ATTESTOR_URL;
  if (!url && existsSync(join(state, "attestor.json"))) {
    try {
      url = JSON.parse(readFileSync(join(state, "attestor.json"), "utf8")).url;
    } catch {
      // fall back to the default
    }
  }
  let token = given.token ?? process.env.PROVENANT_ATTESTOR_TOKEN;
  if (!token && existsSync(join(state, "token"))) token = readFileSync(join(state, "token"), "utf8").trim();
  if (!token) {
    throw new ProvenantError("CONFIG_INVALID", `no attestor token: give one, set PROVENANT_ATTESTOR_TOKEN, or run the service with state in ${state}`, {
      hints: [{ remedy: "attestorToken" }],
    });
  }
  return { url: url ?? DEFAULT_ATTESTOR_URL, token };
}

export class AttestorClient {
  readonly url: string;
  private readonly token: string;

  constructor(endpoint: AttestorEndpoint) {
    this.url = endpoint.url.replace(/\/$/, "");
    this.token = endpoint.token;
  }

  private async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json", ...(init.headers ?? {}) },
      });
    } catch (e) {
      throw new AttestorError("ATTESTOR_UNREACHABLE", `no attestor service answers at ${this.url}: start one with npm run attestor`, { cause: e });
    }
  }

  private async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.fetch(path, init);
    const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    // An unhealthy service still answers its health.
    if (!res.ok && !(path === "/v1/health" && res.status === 503)) throw refusal(res.status, body);
    return body as T;
  }

  health(): Promise<Record<string, unknown> & { ok: boolean }> {
    return this.json("/v1/health");
  }

  identity(): Promise<Record<string, unknown>> {
    return this.json("/v1/identity");
  }

  enrollmentRequest(address: string, newAk = false): Promise<EnrollmentRequest> {
    return this.json(`/v1/enrollment-request?address=${encodeURIComponent(address)}${newAk ? "&newAk=true" : ""}`);
  }

  async activateCredential(c: CredentialChallenge): Promise<Uint8Array> {
    const r = await this.json<{ secret: string }>("/v1/activate-credential", {
      method: "POST",
      body: JSON.stringify({ credentialBlob: bytesToHex(c.credentialBlob), encryptedSecret: bytesToHex(c.encryptedSecret) }),
    });
    return hexToBytes(r.secret, "secret");
  }

  /** A liveness quote: over PCR 23 reset to the liveness event (`pcr23` is that value); 409 ATTESTOR_BUSY during a run. */
  quote(nonce: Uint8Array): Promise<{ attest: string; signature: string; pcrs: number[]; pcr23: string; tpmMs: number }> {
    return this.json("/v1/quote", { method: "POST", body: JSON.stringify({ nonce: bytesToHex(nonce) }) });
  }

  /** The machine's boot-state evidence for the registry owner: log, values, policy, and a quote over the boot PCRs with `nonce`. */
  bootState(nonce: Uint8Array): Promise<unknown> {
    return this.json("/v1/boot-state", { method: "POST", body: JSON.stringify({ nonce: bytesToHex(nonce) }) });
  }

  run(id: string): Promise<Record<string, unknown>> {
    return this.json(`/v1/runs/${id}`);
  }

  cancel(id: string): Promise<unknown> {
    return this.json(`/v1/runs/${id}/cancel`, { method: "POST" });
  }

  /**
   * Submit a run and follow its events until it is done; returns the `done` event. Every event is checked
   * against the protocol as it arrives (run-events.ts): one that is not in it ends the wait with
   * FORMAT_UNSUPPORTED, and is never passed on. A connection that ends before the run does is
   * RUN_INTERRUPTED, naming the run to ask about.
   */
  train(request: unknown, onEvent: (e: RunEvent) => void = () => {}): Promise<RunDone> {
    return this.follow("/v1/runs", request, onEvent);
  }

  /** Submit an evaluation (attestor/evaluation.ts) and follow its events as a training run's (see train). */
  evaluate(request: unknown, onEvent: (e: RunEvent) => void = () => {}): Promise<RunDone> {
    return this.follow("/v1/evaluations", request, onEvent);
  }

  private async follow(path: string, request: unknown, onEvent: (e: RunEvent) => void): Promise<RunDone> {
    const res = await this.fetch(path, { method: "POST", body: JSON.stringify(request) });
    if (!res.ok || !res.body) throw refusal(res.status, await res.json().catch(() => ({})));
    let id: string | undefined;
    for await (const event of runEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
      if (event.type === "queued") id = event.id;
      onEvent(event);
      if (event.type === "done") return event;
    }
    throw new AttestorError("RUN_INTERRUPTED", `the connection to the attestor ended before run ${String(id)} did; ask it with GET /v1/runs/${String(id)}`);
  }
}

/** One NDJSON line is one event; none is anywhere near this long (command output comes in chunks). */
const MAX_EVENT_CHARS = 16 << 20;

/** The run events of an NDJSON stream, each parsed and checked as it arrives. */
async function* runEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<RunEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) yield parseRunEvent(parseJsonLine(line));
    }
    if (buffer.length > MAX_EVENT_CHARS) throw new ProvenantError("FORMAT_UNSUPPORTED", `attestor run event longer than ${MAX_EVENT_CHARS} characters`);
  }
}

function parseJsonLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new ProvenantError("FORMAT_UNSUPPORTED", "attestor run event is not JSON");
  }
}

/** The service's error answer as an AttestorError with its code and message. */
function refusal(status: number, body: { error?: { code: string; message: string } }): AttestorError {
  return new AttestorError((body.error?.code ?? "INTERNAL") as "RUN_FAILED", `attestor: ${body.error?.message ?? `HTTP ${status}`}`);
}
