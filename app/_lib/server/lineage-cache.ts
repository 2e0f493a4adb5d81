import "server-only";
import type { LineageView } from "../lineage-view.ts";
import { appChain } from "./chain.ts";
import { modelLineage } from "./lineage.ts";

/**
 * The model page's lineage verdicts, kept per block: a reload in the same block shows the verdicts already
 * reached instead of walking and verifying the whole lineage again (0.5 s and more per load). The key is the
 * chain id, the registry, the block's number and hash (a restarted local chain reuses numbers, never hashes) and
 * the token. What the checks read from storage is content-addressed, so a verdict holds for the block's state;
 * storage that goes missing or bad afterwards shows at the next block, or once an entry is MAX_AGE_MS old.
 * A view is kept only when the block did not move while it was made, and never when storage or the chain
 * failed to answer (a passing outage must not stick).
 */
const MAX_ENTRIES = 64;
const MAX_AGE_MS = 5 * 60_000;
const TRANSIENT = new Set(["STORAGE_UNREACHABLE", "STORAGE_NOT_FOUND", "STORAGE_CORRUPT", "CHAIN_UNREACHABLE", "ATTESTOR_UNREACHABLE"]);

const entries = new Map<string, { view: LineageView; at: number }>();

export interface CachedLineage {
  view: LineageView;
  block: number;
  /** When the verdicts were reached (ms since the epoch); earlier than now when served from the cache. */
  checkedAt: number;
  cached: boolean;
}

function keepable(view: LineageView): boolean {
  return !view.nodes.some((n) => n.checks.some((c) => c.status === "fail" && c.code !== undefined && TRANSIENT.has(c.code)));
}

export async function cachedModelLineage(id: bigint): Promise<CachedLineage> {
  const chain = await appChain();
  const head = await chain.conn.provider.getBlock("latest");
  const key = head ? `${chain.chainId}:${chain.registry.address}:${head.number}:${head.hash}:${id}` : null;
  const hit = key ? entries.get(key) : undefined;
  if (hit && Date.now() - hit.at < MAX_AGE_MS) return { view: hit.view, block: head!.number, checkedAt: hit.at, cached: true };
  const at = Date.now();
  const view = await modelLineage(id);
  const after = await chain.conn.provider.getBlock("latest");
  if (key && after?.hash === head!.hash && keepable(view)) {
    entries.delete(key);
    entries.set(key, { view, at });
    // Oldest first: Map keeps insertion order.
    while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  }
  return { view, block: after?.number ?? head?.number ?? 0, checkedAt: at, cached: false };
}
