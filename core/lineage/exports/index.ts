// Lineage exports: one LineageGraph in, one standard document out (CycloneDX, SPDX, Hugging Face model card,
// OpenLineage). Pure and browser-safe: the CLI writes the text to a file, the dApp offers it as a download.
import { FormatError } from "../../errors.ts";
import type { LineageGraph } from "../graph.ts";
import { slug, viewOf } from "./common.ts";
import { toCycloneDx } from "./cyclonedx.ts";
import { toHfCard } from "./hf-card.ts";
import { toOpenLineage } from "./openlineage.ts";
import { toSpdx } from "./spdx.ts";

export const EXPORT_FORMATS = ["cyclonedx", "spdx", "hf-card", "openlineage"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What each format is, for help texts and download buttons. */
export const EXPORT_FORMAT_TITLES: Record<ExportFormat, string> = {
  cyclonedx: "CycloneDX 1.6 BOM (JSON)",
  spdx: "SPDX 3.0.1 document (JSON-LD, AI and Dataset profiles)",
  "hf-card": "Hugging Face model card (README.md)",
  openlineage: "OpenLineage RunEvent (JSON)",
};

export interface ExportOptions {
  /** OpenLineage `producer` URI (default urn:provenant:lineage-export). */
  producer?: string;
  /** Hugging Face Hub ids for graph nodes, by node id ("model:1" -> "org/name"), used in the model card. */
  hubIds?: Record<string, string>;
}

export interface ExportedDocument {
  format: ExportFormat;
  contentType: string;
  /** A suggested file name, from the model's name and version. */
  filename: string;
  /** The document; ends with a newline. */
  text: string;
}

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === "string" && (EXPORT_FORMATS as readonly string[]).includes(value);
}

/** The export format named by `value`, or FORMAT_UNSUPPORTED naming the ones there are. */
export function parseExportFormat(value: unknown): ExportFormat {
  if (isExportFormat(value)) return value;
  const got = typeof value === "string" ? JSON.stringify(value) : String(value);
  throw new FormatError("FORMAT_UNSUPPORTED", `unknown export format ${got}: use ${EXPORT_FORMATS.join(", ")}`);
}

const json = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;

/** Exports a lineage graph's root model in one format. Deterministic: the same graph gives the same bytes. */
export function exportLineage(graph: LineageGraph, format: ExportFormat | string, options: ExportOptions = {}): ExportedDocument {
  const f = parseExportFormat(format);
  const root = viewOf(graph).root;
  const base = `${slug(root.record.name)}-${slug(root.record.version)}`;
  switch (f) {
    case "cyclonedx":
      return { format: f, contentType: "application/vnd.cyclonedx+json; version=1.6", filename: `${base}.cdx.json`, text: json(toCycloneDx(graph)) };
    case "spdx":
      return { format: f, contentType: "application/spdx+json", filename: `${base}.spdx.json`, text: json(toSpdx(graph)) };
    case "hf-card":
      return { format: f, contentType: "text/markdown; charset=utf-8", filename: "README.md", text: toHfCard(graph, { hubIds: options.hubIds }) };
    case "openlineage":
      return { format: f, contentType: "application/json", filename: `${base}.openlineage.json`, text: json(toOpenLineage(graph, { producer: options.producer })) };
  }
}

export { toCycloneDx, toHfCard, toOpenLineage, toSpdx };
