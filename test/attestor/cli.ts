#!/usr/bin/env node
/**
 * The CLI the attestor tests run: the dataset commands and the attestor's own (`attestor`, `train`,
 * `verify certificate`), assembled as cli/provenant.ts will once they are attached there.
 */
import { Command } from "commander";
import { datasetCommand } from "../../cli/commands/dataset.ts";
import { attestorCommand } from "../../cli/commands/attestor.ts";
import { trainCommand } from "../../cli/commands/train.ts";
import { verifyCertificateCommand } from "../../cli/commands/verify-certificate.ts";

const program = new Command("provenant")
  .enablePositionalOptions()
  .addCommand(datasetCommand())
  .addCommand(attestorCommand())
  .addCommand(trainCommand())
  .addCommand(new Command("verify").addCommand(verifyCertificateCommand()));

await program.parseAsync(process.argv);
