/**
 * Tampering with every field of a certificate: each leaf (string, number, boolean, null) changed in a way
 * that keeps its type where possible, each array shortened and lengthened, each object given an extra key.
 */
import { join } from "node:path";
import type { TrainingCertificate } from "../../core/attestor/certificate.ts";
import type { ChainFacts } from "../../core/attestor/chain-facts.ts";
import { REPO } from "../helpers/local-chain.ts";

export const GOLDEN_PATH = join(REPO, "test", "attestor", "vectors", "training-certificate.json");

export type GoldenCertificate = {
  format: "provenant-training-certificate-golden-v1";
  description: string;
  createdAt: string;
  certificate: TrainingCertificate;
  facts: ChainFacts;
  roots: string[];
};

export type Tamper = { path: string; value: unknown };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A different value of the same kind: the last hex digit changed, a character appended, a number bumped. */
function changed(v: Json): Json {
  if (typeof v === "string") {
    const last = v.at(-1);
    if (last && /[0-9a-f]/.test(last) && /^(0x)?[0-9a-f]+$/i.test(v)) return `${v.slice(0, -1)}${last === "0" ? "1" : "0"}`;
    if (v.startsWith("-----BEGIN")) return v.replace(/[A-Za-z0-9+/]{8}\n/, (m) => `${m.slice(0, 7)}${m[7] === "A" ? "B" : "A"}\n`);
    if (/^\d{4}-\d\d-\d\dT/.test(v)) return new Date(Date.parse(v) + 1000).toISOString();
    if (/^[1-9][0-9]*$/.test(v)) return String(BigInt(v) + 1n);
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length > 40) return `${v.slice(0, 20)}${v[20] === "A" ? "B" : "A"}${v.slice(21)}`;
    return `${v}x`;
  }
  if (typeof v === "number") return v + 1;
  if (typeof v === "boolean") return !v;
  return "x";
}

function setAt(root: Json, path: (string | number)[], f: (v: Json) => Json | undefined): Json {
  const copy = structuredClone(root);
  let node: any = copy;
  for (const k of path.slice(0, -1)) node = node[k];
  const last = path.at(-1)!;
  const next = f(node[last]);
  if (next === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = next;
  return copy;
}

export function leafTampers(cert: TrainingCertificate): Tamper[] {
  const root = cert as unknown as Json;
  const out: Tamper[] = [];
  const visit = (v: Json, path: (string | number)[]) => {
    const name = path.join(".") || "(root)";
    if (Array.isArray(v)) {
      if (v.length > 0) {
        out.push({ path: `${name} (last element dropped)`, value: setAt(root, path, (a) => (a as Json[]).slice(0, -1)) });
        out.push({ path: `${name} (first element repeated)`, value: setAt(root, path, (a) => [...(a as Json[]), (a as Json[])[0]!]) });
      } else {
        out.push({ path: `${name} (an element added)`, value: setAt(root, path, () => ["x"]) });
      }
      v.forEach((x, i) => visit(x, [...path, i]));
    } else if (v !== null && typeof v === "object") {
      if (path.length > 0) out.push({ path: `${name} (extra key)`, value: setAt(root, path, (o) => ({ ...(o as object), extra: 1 })) });
      for (const [k, x] of Object.entries(v)) {
        out.push({ path: `${[...path, k].join(".")} (removed)`, value: setAt(root, [...path, k], () => undefined) });
        visit(x, [...path, k]);
      }
    } else {
      out.push({ path: name, value: setAt(root, path, changed) });
    }
  };
  visit(root, []);
  return out;
}
