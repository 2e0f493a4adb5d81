"use client";

import { useState } from "react";
import { EXPORT_FORMAT_TITLES, EXPORT_FORMATS, exportLineage, type ExportFormat } from "../../../../core/lineage/exports/index.ts";
import type { LineageGraph } from "../../../../core/lineage/graph.ts";
import styles from "./lineage.module.css";

const LABELS: Record<ExportFormat, string> = { cyclonedx: "CycloneDX", spdx: "SPDX", "hf-card": "HF model card", openlineage: "OpenLineage" };

/** Downloads of the lineage in the standard formats, made in the browser from the graph (core/lineage/exports). */
export default function ExportButtons({ graph }: { graph: LineageGraph }) {
  const [error, setError] = useState<string | null>(null);
  const download = (format: ExportFormat) => {
    try {
      const doc = exportLineage(graph, format);
      const url = URL.createObjectURL(new Blob([doc.text], { type: doc.contentType }));
      const a = document.createElement("a");
      a.href = url;
      a.download = doc.filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div>
      <div className={styles.exports}>
        {EXPORT_FORMATS.map((f) => (
          <button key={f} type="button" className="secondary" title={EXPORT_FORMAT_TITLES[f]} data-testid={`export-${f}`} onClick={() => download(f)}>
            ⤓ {LABELS[f]}
          </button>
        ))}
      </div>
      {error ? <p className="notice">{error}</p> : null}
    </div>
  );
}
