import { parseCid } from "./cid.ts";
import { onChainDeals, type FilecoinDeal, type Podsi } from "./filecoin-deals.ts";
import type { LighthouseStore } from "./lighthouse-store.ts";
import type { JournalEntry } from "./upload-journal.ts";

/** What stands behind a CID on Filecoin, as Lighthouse reports it, plus what this machine knows. */
export interface FilecoinStatus {
  cid: string;
  /** A verified-on-read copy is in the local store. */
  local: boolean;
  /** This data directory's journal entry: Lighthouse confirmed the upload with the same CID. */
  uploaded: JournalEntry | null;
  deals: FilecoinDeal[];
  /** Deals published on chain (with a chain deal id). */
  onChainDeals: number;
  /** A published deal whose status says its sector is proving or active. */
  sealed: boolean;
  /** Proof of data-segment inclusion, or null while Lighthouse has none. */
  podsi: Podsi | null;
}

export async function filecoinStatus(cid: string, store: LighthouseStore, podsiNetwork: "mainnet" | "testnet"): Promise<FilecoinStatus> {
  const canonical = parseCid(cid);
  // Lighthouse indexes a CID as it was uploaded (a v0 "Qm..." stays v0): ask with the form given; look up locally by the canonical one.
  const asked = cid.trim();
  const [deals, podsi] = await Promise.all([store.client.dealStatus(asked), store.client.podsi(asked, podsiNetwork)]);
  const published = onChainDeals(deals);
  return {
    cid: canonical,
    local: await store.local.has(canonical),
    uploaded: store.journal.get(canonical),
    deals,
    onChainDeals: published.length,
    sealed: published.some((d) => /proving|active/i.test(d.status ?? "")),
    podsi,
  };
}
