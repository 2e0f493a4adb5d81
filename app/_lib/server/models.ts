import "server-only";
import { cache } from "react";
import { getBytes, type Log } from "ethers";
import { cidFromBytes } from "../../../core/storage/cid.ts";
import { scanLogsBackward } from "../../../core/chain/logs.ts";
import { ModelRegistryClient, PROVENANCES } from "../../../core/chain/model-registry.ts";
import { DATASET_ROLES } from "../../../core/chain/roles.ts";
import { readModelManifest, type ModelManifest } from "../../../core/model/manifest.ts";
import { toTrouble, type Trouble } from "../errors.ts";
import type { ModelAttestation } from "../../../core/attestor/attestation.ts";
import { appChain, optionalAddress } from "./chain.ts";
import { modelAttestations } from "./lineage.ts";
import { gatewayReader } from "./storage.ts";

/**
 * The model side as far as lists go: ModelRegistered events for the home page, DatasetLinked events for
 * "models that used this dataset". The model page itself (lineage graph, certificate) comes with its own work.
 */
export const modelRegistry = cache(async (): Promise<ModelRegistryClient | null> => {
  const chain = await appChain();
  if (!optionalAddress(chain, "ModelRegistry")) return null;
  return ModelRegistryClient.connect(chain.conn);
});

export interface ModelCard {
  id: string;
  registrant: string;
  weightsDigest: string;
  provenance: string;
  manifestCid: string;
  license: string;
  blockNumber: number;
  manifest: ModelManifest | null;
  manifestTrouble: Trouble | null;
  /** An attested model's certificate, checked as its page checks it; null for self-declared models. */
  attestation: ModelAttestation | null;
}

async function withManifest(card: Omit<ModelCard, "manifest" | "manifestTrouble" | "attestation">): Promise<Omit<ModelCard, "attestation">> {
  try {
    const manifest = await readModelManifest(gatewayReader(), card.manifestCid);
    return { ...card, manifest, manifestTrouble: null };
  } catch (e) {
    return { ...card, manifest: null, manifestTrouble: toTrouble(e) };
  }
}

/**
 * The newest models, as cards. `weightsDigest` keeps only models with those weights (ModelRegistered indexes
 * the digest), searched through the whole history.
 */
export async function recentModels(limit = 6, options: { weightsDigest?: string } = {}): Promise<{ deployed: boolean; items: ModelCard[] }> {
  const registry = await modelRegistry();
  if (!registry) return { deployed: false, items: [] };
  const chain = await appChain();
  const event = registry.contract.interface.getEvent("ModelRegistered")!;
  const filtered = options.weightsDigest !== undefined;
  const scan = await scanLogsBackward(
    chain.conn.provider,
    { address: registry.address, topics: filtered ? [event.topicHash, null, null, options.weightsDigest!.toLowerCase()] : [event.topicHash] },
    {
      toBlock: await chain.conn.provider.getBlockNumber(),
      floor: chain.deploymentBlock,
      pageBlocks: chain.pageBlocks,
      want: limit,
      done: (logs) => !filtered && logs.some((l) => BigInt(l.topics[1]) === 1n),
    },
  );
  const items = scan.logs.slice(0, limit).map((log: Log) => {
    const a = registry.contract.interface.parseLog(log)!.args;
    return withManifest({
      id: String(a.id),
      registrant: String(a.registrant),
      weightsDigest: String(a.weightsDigest),
      provenance: PROVENANCES[Number(a.provenance)] ?? String(a.provenance),
      manifestCid: cidFromBytes(getBytes(a.manifestCid)),
      license: String(a.license),
      blockNumber: log.blockNumber,
    });
  });
  const cards = await Promise.all(items);
  const attestations = await modelAttestations(cards.filter((c) => c.provenance === "attested").map((c) => c.id));
  return { deployed: true, items: cards.map((c) => ({ ...c, attestation: attestations.get(c.id) ?? null })) };
}

/** Models that declared dataset `id` in their lineage, newest first, with the role they gave it. */
export async function modelsUsingDataset(id: bigint): Promise<{ modelId: string; role: string }[] | null> {
  const registry = await modelRegistry();
  if (!registry) return null;
  const chain = await appChain();
  const event = registry.contract.interface.getEvent("DatasetLinked")!;
  const scan = await scanLogsBackward(
    chain.conn.provider,
    { address: registry.address, topics: [event.topicHash, null, `0x${id.toString(16).padStart(64, "0")}`] },
    { toBlock: await chain.conn.provider.getBlockNumber(), floor: chain.deploymentBlock, pageBlocks: chain.pageBlocks, want: 50 },
  );
  return scan.logs.map((log) => {
    const a = registry.contract.interface.parseLog(log)!.args;
    return { modelId: String(a.id), role: DATASET_ROLES[Number(a.role)] ?? String(a.role) };
  });
}
