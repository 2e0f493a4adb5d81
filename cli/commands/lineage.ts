import { Command } from "commander";
import { dataDir } from "../../core/config.ts";
import { openStore } from "../store.ts";
import { connect, type ChainConnection } from "../../core/chain/connect.ts";
import { connectLineageSources } from "../../core/lineage/lineage-sources.ts";
import { InputError } from "../../core/errors.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { renderDot, renderMermaid, renderTree } from "../../core/lineage/render.ts";
import { buildLineageGraph, type LineageSources } from "../../core/lineage/walk.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";

/** Both registries and the store, as the common options name them. */
export async function openLineageSources(opts: CommonOptions): Promise<LineageSources & { conn: ChainConnection }> {
  return connectLineageSources(await connect(opts.network), openStore(opts.storage, dataDir(opts.dataDir)));
}

interface LineageOptions extends CommonOptions {
  dot?: boolean;
  mermaid?: boolean;
  ascii?: boolean;
}

export function lineageCommand(): Command {
  return withCommonOptions(
    new Command("lineage")
      .description("show a model's ancestry: parent models and datasets, read from the chain and storage")
      .argument("<model>", "model token id")
      .option("--dot", "print Graphviz DOT")
      .option("--mermaid", "print a Mermaid flowchart")
      .option("--ascii", "draw the tree with ASCII characters only"),
  ).action(
    action<LineageOptions>(async ([model], opts) => {
      if (opts.dot && opts.mermaid) throw new InputError("INPUT_INVALID", "give one of --dot and --mermaid");
      const id = parseTokenId(model, "the model");
      const graph = await buildLineageGraph(await openLineageSources(opts), id);
      const text = opts.dot ? renderDot(graph) : opts.mermaid ? renderMermaid(graph) : renderTree(graph, { ascii: opts.ascii });
      return { json: graph, text };
    }),
  );
}
