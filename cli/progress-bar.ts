import cliProgress from "cli-progress";
import type { ProgressFn } from "../core/dataset/encodings.ts";

/** A progress bar on a terminal (samples/s, ETA); nothing when stderr is not a terminal or with --json. */
export function progressBar(label: string, json?: boolean): { onProgress: ProgressFn; stop: () => void } {
  if (json || !process.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} samples | {rate} samples/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  let started = false;
  return {
    onProgress(done, total) {
      const rate = Math.round(done / Math.max(1e-3, (performance.now() - t0) / 1000));
      if (!started) {
        bar.start(total ?? 0, 0, { rate });
        started = true;
      }
      if (total !== null) bar.setTotal(total);
      bar.update(done, { rate });
    },
    stop: () => started && bar.stop(),
  };
}
