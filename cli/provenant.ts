#!/usr/bin/env node
import { Command } from "commander";

/**
 * Every command, with the module that defines it. Only the module of the command being run is imported:
 * loading them all (ethers, the Lighthouse SDK, the export libraries) cost most of a second per start.
 * `--help` and `--version` import none; their listing uses the descriptions here.
 */
const COMMANDS: Record<string, { description: string; load: () => Promise<Command> }> = {
  dataset: { description: "hash, store and mint datasets", load: async () => (await import("./commands/dataset.ts")).datasetCommand() },
  prove: {
    description: "prove that a sample is or is not in a dataset; the contract checks the proof",
    load: async () => (await import("./commands/prove.ts")).proveCommand(),
  },
  "verify-proof": {
    description: "re-check a saved proof file against the dataset's on-chain root, locally and by the contract",
    load: async () => (await import("./commands/prove.ts")).verifyProofCommand(),
  },
  serve: { description: "serve the store as an IPFS path gateway: GET /ipfs/<cid>, CORS open", load: async () => (await import("./commands/serve.ts")).serveCommand() },
  storage: { description: "where stored content stands on Filecoin", load: async () => (await import("./commands/storage.ts")).storageCommand() },
  model: { description: "hash and register models with their lineage", load: async () => (await import("./commands/model.ts")).modelCommand() },
  lineage: { description: "show a model's ancestry: parent models and datasets, read from the chain and storage", load: async () => (await import("./commands/lineage.ts")).lineageCommand() },
  verify: { description: "verify models end to end, and attested models' training certificates", load: async () => (await import("./commands/verify.ts")).verifyCommand() },
  export: { description: "export a model's lineage as a CycloneDX BOM, an SPDX 3 document, a Hugging Face model card or an OpenLineage event", load: async () => (await import("./commands/export.ts")).exportCommand() },
  attestor: { description: "enroll, inspect and revoke TPM attestors", load: async () => (await import("./commands/attestor.ts")).attestorCommand() },
  train: { description: "train under the attestor: measured inputs, TPM quote, training certificate, attested model registration", load: async () => (await import("./commands/train.ts")).trainCommand() },
};

const program = new Command("provenant")
  .description("Verifiable provenance for AI datasets and models")
  .version("0.1.0")
  // Program options (--version) only before a subcommand, so that `model register --version 1.0.0` reaches it.
  .enablePositionalOptions()
  .showHelpAfterError();

// The first word that is not an option names the command; `help <command>` names it second.
const words = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const wanted = words[0] === "help" ? words[1] : words[0];
for (const [name, { description, load }] of Object.entries(COMMANDS)) {
  program.addCommand(name === wanted ? await load() : new Command(name).description(description));
}

await program.parseAsync(process.argv);
