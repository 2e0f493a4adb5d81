/**
 * The runs database (node:sqlite, no native build): one row per run, updated as it moves through its states
 * (RUN_STATES in core/attestor/run-events.ts), so a restarted service knows what each run came to.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { TERMINAL_STATES } from "../core/attestor/run-events.ts";
import type { RunState } from "../core/attestor/run-events.ts";

export type RunRow = {
  id: string;
  state: RunState;
  request: unknown;
  createdAt: string;
  updatedAt: string;
  pid: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  certificateDigest: string | null;
  certificateCid: string | null;
  modelId: string | null;
  txHash: string | null;
  gasUsed: string | null;
  timings: unknown;
};

type Raw = Record<string, string | number | null>;

const COLUMNS: Record<Exclude<keyof RunRow, "id" | "createdAt">, string> = {
  state: "state",
  request: "request",
  updatedAt: "updated_at",
  pid: "pid",
  errorCode: "error_code",
  errorMessage: "error_message",
  certificateDigest: "certificate_digest",
  certificateCid: "certificate_cid",
  modelId: "model_id",
  txHash: "tx_hash",
  gasUsed: "gas_used",
  timings: "timings",
};

function fromRaw(r: Raw): RunRow {
  const json = (v: string | number | null) => (typeof v === "string" ? JSON.parse(v) : null);
  return {
    id: String(r.id),
    state: r.state as RunState,
    request: json(r.request),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
    pid: r.pid === null ? null : Number(r.pid),
    errorCode: r.error_code as string | null,
    errorMessage: r.error_message as string | null,
    certificateDigest: r.certificate_digest as string | null,
    certificateCid: r.certificate_cid as string | null,
    modelId: r.model_id as string | null,
    txHash: r.tx_hash as string | null,
    gasUsed: r.gas_used as string | null,
    timings: json(r.timings),
  };
}

export class RunsDb {
  readonly db: DatabaseSync;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        request TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        pid INTEGER,
        error_code TEXT,
        error_message TEXT,
        certificate_digest TEXT,
        certificate_cid TEXT,
        model_id TEXT,
        tx_hash TEXT,
        gas_used TEXT,
        timings TEXT
      );
      CREATE INDEX IF NOT EXISTS runs_state ON runs(state);
    `);
  }

  insert(id: string, request: unknown): RunRow {
    const now = new Date().toISOString();
    this.db.prepare("INSERT INTO runs (id, state, request, created_at, updated_at) VALUES (?, 'queued', ?, ?, ?)").run(id, JSON.stringify(request), now, now);
    return this.get(id)!;
  }

  update(id: string, fields: Partial<Omit<RunRow, "id" | "createdAt" | "updatedAt">>): RunRow {
    const sets: string[] = ["updated_at = ?"];
    const values: (string | number | null)[] = [new Date().toISOString()];
    for (const [k, v] of Object.entries(fields)) {
      const col = COLUMNS[k as keyof typeof COLUMNS];
      if (!col) continue;
      sets.push(`${col} = ?`);
      values.push(v === null || v === undefined ? null : k === "request" || k === "timings" ? JSON.stringify(v) : (v as string | number));
    }
    this.db.prepare(`UPDATE runs SET ${sets.join(", ")} WHERE id = ?`).run(...values, id);
    return this.get(id)!;
  }

  get(id: string): RunRow | undefined {
    const r = this.db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as Raw | undefined;
    return r ? fromRaw(r) : undefined;
  }

  list(limit = 100): RunRow[] {
    return (this.db.prepare("SELECT * FROM runs ORDER BY created_at DESC LIMIT ?").all(limit) as Raw[]).map(fromRaw);
  }

  unfinished(): RunRow[] {
    const placeholders = TERMINAL_STATES.map(() => "?").join(", ");
    return (this.db.prepare(`SELECT * FROM runs WHERE state NOT IN (${placeholders}) ORDER BY created_at`).all(...TERMINAL_STATES) as Raw[]).map(fromRaw);
  }

  close(): void {
    this.db.close();
  }
}
