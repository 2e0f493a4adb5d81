/**
 * The local chain for tests. scripts/lib/local-chain.ts starts it (the demo and `npm run chain` share that
 * starter); a test adds a free port and a deployment id of its own, so suites never share Ignition records.
 */
import { freePort, startLocalChain, type LocalChain } from "../../scripts/lib/local-chain.ts";

export { freePort, REPO, startLocalChain, type LocalChain } from "../../scripts/lib/local-chain.ts";

/** A fresh chain on a free 127.0.0.1 port with the Provenant contracts deployed as `test-<name>-<port>`. */
export async function startTestChain(name: string): Promise<LocalChain> {
  const port = await freePort();
  return startLocalChain({ port, deploymentId: `test-${name}-${port}` });
}
