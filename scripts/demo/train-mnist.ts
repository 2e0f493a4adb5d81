/**
 * A small MNIST classifier in plain TypeScript for the demo: a multilayer perceptron 784-64-10 (ReLU,
 * softmax, cross-entropy), trained with minibatch SGD on the digit PNGs the dataset demo writes
 * (<dir>/<digit>/<digit>-NNNN.png). Deterministic: weights start from a seeded RNG, batches are shuffled by
 * it, and the arithmetic is Float32Array loops, so the same inputs give byte-identical weight files.
 * Weights are saved as model.safetensors (F32, little-endian) beside config.json.
 *
 *   node scripts/demo/train-mnist.ts --data .provenant/demo/mnist-png --out /tmp/w [--init <dir>] [--digits 3,5,8]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";

export const INPUT = 28 * 28;
export const CLASSES = 10;

export interface Sample {
  /** 784 greyscale values in 0..1. */
  pixels: Float32Array;
  label: number;
  /** Indexes of the non-zero pixels: MNIST is mostly background, so the first layer skips zeros. */
  nonZero: Uint16Array;
}

export interface Mlp {
  hidden: number;
  /** hidden x 784, row-major */
  w1: Float32Array;
  b1: Float32Array;
  /** 10 x hidden */
  w2: Float32Array;
  b2: Float32Array;
}

/** mulberry32: a tiny seeded PRNG, enough for initialisation and shuffling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads <dir>/<digit>/*.png in name order; `digits` keeps only those classes. */
export function loadDigits(dir: string, digits: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]): Sample[] {
  const out: Sample[] = [];
  for (const d of digits) {
    const sub = join(dir, String(d));
    for (const name of readdirSync(sub)
      .filter((n) => n.endsWith(".png"))
      .sort()) {
      const png = PNG.sync.read(readFileSync(join(sub, name)));
      if (png.width * png.height !== INPUT) throw new Error(`${name} is ${png.width}x${png.height}, not 28x28`);
      const pixels = new Float32Array(INPUT);
      const nz: number[] = [];
      for (let i = 0; i < INPUT; i++) {
        pixels[i] = png.data[i * 4] / 255;
        if (pixels[i] !== 0) nz.push(i);
      }
      out.push({ pixels, label: d, nonZero: Uint16Array.from(nz) });
    }
  }
  return out;
}

export function initMlp(hidden: number, seed: number): Mlp {
  const r = rng(seed);
  // He initialisation, uniform: U(-sqrt(6/fanIn), sqrt(6/fanIn)).
  const uniform = (n: number, fanIn: number) => {
    const a = new Float32Array(n);
    const s = Math.sqrt(6 / fanIn);
    for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * s;
    return a;
  };
  return { hidden, w1: uniform(hidden * INPUT, INPUT), b1: new Float32Array(hidden), w2: uniform(CLASSES * hidden, hidden), b2: new Float32Array(CLASSES) };
}

const cloneMlp = (m: Mlp): Mlp => ({ hidden: m.hidden, w1: m.w1.slice(), b1: m.b1.slice(), w2: m.w2.slice(), b2: m.b2.slice() });

/** Hidden activations and class probabilities of one sample, into the given buffers. */
function forward(m: Mlp, s: Sample, h: Float32Array, p: Float32Array): void {
  const { hidden, w1, b1, w2, b2 } = m;
  for (let j = 0; j < hidden; j++) {
    let z = b1[j];
    const row = j * INPUT;
    for (let k = 0; k < s.nonZero.length; k++) {
      const i = s.nonZero[k];
      z += w1[row + i] * s.pixels[i];
    }
    h[j] = z > 0 ? z : 0;
  }
  let max = -Infinity;
  for (let c = 0; c < CLASSES; c++) {
    let z = b2[c];
    for (let j = 0; j < hidden; j++) z += w2[c * hidden + j] * h[j];
    p[c] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < CLASSES; c++) {
    p[c] = Math.exp(p[c] - max);
    sum += p[c];
  }
  for (let c = 0; c < CLASSES; c++) p[c] /= sum;
}

export function predict(m: Mlp, s: Sample): number {
  const h = new Float32Array(m.hidden);
  const p = new Float32Array(CLASSES);
  forward(m, s, h, p);
  let best = 0;
  for (let c = 1; c < CLASSES; c++) if (p[c] > p[best]) best = c;
  return best;
}

export function accuracy(m: Mlp, samples: readonly Sample[]): number {
  let right = 0;
  for (const s of samples) if (predict(m, s) === s.label) right++;
  return right / samples.length;
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  batchSize: number;
  seed: number;
  hidden?: number;
  /** Start from these weights (a fine-tune) instead of a fresh initialisation. */
  init?: Mlp;
  log?: (line: string) => void;
}

