import { StorageError } from "../errors.ts";

/**
 * The Filecoin deals and the proof of data-segment inclusion (PoDSI) Lighthouse reports for a CID, parsed
 * defensively: the JSON is a remote service's, so every field is checked and unknown ones are dropped.
 *
 * Shapes, from Lighthouse's own sources:
 * - deal_status: @lighthouse-web3/sdk 0.4.7 dist/Lighthouse/dealStatus/index.d.ts (`dealData[]`) and the sample
 *   response in docs.lighthouse.storage/how-to/check-for-filecoin-deals (miner, dealId, chainDealID, dealStatus...).
 * - get_proof: docs.lighthouse.storage filecoin-first/podsi (lighthouse-web3/gitbook filecoin-first/podsi.md) and
 *   lighthouse-python-sdk src/lighthouseweb3/functions/podsi.py (PODSIData, DealInfo, Proof, InclusionProof).
 *   The two disagree on where `indexRecord` sits (in `proof` or in `proof.inclusionProof`): both are read.
 */
export interface FilecoinDeal {
  /** On-chain deal id, searchable on Filfox/Starboard; 0 or null while the deal is not yet published. */
  chainDealId: number | null;
  /** The storage provider (miner) id, e.g. f01771403. */
  provider: string | null;
  status: string | null;
  startEpoch: number | null;
  endEpoch: number | null;
  /** Piece CID of the aggregate CAR the content was packed into (with padding). */
  pieceCid: string | null;
  pieceSize: number | null;
  /** Payload CID of the aggregate CAR (without padding). */
  payloadCid: string | null;
  publishCid: string | null;
  dealUuid: string | null;
  lastUpdate: number | null;
}

export interface PodsiProofPath {
  index: string;
  path: string[];
}

export interface PodsiDeal {
  dealId: number | null;
  storageProvider: string | null;
  verifierData: { commPc: string; sizePc: string } | null;
  proofIndex: PodsiProofPath | null;
  proofSubtree: PodsiProofPath | null;
  indexRecord: { checksum: string; proofIndex: string; proofSubtree: number; size: number } | null;
}

export interface Podsi {
  pieceCid: string | null;
  deals: PodsiDeal[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 && v.length < 512 ? v : null);
const num = (v: unknown): number | null => {
  const n = typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : v;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : null;
};
const hexPath = (v: unknown): PodsiProofPath | null => {
  if (!isObject(v) || typeof v.index !== "string" || !Array.isArray(v.path)) return null;
  if (!v.path.every((h) => typeof h === "string" && /^[0-9a-f]{64}$/i.test(h)) || v.path.length > 64) return null;
  return { index: v.index, path: v.path as string[] };
};

function malformed(what: string, why: string): StorageError {
  return new StorageError("STORAGE_UNREACHABLE", `Lighthouse's ${what} answer is not in the shape its SDK documents: ${why}`);
}

export function parseDeals(value: unknown): FilecoinDeal[] {
  if (!Array.isArray(value)) throw malformed("deal status", "expected a list of deals");
  if (value.length > 10_000) throw malformed("deal status", `${value.length} deals`);
  return value.map((d, i) => {
    if (!isObject(d)) throw malformed("deal status", `deal ${i} is not an object`);
    return {
      chainDealId: num(d.chainDealID) ?? num(d.dealId),
      provider: str(d.miner) ?? str(d.storageProvider),
      status: str(d.dealStatus),
      startEpoch: num(d.startEpoch),
      endEpoch: num(d.endEpoch),
      pieceCid: str(d.pieceCID),
      pieceSize: num(d.pieceSize),
      payloadCid: str(d.payloadCid),
      publishCid: str(d.publishCID) ?? str(d.publishCid),
      dealUuid: str(d.dealUUID),
      lastUpdate: num(d.lastUpdate),
    };
  });
}

export function parsePodsi(value: unknown): Podsi {
  if (!isObject(value)) throw malformed("proof (PoDSI)", "expected an object");
  const dealInfo = value.dealInfo ?? [];
  if (!Array.isArray(dealInfo) || dealInfo.length > 10_000) throw malformed("proof (PoDSI)", "dealInfo is not a list");
  return {
    pieceCid: str(value.pieceCID),
    deals: dealInfo.map((d, i) => {
      if (!isObject(d)) throw malformed("proof (PoDSI)", `dealInfo ${i} is not an object`);
      const proof = isObject(d.proof) ? d.proof : {};
      const inclusion = isObject(proof.inclusionProof) ? proof.inclusionProof : {};
      const verifier = isObject(proof.verifierData) ? proof.verifierData : null;
      const record = isObject(proof.indexRecord) ? proof.indexRecord : isObject(inclusion.indexRecord) ? inclusion.indexRecord : null;
      return {
        dealId: num(d.dealId),
        storageProvider: str(d.storageProvider),
        verifierData: verifier && str(verifier.commPc) && str(verifier.sizePc) ? { commPc: verifier.commPc as string, sizePc: verifier.sizePc as string } : null,
        proofIndex: hexPath(inclusion.proofIndex),
        proofSubtree: hexPath(inclusion.proofSubtree),
        indexRecord:
          record && str(record.checksum) && str(record.proofIndex) && num(record.proofSubtree) !== null && num(record.size) !== null
            ? { checksum: record.checksum as string, proofIndex: record.proofIndex as string, proofSubtree: num(record.proofSubtree)!, size: num(record.size)! }
            : null,
      };
    }),
  };
}

/** A deal counts as on-chain once it has a chain deal id (published by the storage provider). */
export function onChainDeals(deals: FilecoinDeal[]): FilecoinDeal[] {
  return deals.filter((d) => (d.chainDealId ?? 0) > 0);
}
