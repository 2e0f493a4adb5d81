import type { UploadProgress } from "../core/storage/lighthouse-api.ts";

/** Uploads smaller than this finish too fast to be worth a progress line. */
export const LARGE_UPLOAD_BYTES = 1 << 20;

const mib = (n: number) => (n / (1 << 20)).toFixed(1);

/**
 * Progress of large uploads as one self-overwriting line on a terminal, cleared when the upload ends. Whole lines
 * (cleared, rewritten, ended with a carriage return) so they coexist with another bar drawn by the command.
 */
export function terminalUploadProgress(stream: NodeJS.WriteStream = process.stderr): (p: UploadProgress) => void {
  let lastDraw = 0;
  return (p) => {
    if (p.total < LARGE_UPLOAD_BYTES) return;
    const now = performance.now();
    const done = p.sent >= p.total;
    if (!done && now - lastDraw < 100) return;
    lastDraw = now;
    const pct = Math.floor((100 * p.sent) / p.total);
    stream.write(done ? "\r\x1b[2K" : `\r\x1b[2Kuploading ${p.name} to Lighthouse: ${mib(p.sent)}/${mib(p.total)} MiB (${pct}%)`);
  };
}
