#!/usr/bin/env node
import { Command } from "commander";
import { datasetCommand } from "./commands/dataset.ts";
import { proveCommand, verifyProofCommand } from "./commands/prove.ts";
import { serveCommand } from "./commands/serve.ts";

const program = new Command("provenant")
  .description("Verifiable provenance for AI datasets and models")
  .version("0.1.0")
  .showHelpAfterError()
  .addCommand(datasetCommand())
  .addCommand(proveCommand())
  .addCommand(verifyProofCommand())
  .addCommand(serveCommand());

await program.parseAsync(process.argv);
