/** Display facts about the chains the app knows; any other chain id is shown by number. */
export function chainName(chainId: number): string {
  switch (chainId) {
    case 31337:
      return "Local Hardhat node";
    case 314159:
      return "Filecoin Calibration";
    case 314:
      return "Filecoin";
    case 1:
      return "Ethereum";
    case 11155111:
      return "Sepolia";
    default:
      return `Chain ${chainId}`;
  }
}

/** "Filecoin Calibration (chain 314159)", or just "chain 5" for a chain the app has no name for. */
export function chainLabel(chainId: number): string {
  const name = chainName(chainId);
  return name === `Chain ${chainId}` ? `chain ${chainId}` : `${name} (chain ${chainId})`;
}

/** Development chains whose node holds unlocked accounts: the app may sign with them, no wallet needed. */
export function isDevChain(chainId: number): boolean {
  return chainId === 31337;
}

/** FEVM answers eth_getLogs over at most about 2,880 epochs; other nodes take larger ranges. */
export function logPageBlocks(chainId: number): number {
  return chainId === 314 || chainId === 314159 ? 2_000 : 10_000;
}
