import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The addresses a fresh Hardhat node gives the Provenant module (deployer account 0, nonces 0 to 2). */
export const ADDRESS = {
  DatasetRegistry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  ModelRegistry: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  AttestorRegistry: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
};

/** An Ignition deployment folder as `ignition deploy` leaves it: the addresses, and a journal with receipts. */
export function writeIgnitionRecord(dir: string, blocks: Partial<Record<keyof typeof ADDRESS, number>> = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "deployed_addresses.json"), JSON.stringify(Object.fromEntries(Object.entries(ADDRESS).map(([k, v]) => [`Provenant#${k}`, v]))));
  const journal = Object.entries(blocks).map(([k, b]) =>
    JSON.stringify({
      futureId: `Provenant#${k}`,
      type: "TRANSACTION_CONFIRM",
      receipt: { blockNumber: b, contractAddress: ADDRESS[k as keyof typeof ADDRESS], status: "SUCCESS" },
    }),
  );
  writeFileSync(join(dir, "journal.jsonl"), [JSON.stringify({ type: "DEPLOYMENT_INITIALIZE", chainId: 1 }), ...journal, ""].join("\n"));
}
