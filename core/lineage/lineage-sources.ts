import type { LineageSources } from "./walk.ts";
import type { ContentStore } from "../storage/store.ts";
import { DatasetRegistryClient } from "../chain/dataset-registry.ts";
import { ModelRegistryClient } from "../chain/model-registry.ts";
import type { ClientConnection } from "../chain/registry-client.ts";

/**
 * What a lineage walk reads (core/lineage/walk.ts): both registries on the connection's chain, and the store
 * holding manifests and certificates. The CLI passes its node and store, the app its chain and a fresh
 * verifying gateway reader; both walk the same sources.
 */
export async function connectLineageSources<C extends ClientConnection>(conn: C, store: ContentStore): Promise<LineageSources & { conn: C }> {
  const [models, datasets] = await Promise.all([ModelRegistryClient.connect(conn), DatasetRegistryClient.connect(conn)]);
  return { conn, models, datasets, store };
}
