import "server-only";
import { loadProjectConfig, openStore } from "../../../core/config.ts";
import { datasetFilecoinStatus, type DatasetFilecoinStatus } from "../../../core/dataset/filecoin-status.ts";
import { LighthouseStore } from "../../../core/storage/lighthouse-store.ts";
import { readDatasetManifest, type DatasetManifest } from "../../../core/dataset/manifest.ts";
import type { ContentStore } from "../../../core/storage/store.ts";
import { GatewayStore } from "../../../core/storage/gateway-client.ts";
import { appConfig } from "./config.ts";

/**
 * Storage on the server: reads go through the configured gateway (as any reader's would), writes go to the
 * server-side store (core/config.ts openStore), whose keys stay on the server.
 */
let readStore: GatewayStore | null = null;

/** A shared, verifying reader for small immutable objects (manifests). */
export function gatewayReader(): GatewayStore {
  const { gatewayUrl } = appConfig();
  if (!readStore || readStore.baseUrl !== gatewayUrl || readStore.stats.reads > 2_000) {
    readStore = new GatewayStore(gatewayUrl, { timeoutMs: 10_000 });
  }
  return readStore;
}

/** A fresh reader for one proof (shards are large: they are not kept between requests). */
export function proverStore(): GatewayStore {
  return new GatewayStore(appConfig().gatewayUrl, { timeoutMs: 30_000 });
}

export async function readManifest(manifestCid: string): Promise<DatasetManifest> {
  return readDatasetManifest(gatewayReader(), manifestCid);
}

export function writeStore(): ContentStore {
  const { storage, home } = appConfig();
  return openStore(storage, home);
}

/** Where a dataset's objects are kept, as the app's own store sees it: Lighthouse (with its Filecoin status) or not on Filecoin. */
export type DatasetStorage = { kind: "lighthouse"; podsiNetwork: string; status: DatasetFilecoinStatus } | { kind: string; podsiNetwork: null; status: null };

export async function datasetStorage(manifestCid: string): Promise<DatasetStorage> {
  const store = writeStore();
  if (!(store instanceof LighthouseStore)) return { kind: store.kind, podsiNetwork: null, status: null };
  const { podsiNetwork } = loadProjectConfig().lighthouse;
  return { kind: "lighthouse", podsiNetwork, status: await datasetFilecoinStatus(gatewayReader(), store, manifestCid, { podsiNetwork }) };
}
