#!/usr/bin/env node
import { Command } from "commander";
import * as nodeModule from "node:module";

// V8's compiled code kept on disk between runs (Node 22.1 and later; the cache checks each file's contents): a
// command's modules, ethers above all, then load without being compiled again.
nodeModule.enableCompileCache?.();

/**
 * Each top-level command's module, imported only when that command runs: start-up (type-stripping and importing
 * ethers, the Lighthouse SDK, ...) is most of the time of a small run, and one command needs few of them.
 * Help and unknown commands load them all, so every command is listed; --version loads none.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  dataset: async () => (await import("./commands/dataset.ts")).datasetCommand(),
  prove: async () => (await import("./commands/prove.ts")).proveCommand(),
  "verify-proof": async () => (await import("./commands/prove.ts")).verifyProofCommand(),
  "check-sample": async () => (await import("./commands/check-sample.ts")).checkSampleCommand(),
  serve: async () => (await import("./commands/serve.ts")).serveCommand(),
  storage: async () => (await import("./commands/storage.ts")).storageCommand(),
  model: async () => (await import("./commands/model.ts")).modelCommand(),
  lineage: async () => (await import("./commands/lineage.ts")).lineageCommand(),
  verify: async () => (await import("./commands/verify.ts")).verifyCommand(),
  export: async () => (await import("./commands/export.ts")).exportCommand(),
  attestor: async () => (await import("./commands/attestor.ts")).attestorCommand(),
  train: async () => (await import("./commands/train.ts")).trainCommand(),
  evaluate: async () => (await import("./commands/evaluate.ts")).evaluateCommand(),
};

const program = new Command("provenant")
  .description("Verifiable provenance for AI datasets and models")
  .version("0.1.0")
  // Program options (--version) only before a subcommand, so that `model register --version 1.0.0` reaches it.
  .enablePositionalOptions()
  .showHelpAfterError();

const asked = process.argv[2];
const versionOnly = asked === "--version" || asked === "-V";
const wanted = versionOnly ? [] : asked !== undefined && Object.hasOwn(COMMANDS, asked) ? [asked] : Object.keys(COMMANDS);
for (const command of await Promise.all(wanted.map((name) => COMMANDS[name]()))) program.addCommand(command);

await program.parseAsync(process.argv);
