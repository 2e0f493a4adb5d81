import "server-only";
import { toTrouble, type Trouble } from "../errors.ts";
import type { DatasetManifest } from "../../../core/dataset/manifest.ts";
import { appChain, type MintedDataset } from "./chain.ts";
import { readManifest } from "./storage.ts";

/** A minted dataset with what the lists show beside the event: its manifest (or why it is missing) and time. */
export interface DatasetCard extends MintedDataset {
  manifest: DatasetManifest | null;
  manifestTrouble: Trouble | null;
  timestamp: number | null;
}

export async function withDetails(items: MintedDataset[]): Promise<DatasetCard[]> {
  const chain = await appChain();
  const blocks = new Map<number, Promise<number | null>>();
  for (const d of items) {
    if (!blocks.has(d.blockNumber)) {
      blocks.set(
        d.blockNumber,
        chain.conn.provider.getBlock(d.blockNumber).then(
          (b) => b?.timestamp ?? null,
          () => null,
        ),
      );
    }
  }
  return Promise.all(
    items.map(async (d) => {
      let manifest: DatasetManifest | null = null;
      let manifestTrouble: Trouble | null = null;
      try {
        manifest = await readManifest(d.manifestCid);
      } catch (e) {
        manifestTrouble = toTrouble(e);
      }
      return { ...d, manifest, manifestTrouble, timestamp: await blocks.get(d.blockNumber)! };
    }),
  );
}
