import { useRef, useState, type DragEvent } from "react";
import type { SampleEncoding } from "../../../../core/dataset/sample-hash.ts";
import { trouble, type Trouble } from "../../../_lib/errors.ts";
import styles from "./prove-panel.module.css";

/** The prove panel's file mode: one sample file, dropped or chosen. A folder or several files are refused here. */
export function ProveFileInput({
  encoding,
  busy,
  onFile,
  onProblem,
}: {
  encoding: SampleEncoding;
  busy: boolean;
  onFile: (file: File) => void;
  onProblem: (t: Trouble) => void;
}) {
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (busy) return;
    const items = Array.from(e.dataTransfer.items ?? []);
    const entry = items[0]?.webkitGetAsEntry?.();
    if (entry?.isDirectory) {
      onProblem(trouble("INPUT_INVALID", "That is a folder. A sample is one file: drop a single file."));
      return;
    }
    const files = Array.from(e.dataTransfer.files);
    if (files.length !== 1) {
      onProblem(trouble("INPUT_INVALID", files.length === 0 ? "Nothing was dropped: drop one file." : `${files.length} files were dropped: drop one file, one sample.`));
      return;
    }
    onFile(files[0]);
  };

  return (
    <div
      className={`${styles.drop} ${dragging ? styles.dropOn : ""}`}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      onClick={() => !busy && fileInput.current?.click()}
      role="button"
      tabIndex={0}
      onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && fileInput.current?.click()}
    >
      <div className={styles.dropIcon} aria-hidden>
        ⤓
      </div>
      <div>
        <strong>Drop a sample file here</strong> or click to choose one
      </div>
      <div className="muted small">
        {encoding === "files"
          ? "Any file: its bytes are the sample."
          : `A file holding one ${encoding === "jsonl" ? "JSONL line" : "CSV record"}; one final line ending is ignored.`}
      </div>
      <input
        ref={fileInput}
        type="file"
        hidden
        data-testid="sample-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = "";
          if (f) onFile(f);
        }}
      />
    </div>
  );
}
