import "server-only";
import { DatasetProver } from "../../../core/dataset/prover.ts";
import { looseHex32, toHex } from "../../../core/hex.ts";
import { isTokenId } from "../../../core/identifiers.ts";
import { parseCid } from "../../../core/storage/cid.ts";
import { toTrouble, type Trouble } from "../errors.ts";
import { datasetsWithRoot, recentDatasets, type MintedDataset } from "./chain.ts";
import { withDetails, type DatasetCard } from "./datasets.ts";
import { modelRegistry, recentModels, type ModelCard } from "./models.ts";
import { proverStore } from "./storage.ts";

/** How many of the newest datasets (and models) a sample-hash, CID or name search looks through. */
export const SEARCH_SCOPE = 25;

export type SearchResult =
  | { kind: "empty" }
  | { kind: "token"; id: string }
  | { kind: "hash"; hash: string; roots: DatasetCard[]; members: Membership[]; models: ModelCard[]; scope: number; total: number }
  | { kind: "cid"; cid: string; matches: { dataset: DatasetCard; as: "manifest" | "shard index" }[]; models: ModelMatch[]; scope: number; total: number }
  | { kind: "name"; q: string; datasets: DatasetCard[]; models: ModelCard[]; scope: number; total: number };

export interface Membership {
  dataset: MintedDataset;
  inside: boolean | null;
  index: number | null;
  trouble: Trouble | null;
}

export interface ModelMatch {
  model: ModelCard;
  as: "manifest" | "training certificate";
}

/**
 * What the query is: a token id; a 32-byte hash as people paste it (64 hex digits, with or without 0x, spaces
 * around: `sha256sum` prints it bare); a CID; otherwise a name to look for.
 */
export function classify(
  q: string,
): { kind: "empty" } | { kind: "token"; id: string } | { kind: "hash"; hash: string } | { kind: "cid"; cid: string } | { kind: "name"; q: string } {
  const s = q.trim();
  if (s === "") return { kind: "empty" };
  if (isTokenId(s.replace(/^#/, ""))) return { kind: "token", id: s.replace(/^#/, "") };
  const hash = looseHex32(s);
  if (hash) return { kind: "hash", hash: toHex(hash) };
  try {
    return { kind: "cid", cid: parseCid(s) };
  } catch {}
  return { kind: "name", q: s };
}

async function membership(hash: string, recent: MintedDataset[]): Promise<Membership[]> {
  const x = looseHex32(hash)!;
  return Promise.all(
    recent.map(async (dataset): Promise<Membership> => {
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
}

/** Recent models whose manifest or training certificate has this CID (the certificate CID is in the record). */
async function modelsWithCid(cid: string): Promise<ModelMatch[]> {
  const { items } = await recentModels(SEARCH_SCOPE);
  const registry = await modelRegistry();
  const out: ModelMatch[] = [];
  const same = (a: string | null) => {
    try {
      return a !== null && parseCid(a) === cid;
    } catch {
      return false;
    }
  };
  await Promise.all(
    items.map(async (m) => {
      if (same(m.manifestCid)) out.push({ model: m, as: "manifest" });
      else if (m.provenance === "attested" && registry) {
        const record = await registry.record(BigInt(m.id)).catch(() => null);
        if (record && same(record.certificateCid)) out.push({ model: m, as: "training certificate" });
      }
    }),
  );
  return out.sort((a, b) => Number(b.model.id) - Number(a.model.id));
}

export async function search(q: string): Promise<SearchResult> {
  const c = classify(q);
  if (c.kind === "empty" || c.kind === "token") return c;
  if (c.kind === "hash") {
    const { hash } = c;
    const [roots, recent, models] = await Promise.all([
      datasetsWithRoot(hash),
      recentDatasets({ limit: SEARCH_SCOPE }),
      recentModels(SEARCH_SCOPE, { weightsDigest: hash }),
    ]);
    const members = await membership(hash, recent.items);
    return { kind: "hash", hash, roots: await withDetails(roots), members, models: models.items, scope: recent.items.length, total: recent.total };
  }
  if (c.kind === "cid") {
    const { cid } = c;
    const [recent, models] = await Promise.all([recentDatasets({ limit: SEARCH_SCOPE }), modelsWithCid(cid)]);
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
    return { kind: "cid", cid, matches, models, scope: recent.items.length, total: recent.total };
  }
  const needle = c.q.toLowerCase();
  const [recent, models] = await Promise.all([recentDatasets({ limit: SEARCH_SCOPE }), recentModels(SEARCH_SCOPE)]);
  const datasets = (await withDetails(recent.items)).filter((d) => d.manifest?.name.toLowerCase().includes(needle));
  const named = models.items.filter((m) => m.manifest && `${m.manifest.record.name} ${m.manifest.record.version}`.toLowerCase().includes(needle));
  return { kind: "name", q: c.q, datasets, models: named, scope: recent.items.length, total: recent.total };
}
