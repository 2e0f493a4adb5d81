/**
 * The demo's evaluation command: the accuracy of a train-mnist.ts classifier on the digit PNGs of a dataset
 * (<dir>/<digit>/<digit>-NNNN.png), over every digit and over a subset of them, written as a
 * provenant-metrics-v1 file (docs/formats/metrics-v1.md) to $PROVENANT_METRICS_FILE (or --out).
 *
 *   node scripts/demo/eval-mnist.ts --data .provenant/demo/mnist-png --weights <dir> [--subset 3,5,8] [--out metrics.json]
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { accuracy, loadDigits, loadMlp } from "./train-mnist.ts";

/** Accuracies rounded to four decimals: what a reader compares, and stable across platforms. */
const round = (x: number) => Math.round(x * 10_000) / 10_000;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { data: { type: "string" }, weights: { type: "string" }, subset: { type: "string" }, out: { type: "string" } } });
  const out = values.out ?? process.env.PROVENANT_METRICS_FILE;
  if (!values.data || !values.weights || !out) {
    console.error("usage: node scripts/demo/eval-mnist.ts --data <png dir> --weights <weights dir> [--subset 3,5,8] [--out <file> | $PROVENANT_METRICS_FILE]");
    process.exit(2);
  }
  const model = loadMlp(values.weights);
  const samples = loadDigits(values.data);
  const metrics = [{ name: "accuracy", value: round(accuracy(model, samples)), split: "test" }];
  if (values.subset) {
    const digits = new Set(values.subset.split(",").map(Number));
    const subset = samples.filter((s) => digits.has(s.label));
    metrics.push({ name: "accuracy", value: round(accuracy(model, subset)), split: "test", config: `digits ${[...digits].join("/")}` } as (typeof metrics)[number]);
  }
  writeFileSync(out, `${JSON.stringify({ format: "provenant-metrics-v1", metrics }, null, 2)}\n`);
  console.log(`${samples.length} digits: ${metrics.map((m) => `${m.name} ${m.value}${"config" in m ? ` (${m.config})` : ""}`).join(", ")}`);
}
