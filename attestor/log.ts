/** Structured logs: one JSON object per line (time, level, msg, fields) on stderr. */
export type Level = "debug" | "info" | "warn" | "error";

export type Logger = {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
};

export function createLogger(write: (line: string) => void = (l) => process.stderr.write(l), base: Record<string, unknown> = {}): Logger {
  const log = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }, (_k, v) =>
      typeof v === "bigint" ? v.toString() : v instanceof Error ? { name: v.name, message: v.message } : v,
    );
    write(`${line}\n`);
  };
  return {
    log,
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    child: (fields) => createLogger(write, { ...base, ...fields }),
  };
}
