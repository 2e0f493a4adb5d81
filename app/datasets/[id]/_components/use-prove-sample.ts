import { useCallback, useEffect, useRef, useState } from "react";
import { DatasetRegistryClient } from "../../../../core/chain/dataset-registry.ts";
import type { MintedDatasetState } from "../../../../core/dataset/minted.ts";
import { proveSample } from "../../../../core/dataset/prove-sample.ts";
import type { ProofJson } from "../../../../core/dataset/proof-file.ts";
import { DatasetProver, type Proof } from "../../../../core/dataset/prover.ts";
import type { Encoding } from "../../../../core/dataset/encoding-table.ts";
import { ChainError } from "../../../../core/errors.ts";
import { toHex } from "../../../../core/hex.ts";
import { GatewayStore } from "../../../../core/storage/gateway-client.ts";
import { appRpc } from "../../../_lib/app-rpc.ts";
import type { CliTarget } from "../../../_lib/cli-target.ts";
import { toTrouble, trouble, type Trouble } from "../../../_lib/errors.ts";
import { warmHashWorker } from "../../../_lib/hash-client.ts";
import { cliProveCommand, hashSampleSource, type SampleSource } from "./prove-sample-input.ts";

/**
 * The prove panel's run: hash the sample here, then core's proveSample (core/dataset/prove-sample.ts), the use
 * case `provenant prove` runs too, with this page's I/O: the verifying gateway reader for the manifest, the
 * index and the one shard the hash falls in, and the contract through the app's /api/rpc. Each stage is timed.
 */

export type ProveStage = "idle" | "hashing" | "proving" | "checking" | "done";

export interface ProveOutcome {
  label: string;
  sampleHash: string;
  proof: Proof;
  json: ProofJson;
  local: boolean;
  onChain: boolean;
  warning: string | null;
  timings: { hash: number; storage: number; prove: number; chain: number; total: number };
  reads: number;
  bytesRead: number;
  cli: string;
}

export interface ProveTarget {
  datasetId: string;
  chainId: number;
  /** DatasetRegistry's address. */
  registry: string;
  manifestCid: string;
  /** The on-chain root and leaf count: the manifest read from storage must be theirs. */
  root: string;
  n: number;
  /** files, jsonl and csv take the panel's file and text inputs; webdataset and parquet prove-container-input.tsx's. */
  encoding: Encoding;
  /** The browser's gateway base ("" for the app's own /ipfs). */
  gateway: string;
  /** Reported misordered on-chain: the contract refuses every exclusion proof, so none is built. */
  misordered: boolean;
  /** Storage could not be read on the server: nothing is opened here. */
  storageTrouble: Trouble | null;
  /** What a copied command needs to reach this chain and deployment (app/_lib/server/cli-target.ts). */
  cli: CliTarget;
}

export function useProveSample(t: ProveTarget) {
  const { datasetId, chainId, registry, manifestCid, root, n, encoding, gateway, misordered, storageTrouble, cli } = t;
  const [stage, setStage] = useState<ProveStage>("idle");
  const [progress, setProgress] = useState<number | null>(null);
  const [outcome, setOutcome] = useState<ProveOutcome | null>(null);
  const [problem, setProblem] = useState<Trouble | null>(storageTrouble);
  const prover = useRef<{ store: GatewayStore; open: Promise<DatasetProver> } | null>(null);
  const busy = stage !== "idle" && stage !== "done";

  const record = useCallback((): MintedDatasetState => ({ id: BigInt(datasetId), root, n, manifestCid, misordered }), [datasetId, root, n, manifestCid, misordered]);

  /** Opens the prover once: manifest and index are read ahead, so a drop only waits for its shard. */
  const openProver = useCallback(() => {
    if (!prover.current) {
      const store = new GatewayStore(gateway);
      const open = DatasetProver.openMinted(record(), store);
      open.catch(() => (prover.current = null));
      prover.current = { store, open };
    }
    return prover.current;
  }, [gateway, record]);

  useEffect(() => {
    if (storageTrouble) return;
    warmHashWorker();
    openProver().open.catch(() => {});
  }, [openProver, storageTrouble]);

  const run = useCallback(
    async (source: SampleSource) => {
      const t0 = performance.now();
      setOutcome(null);
      setProblem(null);
      setProgress(null);
      try {
        // 1. The sample's hash, computed here.
        setStage("hashing");
        const sample = await hashSampleSource(source, { datasetId, encoding, cli }, setProgress);
        const tHashed = performance.now();

        // 2. The proof, from the index and one shard; 3. the contract's verdict, a view call.
        setStage("proving");
        const { store, open } = openProver();
        const opened = await open;
        let before = { ...store.stats };
        let tProve0 = performance.now();
        let tProved = tProve0;
        const r = await proveSample({
          record: record(),
          prover: opened,
          sampleHash: sample.hash,
          verifier: new DatasetRegistryClient(registry, appRpc(chainId), chainId),
          onStage: (s) => {
            if (s === "proving") {
              before = { ...store.stats };
              tProve0 = performance.now();
            } else {
              tProved = performance.now();
              setStage("checking");
            }
          },
        });
        const tDone = performance.now();
        const storageMs = store.stats.ms - before.ms;
        setOutcome({
          label: sample.label,
          sampleHash: toHex(sample.hash),
          proof: r.proof,
          json: r.json,
          local: r.localVerdict,
          onChain: r.onChain,
          warning: sample.warning,
          reads: store.stats.reads - before.reads,
          bytesRead: store.stats.bytes - before.bytes,
          timings: {
            hash: tHashed - t0,
            storage: storageMs,
            prove: tProved - tProve0 - storageMs,
            chain: tDone - tProved,
            total: tDone - t0,
          },
          cli: cliProveCommand(sample.cliSample, { datasetId, cli }),
        });
        setStage("done");
      } catch (e) {
        setProblem(troubleOf(e, datasetId));
        setStage("idle");
      }
    },
    [chainId, cli, datasetId, encoding, openProver, record, registry],
  );

  return { stage, busy, progress, outcome, problem, setProblem, run };
}

function troubleOf(e: unknown, datasetId: string): Trouble {
  if ((e as Trouble)?.title && (e as Trouble)?.detail) return e as Trouble;
  // The chain's flag (not the prover's own order check): said for this page's reader.
  if (e instanceof ChainError && e.code === "DATASET_MISORDERED") {
    return trouble(
      "DATASET_MISORDERED",
      `Dataset #${datasetId} was reported misordered on-chain: its leaves are not sorted, so no sample can be proven absent from it, and this one was not found in it.`,
    );
  }
  return toTrouble(e);
}
