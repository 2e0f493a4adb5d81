/**
 * The browser's batch hasher for merkle-v1 inner nodes: `out[i] = SHA-256(input[64i .. 64i+64])`, in plain
 * JavaScript with no imports, so it runs in pages and workers alike (package.json maps "#hash-nodes" here
 * under the "browser" condition; Node gets hash-nodes.ts).
 *
 * Every message is exactly 64 bytes, so SHA-256's second block is always the same padding block
 * (0x80, zeros, bit length 512): its message schedule is computed once, here, with the round constants
 * already added. Checked against node:crypto in test/app/library-browser.test.ts.
 */
export type HashNodesInto = (input: Uint8Array, out: Uint8Array) => void;

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
  0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

function expand(w: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15];
    const y = w[t - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
  }
}

/** K[t] + W[t] of the constant padding block of a 64-byte message. */
const PAD_KW = (() => {
  const w = new Int32Array(64);
  w[0] = 0x80000000 | 0;
  w[15] = 512;
  expand(w);
  for (let t = 0; t < 64; t++) w[t] = (w[t] + K[t]) | 0;
  return w;
})();

const W = new Int32Array(64);
const KW = new Int32Array(64);
const S = new Int32Array(8);

/** One compression of state S with the 64 words K[t] + W[t]; the result is added into S. */
function compress(kw: Int32Array): void {
  let a = S[0],
    b = S[1],
    c = S[2],
    d = S[3],
    e = S[4],
    f = S[5],
    g = S[6],
    h = S[7];
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + kw[t]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  S[0] = (S[0] + a) | 0;
  S[1] = (S[1] + b) | 0;
  S[2] = (S[2] + c) | 0;
  S[3] = (S[3] + d) | 0;
  S[4] = (S[4] + e) | 0;
  S[5] = (S[5] + f) | 0;
  S[6] = (S[6] + g) | 0;
  S[7] = (S[7] + h) | 0;
}

export const hashNodesInto: HashNodesInto = (input, out) => {
  if (input.length % 64 !== 0 || out.length < input.length / 2) {
    throw new RangeError("hashNodesInto: input must be whole 64-byte nodes and out large enough");
  }
  const count = input.length / 64;
  for (let i = 0; i < count; i++) {
    const o = i * 64;
    for (let t = 0; t < 16; t++) {
      const p = o + t * 4;
      W[t] = (input[p] << 24) | (input[p + 1] << 16) | (input[p + 2] << 8) | input[p + 3];
    }
    expand(W);
    for (let t = 0; t < 64; t++) KW[t] = (K[t] + W[t]) | 0;
    S.set(IV);
    compress(KW);
    compress(PAD_KW);
    const q = i * 32;
    for (let j = 0; j < 8; j++) {
      const v = S[j];
      out[q + 4 * j] = v >>> 24;
      out[q + 4 * j + 1] = (v >>> 16) & 255;
      out[q + 4 * j + 2] = (v >>> 8) & 255;
      out[q + 4 * j + 3] = v & 255;
    }
  }
};

export const hashNodesBackend = "js" as const;
