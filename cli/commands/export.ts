import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { loadEkRoots, modelAttestation } from "../../core/attestor/model-certificate-check.ts";
import { modelEvaluations } from "../../core/attestor/evaluation-results.ts";
import { InputError } from "../../core/errors.ts";
import { EXPORT_FORMAT_TITLES, EXPORT_FORMATS, exportLineage, parseExportFormat } from "../../core/lineage/exports/index.ts";
import { buildLineageGraph } from "../../core/lineage/walk.ts";
import { action, withCommonOptions, type CommonOptions } from "../output.ts";
import { openLineageSources } from "./lineage.ts";
import { isTokenId, parseTokenId } from "../../core/identifiers.ts";

interface ExportOptions extends CommonOptions {
  format: string;
  out?: string;
  hubId: string[];
  producer?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `model:1=org/name` pairs as a map from graph node id to Hugging Face Hub id. */
function parseHubIds(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^((?:model|dataset):([^=]*))=([^\s=]+)$/.exec(pair);
    if (!m || !isTokenId(m[2])) throw new InputError("INPUT_INVALID", `--hub-id takes model:<id>=<hub id> or dataset:<id>=<hub id>, got "${pair}"`);
    out[m[1]] = m[3];
  }
  return out;
}

export function exportCommand(): Command {
  return withCommonOptions(
    new Command("export")
      .description("export a model's lineage as a CycloneDX BOM, an SPDX 3 document, a Hugging Face model card or an OpenLineage event")
      .argument("<model>", "model token id")
      .requiredOption("--format <format>", `${EXPORT_FORMATS.join(", ")}`)
      .option("--out <file>", "write the document to this file instead of stdout")
      .option("--hub-id <node=id>", "Hugging Face id of a model or dataset for the card, e.g. model:1=org/mnist-mlp (repeatable)", collect, [])
      .option("--producer <uri>", "OpenLineage producer URI (default urn:provenant:lineage-export)"),
  ).action(
    action<ExportOptions>(async ([model], opts) => {
      // Everything that needs no chain is checked first.
      const format = parseExportFormat(opts.format);
      const id = parseTokenId(model, "the model");
      const hubIds = parseHubIds(opts.hubId);
      const src = await openLineageSources(opts);
      const graph = await buildLineageGraph(src, id);
      // An export calls a model attested only when its certificate verifies now (EK roots from PROVENANT_EK_ROOTS).
      const roots = loadEkRoots();
      const addresses = { modelRegistry: graph.registries.model, datasetRegistry: graph.registries.dataset };
      for (const n of graph.nodes) {
        if (n.kind === "model" && n.provenance === "attested")
          n.attestation = await modelAttestation({ conn: src.conn, store: src.store, modelId: n.tokenId, roots, addresses });
        // Attested results are exported only as far as their evaluation certificates verify now.
        if (n.kind === "model")
          n.evaluations = await modelEvaluations({ conn: src.conn, store: src.store, modelId: n.tokenId, roots, modelRegistry: graph.registries.model });
      }
      const doc = exportLineage(graph, format, { hubIds, producer: opts.producer });
      if (opts.out) {
        try {
          writeFileSync(opts.out, doc.text);
        } catch (e) {
          throw new InputError("INPUT_INVALID", `cannot write ${opts.out}: ${(e as Error).message}`, { cause: e });
        }
      }
      const models = graph.nodes.filter((n) => n.kind === "model").length;
      const datasets = graph.nodes.length - models;
      const summary = { ok: true, model: id.toString(), format, contentType: doc.contentType, filename: doc.filename, models, datasets };
      return opts.out
        ? {
            json: { ...summary, out: opts.out },
            text: `wrote the ${EXPORT_FORMAT_TITLES[format]} of model #${id} (${models} model(s), ${datasets} dataset(s) in its lineage) to ${opts.out}`,
          }
        : { json: { ...summary, document: doc.text }, text: doc.text.replace(/\n$/, "") };
    }),
  );
}
