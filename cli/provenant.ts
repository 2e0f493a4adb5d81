#!/usr/bin/env node
import { Command } from "commander";
import { datasetCommand } from "./commands/dataset.ts";
import { proveCommand, verifyProofCommand } from "./commands/prove.ts";
import { serveCommand } from "./commands/serve.ts";
import { storageCommand } from "./commands/storage.ts";
import { modelCommand } from "./commands/model.ts";
import { lineageCommand } from "./commands/lineage.ts";
import { verifyCommand } from "./commands/verify.ts";
import { exportCommand } from "./commands/export.ts";
import { attestorCommand } from "./commands/attestor.ts";
import { trainCommand } from "./commands/train.ts";

const program = new Command("provenant")
  .description("Verifiable provenance for AI datasets and models")
  .version("0.1.0")
  // Program options (--version) only before a subcommand, so that `model register --version 1.0.0` reaches it.
  .enablePositionalOptions()
  .showHelpAfterError()
  .addCommand(datasetCommand())
  .addCommand(proveCommand())
  .addCommand(verifyProofCommand())
  .addCommand(serveCommand())
  .addCommand(storageCommand())
  .addCommand(modelCommand())
  .addCommand(lineageCommand())
  .addCommand(verifyCommand())
  .addCommand(exportCommand())
  .addCommand(attestorCommand())
  .addCommand(trainCommand());

await program.parseAsync(process.argv);
