/**
 * A stack for working on the app by hand: `node test/app/serve.ts [--app]` starts a local chain, a gateway
 * over a temporary store, mints the MNIST digits as PNG files through the CLI, prints the environment for
 * `next dev` / `next start`, and (with --app) starts the e2e production build on port 3000. Ctrl-C stops all.
 * It lives under test/ beside the stack it uses; mocha loads every file here, so it only runs as a script.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeMnistPngs } from "../../scripts/demo/mnist-png.ts";
import { runCli } from "../../scripts/lib/cli.ts";
import { startStack } from "./helpers/stack.ts";

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const withApp = process.argv.includes("--app");
  const stack = await startStack({ name: "serve", withApp, appPort: withApp ? 3000 : undefined });
  const digits = join(stack.work, "mnist-png");
  writeMnistPngs(digits);
  const minted = await runCli(
    ["dataset", "mint", digits, "--name", "MNIST 10k", "--license", "CC-BY-SA-3.0", "--description", "The 10,000 MNIST test digits as 28x28 PNG files"],
    stack.cliEnv,
  );
  if (minted.code !== 0) throw new Error(minted.stderr);
  console.log(`minted dataset #${minted.json.datasetId} from ${digits}`);
  const env = { ...stack.cliEnv, PROVENANT_GATEWAY_URL: stack.gateway.url };
  console.log(
    Object.entries(env)
      .map(([k, v]) => `export ${k}=${v}`)
      .join("\n"),
  );
  if (stack.app) console.log(`app at ${stack.app.url}`);
  const shutdown = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  setInterval(() => {}, 1 << 30);
}
