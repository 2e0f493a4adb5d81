import { FormatError } from "../errors.ts";
import type { DatasetManifest } from "./manifest.ts";

/**
 * "The manifest matches the on-chain record": the one check between a stored commitment and the token that
 * minted it, for the CLI, the dataset page, the prove panel and search alike. The store has checked the
 * manifest's bytes against the record's CID; this checks what they say against what the chain says.
 */

/** The parts of an on-chain dataset record that its stored commitment must match. */
export interface MintedDataset {
  id: bigint;
  root: string;
  n: number;
  manifestCid: string;
}

/** A minted dataset with its order flag: a dataset reported misordered on-chain proves no sample absent. */
export interface MintedDatasetState extends MintedDataset {
  misordered: boolean;
}

/** Why `manifest` is not the commitment `record` minted, or null when it is: its root and leaf count are the record's. */
export function manifestMismatch(manifest: Pick<DatasetManifest, "root" | "n">, record: MintedDataset): string | null {
  if (manifest.root === record.root.toLowerCase() && manifest.n === record.n) return null;
  return `dataset #${record.id}'s manifest ${record.manifestCid} commits to root ${manifest.root} (n=${manifest.n}) but the chain records ${record.root} (n=${record.n})`;
}

/** Throws ROOT_MISMATCH unless `manifest` is the commitment `record` minted. */
export function checkManifestMatchesRecord(manifest: Pick<DatasetManifest, "root" | "n">, record: MintedDataset): void {
  const mismatch = manifestMismatch(manifest, record);
  if (mismatch) throw new FormatError("ROOT_MISMATCH", mismatch);
}
