/**
 * A client of the attestor service (HTTP, bearer token): what `provenant train`, `provenant attestor` and
 * the tests use. Network code lives here only.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ProvenantError } from "../errors.ts";
import { AttestorError } from "./errors.ts";
import type { CredentialChallenge } from "../tpm/credential.ts";
import { bytesToHex, hexToBytes } from "../tpm/bytes.ts";
import type { EnrollmentRequest } from "./enrollment.ts";

export const DEFAULT_ATTESTOR_URL = "http://127.0.0.1:8746";

export type RunEvent = { type: string; [k: string]: unknown };

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
    throw new ProvenantError("CONFIG_INVALID", `no attestor token: pass --token, set PROVENANT_ATTESTOR_TOKEN, or run the service with state in ${state}`);
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
    if (!res.ok && !(path === "/v1/health" && res.status === 503)) {
      const code = body.error?.code ?? "INTERNAL";
      throw new AttestorError(code as "RUN_FAILED", `attestor: ${body.error?.message ?? `HTTP ${res.status}`}`);
    }
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

  run(id: string): Promise<Record<string, unknown>> {
    return this.json(`/v1/runs/${id}`);
  }

  cancel(id: string): Promise<unknown> {
    return this.json(`/v1/runs/${id}/cancel`, { method: "POST" });
  }

  /** Submit a training run and follow its events until it ends (or the connection does); returns the last event. */
  train(request: unknown, onEvent: (e: RunEvent) => void = () => {}): Promise<RunEvent> {
    return this.follow("/v1/runs", request, onEvent);
  }

  /** Submit an evaluation (attestor/evaluation.ts) and follow its events like a training run's. */
  evaluate(request: unknown, onEvent: (e: RunEvent) => void = () => {}): Promise<RunEvent> {
    return this.follow("/v1/evaluations", request, onEvent);
  }

  private async follow(path: string, request: unknown, onEvent: (e: RunEvent) => void): Promise<RunEvent> {
    const res = await this.fetch(path, { method: "POST", body: JSON.stringify(request) });
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
      throw new AttestorError((body.error?.code ?? "INTERNAL") as "RUN_FAILED", `attestor: ${body.error?.message ?? `HTTP ${res.status}`}`);
    }
    let last: RunEvent = { type: "none" };
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        last = JSON.parse(line) as RunEvent;
        onEvent(last);
      }
    }
    return last;
  }
}
