/**
 * `npm run build:cli` (also run by postinstall, `npm run build` and `npm test`): bundles the CLI into dist/, which
 * the `provenant` command runs. One file per command instead of some 600 modules, and no type-stripping: a small
 * command starts about 3x faster than from the sources (docs/benchmarks.md). `node cli/provenant.ts` still runs the
 * sources directly. Each command stays its own chunk, so a run loads only the command it runs.
 */
import { build, type Plugin } from "esbuild";
import { chmodSync, rmSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../core/package-root.ts";

/**
 * node:http and node:https through require(), not import: Node 22's ES module face of node:http reads every export,
 * and one of them (WebSocket) loads fetch's undici, ~20-40 ms of CPU on every command that talks to a chain.
 */
const requiredHttp: Plugin = {
  name: "required-http",
  setup(b) {
    b.onResolve({ filter: /^(node:)?https?$/ }, (args) =>
      // The shim's own require() is Node's (the banner's), left alone by the bundler.
      args.namespace === "required-http" ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ""), namespace: "required-http" },
    );
    b.onLoad({ filter: /.*/, namespace: "required-http" }, (args) => ({ contents: `module.exports = require("node:${args.path}");`, loader: "js" }));
  },
};

const root = packageRoot();
const outdir = join(root, "dist");
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The worker is forked by path (core/dataset/scale/pool.ts): an entry of its own, beside the chunks that name it.
  entryPoints: ["cli/provenant.ts", "core/dataset/scale/unit-worker.ts"],
  outdir,
  entryNames: "[name]",
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node22",
  // Kept as packages: native builds found by path, and the Lighthouse SDK and export libraries, loaded only by the
  // commands that use them (bundling gains those nothing at start-up).
  external: ["@chainsafe/hashtree", "@lighthouse-web3/sdk", "@cyclonedx/cyclonedx-library"],
  // CommonJS dependencies inside an ES module bundle call require().
  banner: { js: "import { createRequire as __provenantRequire } from 'node:module'; const require = __provenantRequire(import.meta.url);" },
  plugins: [requiredHttp],
  logLevel: "warning",
});
// The bin npm links: executable, as npm would make it on install.
chmodSync(join(outdir, "provenant.js"), 0o755);
