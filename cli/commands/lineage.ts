import { Command } from "commander";
import { dataDir } from "../../core/config.ts";
import { openStore } from "../store.ts";
import { connect, type ChainConnection } from "../../core/chain/connect.ts";
import { connectLineageSources } from "../../core/lineage/lineage-sources.ts";
import { InputError } from "../../core/errors.ts";
import { parseTokenId } from "../../core/identifiers.ts";
import { readDescendants, renderDescendants } from "../../core/lineage/descendants.ts";
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
  descendants?: boolean;
}

export function lineageCommand(): Command {
  return withCommonOptions(
    new Command("lineage")
      .description("show a model's ancestry: parent models and datasets, read from the chain and storage")
      .argument("<model>", "model token id")
      .option("--dot", "print Graphviz DOT")
      .option("--mermaid", "print a Mermaid flowchart")
      .option("--ascii", "draw the tree with ASCII characters only")
      .option("--descendants", "show the models derived from it instead: children, grandchildren... (from the registry's parent links)"),
  ).action(
    action<LineageOptions>(async ([model], opts) => {
      if (opts.dot && opts.mermaid) throw new InputError("INPUT_INVALID", "give one of --dot and --mermaid");
      const id = parseTokenId(model, "the model");
      if (opts.descendants) {
        if (opts.dot || opts.mermaid) throw new InputError("INPUT_INVALID", "--descendants prints a tree or JSON: leave out --dot and --mermaid");
        const descendants = await readDescendants((await openLineageSources(opts)).models, id);
        const json = {
          modelId: String(id),
          descendants: descendants.map((d) => ({ ...d, modelId: String(d.modelId), parentId: String(d.parentId) })),
        };
        return { json, text: renderDescendants(id, descendants, { ascii: opts.ascii }) };
      }
      const graph = await buildLineageGraph(await openLineageSources(opts), id);
      const text = opts.dot ? renderDot(graph) : opts.mermaid ? renderMermaid(graph) : renderTree(graph, { ascii: opts.ascii });
      return { json: graph, text };
    }),
  );
}