/** Minibatch SGD on the mean cross-entropy. Returns a new model; `init` is not modified. */
export function train(samples: readonly Sample[], o: TrainOptions): Mlp {
  const m = o.init ? cloneMlp(o.init) : initMlp(o.hidden ?? 64, o.seed);
  const { hidden } = m;
  const r = rng(o.seed ^ 0x9e3779b9);
  const order = Uint32Array.from(samples.keys());
  const h = new Float32Array(hidden);
  const p = new Float32Array(CLASSES);
  const dh = new Float32Array(hidden);
  const gw1 = new Float32Array(m.w1.length);
  const gb1 = new Float32Array(hidden);
  const gw2 = new Float32Array(m.w2.length);
  const gb2 = new Float32Array(CLASSES);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let loss = 0;
    for (let start = 0; start < order.length; start += o.batchSize) {
      const end = Math.min(order.length, start + o.batchSize);
      gw1.fill(0);
      gb1.fill(0);
      gw2.fill(0);
      gb2.fill(0);
      for (let b = start; b < end; b++) {
        const s = samples[order[b]];
        forward(m, s, h, p);
        loss -= Math.log(Math.max(p[s.label], 1e-12));
        dh.fill(0);
        for (let c = 0; c < CLASSES; c++) {
          const dz = p[c] - (c === s.label ? 1 : 0);
          gb2[c] += dz;
          for (let j = 0; j < hidden; j++) {
            gw2[c * hidden + j] += dz * h[j];
            dh[j] += dz * m.w2[c * hidden + j];
          }
        }
        for (let j = 0; j < hidden; j++) {
          if (h[j] <= 0) continue;
          gb1[j] += dh[j];
          const row = j * INPUT;
          for (let k = 0; k < s.nonZero.length; k++) {
            const i = s.nonZero[k];
            gw1[row + i] += dh[j] * s.pixels[i];
          }
        }
      }
      const step = o.learningRate / (end - start);
      for (let i = 0; i < m.w1.length; i++) m.w1[i] -= step * gw1[i];
      for (let i = 0; i < hidden; i++) m.b1[i] -= step * gb1[i];
      for (let i = 0; i < m.w2.length; i++) m.w2[i] -= step * gw2[i];
      for (let i = 0; i < CLASSES; i++) m.b2[i] -= step * gb2[i];
    }
    o.log?.(`epoch ${epoch + 1}/${o.epochs}: mean loss ${(loss / order.length).toFixed(4)}`);
  }
  return m;
}

/** Writes `model.safetensors` (tensors w1, b1, w2, b2 as F32) and `config.json` into `dir`. */
export function saveMlp(m: Mlp, dir: string, metadata: Record<string, string> = {}): void {
  mkdirSync(dir, { recursive: true });
  const tensors: [string, Float32Array, number[]][] = [
    ["b1", m.b1, [m.hidden]],
    ["b2", m.b2, [CLASSES]],
    ["w1", m.w1, [m.hidden, INPUT]],
    ["w2", m.w2, [CLASSES, m.hidden]],
  ];
  const header: Record<string, unknown> = { __metadata__: { format: "pt", ...metadata } };
  let offset = 0;
  for (const [name, data, shape] of tensors) {
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  const body = Buffer.concat(
    tensors.map(([, data]) => {
      const b = Buffer.alloc(data.byteLength);
      for (let i = 0; i < data.length; i++) b.writeFloatLE(data[i], i * 4);
      return b;
    }),
  );
  writeFileSync(join(dir, "model.safetensors"), Buffer.concat([size, Buffer.from(json, "utf8"), body]));
  const config = { model_type: "mlp", input_size: INPUT, hidden_size: m.hidden, num_labels: CLASSES, hidden_act: "relu", torch_dtype: "float32" };
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
}

/** Reads what saveMlp wrote. */
export function loadMlp(dir: string): Mlp {
  const file = readFileSync(join(dir, "model.safetensors"));
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString("utf8"));
  const base = 8 + headerLength;
  const tensor = (name: string) => {
    const {
      data_offsets: [from, to],
    } = header[name];
    const out = new Float32Array((to - from) / 4);
    for (let i = 0; i < out.length; i++) out[i] = file.readFloatLE(base + from + i * 4);
    return out;
  };
  const b1 = tensor("b1");
  return { hidden: b1.length, w1: tensor("w1"), b1, w2: tensor("w2"), b2: tensor("b2") };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      out: { type: "string" },
      init: { type: "string" },
      digits: { type: "string" },
      epochs: { type: "string", default: "4" },
      lr: { type: "string", default: "0.05" },
      batch: { type: "string", default: "32" },
      seed: { type: "string", default: "1" },
    },
  });
  if (!values.data || !values.out) {
    console.error("usage: node scripts/demo/train-mnist.ts --data <png dir> --out <weights dir> [--init <weights dir>] [--digits 3,5,8]");
    process.exit(2);
  }
  const t0 = performance.now();
  const digits = values.digits ? values.digits.split(",").map(Number) : undefined;
  const samples = loadDigits(values.data, digits);
  const model = train(samples, {
    epochs: Number(values.epochs),
    learningRate: Number(values.lr),
    batchSize: Number(values.batch),
    seed: Number(values.seed),
    init: values.init ? loadMlp(values.init) : undefined,
    log: (l) => console.error(l),
  });
  saveMlp(model, values.out);
  console.log(JSON.stringify({ samples: samples.length, accuracy: accuracy(model, samples), seconds: (performance.now() - t0) / 1000 }));
}
