/**
 * What a user waits for on small commands: `provenant --version` and `provenant prove` of one sample against a
 * 1M-sample dataset on a local chain, each as the built CLI (dist/, what the `provenant` bin runs), from the sources
 * (`node cli/provenant.ts`, type-stripped at every start) and through `npx provenant` from a project folder
 * (npm's own start-up on top). Part of `npm run bench` (bench/run.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { REPO, startLocalChain } from "../scripts/lib/local-chain.ts";
import { writeJsonl } from "./datasets.ts";

/** min and median of repeated timings (seconds); bench/run.ts's `repeat` makes them. */
export interface Timing {
  min: number;
  median: number;
  runs: number[];
}

export interface CliLatency {
  version: { built: Timing; sources: Timing; npx: Timing };
  prove: { samples: number; built: Timing; sources: Timing; npx: Timing };
}

const NODE = process.execPath;
const BUILT = join(REPO, "dist", "provenant.js");
const SOURCES = join(REPO, "cli", "provenant.ts");

export async function benchCliLatency(o: {
  quick: boolean;
  work: string;
  repeat: (run: () => number) => Promise<Timing>;
  log: (s: string) => void;
}): Promise<CliLatency> {
  execFileSync(NODE, [join(REPO, "scripts", "build-cli.ts")], { stdio: "inherit" });
  // A user's project with provenant installed as npm lays it out, for `npx provenant`.
  const project = join(o.work, "project");
  mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
  symlinkSync(REPO, join(project, "node_modules", "provenant"));
  symlinkSync(join("..", "provenant", "dist", "provenant.js"), join(project, "node_modules", ".bin", "provenant"));

  const timed = (cmd: string, args: string[], env: Record<string, string> = {}) => {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: project, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, npm_config_update_notifier: "false", ...env } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
    return (performance.now() - t0) / 1000;
  };
  const three = async (args: string[], env: Record<string, string> = {}) => ({
    built: await o.repeat(() => timed(NODE, [BUILT, ...args], env)),
    sources: await o.repeat(() => timed(NODE, [SOURCES, ...args], env)),
    npx: await o.repeat(() => timed("npx", ["--no", "--", "provenant", ...args], env)),
  });
  const fmt = (t: Timing) => `min ${t.min.toFixed(3)} s, median ${t.median.toFixed(3)} s`;

  const version = await three(["--version"]);
  o.log(`  provenant --version: built ${fmt(version.built)}; sources ${fmt(version.sources)}; npx ${fmt(version.npx)}`);

  const samples = o.quick ? 100_000 : 1_000_000;
  const jsonl = join(o.work, "prove.jsonl");
  writeJsonl(jsonl, samples);
  const chain = await startLocalChain({ deploymentId: `bench-${process.pid}`, quiet: true });
  try {
    const env = { ...chain.env, PROVENANT_HOME: join(o.work, "prove-home") };
    const minted = JSON.parse(
      execFileSync(NODE, [BUILT, "dataset", "mint", jsonl, "--name", "bench", "--license", "CC0-1.0", "--json"], {
        env: { ...process.env, ...env },
        encoding: "utf8",
        maxBuffer: 1 << 24,
      }),
    );
    // A line of the dataset (writeJsonl's line 777 of every size): an inclusion proof, checked by the contract.
    const line = execFileSync("sed", ["-n", "778p", jsonl], { encoding: "utf8" }).trimEnd();
    const prove = await three(["prove", "--dataset", String(minted.datasetId), "--text", line, "--json"], env);
    o.log(`  provenant prove, ${samples.toLocaleString()}-sample dataset: built ${fmt(prove.built)}; sources ${fmt(prove.sources)}; npx ${fmt(prove.npx)}`);
    return { version, prove: { samples, ...prove } };
  } finally {
    await chain.stop();
  }
}

export function cliLatencySection(r: CliLatency): string {
  const t = (x: Timing) => `${x.min.toFixed(3)} / ${x.median.toFixed(3)} s`;
  return `## Small commands: start-up and one proof
| command | built CLI (\`dist/\`, the \`provenant\` bin) | sources (\`node cli/provenant.ts\`) | \`npx provenant\` |
|---|---|---|---|
| \`provenant --version\` | ${t(r.version.built)} | ${t(r.version.sources)} | ${t(r.version.npx)} |
| \`provenant prove\` of one sample, ${r.prove.samples.toLocaleString()}-sample dataset, local chain | ${t(r.prove.built)} | ${t(r.prove.sources)} | ${t(r.prove.npx)} |

The built CLI is one esbuild bundle per command (scripts/build-cli.ts): no type-stripping and a few files instead of
hundreds of modules. npx adds npm's own start-up (${((r.version.npx.min - r.version.built.min) * 1000).toFixed(0)} ms at min); running
\`node_modules/.bin/provenant\`, or putting it on PATH, avoids it.
`;
}
