import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import type { Deployment } from "../../core/chain/addresses.ts";
import { readIgnitionDeployment } from "../../core/chain/ignition-record.ts";
import type { ClientConnection } from "../../core/chain/registry-client.ts";
import { commitSamples, storeCommitment, type StoredDataset } from "../../core/dataset/commit.ts";
import { isProvenantError, type ProvenantError } from "../../core/errors.ts";
import { LocalStore } from "../../core/storage/local-store.ts";
import { REPO, startTestChain, type LocalChain } from "../helpers/local-chain.ts";

/**
 * One Hardhat node with the Provenant module deployed by Ignition, shared by the chain client tests of this
 * mocha run (started on first use, stopped after the last test), and a local store for commitments to mint.
 */
export interface TestChain {
  local: LocalChain;
  provider: JsonRpcProvider;
  /** The deployment as a caller reads it (Ignition's record of this run's deployment id). */
  deployment: Deployment;
  conn: ClientConnection;
  store: LocalStore;
}

let shared: Promise<TestChain> | null = null;
let work: string | null = null;

export function testChain(): Promise<TestChain> {
  shared ??= (async () => {
    const local = await startTestChain("chain-clients");
    const provider = new JsonRpcProvider(local.url, 31337, { staticNetwork: Network.from(31337) });
    const deployment = readIgnitionDeployment(join(REPO, "ignition", "deployments", local.deploymentId), 31337);
    work = mkdtempSync(join(tmpdir(), "provenant-chain-clients-"));
    return { local, provider, deployment, conn: { chainId: 31337, provider, deployment }, store: new LocalStore(work) };
  })();
  return shared;
}

after(async function () {
  this.timeout(60_000);
  const chain = await shared?.catch(() => null);
  if (!chain) return;
  chain.provider.destroy();
  await chain.local.stop();
  rmSync(join(REPO, "ignition", "deployments", chain.local.deploymentId), { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A stored commitment of `count` samples named by `salt` (distinct per test, so roots differ). */
export async function storedDataset(store: LocalStore, salt: string, count = 40): Promise<StoredDataset> {
  const hashes = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) hashes.set(createHash("sha256").update(`${salt}/${i}`).digest(), i * 32);
  const c = commitSamples({ encoding: "jsonl", hashes, total: count, skipped: { hidden: 0, symlinks: 0, other: 0, emptyRecords: 0 }, bytes: 0 });
  return storeCommitment(c, store, { name: salt, license: "CC0-1.0" });
}

/** The ProvenantError `p` fails with; anything else, or no failure, fails the test. */
export async function failure(p: Promise<unknown>): Promise<ProvenantError> {
  try {
    await p;
  } catch (e) {
    if (isProvenantError(e)) return e;
    throw e;
  }
  throw new Error("expected a failure");
}
