import "server-only";
import { DatasetProver } from "../../../core/dataset/prover.ts";
import { parseHex32 } from "../../../core/hex.ts";
import { parseCid } from "../../../core/storage/cid.ts";
import { toTrouble, type Trouble } from "../errors.ts";
import { datasetsWithRoot, recentDatasets, type MintedDataset } from "./chain.ts";
import { withDetails, type DatasetCard } from "./datasets.ts";
import { proverStore } from "./storage.ts";

/** How many of the newest datasets a sample-hash or CID search looks through. */
export const SEARCH_SCOPE = 25;

export type SearchResult =
  | { kind: "empty" }
  | { kind: "token"; id: string }
  | { kind: "hash"; hash: string; roots: DatasetCard[]; members: Membership[]; scope: number; total: number }
  | { kind: "cid"; cid: string; matches: { dataset: DatasetCard; as: "manifest" | "shard index" }[]; scope: number; total: number }
  | { kind: "unknown"; q: string };

export interface Membership {
  dataset: MintedDataset;
  inside: boolean | null;
  index: number | null;
  trouble: Trouble | null;
}

export function classify(q: string): SearchResult {
  const s = q.trim();
  if (s === "") return { kind: "empty" };
  if (/^#?[1-9][0-9]*$/.test(s)) return { kind: "token", id: s.replace(/^#/, "") };
  return { kind: "unknown", q: s };
}

export async function search(q: string): Promise<SearchResult> {
  const first = classify(q);
  if (first.kind !== "unknown") return first;
  const s = first.q;
  if (/^0x[0-9a-fA-F]{64}$/.test(s)) {
    const hash = s.toLowerCase();
    const x = parseHex32(hash, "hash");
    const [roots, recent] = await Promise.all([datasetsWithRoot(hash), recentDatasets({ limit: SEARCH_SCOPE })]);
    const members = await Promise.all(
      recent.items.map(async (dataset): Promise<Membership> => {
        try {
          const minted = { id: BigInt(dataset.id), root: dataset.root, n: dataset.n, manifestCid: dataset.manifestCid };
          const prover = await DatasetProver.openMinted(minted, proverStore());
          const proof = await prover.prove(x);
          return { dataset, inside: proof.kind === "inclusion", index: proof.kind === "inclusion" ? proof.index : null, trouble: null };
        } catch (e) {
          return { dataset, inside: null, index: null, trouble: toTrouble(e) };
        }
      }),
    );
    return { kind: "hash", hash, roots: await withDetails(roots), members, scope: recent.items.length, total: recent.total };
  }
  let cid: string | null = null;
  try {
    cid = parseCid(s);
  } catch {}
  if (cid) {
    const recent = await recentDatasets({ limit: SEARCH_SCOPE });
    const cards = await withDetails(recent.items);
    const matches: { dataset: DatasetCard; as: "manifest" | "shard index" }[] = [];
    for (const d of cards) {
      let manifestCid: string | null = null;
      try {
        manifestCid = parseCid(d.manifestCid);
      } catch {}
      if (manifestCid === cid) matches.push({ dataset: d, as: "manifest" });
      else if (d.manifest && d.manifest.index === cid) matches.push({ dataset: d, as: "shard index" });
    }
    return { kind: "cid", cid, matches, scope: recent.items.length, total: recent.total };
  }
  return first;
}
